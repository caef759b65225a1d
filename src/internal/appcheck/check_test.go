package appcheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

var repo = filepath.Join("..", "..", "..")

// specsDir is Splunk's .conf.spec files beside the checkout, or "".
func specsDir(t *testing.T) string {
	dir := filepath.Join(repo, "..", "shared", "reference", "specs")
	if _, err := os.Stat(filepath.Join(dir, "commands.conf.spec")); err != nil {
		t.Logf("Splunk's spec files not found at %s (../shared sits beside a full checkout): the spec comparison is skipped, the other checks run", dir)
		return ""
	}
	return dir
}

// builtArchive is the archive make package wrote last.
func builtArchive(t *testing.T) string {
	matches, _ := filepath.Glob(filepath.Join(repo, "dist", "*.tgz"))
	if len(matches) == 0 {
		t.Skip("no dist/*.tgz: run make package (make test does)")
	}
	newest, when := "", int64(0)
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.ModTime().UnixNano() > when {
			newest, when = m, fi.ModTime().UnixNano()
		}
	}
	return newest
}

func TestPackagedApp(t *testing.T) {
	path := builtArchive(t)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	app, findings, err := Open(f)
	require.NoError(t, err)
	findings = append(findings, Check(app, specsDir(t))...)
	var fails []string
	for _, fd := range findings {
		t.Log(fd)
		if fd.Level == Fail {
			fails = append(fails, fd.String())
		}
	}
	require.Empty(t, fails, "%s must pass every offline check", path)
	for _, want := range []string{"default/app.conf", "default/commands.conf", "default/searchbnf.conf", "default/savedsearches.conf",
		"default/macros.conf", "default/props.conf", "default/transforms.conf", "metadata/default.meta", "README.md",
		"linux_x86_64/bin/t1102score", "windows_x86_64/bin/t1102score.exe", "darwin_x86_64/bin/t1102score",
		"linux_x86_64/bin/t1102correlate", "windows_x86_64/bin/t1102correlate.exe", "darwin_x86_64/bin/t1102correlate",
		"lookups/t1102_webservices.csv", "static/appIcon.png",
		"default/data/ui/views/t1102_overview.xml", "default/data/ui/nav/default.xml"} {
		require.Contains(t, app.Files, want, "the package has %s", want)
	}
	require.Equal(t, int64(0o755), app.Files["linux_x86_64/bin/t1102score"].Mode)
}

// tgz builds an archive from name → (mode, content).
func tgz(t *testing.T, files map[string]struct {
	mode int64
	data string
}) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := files[n]
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(f.data))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestChecksCatchProblems: each rule fails an app that breaks it, so a
// clean result on the real package means something.
func TestChecksCatchProblems(t *testing.T) {
	type file = struct {
		mode int64
		data string
	}
	bad := map[string]file{
		"myapp/default/app.conf":           {0o644, "[package]\nid = otherapp\n[install]\nis_configured = true\nbuild = 0\n[ui]\nlabel = Splunk For X\n[launcher]\nversion = one\n[triggers]\nreload.props = simple\n"},
		"myapp/default/commands.conf":      {0o644, "[mycmd]\nchunked = true\nstreaming = true\n[Bad_Name]\nchunked = true\n"},
		"myapp/default/savedsearches.conf": {0o644, "[s1]\nsearch = index=x\nenableSched = 1\ncron_schedule = * * * * *\ndescription =\n[s2]\nenableSched = 1\ncron_schedule = 0 0 * JAN *\nsearch = index=y\n"},
		"myapp/default/props.conf":         {0o644, "[default]\nREPORT-x = missing_transform\n[st]\nREPORT-y = a\n[st]\nFOO = 1\n"},
		"myapp/default/searchbnf.conf":     {0o644, "[mycmd-command]\nsyntax = mycmd <mycmd-opt>\ndescription = d\nusage = public\n"},
		"myapp/default/transforms.conf":    {0o644, "[lk]\nfilename = nothere.csv\n"},
		"myapp/metadata/default.meta":      {0o644, "[]\nexport = everyone\n"},
		"myapp/local/app.conf":             {0o644, "[ui]\n"},
		"myapp/.hidden":                    {0o644, "x"},
		"myapp/README.md":                  {0o755, "hello"},
		"myapp/linux_x86_64/bin/mycmd":     {0o644, "\x7fELF..."},
		"myapp/static/tool.exe":            {0o644, "MZ..."},
		"myapp/lookups/unused.csv":         {0o666, "a,b\n1,2\n"},
	}
	app, findings, err := Open(bytes.NewReader(tgz(t, bad)))
	require.NoError(t, err)
	findings = append(findings, Check(app, "")...)
	got := map[string]bool{}
	for _, f := range findings {
		if f.Level == Fail {
			got[f.Check] = true
		}
	}
	for _, want := range []string{
		"check_that_directory_name_matches_package_id", "check_that_setup_has_not_been_performed", "check_app_build",
		"check_for_valid_ui_label", "check_for_trigger_stanza", "check_ignored_parameters_v2_command", "check_command_name",
		"check_command_scripts_exist", "check_for_empty_saved_search_description", "check_for_sched_saved_searches_earliest_time",
		"check_for_valid_cron_schedule", "check_no_default_stanzas", "check_config_file_parsing",
		"check_props_conf_has_report_option_and_transforms_conf_has_matching_stanza", "check_lookup_exists",
		"check_meta_file_parsing", "check_that_local_does_not_exist", "check_for_hidden_files", "check_for_bin_files",
		"check_for_binary_files_without_source_code", "check_for_expansive_permissions", "check_searchbnf",
	} {
		require.True(t, got[want], "%s must fail this app", want)
	}
}

