package appcheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Level is how bad a finding is, as AppInspect grades them.
type Level string

// AppInspect's result levels.
const (
	Fail   Level = "failure"
	Warn   Level = "warning"
	Manual Level = "manual_check"
)

// Finding is one broken or noteworthy rule.
type Finding struct {
	Level Level
	Check string // the AppInspect check it stands for
	Msg   string
}

func (f Finding) String() string { return fmt.Sprintf("%s %s: %s", f.Level, f.Check, f.Msg) }

// App is an unpacked archive: files by path inside the app folder.
type App struct {
	ID       string
	RootMode int64 // mode of the app folder itself
	Files    map[string]*Entry
	confs    map[string]*Conf
}

// Entry is one archive member.
type Entry struct {
	Name  string
	Mode  int64
	Dir   bool
	Data  []byte
	Owner int
}

// Open reads a .tgz or .spl app archive.
func Open(r io.Reader) (*App, []Finding, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("appcheck: not a gzip archive: %w", err)
	}
	tr := tar.NewReader(zr)
	app := &App{Files: map[string]*Entry{}, confs: map[string]*Conf{}}
	var out []Finding
	tops := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("appcheck: %w", err)
		}
		name := strings.TrimSuffix(path.Clean(h.Name), "/")
		if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "..") {
			out = append(out, Finding{Fail, "check_that_splunk_app_package_does_not_contain_files_outside_of_app", name})
			continue
		}
		top, rest, _ := strings.Cut(name, "/")
		tops[top] = true
		if rest == "" {
			app.RootMode = h.Mode & 0o7777
			continue
		}
		data, err := readEntry(tr, h.Size)
		if err != nil {
			return nil, nil, fmt.Errorf("appcheck: %s: %w", name, err)
		}
		app.Files[rest] = &Entry{Name: rest, Mode: h.Mode & 0o7777, Dir: h.Typeflag == tar.TypeDir, Data: data, Owner: h.Uid}
	}
	if len(tops) != 1 {
		var names []string
		for t := range tops {
			names = append(names, t)
		}
		out = append(out, Finding{Fail, "check_that_splunk_app_package_extracts_to_directory", fmt.Sprintf("top-level entries %v, want exactly one folder", names)})
	}
	for t := range tops {
		app.ID = t
	}
	return app, out, nil
}

// readEntry reads a file of the archive, at most 256 MiB: size bytes read
// into a slice made for them (io.ReadAll would grow and copy it, twice the
// size of the largest binaries).
func readEntry(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > 256<<20 {
		return io.ReadAll(io.LimitReader(r, 256<<20))
	}
	data := make([]byte, size)
	_, err := io.ReadFull(r, data)
	return data, err
}

// Conf returns a parsed default/<name>, or nil if the app has none.
func (a *App) Conf(name string) *Conf {
	if c, ok := a.confs[name]; ok {
		return c
	}
	e, ok := a.Files["default/"+name]
	if !ok {
		return nil
	}
	c := ParseConf("default/"+name, e.Data)
	a.confs[name] = c
	return c
}

