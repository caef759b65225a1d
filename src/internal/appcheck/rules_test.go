package appcheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/appkg"
)

// checkSpecs runs check_conf_files_against_spec on its own.
func (a *App) checkSpecs(specs string) []Finding {
	r, _ := RuleNamed("check_conf_files_against_spec")
	return r.Run(a, specs)
}

// checkViews runs the rules of the views and the navigation.
func (a *App) checkViews() []Finding {
	var out []Finding
	for _, r := range Rules() {
		switch r.Name {
		case "check_dashboard_panels_have_searches", "check_dashboard_root", "check_html_dashboards",
			"check_nav_views_exist", "check_simplexml_standards_version", "check_xml_files_are_well_formed":
			out = append(out, r.Run(a, "")...)
		}
	}
	return out
}

// TestRules: the rules are listed sorted by name, each name once, each
// with a one-line Doc, and RuleNamed finds every one.
func TestRules(t *testing.T) {
	rs := Rules()
	require.NotEmpty(t, rs)
	var names []string
	for i, r := range rs {
		t.Logf("%-90s %s", r.Name, r.Doc)
		names = append(names, r.Name)
		require.True(t, strings.HasPrefix(r.Name, "check_"), "%s: AppInspect's naming", r.Name)
		require.NotEmpty(t, r.Doc, r.Name)
		require.NotContains(t, r.Doc, "\n", "%s: one line", r.Name)
		if i > 0 {
			require.Less(t, rs[i-1].Name, r.Name, "sorted by name, each name once")
		}
		got, ok := RuleNamed(r.Name)
		require.True(t, ok, r.Name)
		require.Equal(t, r.Name, got.Name)
	}
	require.True(t, sort.StringsAreSorted(names))
	_, ok := RuleNamed("check_nothing_of_the_sort")
	require.False(t, ok)
	rs[0].Name = "changed"
	require.NotEqual(t, "changed", Rules()[0].Name, "Rules returns a copy")
}

// gone, as the content of a file of a ruleCase, removes the base app's
// file of that name.
const gone = "\x00gone"

// fixtureFile is one archive member of a fixture: a folder if its name
// ends with "/", mode 644 (755 for a folder) unless set.
type fixtureFile struct {
	mode int64
	data string
}

// baseAppConf is the app.conf of the base app.
const baseAppConf = "[install]\nbuild = 1\nis_configured = false\n\n[launcher]\nversion = 1.0.0\ndescription = A test app.\n\n[ui]\nlabel = My Test App\n\n[package]\nid = myapp\n"

// baseApp is the smallest app no rule finds anything in (but
// check_conf_files_against_spec, which notes that Splunk's spec for
// app.conf is not at hand): an app folder, its app.conf and a README.
func baseApp() map[string]fixtureFile {
	return map[string]fixtureFile{
		"myapp/":                 {0o755, ""},
		"myapp/default/app.conf": {0o644, baseAppConf},
		"myapp/README.md":        {0o644, "# My test app\n"},
	}
}