func TestSpecsCatchUnknownKeys(t *testing.T) {
	sp := ParseSpec([]byte("[<stanza>]\nfilename = <string>\ncommand.arg.<N> = <string>\n* described\n  indented = no\n"))
	require.True(t, sp.Allows("filename"))
	require.True(t, sp.Allows("command.arg.1"))
	require.False(t, sp.Allows("command.arg."), "a placeholder matches at least one character")
	require.False(t, sp.Allows("indented"), "only settings at column 0")
	require.False(t, sp.Allows("streaming"))
}

func TestParseConf(t *testing.T) {
	c := ParseConf("x.conf", []byte("# c\ntop = 1\n[a]\nk = v = w\nsearch = one \\\n| two\n[a]\nk = 1\nk = 2\nbroken\n"))
	require.Equal(t, "top", c.Global[0].Key)
	require.Equal(t, "v = w", c.Stanzas[0].Settings[0].Value, "the first = splits")
	v, _ := c.Stanzas[0].Get("k")
	require.Equal(t, "2", v, "the reopened stanza continues the first, and the last k is the one Splunk uses")
	s, _ := c.Stanzas[0].Get("search")
	require.Equal(t, "one \n| two", s, "a trailing backslash continues the value")
	require.Equal(t, []string{
		"x.conf:4: duplicate key k in [a] (set again below; Splunk uses the last)",
		"x.conf:7: duplicate stanza [a] (first at line 3; Splunk merges them)",
		"x.conf:8: duplicate key k in [a] (set again below; Splunk uses the last)",
		`x.conf:10: syntax error: want [stanza], key = value or # comment, got "broken"`,
	}, c.Problems, "duplicate stanza, duplicate keys, a line that is not key = value, by line")
}

// TestPackagedBinaryFindsItsCatalogs unpacks the archive and runs the
// Linux binary from its platform folder, as splunkd would: it must find the
// app's lookups and t1102.conf from its own path.
func TestPackagedBinaryFindsItsCatalogs(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the packaged binary to run is linux_x86_64")
	}
	path := builtArchive(t)
	dir := t.TempDir()
	cmd := exec.Command("tar", "-xzf", path, "-C", dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	bin := filepath.Join(dir, entries[0].Name(), "linux_x86_64", "bin", "t1102score")
	f, err := os.Open(filepath.Join(repo, "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	defer f.Close()
	events, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	res, err := splunkd.Run(context.Background(), splunkd.Search{Argv: []string{bin}, Args: []string{"filter=true"}, Input: events, Collect: true})
	require.NoError(t, err)
	require.NotZero(t, res.Rows)
	var services []string
	for i := range res.Table.Rows {
		services = append(services, strings.Join(res.Table.Get(i, "is_legit_webservice"), ""))
	}
	require.Contains(t, services, "pastebin")
	require.Contains(t, services, "telegram")
}

func TestSpecComparisonCatchesUnknownKeys(t *testing.T) {
	specs := specsDir(t)
	if specs == "" {
		t.Skip("needs Splunk's spec files from ../shared")
	}
	type file = struct {
		mode int64
		data string
	}
	app, _, err := Open(bytes.NewReader(tgz(t, map[string]file{
		"a/default/macros.conf":     {0o644, "[m]\ndefinition = x\ndefinitoin = typo\n"},
		"a/default/myconf.conf":     {0o644, "[s]\nk = 1\n"},
		"a/README/myconf.conf.spec": {0o644, "[s]\nj = <int>\n"},
	})))
	require.NoError(t, err)
	var msgs []string
	for _, f := range app.checkSpecs(specs) {
		if f.Level == Fail {
			msgs = append(msgs, f.Msg)
		}
	}
	require.Len(t, msgs, 2, "%v", msgs)
	require.Contains(t, msgs[0], "definitoin")
	require.Contains(t, msgs[1], "[s] k is not a setting of myconf.conf.spec", "the app's own spec is used for its own conf")
}

// TestDemoRunsTheSavedSearchStep keeps the README's demo and the shipped
// alert in step: both run t1102correlate with the same arguments.
func TestDemoRunsTheSavedSearchStep(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repo, "default", "savedsearches.conf"))
	require.NoError(t, err)
	ss := ParseConf("savedsearches.conf", data)
	search, _ := ss.Stanza("T1102.003 - Web Service One-Way C2").Get("search")
	require.Contains(t, search, "`t1102_events` \n| t1102correlate output=state \n", "the alert reads the events the demo reads")
	require.Contains(t, search, "| t1102correlate input=state \n", "and judges them as the demo's t1102correlate does")
	mk, err := os.ReadFile(filepath.Join(repo, "Makefile"))
	require.NoError(t, err)
	require.Contains(t, string(mk), "-- bin/t1102correlate\n")
}