// Check runs every rule. specs is a folder of Splunk .conf.spec files
// ("" skips the spec comparison, which is reported as a Manual finding).
func Check(a *App, specs string) []Finding {
	var out []Finding
	add := func(l Level, check, format string, args ...any) {
		out = append(out, Finding{l, check, fmt.Sprintf(format, args...)})
	}
	names := make([]string, 0, len(a.Files))
	for n := range a.Files {
		names = append(names, n)
	}
	sort.Strings(names)

	// Package structure and permissions.
	if a.RootMode&0o700 != 0o700 || a.RootMode&0o002 != 0 {
		add(Fail, "check_that_extracted_splunk_app_does_not_contain_invalid_directories", "the app folder has mode %o", a.RootMode)
	}
	for _, n := range names {
		e := a.Files[n]
		base := path.Base(n)
		for _, part := range strings.Split(n, "/") {
			if strings.HasPrefix(part, ".") || part == "__MACOSX" {
				add(Fail, "check_for_hidden_files", "%s", n)
				break
			}
		}
		if n == "local" || strings.HasPrefix(n, "local/") {
			add(Fail, "check_that_local_does_not_exist", "%s", n)
		}
		if n == "metadata/local.meta" {
			add(Fail, "check_for_local_meta", "%s", n)
		}
		if strings.HasSuffix(n, ".pyc") || strings.HasSuffix(n, ".pyo") {
			add(Fail, "check_for_compiled_python", "%s", n)
		}
		if strings.Contains(base, " ") && (strings.HasSuffix(base, ".conf") || strings.HasSuffix(base, ".xml")) {
			add(Fail, "check_filenames_for_spaces", "%s", n)
		}
		if e.Mode&0o002 != 0 {
			add(Fail, "check_for_expansive_permissions", "%s is world-writable (%o)", n, e.Mode)
		}
		if e.Dir && e.Mode&0o700 != 0o700 {
			add(Fail, "check_that_extracted_splunk_app_does_not_contain_invalid_directories", "%s mode %o", n, e.Mode)
		}
		if !e.Dir && e.Mode&0o600 != 0o600 {
			add(Fail, "check_that_extracted_splunk_app_does_not_contain_files_with_invalid_permissions", "%s mode %o", n, e.Mode)
		}
		inBin := path.Base(path.Dir(n)) == "bin"
		if !e.Dir && !inBin && (e.Mode&0o111 != 0 || strings.HasSuffix(n, ".exe")) {
			add(Fail, "check_for_bin_files", "%s is executable outside a bin folder", n)
		}
	}

	// app.conf.
	app := a.Conf("app.conf")
	if app == nil {
		add(Fail, "check_that_extracted_splunk_app_contains_default_app_conf_file", "no default/app.conf")
		return out
	}
	get := func(stanza, key string) string {
		if s := app.Stanza(stanza); s != nil {
			v, _ := s.Get(key)
			return v
		}
		return ""
	}
	if id := get("package", "id"); id != a.ID {
		add(Fail, "check_that_directory_name_matches_package_id", "[package] id %q, folder %q", id, a.ID)
	}
	if !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9_]$`).MatchString(a.ID) {
		add(Fail, "check_for_valid_package_id", "%q", a.ID)
	}
	if v := get("launcher", "version"); !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		add(Warn, "check_that_extracted_splunk_app_contains_default_app_conf_file_with_valid_version_number", "version %q", v)
	}
	if v := get("id", "version"); v != "" && v != get("launcher", "version") {
		add(Fail, "check_app_version", "[id] version %q differs from [launcher] version %q", v, get("launcher", "version"))
	}
	if d := get("launcher", "description"); d == "" {
		add(Warn, "check_app_description", "[launcher] description is empty")
	}
	if l := get("ui", "label"); len(l) < 5 || len(l) > 80 || strings.HasPrefix(strings.ToLower(l), "splunk for") {
		add(Fail, "check_for_valid_ui_label", "label %q: 5 to 80 characters, not starting with \"Splunk For\"", l)
	}
	if v := strings.ToLower(get("install", "is_configured")); v == "true" || v == "1" {
		add(Fail, "check_that_setup_has_not_been_performed", "is_configured = %s", v)
	}
	if get("install", "install_source_checksum") != "" {
		add(Fail, "check_no_install_source_checksum", "install_source_checksum is set")
	}
	if b, err := strconv.Atoi(get("install", "build")); err != nil || b <= 0 {
		add(Fail, "check_app_build", "[install] build %q: want a positive integer", get("install", "build"))
	}
	if s := app.Stanza("triggers"); s != nil {
		for _, kv := range s.Keys {
			conf := strings.TrimPrefix(kv.Key, "reload.")
			if _, builtin := splunkConfs[conf]; builtin {
				add(Fail, "check_for_trigger_stanza", "%s: reload triggers are for custom .conf files only", kv.Key)
			}
		}
	}

	// README and binaries.
	readme := ""
	for _, n := range names {
		if !strings.Contains(n, "/") && strings.HasPrefix(strings.ToUpper(n), "README") && !a.Files[n].Dir {
			readme += string(a.Files[n].Data)
		}
	}
	if strings.TrimSpace(readme) == "" {
		add(Fail, "check_basic_readme", "no README at the app root")
	}
	for _, n := range names {
		e := a.Files[n]
		if e.Dir {
			continue
		}
		kind := binaryKind(e.Data)
		if kind == "" {
			continue
		}
		if !strings.Contains(readme, "# Binary File Declaration") || !strings.Contains(readme, n) {
			add(Fail, "check_for_binary_files_without_source_code", "%s (%s) is not named in the README's Binary File Declaration", n, kind)
		} else {
			add(Manual, "check_for_binary_files_without_source_code", "%s (%s) is declared; Splunk Cloud vetting reviews compiled binaries by hand", n, kind)
		}
		want := map[string]string{"linux_x86_64": "ELF", "darwin_x86_64": "Mach-O", "windows_x86_64": "PE"}[strings.Split(n, "/")[0]]
		if want != "" && want != kind {
			add(Fail, "check_platform_specific_binaries", "%s is %s, its folder wants %s", n, kind, want)
		} else if want != "" {
			add(Manual, "check_platform_specific_binaries", "%s: platform-specific binaries are reviewed from their documentation", n)
		}
		if kind == "PE" {
			add(Warn, "check_that_app_contains_any_windows_specific_components", "%s: Splunk Cloud runs on Linux x86-64", n)
		}
		if kind != "PE" && e.Mode&0o111 == 0 {
			add(Fail, "check_command_scripts_exist", "%s is not executable (mode %o)", n, e.Mode)
		}
	}

	// Conf files: parsing, default stanzas.
	for _, n := range names {
		if !strings.HasPrefix(n, "default/") || !strings.HasSuffix(n, ".conf") || strings.Count(n, "/") != 1 {
			continue
		}
		c := a.Conf(path.Base(n))
		for _, p := range c.Problems {
			add(Fail, "check_config_file_parsing", "%s", p)
		}
		if _, builtin := splunkConfs[strings.TrimSuffix(path.Base(n), ".conf")]; builtin && path.Base(n) != "savedsearches.conf" {
			for _, s := range c.Stanzas {
				if s.Name == "default" || s.Name == "general" || s.Name == "global" {
					add(Fail, "check_no_default_stanzas", "%s:%d: [%s]", n, s.Line, s.Name)
				}
			}
			for _, kv := range c.Orphans {
				add(Fail, "check_no_default_stanzas", "%s:%d: %s outside any stanza", n, kv.Line, kv.Key)
			}
		}
	}
	if e, ok := a.Files["metadata/default.meta"]; ok {
		m := ParseConf("metadata/default.meta", e.Data)
		for _, p := range m.Problems {
			add(Fail, "check_meta_file_parsing", "%s", p)
		}
		for _, s := range m.Stanzas {
			if v, ok := s.Get("export"); ok && v != "system" && v != "none" {
				add(Fail, "check_meta_file_parsing", "[%s] export = %s", s.Name, v)
			}
		}
	}

	// commands.conf and searchbnf.conf.
	if cmds := a.Conf("commands.conf"); cmds != nil {
		allowed := map[string]bool{"chunked": true, "is_risky": true, "maxwait": true, "maxchunksize": true, "filename": true, "run_in_preview": true, "python.version": true}
		bnf := a.Conf("searchbnf.conf")
		for _, s := range cmds.Stanzas {
			if !regexp.MustCompile(`^[a-z0-9]+$`).MatchString(s.Name) {
				add(Fail, "check_command_name", "[%s]: command names are lower-case letters and digits", s.Name)
			}
			if v, _ := s.Get("chunked"); v == "true" || v == "1" {
				for _, kv := range s.Keys {
					if !allowed[kv.Key] && !strings.HasPrefix(kv.Key, "command.arg.") {
						add(Fail, "check_ignored_parameters_v2_command", "[%s] %s is not honoured by chunked commands", s.Name, kv.Key)
					}
				}
			}
			file, _ := s.Get("filename")
			if !a.hasExecutable(s.Name, file) {
				add(Fail, "check_command_scripts_exist", "[%s]: no executable in bin/ or a platform bin folder", s.Name)
			}
			if bnf == nil || bnf.Stanza(s.Name+"-command") == nil {
				add(Warn, "check_searchbnf", "[%s] has no searchbnf.conf [%s-command] stanza", s.Name, s.Name)
			} else {
				st := bnf.Stanza(s.Name + "-command")
				for _, k := range []string{"syntax", "description", "usage"} {
					if v, _ := st.Get(k); v == "" {
						add(Warn, "check_searchbnf", "[%s-command] has no %s", s.Name, k)
					}
				}
			}
		}
	}

	if bnf := a.Conf("searchbnf.conf"); bnf != nil {
		out = append(out, checkSyntaxRefs(bnf)...)
	}

	// savedsearches.conf.
	if ss := a.Conf("savedsearches.conf"); ss != nil {
		for _, s := range ss.Stanzas {
			if v, _ := s.Get("search"); v == "" {
				add(Fail, "check_saved_search_specifies_a_search", "[%s]", s.Name)
			}
			if v, ok := s.Get("description"); ok && v == "" {
				add(Fail, "check_for_empty_saved_search_description", "[%s]", s.Name)
			}
			sched, _ := s.Get("enableSched")
			search, _ := s.Get("search")
			if sched == "1" || sched == "true" {
				if v, _ := s.Get("dispatch.earliest_time"); v == "" && !strings.HasPrefix(strings.TrimSpace(search), "|") {
					add(Fail, "check_for_sched_saved_searches_earliest_time", "[%s]", s.Name)
				}
				if v, _ := s.Get("dispatch.latest_time"); v == "" {
					add(Warn, "check_for_sched_saved_searches_latest_time", "[%s]", s.Name)
				}
				cron, _ := s.Get("cron_schedule")
				if err := checkCron(cron); err != nil {
					add(Fail, "check_for_valid_cron_schedule", "[%s] cron_schedule %q: %v", s.Name, cron, err)
				} else if runs := runsPerHour(cron); runs > 12 {
					add(Warn, "check_for_gratuitous_cron_scheduling", "[%s] runs %d times an hour", s.Name, runs)
				}
			}
			if v, _ := s.Get("disabled"); v == "1" || v == "true" {
				add(Warn, "check_saved_searches_are_not_disabled", "[%s] ships disabled (the norm for shipped detections)", s.Name)
			}
			for _, kv := range s.Keys {
				if strings.HasPrefix(kv.Key, "action.") && strings.Count(kv.Key, ".") == 1 && (kv.Value == "1" || kv.Value == "true") {
					name := strings.TrimPrefix(kv.Key, "action.")
					if product, ok := externalActions[name]; ok {
						add(Manual, "check_alert_actions_exist", "[%s] uses action %s, which %s defines: inert where it is not installed", s.Name, name, product)
					} else if aa := a.Conf("alert_actions.conf"); aa != nil && aa.Stanza(name) == nil && !builtinActions[name] {
						add(Fail, "check_alert_actions_exist", "[%s] uses action %s that no alert_actions.conf defines", s.Name, name)
					}
				}
			}
		}
	}

	// alert_actions.conf: custom actions need an executable, a payload
	// format, an icon and a form.
	if aa := a.Conf("alert_actions.conf"); aa != nil {
		for _, s := range aa.Stanzas {
			if v, _ := s.Get("is_custom"); v != "1" && v != "true" {
				continue
			}
			if !a.hasExecutable(s.Name, "") {
				add(Fail, "check_alert_actions_exe_exist", "[%s]: no executable named after the stanza in bin/ or a platform bin folder", s.Name)
			} else if _, ok := a.Files["bin/"+s.Name]; !ok {
				add(Manual, "check_alert_actions_exe_exist", "[%s]: the executable is only in platform folders", s.Name)
			}
			if v, _ := s.Get("payload_format"); v != "json" && v != "xml" {
				add(Fail, "check_for_payload_format", "[%s] payload_format %q: want json or xml", s.Name, v)
			}
			icon, _ := s.Get("icon_path")
			if _, ok := a.Files["appserver/static/"+icon]; icon == "" || !ok {
				add(Fail, "check_alert_icon_exists_for_custom_alerts", "[%s] icon_path %q not in appserver/static", s.Name, icon)
			}
			if _, ok := a.Files["default/data/ui/alerts/"+s.Name+".html"]; !ok {
				add(Fail, "check_workflow_html_exists_for_custom_alert", "[%s] has no default/data/ui/alerts/%s.html", s.Name, s.Name)
			}
			for _, kv := range s.Keys {
				if strings.HasPrefix(kv.Key, "alert.execute.cmd") {
					add(Manual, "check_alert_actions_conf_for_alert_execute_cmd_properties", "[%s] %s", s.Name, kv.Key)
				}
			}
		}
	}

	// props → transforms, transforms → lookups.
	tr := a.Conf("transforms.conf")
	if props := a.Conf("props.conf"); props != nil {
		for _, s := range props.Stanzas {
			for _, kv := range s.Keys {
				if !strings.HasPrefix(kv.Key, "REPORT-") && !strings.HasPrefix(kv.Key, "TRANSFORMS-") {
					continue
				}
				for _, ref := range strings.Split(kv.Value, ",") {
					ref = strings.TrimSpace(ref)
					if tr == nil || tr.Stanza(ref) == nil {
						add(Fail, "check_props_conf_has_report_option_and_transforms_conf_has_matching_stanza", "[%s] %s names %q, which transforms.conf lacks", s.Name, kv.Key, ref)
					}
				}
			}
		}
	}
	referenced := map[string]bool{}
	if tr != nil {
		for _, s := range tr.Stanzas {
			file, ok := s.Get("filename")
			if !ok {
				continue
			}
			referenced[file] = true
			e, ok := a.Files["lookups/"+file]
			if !ok {
				add(Fail, "check_lookup_exists", "[%s] filename %s not in lookups/", s.Name, file)
				continue
			}
			if err := validCSV(e.Data); err != nil {
				add(Fail, "check_lookup_csv_is_valid", "lookups/%s: %v", file, err)
			}
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "lookups/") && strings.HasSuffix(n, ".csv") && !referenced[path.Base(n)] {
			add(Warn, "check_all_lookups_are_used", "%s has no lookup definition", n)
		}
	}

	// Views and navigation.
	out = append(out, a.checkViews()...)

	// Every key against Splunk's spec files (and the app's own).
	out = append(out, a.checkSpecs(specs)...)
	return out
}

// bnfTypes are the datatypes searchbnf syntax may use without a stanza.
var bnfTypes = map[string]bool{"bool": true, "int": true, "num": true, "float": true, "field": true, "string": true,
	"wc-field": true, "wc-string": true, "field-list": true, "time-modifier": true, "eval-expression": true, "regex": true, "search-pipeline": true}

var bnfRef = regexp.MustCompile(`<([A-Za-z0-9_-]+)>`)

// checkSyntaxRefs reports <name> references of syntax lines that no
// stanza of searchbnf.conf defines (option stanzas are named without the
// "-command" suffix).
func checkSyntaxRefs(bnf *Conf) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, s := range bnf.Stanzas {
		syntax, _ := s.Get("syntax")
		for _, m := range bnfRef.FindAllStringSubmatch(syntax, -1) {
			ref := m[1]
			if bnfTypes[ref] || seen[ref] {
				continue
			}
			seen[ref] = true
			if bnf.Stanza(ref) == nil {
				out = append(out, Finding{Fail, "check_searchbnf", fmt.Sprintf("[%s] syntax uses <%s>, which no [%s] stanza defines", s.Name, ref, ref)})
			}
		}
	}
	return out
}

// builtinActions are alert actions Splunk itself defines.
var builtinActions = map[string]bool{"email": true, "script": true, "lookup": true, "summary_index": true, "populate_lookup": true, "rss": true, "logevent": true, "webhook": true}

// externalActions are alert actions other Splunk products define in
// their own alert_actions.conf: Splunk Enterprise Security's risk analysis
// and notable event adaptive response actions. A saved search may enable
// them; where the product is absent splunkd has no such action to run.
var externalActions = map[string]string{"risk": "Splunk Enterprise Security", "notable": "Splunk Enterprise Security"}

// splunkConfs are .conf files Splunk defines (others are the app's own).
var splunkConfs = map[string]struct{}{"app": {}, "commands": {}, "searchbnf": {}, "savedsearches": {}, "macros": {}, "props": {}, "transforms": {}, "alert_actions": {}, "restmap": {}, "web": {}, "inputs": {}, "outputs": {}, "indexes": {}, "eventtypes": {}, "tags": {}, "distsearch": {}, "limits": {}, "server": {}, "authorize": {}, "collections": {}}

func (a *App) hasExecutable(name, filename string) bool {
	cands := []string{name, name + ".exe", name + ".sh", name + ".py", name + ".js", name + ".bat", name + ".cmd", name + ".pl"}
	if filename != "" {
		cands = []string{filename}
	}
	for _, dir := range []string{"bin", "linux_x86_64/bin", "windows_x86_64/bin", "darwin_x86_64/bin", "linux_x86/bin", "windows_x86/bin"} {
		for _, c := range cands {
			if e, ok := a.Files[dir+"/"+c]; ok && !e.Dir {
				return true
			}
		}
	}
	return false
}

// binaryKind recognises executables by their magic numbers.
func binaryKind(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "ELF"
	case bytes.HasPrefix(b, []byte("MZ")):
		return "PE"
	case bytes.HasPrefix(b, []byte{0xcf, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.HasPrefix(b, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return "Mach-O"
	}
	return ""
}

func validCSV(data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	recs, err := r.ReadAll()
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errors.New("empty")
	}
	return nil
}

// checkCron validates a five-field cron expression (numbers, *, ranges,
// lists, steps; no month or day names).
func checkCron(cron string) error {
	fields := strings.Fields(cron)
	if len(fields) != 5 {
		return fmt.Errorf("want 5 fields, got %d", len(fields))
	}
	re := regexp.MustCompile(`^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$`)
	for _, f := range fields {
		if !re.MatchString(f) {
			return fmt.Errorf("field %q", f)
		}
	}
	return nil
}

// runsPerHour counts the minutes of an hour the minute field selects.
func runsPerHour(cron string) int {
	minute := strings.Fields(cron)[0]
	n := 0
	for m := 0; m < 60; m++ {
		if cronMatches(minute, m) {
			n++
		}
	}
	return n
}

func cronMatches(field string, v int) bool {
	for _, part := range strings.Split(field, ",") {
		step := 1
		if r, s, ok := strings.Cut(part, "/"); ok {
			step, _ = strconv.Atoi(s)
			part = r
		}
		lo, hi := 0, 59
		if part != "*" {
			a, b, ok := strings.Cut(part, "-")
			lo, _ = strconv.Atoi(a)
			hi = lo
			if ok {
				hi, _ = strconv.Atoi(b)
			}
		}
		if v >= lo && v <= hi && step > 0 && (v-lo)%step == 0 {
			return true
		}
	}
	return false
}

// checkSpecs compares every key of every shipped .conf (and default.meta)
// with the settings its .spec file names: Splunk's own from specs, the
// app's own from its README/ folder.
func (a *App) checkSpecs(specs string) []Finding {
	var out []Finding
	var names []string
	for n := range a.Files {
		if (strings.HasPrefix(n, "default/") && strings.HasSuffix(n, ".conf") && strings.Count(n, "/") == 1) || n == "metadata/default.meta" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		base := path.Base(n)
		// Splunk's spec and the app's own README spec together: an app
		// documents its custom keys (alert action param.*) there.
		var specData []byte
		own, hasOwn := a.Files["README/"+base+".spec"]
		if hasOwn {
			specData = append(specData, own.Data...)
		}
		if specs != "" {
			data, err := os.ReadFile(filepath.Join(specs, base+".spec"))
			switch {
			case err == nil:
				specData = append(append(specData, '\n'), data...)
			case !hasOwn:
				out = append(out, Finding{Manual, "check_conf_files_against_spec", fmt.Sprintf("%s: no spec file here to compare with", n)})
				continue
			}
		} else if _, splunks := splunkConfs[strings.TrimSuffix(base, ".conf")]; !hasOwn || splunks {
			// Without Splunk's spec a Splunk conf cannot be checked whole
			// (the app's README spec documents only its own additions).
			out = append(out, Finding{Manual, "check_conf_files_against_spec", n + ": Splunk's spec files are not available here"})
			continue
		}
		sp := ParseSpec(specData)
		c := ParseConf(n, a.Files[n].Data)
		for _, s := range c.Stanzas {
			for _, kv := range s.Keys {
				if !sp.AllowsStrictly(kv.Key) {
					out = append(out, Finding{Fail, "check_conf_files_against_spec", fmt.Sprintf("%s:%d: [%s] %s is not a setting of %s.spec", n, kv.Line, s.Name, kv.Key, base)})
				}
			}
		}
	}
	return out
}
