package appcheck

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/splunkapp"
)

// rules is every rule, sorted by name (TestRules keeps it so, and
// RuleNamed searches it).
var rules = []Rule{
	{"check_alert_actions_conf_for_alert_execute_cmd_properties", "a custom alert action's alert.execute.cmd* settings are reviewed by hand", needsAppConf, alertExecuteCmd},
	{"check_alert_actions_exe_exist", "a custom alert action has an executable named after its stanza in bin/ (only in a platform folder is reviewed by hand)", needsAppConf, alertExeExists},
	{"check_alert_actions_exist", "every action a saved search enables is defined by the app, by Splunk, or (reviewed by hand) by Enterprise Security", needsAppConf, alertActionsExist},
	{"check_alert_icon_exists_for_custom_alerts", "a custom alert action's icon_path names a file of appserver/static", needsAppConf, alertIcon},
	{"check_all_lookups_are_used", "every lookups/*.csv has a transforms.conf definition", needsAppConf, lookupsUsed},
	{"check_app_build", "[install] build of app.conf is a positive integer", needsAppConf, withAppConf(appBuild)},
	{"check_app_description", "[launcher] description of app.conf is set", needsAppConf, withAppConf(appDescription)},
	{"check_app_version", "[id] version of app.conf, if set, equals [launcher] version", needsAppConf, withAppConf(appVersion)},
	{"check_basic_readme", "the app folder has a non-empty README", needsAppConf, basicReadme},
	{"check_command_name", "commands.conf stanzas are lower-case letters and digits", needsAppConf, commandName},
	{"check_command_scripts_exist", "every command has an executable in bin/ or a platform bin folder, and every non-Windows binary is executable", needsAppConf, commandScriptsExist},
	{"check_conf_files_against_spec", "every key of default/*.conf and default.meta is a setting of Splunk's .spec or the app's README/*.spec", needsAppConf, confFilesAgainstSpec},
	{"check_config_file_parsing", "default/*.conf are .conf syntax, without repeated stanzas or keys", needsAppConf, configFileParsing},
	{"check_dashboard_panels_have_searches", "every visualization of a view's panels has a search: a query, ref= or a base= the view defines", needsAppConf, dashboardPanelsHaveSearches},
	{"check_dashboard_root", "a view's root element is <dashboard> or <form>", needsAppConf, dashboardRoot},
	{"check_filenames_for_spaces", "no .conf or .xml file name has a space", layout, filenamesForSpaces},
	{"check_for_bin_files", "no executable file or .exe outside a folder named bin", layout, binFiles},
	{"check_for_binary_files_without_source_code", "every binary is named in the README's Binary File Declaration (then reviewed by hand)", needsAppConf, binaryFilesWithoutSource},
	{"check_for_compiled_python", "no .pyc or .pyo files", layout, compiledPython},
	{"check_for_empty_saved_search_description", "a saved search's description, if set, is not empty", needsAppConf, emptySavedSearchDescription},
	{"check_for_expansive_permissions", "no world-writable files", layout, expansivePermissions},
	{"check_for_gratuitous_cron_scheduling", "a scheduled search runs at most 12 times an hour", needsAppConf, gratuitousCron},
	{"check_for_hidden_files", "no hidden files or folders, no __MACOSX", layout, hiddenFiles},
	{"check_for_local_meta", "no metadata/local.meta", layout, localMeta},
	{"check_for_payload_format", "a custom alert action's payload_format is json or xml", needsAppConf, payloadFormat},
	{"check_for_sched_saved_searches_earliest_time", "a scheduled search sets dispatch.earliest_time, unless it starts with a generating command", needsAppConf, schedEarliest},
	{"check_for_sched_saved_searches_latest_time", "a scheduled search sets dispatch.latest_time", needsAppConf, schedLatest},
	{"check_for_trigger_stanza", "[triggers] of app.conf reloads only custom .conf files", needsAppConf, withAppConf(triggerStanza)},
	{"check_for_valid_cron_schedule", "a scheduled search's cron_schedule has five numeric fields", needsAppConf, validCron},
	{"check_for_valid_package_id", "the app folder name is letters, digits, _ and ., starting with a letter", needsAppConf, validPackageID},
	{"check_for_valid_ui_label", "[ui] label of app.conf has 5 to 80 characters and does not start with \"Splunk For\"", needsAppConf, withAppConf(validUILabel)},
	{"check_html_dashboards", "no HTML dashboards (default/data/ui/html)", needsAppConf, htmlDashboards},
	{"check_ignored_parameters_v2_command", "a chunked command sets only the keys chunked commands honour", needsAppConf, ignoredParametersV2},
	{"check_lookup_csv_is_valid", "every shipped lookup a definition names is a non-empty CSV", needsAppConf, lookupCSVValid},
	{"check_lookup_exists", "every file a lookup definition names is in lookups/ (but the user's own)", needsAppConf, lookupExists},
	{"check_meta_file_parsing", "metadata/default.meta is .conf syntax, every export system or none", needsAppConf, metaFileParsing},
	{"check_nav_views_exist", "the navigation's root is <nav> and every view it names is the app's or Splunk's search app's", needsAppConf, navViewsExist},
	{"check_no_default_stanzas", "Splunk's .conf files (but savedsearches.conf) have no [default], [general], [global] or keys outside a stanza", needsAppConf, noDefaultStanzas},
	{"check_no_install_source_checksum", "[install] install_source_checksum of app.conf is not set", needsAppConf, withAppConf(noInstallSourceChecksum)},
	{"check_platform_specific_binaries", "a binary in a platform folder is of that platform (then reviewed by hand)", needsAppConf, platformSpecificBinaries},
	{"check_props_conf_has_report_option_and_transforms_conf_has_matching_stanza", "every REPORT- and TRANSFORMS- class of props.conf names a transforms.conf stanza", needsAppConf, propsTransforms},
	{"check_saved_search_specifies_a_search", "every saved search has a search", needsAppConf, savedSearchHasSearch},
	{"check_saved_searches_are_not_disabled", "shipped saved searches are enabled (a warning: shipped detections are usually disabled)", needsAppConf, savedSearchesNotDisabled},
	{"check_searchbnf", "every command has a searchbnf.conf [<command>-command] with syntax, description and usage, and every <ref> of a syntax a stanza", needsAppConf, searchbnf},
	{"check_simplexml_standards_version", "a Simple XML view has version=\"1.1\" (or \"2\", Dashboard Studio)", needsAppConf, simplexmlVersion},
	{"check_that_app_contains_any_windows_specific_components", "Windows binaries are flagged: Splunk Cloud runs on Linux x86-64", needsAppConf, windowsComponents},
	{"check_that_directory_name_matches_package_id", "[package] id of app.conf is the app folder's name", needsAppConf, withAppConf(directoryMatchesPackageID)},
	{"check_that_extracted_splunk_app_contains_default_app_conf_file", "the app has a default/app.conf", layout, hasAppConf},
	{"check_that_extracted_splunk_app_contains_default_app_conf_file_with_valid_version_number", "[launcher] version of app.conf is Major.Minor.Revision", needsAppConf, withAppConf(validVersionNumber)},
	{"check_that_extracted_splunk_app_does_not_contain_files_with_invalid_permissions", "every file is readable and writable by its owner", layout, filePermissions},
	{"check_that_extracted_splunk_app_does_not_contain_invalid_directories", "the app folder and every folder is rwx for its owner, and not world-writable (the app folder)", layout, directoryPermissions},
	{"check_that_local_does_not_exist", "no local/ folder", layout, localDoesNotExist},
	{"check_that_setup_has_not_been_performed", "[install] is_configured of app.conf is not true", needsAppConf, withAppConf(setupNotPerformed)},
	{"check_that_splunk_app_package_does_not_contain_files_outside_of_app", "no archive member outside the app folder (absolute or ..)", archive, filesOutsideOfApp},
	{"check_that_splunk_app_package_extracts_to_directory", "the archive holds exactly one top-level folder", archive, extractsToDirectory},
	{"check_user_lookup_not_shipped", "the user's own lookups (*_local.csv) are not shipped: an upgrade would overwrite them", needsAppConf, userLookupNotShipped},
	{"check_workflow_html_exists_for_custom_alert", "a custom alert action has a form, default/data/ui/alerts/<action>.html", needsAppConf, workflowHTML},
	{"check_xml_files_are_well_formed", "every .xml under default/data/ui is well-formed XML", needsAppConf, xmlWellFormed},
}