// fixture writes an archive of the base app changed by files (paths
// relative to the app folder, content gone to remove one), modes (for
// those files or others of the base) and raw (archive members as named).
func fixture(t *testing.T, files map[string]string, modes map[string]int64, raw map[string]string) []byte {
	t.Helper()
	all := baseApp()
	for n, data := range files {
		if data == gone {
			delete(all, "myapp/"+n)
			continue
		}
		all["myapp/"+n] = fixtureFile{defaultMode(n), data}
	}
	for n, m := range modes {
		f := all["myapp/"+n]
		f.mode = m
		all["myapp/"+n] = f
	}
	for n, data := range raw {
		all[n] = fixtureFile{defaultMode(n), data}
	}
	var names []string
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range names {
		f := all[n]
		h := &tar.Header{Name: n, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(n, "/") {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		require.NoError(t, tw.WriteHeader(h))
		_, err := tw.Write([]byte(f.data))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func defaultMode(name string) int64 {
	if name == "" || strings.HasSuffix(name, "/") {
		return 0o755
	}
	return 0o644
}

// appConfWith is the base app.conf with old replaced by new.
func appConfWith(old, new string) string {
	if !strings.Contains(baseAppConf, old) {
		panic("app.conf has no " + old)
	}
	return strings.Replace(baseAppConf, old, new, 1)
}

// Pieces of fixtures.
const (
	script     = "#!/bin/sh\n"
	elf        = "\x7fELF stub"
	pe         = "MZ stub"
	machO      = "\xcf\xfa\xed\xfe stub"
	goodBNF    = "[mycmd-command]\nsyntax = mycmd\ndescription = d\nusage = public\n"
	sched      = "[s]\nsearch = index=x\nenableSched = 1\ncron_schedule = 0 * * * *\ndispatch.earliest_time = -1h\ndispatch.latest_time = now\n"
	goodView   = `<form version="1.1"><label>x</label><row><panel><table><search><query>index=x</query></search></table></panel></row></form>`
	declareBin = "# My test app\n\n# Binary File Declaration\n\n"
)

// alertAction is a custom alert action the rules accept, with extra keys
// and the files in files changed.
func alertAction(extra string, files map[string]string) map[string]string {
	out := map[string]string{
		"default/alert_actions.conf":           "[myaction]\nis_custom = 1\npayload_format = json\nicon_path = myaction.png\n" + extra,
		"appserver/static/myaction.png":        "png",
		"default/data/ui/alerts/myaction.html": "<form></form>",
		"bin/myaction":                         script,
	}
	for n, d := range files {
		out[n] = d
	}
	return out
}

// command is a chunked command the rules accept, with extra keys.
func command(extra string) map[string]string {
	return map[string]string{
		"default/commands.conf":  "[mycmd]\nchunked = true\nfilename = mycmd\n" + extra,
		"default/searchbnf.conf": goodBNF,
		"bin/mycmd":              script,
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// ruleCase is an app that breaks one rule.
type ruleCase struct {
	rule, name, reason string
	files              map[string]string
	modes              map[string]int64
	raw                map[string]string
	want               Level    // the level of every finding of rule
	also               []string // other rules that must report on the app, with the reason in the case's
}

var ruleCases = []ruleCase{
	{rule: "check_alert_actions_conf_for_alert_execute_cmd_properties", name: "execute cmd", reason: "alert.execute.cmd runs a command line AppInspect reviews by hand",
		files: alertAction("alert.execute.cmd = myaction.path\n", nil), want: Manual},
	{rule: "check_alert_actions_exe_exist", name: "no executable", reason: "splunkd runs the executable named after the stanza",
		files: alertAction("", map[string]string{"bin/myaction": gone}), want: Fail},
	{rule: "check_alert_actions_exe_exist", name: "platform folder only", reason: "only in a platform folder is reviewed by hand",
		files: alertAction("", map[string]string{"bin/myaction": gone, "linux_x86_64/bin/myaction": script}), modes: map[string]int64{"linux_x86_64/bin/myaction": 0o755}, want: Manual},
	{rule: "check_alert_actions_exist", name: "unknown action", reason: "a saved search enables an action nobody defines",
		files: alertAction("", map[string]string{"default/savedsearches.conf": "[s]\nsearch = index=x\naction.nosuch = 1\n"}), want: Fail},
	{rule: "check_alert_actions_exist", name: "Enterprise Security action", reason: "risk is Enterprise Security's: inert without it",
		files: map[string]string{"default/savedsearches.conf": "[s]\nsearch = index=x\naction.risk = 1\n"}, want: Manual},
	{rule: "check_alert_icon_exists_for_custom_alerts", name: "no icon", reason: "icon_path must name a file of appserver/static",
		files: alertAction("", map[string]string{"appserver/static/myaction.png": gone}), want: Fail},
	{rule: "check_all_lookups_are_used", name: "unused lookup", reason: "a CSV no definition names is dead weight",
		files: map[string]string{"lookups/unused.csv": "a,b\n1,2\n"}, want: Warn},
	{rule: "check_app_build", name: "build 0", reason: "build must be a positive integer",
		files: map[string]string{"default/app.conf": appConfWith("build = 1", "build = 0")}, want: Fail},
	{rule: "check_app_description", name: "no description", reason: "the launcher shows the description",
		files: map[string]string{"default/app.conf": appConfWith("description = A test app.\n", "")}, want: Warn},
	{rule: "check_app_version", name: "two versions", reason: "[id] version must equal [launcher] version",
		files: map[string]string{"default/app.conf": baseAppConf + "\n[id]\nversion = 2.0.0\n"}, want: Fail},
	{rule: "check_basic_readme", name: "blank README", reason: "the README must say something",
		files: map[string]string{"README.md": "  \n"}, want: Fail},
	{rule: "check_command_name", name: "upper case", reason: "command names are lower-case letters and digits",
		files: map[string]string{"default/commands.conf": "[Bad_Name]\nchunked = true\n", "default/searchbnf.conf": "[Bad_Name-command]\nsyntax = x\ndescription = d\nusage = public\n", "bin/Bad_Name": script}, want: Fail},
	{rule: "check_command_scripts_exist", name: "no executable", reason: "splunkd runs the command's filename from a bin folder",
		files: with(command(""), "bin/mycmd", gone), want: Fail},
	{rule: "check_command_scripts_exist", name: "binary not executable", reason: "a Linux or macOS binary needs its exec bit",
		files: map[string]string{"bin/tool": elf, "README.md": declareBin + "bin/tool\n"}, want: Fail,
		also: []string{"check_for_binary_files_without_source_code"}},
	{rule: "check_conf_files_against_spec", name: "key not in the app's spec", reason: "the app's own README/*.spec documents its own conf",
		files: map[string]string{"default/myconf.conf": "[s]\nk = 1\n", "README/myconf.conf.spec": "[s]\nj = <int>\n"}, want: Fail},
	{rule: "check_config_file_parsing", name: "not key = value", reason: "a line splunkd cannot read",
		files: map[string]string{"default/macros.conf": "[m]\ndefinition = x\nbroken\n"}, want: Fail},
	{rule: "check_dashboard_panels_have_searches", name: "panel without search", reason: "a visualization shows a search's results",
		files: map[string]string{"default/data/ui/views/v.xml": `<form version="1.1"><row><panel><table></table></panel></row></form>`}, want: Fail},
	{rule: "check_dashboard_root", name: "not a dashboard", reason: "a view's root is <dashboard> or <form>",
		files: map[string]string{"default/data/ui/views/v.xml": `<view version="1.1"/>`}, want: Fail},
	{rule: "check_filenames_for_spaces", name: "space in a conf name", reason: "AppInspect fails .conf and .xml names with spaces",
		files: map[string]string{"default/my conf.conf": "[s]\nk = 1\n"}, want: Fail},
	{rule: "check_for_bin_files", name: "executable in static", reason: "executables live in bin folders",
		files: map[string]string{"static/tool.sh": script}, modes: map[string]int64{"static/tool.sh": 0o755}, want: Fail},
	{rule: "check_for_binary_files_without_source_code", name: "undeclared binary", reason: "the README's Binary File Declaration must name every binary",
		files: map[string]string{"bin/tool": elf}, modes: map[string]int64{"bin/tool": 0o755}, want: Fail},
	{rule: "check_for_binary_files_without_source_code", name: "declared binary", reason: "declared binaries are reviewed by hand",
		files: map[string]string{"bin/tool": elf, "README.md": declareBin + "bin/tool\n"}, modes: map[string]int64{"bin/tool": 0o755}, want: Manual},
	{rule: "check_for_compiled_python", name: "pyc", reason: "compiled Python never ships",
		files: map[string]string{"bin/x.pyc": "x"}, want: Fail},
	{rule: "check_for_empty_saved_search_description", name: "empty description", reason: "a description, if set, says something",
		files: map[string]string{"default/savedsearches.conf": "[s]\nsearch = index=x\ndescription =\n"}, want: Fail},
	{rule: "check_for_expansive_permissions", name: "world-writable", reason: "anyone could change the file",
		modes: map[string]int64{"README.md": 0o666}, want: Fail},
	{rule: "check_for_gratuitous_cron_scheduling", name: "every two minutes", reason: "30 runs an hour is more than 12",
		files: map[string]string{"default/savedsearches.conf": strings.Replace(sched, "0 * * * *", "*/2 * * * *", 1)}, want: Warn},
	{rule: "check_for_hidden_files", name: "dot file", reason: "hidden files never ship",
		files: map[string]string{".hidden": "x"}, want: Fail},
	{rule: "check_for_local_meta", name: "local.meta", reason: "an administrator's permissions never ship",
		files: map[string]string{"metadata/local.meta": "[]\n"}, want: Fail},
	{rule: "check_for_payload_format", name: "csv payload", reason: "payload_format is json or xml",
		files: alertAction("", map[string]string{"default/alert_actions.conf": "[myaction]\nis_custom = 1\npayload_format = csv\nicon_path = myaction.png\n"}), want: Fail},
	{rule: "check_for_sched_saved_searches_earliest_time", name: "no earliest", reason: "a scheduled search without earliest searches all time",
		files: map[string]string{"default/savedsearches.conf": strings.Replace(sched, "dispatch.earliest_time = -1h\n", "", 1)}, want: Fail},
	{rule: "check_for_sched_saved_searches_latest_time", name: "no latest", reason: "a scheduled search should bound its end",
		files: map[string]string{"default/savedsearches.conf": strings.Replace(sched, "dispatch.latest_time = now\n", "", 1)}, want: Warn},
	{rule: "check_for_trigger_stanza", name: "reload a Splunk conf", reason: "reload triggers are for the app's own confs",
		files: map[string]string{"default/app.conf": baseAppConf + "\n[triggers]\nreload.props = simple\n"}, want: Fail},
	{rule: "check_for_valid_cron_schedule", name: "month name", reason: "cron fields are numbers",
		files: map[string]string{"default/savedsearches.conf": strings.Replace(sched, "0 * * * *", "0 0 * JAN *", 1)}, want: Fail},
	{rule: "check_for_valid_package_id", name: "starts with a digit", reason: "an id starts with a letter",
		raw:   map[string]string{"1app/": "", "1app/default/app.conf": strings.Replace(baseAppConf, "id = myapp", "id = 1app", 1), "1app/README.md": "x"},
		files: map[string]string{"": gone, "default/app.conf": gone, "README.md": gone}, want: Fail},
	{rule: "check_for_valid_ui_label", name: "Splunk For", reason: "labels do not start with Splunk For",
		files: map[string]string{"default/app.conf": appConfWith("label = My Test App", "label = Splunk For X")}, want: Fail},
	{rule: "check_html_dashboards", name: "html dashboard", reason: "AppInspect fails data/ui/html",
		files: map[string]string{"default/data/ui/html/old.html": "<html></html>"}, want: Fail},
	{rule: "check_ignored_parameters_v2_command", name: "streaming on a chunked command", reason: "chunked commands ignore SCP v1 keys",
		files: command("streaming = true\n"), want: Fail},
	{rule: "check_lookup_csv_is_valid", name: "empty CSV", reason: "a lookup has at least a header",
		files: map[string]string{"default/transforms.conf": "[lk]\nfilename = lk.csv\n", "lookups/lk.csv": ""}, want: Fail},
	{rule: "check_lookup_exists", name: "missing file", reason: "the definition names a file the app lacks",
		files: map[string]string{"default/transforms.conf": "[lk]\nfilename = nothere.csv\n"}, want: Fail},
	{rule: "check_meta_file_parsing", name: "export everyone", reason: "export is system or none",
		files: map[string]string{"metadata/default.meta": "[]\nexport = everyone\n"}, want: Fail},
	{rule: "check_nav_views_exist", name: "missing view", reason: "a nav entry must open something",
		files: map[string]string{"default/data/ui/views/v.xml": goodView, "default/data/ui/nav/default.xml": `<nav><view name="gone" default="true"/></nav>`}, want: Fail},
	{rule: "check_no_default_stanzas", name: "[default] in props.conf", reason: "a [default] stanza of an app changes every sourcetype",
		files: map[string]string{"default/props.conf": "[default]\nSHOULD_LINEMERGE = false\n"}, want: Fail},
	{rule: "check_no_install_source_checksum", name: "checksum set", reason: "splunkd writes it on install",
		files: map[string]string{"default/app.conf": appConfWith("is_configured = false\n", "is_configured = false\ninstall_source_checksum = abc\n")}, want: Fail},
	{rule: "check_platform_specific_binaries", name: "Mach-O in the Linux folder", reason: "each platform folder holds its platform's binaries",
		files: map[string]string{"linux_x86_64/bin/tool": machO, "README.md": declareBin + "linux_x86_64/bin/tool\n"}, modes: map[string]int64{"linux_x86_64/bin/tool": 0o755}, want: Fail,
		also: []string{"check_for_binary_files_without_source_code"}}, // declared: reviewed by hand
	{rule: "check_props_conf_has_report_option_and_transforms_conf_has_matching_stanza", name: "missing transform", reason: "REPORT- names a transforms.conf stanza",
		files: map[string]string{"default/props.conf": "[st]\nREPORT-x = missing\n"}, want: Fail},
	{rule: "check_saved_search_specifies_a_search", name: "no search", reason: "a saved search runs a search",
		files: map[string]string{"default/savedsearches.conf": "[s]\ndescription = d\n"}, want: Fail},
	{rule: "check_saved_searches_are_not_disabled", name: "disabled", reason: "shipped disabled is only a warning",
		files: map[string]string{"default/savedsearches.conf": "[s]\nsearch = index=x\ndisabled = 1\n"}, want: Warn},
	{rule: "check_searchbnf", name: "no searchbnf", reason: "the search assistant needs [<command>-command]",
		files: with(command(""), "default/searchbnf.conf", gone), want: Warn},
	{rule: "check_searchbnf", name: "undefined syntax reference", reason: "a <ref> of a syntax needs its stanza",
		files: with(command(""), "default/searchbnf.conf", strings.Replace(goodBNF, "syntax = mycmd", "syntax = mycmd <mycmd-opt>", 1)), want: Fail},
	{rule: "check_simplexml_standards_version", name: "no version", reason: "AppInspect fails a Simple XML view without version 1.1",
		files: map[string]string{"default/data/ui/views/v.xml": `<dashboard><label>x</label></dashboard>`}, want: Fail},
	{rule: "check_that_app_contains_any_windows_specific_components", name: "PE binary", reason: "Splunk Cloud runs Linux",
		files: map[string]string{"windows_x86_64/bin/tool.exe": pe, "README.md": declareBin + "windows_x86_64/bin/tool.exe\n"}, modes: map[string]int64{"windows_x86_64/bin/tool.exe": 0o755}, want: Warn,
		also: []string{"check_for_binary_files_without_source_code", "check_platform_specific_binaries"}}, // declared, in a platform folder: reviewed by hand
	{rule: "check_that_directory_name_matches_package_id", name: "other id", reason: "Splunk installs the app under its id",
		files: map[string]string{"default/app.conf": appConfWith("id = myapp", "id = otherapp")}, want: Fail},
	{rule: "check_that_extracted_splunk_app_contains_default_app_conf_file", name: "no app.conf", reason: "every app has one",
		files: map[string]string{"default/app.conf": gone}, want: Fail},
	{rule: "check_that_extracted_splunk_app_contains_default_app_conf_file_with_valid_version_number", name: "word version", reason: "versions are Major.Minor.Revision",
		files: map[string]string{"default/app.conf": appConfWith("version = 1.0.0", "version = one")}, want: Warn},
	{rule: "check_that_extracted_splunk_app_does_not_contain_files_with_invalid_permissions", name: "read-only file", reason: "the owner must be able to write its files",
		modes: map[string]int64{"README.md": 0o444}, want: Fail},
	{rule: "check_that_extracted_splunk_app_does_not_contain_invalid_directories", name: "folder without x", reason: "the owner must be able to enter every folder",
		files: map[string]string{"default/": ""}, modes: map[string]int64{"default/": 0o644}, want: Fail},
	{rule: "check_that_extracted_splunk_app_does_not_contain_invalid_directories", name: "world-writable app folder", reason: "the app folder itself is checked",
		modes: map[string]int64{"": 0o777}, want: Fail},
	{rule: "check_that_local_does_not_exist", name: "local folder", reason: "an administrator's settings never ship",
		files: map[string]string{"local/app.conf": "[ui]\n"}, want: Fail},
	{rule: "check_that_setup_has_not_been_performed", name: "configured", reason: "the user sets the app up",
		files: map[string]string{"default/app.conf": appConfWith("is_configured = false", "is_configured = true")}, want: Fail},
	{rule: "check_that_splunk_app_package_does_not_contain_files_outside_of_app", name: "dot dot", reason: "extraction must not leave the apps folder",
		raw: map[string]string{"../evil.txt": "x"}, want: Fail},
	{rule: "check_that_splunk_app_package_extracts_to_directory", name: "two folders", reason: "an archive holds one app",
		raw: map[string]string{"other/x.txt": "x"}, want: Fail},
	{rule: "check_user_lookup_not_shipped", name: "shipped local lookup", reason: "an upgrade would replace the user's rows",
		files: map[string]string{"default/transforms.conf": "[lk_local]\nfilename = lk_local.csv\n", "lookups/lk_local.csv": "a\n1\n"}, want: Fail},
	{rule: "check_workflow_html_exists_for_custom_alert", name: "no form", reason: "the alert action's form",
		files: alertAction("", map[string]string{"default/data/ui/alerts/myaction.html": gone}), want: Fail},
	{rule: "check_xml_files_are_well_formed", name: "unclosed tag", reason: "Splunk Web cannot load what it cannot parse",
		files: map[string]string{"default/data/ui/views/v.xml": `<form version="1.1"><row><panel></row></form>`}, want: Fail},
}

// runEach reads an archive and runs every rule on its own.
func runEach(t *testing.T, archive []byte, specs string) (*App, map[string][]Finding) {
	t.Helper()
	app, _, err := Open(bytes.NewReader(archive))
	require.NoError(t, err)
	got := map[string][]Finding{}
	for _, r := range Rules() {
		fs := r.Run(app, specs)
		for _, f := range fs {
			require.Equal(t, r.Name, f.Check, "a finding names its rule")
		}
		if len(fs) > 0 {
			got[r.Name] = fs
		}
	}
	return app, got
}

// TestEachRule: each case's app makes its rule report at the level the
// case wants, and no other rule but the ones the case names (and
// check_conf_files_against_spec, noting that Splunk's specs are not at
// hand, which the test drops), so a rule that passes the shipped app means something. Every
// rule has a case.
func TestEachRule(t *testing.T) {
	// run is runEach without the notes that Splunk's spec files are not
	// at hand.
	run := func(t *testing.T, archive []byte) map[string][]Finding {
		_, got := runEach(t, archive, "")
		for rule, fs := range got {
			var keep []Finding
			for _, f := range fs {
				if f.Level != Manual || !strings.HasSuffix(f.Msg, ": Splunk's spec files are not available here") {
					keep = append(keep, f)
				}
			}
			if got[rule] = keep; len(keep) == 0 {
				delete(got, rule)
			}
		}
		return got
	}
	t.Run("base app", func(t *testing.T) {
		require.Empty(t, run(t, fixture(t, nil, nil, nil)), "the base app is clean")
	})
	covered := map[string]bool{}
	for _, c := range ruleCases {
		covered[c.rule] = true
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			require.NotEmpty(t, c.reason)
			_, ok := RuleNamed(c.rule)
			require.True(t, ok, "%s is a rule", c.rule)
			got := run(t, fixture(t, c.files, c.modes, c.raw))
			require.NotEmpty(t, got[c.rule], "%s: %s", c.rule, c.reason)
			for _, f := range got[c.rule] {
				t.Log(f)
				require.Equal(t, c.want, f.Level, "%s", f)
			}
			for rule, fs := range got {
				if rule == c.rule {
					continue
				}
				require.Contains(t, c.also, rule, "only %s fires (%s), not %v", c.rule, c.reason, fs)
			}
			for _, rule := range c.also {
				require.NotEmpty(t, got[rule], "%s fires with %s", rule, c.rule)
			}
		})
	}
	for _, r := range Rules() {
		require.True(t, covered[r.Name], "%s has a case of its own in ruleCases", r.Name)
	}
}

// shippedArchive is the app the project ships, assembled by appkg (as
// make package does) from the source tree, with stub binaries of the
// right kind for each platform: it needs no build.
func shippedArchive(t *testing.T) []byte {
	t.Helper()
	build := t.TempDir()
	magic := map[string]string{"linux_x86_64": elf, "windows_x86_64": pe, "darwin_x86_64": machO}
	for _, p := range appkg.Platforms {
		require.NoError(t, os.MkdirAll(filepath.Join(build, p, "bin"), 0o755))
		for _, c := range []string{"t1102score", "t1102correlate", "t1102_forward"} {
			if p == "windows_x86_64" {
				c += ".exe"
			}
			require.NoError(t, os.WriteFile(filepath.Join(build, p, "bin", c), []byte(magic[p]), 0o755))
		}
	}
	files, err := appkg.Collect(repo, build)
	require.NoError(t, err)
	id, err := appkg.AppConf(repo, "package", "id")
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, appkg.Write(&buf, id, files))
	return buf.Bytes()
}

// TestShippedAppPassesEachRule: no rule fails the shipped app, and only
// the rules below report anything on it, at the levels below.
func TestShippedAppPassesEachRule(t *testing.T) {
	notes := map[string]struct {
		level  Level
		reason string
	}{
		"check_for_binary_files_without_source_code":              {Manual, "the compiled commands are declared in the README; Splunk Cloud reviews them by hand"},
		"check_platform_specific_binaries":                        {Manual, "the binaries of the platform folders are reviewed from their documentation"},
		"check_that_app_contains_any_windows_specific_components": {Warn, "the app ships Windows builds for Splunk Enterprise on Windows"},
		"check_saved_searches_are_not_disabled":                   {Warn, "the shipped detections are disabled until the user enables them"},
		"check_alert_actions_exist":                               {Manual, "the alert enables Enterprise Security's risk and notable actions"},
		"check_alert_actions_exe_exist":                           {Manual, "t1102_forward is built into the platform folders only"},
		"check_conf_files_against_spec":                           {Manual, "Splunk's spec files are not compared here (and restmap.conf has none)"},
	}
	app, got := runEach(t, shippedArchive(t), specsDir(t))
	require.Contains(t, app.Files, "default/app.conf")
	for _, r := range Rules() {
		t.Run(r.Name, func(t *testing.T) {
			note, noted := notes[r.Name]
			for _, f := range got[r.Name] {
				require.True(t, noted, "the shipped app: %s", f)
				require.Equal(t, note.level, f.Level, "%s (%s)", f, note.reason)
			}
			if noted {
				require.NotEmpty(t, got[r.Name], "%s reports on the shipped app: %s", r.Name, note.reason)
			}
		})
	}
}

// TestCheckIsEveryRule: Check gives the findings of every rule run on its
// own, in the order of Rules (but the archive rules, which Open runs), on
// the shipped app and on every case's app that has an app.conf; without
// one it runs only the layout rules.
func TestCheckIsEveryRule(t *testing.T) {
	archives := map[string][]byte{"shipped app": shippedArchive(t)}
	for _, c := range ruleCases {
		archives[c.rule+"/"+c.name] = fixture(t, c.files, c.modes, c.raw)
	}
	for name, data := range archives {
		t.Run(name, func(t *testing.T) {
			app, opened, err := Open(bytes.NewReader(data))
			require.NoError(t, err)
			var each, archiveRules []Finding
			for _, r := range Rules() {
				fs := r.Run(app, "")
				switch {
				case r.stage == archive:
					archiveRules = append(archiveRules, fs...)
				case r.stage == needsAppConf && app.Files["default/app.conf"] == nil:
				default:
					each = append(each, fs...)
				}
			}
			require.Equal(t, archiveRules, opened, "Open runs the archive rules")
			require.Equal(t, each, Check(app, ""))
		})
	}
}