// withAppConf runs a rule that reads app.conf only when the app has one
// (check_that_extracted_splunk_app_contains_default_app_conf_file
// reports its absence).
func withAppConf(f func(*appView, *findings)) func(*appView, *findings) {
	return func(v *appView, r *findings) {
		if v.appConf != nil {
			f(v, r)
		}
	}
}

// Archive.

func filesOutsideOfApp(v *appView, r *findings) {
	for _, n := range v.outside {
		r.add(Fail, "%s", n)
	}
}

func extractsToDirectory(v *appView, r *findings) {
	if v.tops != nil && len(v.tops) != 1 {
		r.add(Fail, "top-level entries %v, want exactly one folder", v.tops)
	}
}

// Layout and permissions.

func directoryPermissions(v *appView, r *findings) {
	if v.RootMode&0o700 != 0o700 || v.RootMode&0o002 != 0 {
		r.add(Fail, "the app folder has mode %o", v.RootMode)
	}
	for _, n := range v.names {
		if e := v.Files[n]; e.Dir && e.Mode&0o700 != 0o700 {
			r.add(Fail, "%s mode %o", n, e.Mode)
		}
	}
}

func hiddenFiles(v *appView, r *findings) {
	for _, n := range v.names {
		for _, part := range strings.Split(n, "/") {
			if strings.HasPrefix(part, ".") || part == "__MACOSX" {
				r.add(Fail, "%s", n)
				break
			}
		}
	}
}

func localDoesNotExist(v *appView, r *findings) {
	for _, n := range v.names {
		if n == "local" || strings.HasPrefix(n, "local/") {
			r.add(Fail, "%s", n)
		}
	}
}

func localMeta(v *appView, r *findings) {
	if _, ok := v.Files["metadata/local.meta"]; ok {
		r.add(Fail, "%s", "metadata/local.meta")
	}
}

func compiledPython(v *appView, r *findings) {
	for _, n := range v.names {
		if strings.HasSuffix(n, ".pyc") || strings.HasSuffix(n, ".pyo") {
			r.add(Fail, "%s", n)
		}
	}
}

func filenamesForSpaces(v *appView, r *findings) {
	for _, n := range v.names {
		base := path.Base(n)
		if strings.Contains(base, " ") && (strings.HasSuffix(base, ".conf") || strings.HasSuffix(base, ".xml")) {
			r.add(Fail, "%s", n)
		}
	}
}

func expansivePermissions(v *appView, r *findings) {
	for _, n := range v.names {
		if e := v.Files[n]; e.Mode&0o002 != 0 {
			r.add(Fail, "%s is world-writable (%o)", n, e.Mode)
		}
	}
}

func filePermissions(v *appView, r *findings) {
	for _, n := range v.names {
		if e := v.Files[n]; !e.Dir && e.Mode&0o600 != 0o600 {
			r.add(Fail, "%s mode %o", n, e.Mode)
		}
	}
}

func binFiles(v *appView, r *findings) {
	for _, n := range v.names {
		e := v.Files[n]
		inBin := path.Base(path.Dir(n)) == "bin"
		if !e.Dir && !inBin && (e.Mode&0o111 != 0 || strings.HasSuffix(n, ".exe")) {
			r.add(Fail, "%s is executable outside a bin folder", n)
		}
	}
}

// app.conf.

func hasAppConf(v *appView, r *findings) {
	if v.appConf == nil {
		r.add(Fail, "no default/app.conf")
	}
}

var (
	packageID     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9_]$`)
	versionNumber = regexp.MustCompile(`^\d+\.\d+\.\d+`)
)

func directoryMatchesPackageID(v *appView, r *findings) {
	if id := v.get("package", "id"); id != v.ID {
		r.add(Fail, "[package] id %q, folder %q", id, v.ID)
	}
}

func validPackageID(v *appView, r *findings) {
	if !packageID.MatchString(v.ID) {
		r.add(Fail, "%q", v.ID)
	}
}

func validVersionNumber(v *appView, r *findings) {
	if ver := v.get("launcher", "version"); !versionNumber.MatchString(ver) {
		r.add(Warn, "version %q", ver)
	}
}

func appVersion(v *appView, r *findings) {
	if ver := v.get("id", "version"); ver != "" && ver != v.get("launcher", "version") {
		r.add(Fail, "[id] version %q differs from [launcher] version %q", ver, v.get("launcher", "version"))
	}
}

func appDescription(v *appView, r *findings) {
	if v.get("launcher", "description") == "" {
		r.add(Warn, "[launcher] description is empty")
	}
}

func validUILabel(v *appView, r *findings) {
	if l := v.get("ui", "label"); len(l) < 5 || len(l) > 80 || strings.HasPrefix(strings.ToLower(l), "splunk for") {
		r.add(Fail, "label %q: 5 to 80 characters, not starting with \"Splunk For\"", l)
	}
}

func setupNotPerformed(v *appView, r *findings) {
	if c := strings.ToLower(v.get("install", "is_configured")); c == "true" || c == "1" {
		r.add(Fail, "is_configured = %s", c)
	}
}

func noInstallSourceChecksum(v *appView, r *findings) {
	if v.get("install", "install_source_checksum") != "" {
		r.add(Fail, "install_source_checksum is set")
	}
}

func appBuild(v *appView, r *findings) {
	if b, err := strconv.Atoi(v.get("install", "build")); err != nil || b <= 0 {
		r.add(Fail, "[install] build %q: want a positive integer", v.get("install", "build"))
	}
}

func triggerStanza(v *appView, r *findings) {
	s := v.appConf.Stanza("triggers")
	if s == nil {
		return
	}
	for _, kv := range s.Settings {
		conf := strings.TrimPrefix(kv.Key, "reload.")
		if _, builtin := splunkConfs[conf]; builtin {
			r.add(Fail, "%s: reload triggers are for custom .conf files only", kv.Key)
		}
	}
}

// README and binaries.

func basicReadme(v *appView, r *findings) {
	if strings.TrimSpace(v.readme) == "" {
		r.add(Fail, "no README at the app root")
	}
}

func binaryFilesWithoutSource(v *appView, r *findings) {
	for _, b := range v.bins {
		if !strings.Contains(v.readme, "# Binary File Declaration") || !strings.Contains(v.readme, b.name) {
			r.add(Fail, "%s (%s) is not named in the README's Binary File Declaration", b.name, b.kind)
		} else {
			r.add(Manual, "%s (%s) is declared; Splunk Cloud vetting reviews compiled binaries by hand", b.name, b.kind)
		}
	}
}

// platformKinds are the binaries each platform folder holds.
var platformKinds = map[string]string{"linux_x86_64": "ELF", "darwin_x86_64": "Mach-O", "windows_x86_64": "PE"}

func platformSpecificBinaries(v *appView, r *findings) {
	for _, b := range v.bins {
		want := platformKinds[strings.Split(b.name, "/")[0]]
		if want != "" && want != b.kind {
			r.add(Fail, "%s is %s, its folder wants %s", b.name, b.kind, want)
		} else if want != "" {
			r.add(Manual, "%s: platform-specific binaries are reviewed from their documentation", b.name)
		}
	}
}

func windowsComponents(v *appView, r *findings) {
	for _, b := range v.bins {
		if b.kind == "PE" {
			r.add(Warn, "%s: Splunk Cloud runs on Linux x86-64", b.name)
		}
	}
}

func commandScriptsExist(v *appView, r *findings) {
	for _, b := range v.bins {
		if b.kind != "PE" && b.Mode&0o111 == 0 {
			r.add(Fail, "%s is not executable (mode %o)", b.name, b.Mode)
		}
	}
	if cmds := v.Conf("commands.conf"); cmds != nil {
		for _, s := range cmds.Stanzas {
			file, _ := s.Get("filename")
			if !v.hasExecutable(s.Name, file) {
				r.add(Fail, "[%s]: no executable in bin/ or a platform bin folder", s.Name)
			}
		}
	}
}

// Conf files.

// defaultConfs returns the names of default/*.conf, in order.
func (v *appView) defaultConfs() []string {
	var out []string
	for _, n := range v.names {
		if strings.HasPrefix(n, "default/") && strings.HasSuffix(n, ".conf") && strings.Count(n, "/") == 1 {
			out = append(out, n)
		}
	}
	return out
}

func configFileParsing(v *appView, r *findings) {
	for _, n := range v.defaultConfs() {
		for _, p := range v.Conf(path.Base(n)).Problems {
			r.add(Fail, "%s", p)
		}
	}
}

func noDefaultStanzas(v *appView, r *findings) {
	for _, n := range v.defaultConfs() {
		base := path.Base(n)
		if _, builtin := splunkConfs[strings.TrimSuffix(base, ".conf")]; !builtin || base == "savedsearches.conf" {
			continue
		}
		c := v.Conf(base)
		for _, s := range c.Stanzas {
			if s.Name == "default" || s.Name == "general" || s.Name == "global" {
				r.add(Fail, "%s:%d: [%s]", n, s.Line, s.Name)
			}
		}
		for _, kv := range c.Global {
			r.add(Fail, "%s:%d: %s outside any stanza", n, kv.Line, kv.Key)
		}
	}
}

func metaFileParsing(v *appView, r *findings) {
	e, ok := v.Files["metadata/default.meta"]
	if !ok {
		return
	}
	m := ParseConf("metadata/default.meta", e.Data)
	for _, p := range m.Problems {
		r.add(Fail, "%s", p)
	}
	for _, s := range m.Stanzas {
		if val, ok := s.Get("export"); ok && val != "system" && val != "none" {
			r.add(Fail, "[%s] export = %s", s.Name, val)
		}
	}
}

// commands.conf and searchbnf.conf.

var commandNameRE = regexp.MustCompile(`^[a-z0-9]+$`)

func commandName(v *appView, r *findings) {
	if cmds := v.Conf("commands.conf"); cmds != nil {
		for _, s := range cmds.Stanzas {
			if !commandNameRE.MatchString(s.Name) {
				r.add(Fail, "[%s]: command names are lower-case letters and digits", s.Name)
			}
		}
	}
}

// chunkedKeys are the keys a chunked (protocol v2) command honours, with
// command.arg.<N>.
var chunkedKeys = map[string]bool{"chunked": true, "is_risky": true, "maxwait": true, "maxchunksize": true, "filename": true, "run_in_preview": true, "python.version": true}

func ignoredParametersV2(v *appView, r *findings) {
	cmds := v.Conf("commands.conf")
	if cmds == nil {
		return
	}
	for _, s := range cmds.Stanzas {
		if c, _ := s.Get("chunked"); c != "true" && c != "1" {
			continue
		}
		for _, kv := range s.Settings {
			if !chunkedKeys[kv.Key] && !strings.HasPrefix(kv.Key, "command.arg.") {
				r.add(Fail, "[%s] %s is not honoured by chunked commands", s.Name, kv.Key)
			}
		}
	}
}

func searchbnf(v *appView, r *findings) {
	bnf := v.Conf("searchbnf.conf")
	if cmds := v.Conf("commands.conf"); cmds != nil {
		for _, s := range cmds.Stanzas {
			st := (*Stanza)(nil)
			if bnf != nil {
				st = bnf.Stanza(s.Name + "-command")
			}
			if st == nil {
				r.add(Warn, "[%s] has no searchbnf.conf [%s-command] stanza", s.Name, s.Name)
				continue
			}
			for _, k := range []string{"syntax", "description", "usage"} {
				if val, _ := st.Get(k); val == "" {
					r.add(Warn, "[%s-command] has no %s", s.Name, k)
				}
			}
		}
	}
	if bnf != nil {
		syntaxRefs(bnf, r)
	}
}

// bnfTypes are the datatypes searchbnf syntax may use without a stanza.
var bnfTypes = map[string]bool{"bool": true, "int": true, "num": true, "float": true, "field": true, "string": true,
	"wc-field": true, "wc-string": true, "field-list": true, "time-modifier": true, "eval-expression": true, "regex": true, "search-pipeline": true}

var bnfRef = regexp.MustCompile(`<([A-Za-z0-9_-]+)>`)

// syntaxRefs reports <name> references of syntax lines that no stanza of
// searchbnf.conf defines (option stanzas are named without the
// "-command" suffix).
func syntaxRefs(bnf *Conf, r *findings) {
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
				r.add(Fail, "[%s] syntax uses <%s>, which no [%s] stanza defines", s.Name, ref, ref)
			}
		}
	}
}

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

// savedsearches.conf.

// savedSearches calls f for every stanza of savedsearches.conf.
func (v *appView) savedSearches(f func(s *Stanza)) {
	if ss := v.Conf("savedsearches.conf"); ss != nil {
		for _, s := range ss.Stanzas {
			f(s)
		}
	}
}

func scheduled(s *Stanza) bool {
	sched, _ := s.Get("enableSched")
	return sched == "1" || sched == "true"
}

func savedSearchHasSearch(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		if q, _ := s.Get("search"); q == "" {
			r.add(Fail, "[%s]", s.Name)
		}
	})
}

func emptySavedSearchDescription(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		if d, ok := s.Get("description"); ok && d == "" {
			r.add(Fail, "[%s]", s.Name)
		}
	})
}

func schedEarliest(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		search, _ := s.Get("search")
		if t, _ := s.Get("dispatch.earliest_time"); scheduled(s) && t == "" && !strings.HasPrefix(strings.TrimSpace(search), "|") {
			r.add(Fail, "[%s]", s.Name)
		}
	})
}

func schedLatest(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		if t, _ := s.Get("dispatch.latest_time"); scheduled(s) && t == "" {
			r.add(Warn, "[%s]", s.Name)
		}
	})
}

func validCron(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		cron, _ := s.Get("cron_schedule")
		if !scheduled(s) {
			return
		}
		if err := checkCron(cron); err != nil {
			r.add(Fail, "[%s] cron_schedule %q: %v", s.Name, cron, err)
		}
	})
}

func gratuitousCron(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		cron, _ := s.Get("cron_schedule")
		if !scheduled(s) || checkCron(cron) != nil {
			return
		}
		if runs := runsPerHour(cron); runs > 12 {
			r.add(Warn, "[%s] runs %d times an hour", s.Name, runs)
		}
	})
}

func savedSearchesNotDisabled(v *appView, r *findings) {
	v.savedSearches(func(s *Stanza) {
		if d, _ := s.Get("disabled"); d == "1" || d == "true" {
			r.add(Warn, "[%s] ships disabled (the norm for shipped detections)", s.Name)
		}
	})
}

// builtinActions are alert actions Splunk itself defines.
var builtinActions = map[string]bool{"email": true, "script": true, "lookup": true, "summary_index": true, "populate_lookup": true, "rss": true, "logevent": true, "webhook": true}

// externalActions are alert actions other Splunk products define in
// their own alert_actions.conf: Splunk Enterprise Security's risk analysis
// and notable event adaptive response actions. A saved search may enable
// them; where the product is absent splunkd has no such action to run.
var externalActions = map[string]string{"risk": "Splunk Enterprise Security", "notable": "Splunk Enterprise Security"}

func alertActionsExist(v *appView, r *findings) {
	aa := v.Conf("alert_actions.conf")
	v.savedSearches(func(s *Stanza) {
		for _, kv := range s.Settings {
			if !strings.HasPrefix(kv.Key, "action.") || strings.Count(kv.Key, ".") != 1 || (kv.Value != "1" && kv.Value != "true") {
				continue
			}
			name := strings.TrimPrefix(kv.Key, "action.")
			if product, ok := externalActions[name]; ok {
				r.add(Manual, "[%s] uses action %s, which %s defines: inert where it is not installed", s.Name, name, product)
			} else if aa != nil && aa.Stanza(name) == nil && !builtinActions[name] {
				r.add(Fail, "[%s] uses action %s that no alert_actions.conf defines", s.Name, name)
			}
		}
	})
}

// checkCron validates a five-field cron expression (numbers, *, ranges,
// lists, steps; no month or day names).
func checkCron(cron string) error {
	fields := strings.Fields(cron)
	if len(fields) != 5 {
		return fmt.Errorf("want 5 fields, got %d", len(fields))
	}
	for _, f := range fields {
		if !cronField.MatchString(f) {
			return fmt.Errorf("field %q", f)
		}
	}
	return nil
}

var cronField = regexp.MustCompile(`^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$`)

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

// alert_actions.conf: custom actions need an executable, a payload
// format, an icon and a form.

// customActions calls f for every custom action of alert_actions.conf.
func (v *appView) customActions(f func(s *Stanza)) {
	aa := v.Conf("alert_actions.conf")
	if aa == nil {
		return
	}
	for _, s := range aa.Stanzas {
		if c, _ := s.Get("is_custom"); c == "1" || c == "true" {
			f(s)
		}
	}
}

func alertExeExists(v *appView, r *findings) {
	v.customActions(func(s *Stanza) {
		if !v.hasExecutable(s.Name, "") {
			r.add(Fail, "[%s]: no executable named after the stanza in bin/ or a platform bin folder", s.Name)
		} else if _, ok := v.Files["bin/"+s.Name]; !ok {
			r.add(Manual, "[%s]: the executable is only in platform folders", s.Name)
		}
	})
}

func payloadFormat(v *appView, r *findings) {
	v.customActions(func(s *Stanza) {
		if f, _ := s.Get("payload_format"); f != "json" && f != "xml" {
			r.add(Fail, "[%s] payload_format %q: want json or xml", s.Name, f)
		}
	})
}

func alertIcon(v *appView, r *findings) {
	v.customActions(func(s *Stanza) {
		icon, _ := s.Get("icon_path")
		if _, ok := v.Files["appserver/static/"+icon]; icon == "" || !ok {
			r.add(Fail, "[%s] icon_path %q not in appserver/static", s.Name, icon)
		}
	})
}

func workflowHTML(v *appView, r *findings) {
	v.customActions(func(s *Stanza) {
		if _, ok := v.Files["default/data/ui/alerts/"+s.Name+".html"]; !ok {
			r.add(Fail, "[%s] has no default/data/ui/alerts/%s.html", s.Name, s.Name)
		}
	})
}

func alertExecuteCmd(v *appView, r *findings) {
	v.customActions(func(s *Stanza) {
		for _, kv := range s.Settings {
			if strings.HasPrefix(kv.Key, "alert.execute.cmd") {
				r.add(Manual, "[%s] %s", s.Name, kv.Key)
			}
		}
	})
}

// props → transforms, transforms → lookups.

func propsTransforms(v *appView, r *findings) {
	props := v.Conf("props.conf")
	if props == nil {
		return
	}
	tr := v.Conf("transforms.conf")
	for _, s := range props.Stanzas {
		for _, kv := range s.Settings {
			if !strings.HasPrefix(kv.Key, "REPORT-") && !strings.HasPrefix(kv.Key, "TRANSFORMS-") {
				continue
			}
			for _, ref := range strings.Split(kv.Value, ",") {
				ref = strings.TrimSpace(ref)
				if tr == nil || tr.Stanza(ref) == nil {
					r.add(Fail, "[%s] %s names %q, which transforms.conf lacks", s.Name, kv.Key, ref)
				}
			}
		}
	}
}

// lookupDefs calls f for every stanza of transforms.conf that names a
// file, with the file and its entry under lookups/ (nil if none).
func (v *appView) lookupDefs(f func(s *Stanza, file string, e *Entry)) {
	tr := v.Conf("transforms.conf")
	if tr == nil {
		return
	}
	for _, s := range tr.Stanzas {
		if file, ok := s.Get("filename"); ok {
			f(s, file, v.Files["lookups/"+file])
		}
	}
}

// userLookupNotShipped: the user's own rows (splunkapp.IsLocalLookup): a
// file the package ships would be replaced by the next upgrade (this
// project's rule, README "Tuning that survives upgrades"); the definition
// names a file users create.
func userLookupNotShipped(v *appView, r *findings) {
	v.lookupDefs(func(s *Stanza, file string, e *Entry) {
		if splunkapp.IsLocalLookup(file) && e != nil {
			r.add(Fail, "lookups/%s is the user's own lookup ([%s]): an upgrade would overwrite it; do not ship it", file, s.Name)
		}
	})
}

func lookupExists(v *appView, r *findings) {
	v.lookupDefs(func(s *Stanza, file string, e *Entry) {
		if !splunkapp.IsLocalLookup(file) && e == nil {
			r.add(Fail, "[%s] filename %s not in lookups/", s.Name, file)
		}
	})
}

func lookupCSVValid(v *appView, r *findings) {
	v.lookupDefs(func(s *Stanza, file string, e *Entry) {
		if splunkapp.IsLocalLookup(file) || e == nil {
			return
		}
		if err := validCSV(e.Data); err != nil {
			r.add(Fail, "lookups/%s: %v", file, err)
		}
	})
}

func lookupsUsed(v *appView, r *findings) {
	referenced := map[string]bool{}
	v.lookupDefs(func(_ *Stanza, file string, _ *Entry) { referenced[file] = true })
	for _, n := range v.names {
		if strings.HasPrefix(n, "lookups/") && strings.HasSuffix(n, ".csv") && !referenced[path.Base(n)] {
			r.add(Warn, "%s has no lookup definition", n)
		}
	}
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

// splunkConfs are .conf files Splunk defines (others are the app's own).
var splunkConfs = map[string]struct{}{"app": {}, "commands": {}, "searchbnf": {}, "savedsearches": {}, "macros": {}, "props": {}, "transforms": {}, "alert_actions": {}, "restmap": {}, "web": {}, "inputs": {}, "outputs": {}, "indexes": {}, "eventtypes": {}, "tags": {}, "distsearch": {}, "limits": {}, "server": {}, "authorize": {}, "collections": {}}
