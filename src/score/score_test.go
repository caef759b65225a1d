package score

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/fieldmap"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		args   []string
		want   Options
		err    string
	}{
		{name: "none", reason: "filter defaults to false: annotate every row", args: nil, want: Options{}},
		{name: "true", reason: "Splunk boolean spelling", args: []string{"filter=true"}, want: Options{Filter: true}},
		{name: "t", reason: "Splunk boolean spelling", args: []string{"filter=t"}, want: Options{Filter: true}},
		{name: "1", reason: "Splunk boolean spelling", args: []string{"filter=1"}, want: Options{Filter: true}},
		{name: "yes", reason: "Splunk boolean spelling", args: []string{"filter=Yes"}, want: Options{Filter: true}},
		{name: "no", reason: "Splunk boolean spelling", args: []string{"filter=no"}, want: Options{}},
		{name: "f", reason: "Splunk boolean spelling", args: []string{"filter=f"}, want: Options{}},
		{name: "bad bool", reason: "not a boolean", args: []string{"filter=maybe"}, err: `"maybe" is not a boolean`},
		{name: "empty bool", reason: "filter= with nothing", args: []string{"filter="}, err: "not a boolean"},
		{name: "unknown", reason: "any other argument is an error", args: []string{"threshold=2"}, err: `unknown argument "threshold"`},
		{name: "bare word", reason: "no field list is taken", args: []string{"Image"}, err: `unexpected "Image"`},
		{name: "twice", reason: "ambiguous", args: []string{"filter=t", "filter=f"}, err: "given twice"},
		{name: "spaces", reason: "splunkd splits 'filter = t' into three words", args: []string{"filter", "=", "t"}, err: "without spaces"},
		{name: "lots", reason: "the larger catalog by argument", args: []string{"catalog=lots"}, want: withCatalog(detect.WebServicesLOTSFile)},
		{name: "bad catalog", reason: "two catalogs exist", args: []string{"catalog=big"}, err: `catalog="big"`},
		{name: "legacy", reason: "the original logic, for comparisons", args: []string{"logic=legacy"}, want: func() Options { o := withCatalog(detect.WebServicesFile); o.Legacy = true; return o }()},
		{name: "cim", reason: "CIM field names", args: []string{"fields=cim"}, want: cim()},
		{name: "rename after cim", reason: "<name>_field wins over fields=, whatever the order", args: []string{"image_field=app", "fields=cim"}, want: func() Options {
			o := cim()
			_, err := o.Fields.Arg("image_field", "app")
			require.NoError(t, err)
			return o
		}()},
		{name: "unknown field arg", reason: "typos are errors", args: []string{"imag_field=x"}, err: `unknown field argument "imag_field"`},
		{name: "empty field arg", reason: "a field needs a name", args: []string{"image_field="}, err: "needs a field name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, err := ParseOptions(tt.args)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.ErrorIs(t, err, chunked.ErrArgument)
				require.Contains(t, err.Error(), Usage, "the usage is shown with every argument error")
				return
			}
			require.NoError(t, err)
			want := tt.want
			if want.Catalog == "" {
				want = withCatalog(detect.WebServicesFile)
				want.Filter = tt.want.Filter
			}
			require.Equal(t, want, got)
		})
	}
}

// TestParseOptionsKeepsCause: an argument error wraps both
// chunked.ErrArgument and the cause's own sentinel (fieldmap.ErrField for a
// field argument), with the same message as before.
func TestParseOptionsKeepsCause(t *testing.T) {
	for _, args := range [][]string{{"imag_field=x"}, {"image_field="}, {"fields=ecs"}} {
		_, err := ParseOptions(args)
		require.ErrorIs(t, err, chunked.ErrArgument, "%v", args)
		require.ErrorIs(t, err, fieldmap.ErrField, "%v", args)
		require.True(t, strings.HasPrefix(err.Error(), Name+": "+chunked.ErrArgument.Error()+": "+fieldmap.ErrField.Error()+": "), "%v: %v", args, err)
	}
}

func withCatalog(c string) Options {
	return Options{Catalog: c, Fields: fieldmap.Sysmon()}
}

func cim() Options {
	o := withCatalog(detect.WebServicesFile)
	if _, err := o.Fields.Arg("fields", "cim"); err != nil {
		panic(err)
	}
	return o
}

func frame(meta, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}

func getinfo(args ...string) string {
	a, _ := json.Marshal(append([]string{}, args...))
	return frame(`{"action":"getinfo","preview":false,"searchinfo":{"args":`+string(a)+`,"command":"t1102score"}}`, "")
}

// runInProcess runs the command on body as one chunk and returns the body
// of the reply.
func runInProcess(t *testing.T, body string, args ...string) string {
	t.Helper()
	in := getinfo(args...) + frame(`{"action":"execute","finished":true}`, body)
	var out bytes.Buffer
	require.NoError(t, chunked.Run(Command{AppDir: appDir}, strings.NewReader(in), &out, chunked.Options{}))
	r := chunked.NewReader(&out)
	_, err := r.Next() // getinfo reply
	require.NoError(t, err)
	m, err := r.Next()
	require.NoError(t, err)
	require.JSONEq(t, `{"finished":true}`, string(m.Meta))
	_, err = r.Next()
	require.ErrorIs(t, err, io.EOF)
	return string(m.Body)
}

// TestGolden runs the bundled Atomic Red Team events through the command
// and compares with testdata/*.golden.csv (refresh with -update).
func TestGolden(t *testing.T) {
	events, err := os.ReadFile(filepath.Join("..", "..", "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	for _, filter := range []string{"false", "true"} {
		t.Run("filter="+filter, func(t *testing.T) {
			got := runInProcess(t, string(events), "filter="+filter)
			path := filepath.Join("testdata", "atomic.filter-"+filter+".golden.csv")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			// Line by line: a difference shows as the rows that differ,
			// not as two whole files (go test ./src/score -update rewrites them).
			require.Equal(t, strings.Split(string(want), "\n"), strings.Split(got, "\n"), "%s differs; -update rewrites it", path)
		})
	}
}

// appDir is this source tree, laid out like the app (default/, app/lookups/).
var appDir = filepath.Join("..", "..")

func TestLegacyFilterKeepsWhatTheSPLKeeps(t *testing.T) {
	body := "EventCode,DestinationHostname,Image,CommandLine,ParentImage\n" +
		"3,pastebin.com,C:\\Windows\\System32\\cmd.exe,,\n" + // kept
		"3,pastebin.com,C:\\Program Files\\Mozilla Firefox\\firefox.exe,,\n" + // not suspicious
		"3,example.org,C:\\Windows\\System32\\cmd.exe,,\n" + // no service
		"22,pastebin.com,C:\\Windows\\System32\\cmd.exe,,\n" // not a connection
	got := runInProcess(t, body, "filter=true", "logic=legacy")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	require.Len(t, lines, 2, got)
	require.True(t, strings.HasPrefix(lines[1], "3,pastebin.com,"), got)

	all := runInProcess(t, body, "logic=legacy")
	require.Len(t, strings.Split(strings.TrimSpace(all), "\n"), 5, "filter=false keeps every row")
}

func TestDeclaration(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, `{"type":"streaming","required_fields":["EventCode","Image","ParentImage","OriginalFileName","Description","Product","CommandLine","DestinationHostname","QueryName","User","host","ScriptBlockText","Path","UserID","TargetFilename","TaskName","TaskContent","SubjectUserName","SubjectDomainName"]}`},
		{[]string{"fields=cim"}, `{"type":"streaming","required_fields":["process_path","parent_process_path","original_file_name","process","dest","query","user","host","ScriptBlockText","Path","UserID","file_path","TaskName","TaskContent","SubjectUserName","SubjectDomainName"]}`},
		{[]string{"logic=legacy"}, `{"type":"streaming","required_fields":["EventCode","DestinationHostname","Image","CommandLine","ParentImage"]}`},
	} {
		var out bytes.Buffer
		require.NoError(t, chunked.Run(Command{AppDir: appDir}, strings.NewReader(getinfo(tt.args...)), &out, chunked.Options{}))
		m, err := chunked.NewReader(&out).Next()
		require.NoError(t, err)
		require.JSONEq(t, tt.want, string(m.Meta), "%v", tt.args)
	}
}

func TestCatalogErrorReachesTheUser(t *testing.T) {
	var out bytes.Buffer
	err := chunked.Run(Command{AppDir: t.TempDir()}, strings.NewReader(getinfo()), &out, chunked.Options{})
	require.ErrorIs(t, err, detect.ErrCatalog)
	m, rerr := chunked.NewReader(&out).Next()
	require.NoError(t, rerr)
	require.Contains(t, string(m.Meta), `"error":"t1102score: `)
	require.Contains(t, string(m.Meta), detect.WebServicesFile)

	out.Reset()
	err = chunked.Run(Command{}, strings.NewReader(getinfo()), &out, chunked.Options{})
	require.ErrorContains(t, err, "app folder with the catalogs was not found")
}

// TestEvidenceOnlyWithASignal: a row without a signal (no service, no
// suspicious process, no encoded command) keeps the original detection's
// fields, risk_score and t1102_reasons and nothing more; a row with one
// keeps its evidence and, when it passes, the ATT&CK fields.
func TestEvidenceOnlyWithASignal(t *testing.T) {
	body := "EventCode,DestinationHostname,Image,CommandLine,ParentImage\n" +
		"3,www.bing.com,C:\\Windows\\System32\\svchost.exe,,C:\\Windows\\System32\\services.exe\n" +
		"3,pastebin.com,C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe,,C:\\Windows\\System32\\svchost.exe\n"
	var tab chunked.Table
	require.NoError(t, tab.Parse([]byte(runInProcess(t, body))))
	require.Equal(t, 2, tab.Len())
	get := func(row int, f string) string { return string(tab.Row(row).Get(tab.Index(f))) }

	// Row 0: a service host started by services.exe, reaching Bing.
	for _, f := range outputFields[:8] {
		require.GreaterOrEqual(t, tab.Index(f), 0, "the original's field %s is in the header", f)
	}
	require.Equal(t, "www.bing.com", get(0, "dest_host"))
	require.Equal(t, "1", get(0, "is_service_spawn"))
	require.Equal(t, "1", get(0, "suspicion_score"))
	require.NotEqual(t, "0", get(0, "risk_score"), "the parent still weighs")
	require.Contains(t, get(0, "t1102_reasons"), "service or task host parent services.exe")
	for _, f := range outputFields[10:] {
		require.Empty(t, get(0, f), "%s: evidence only on rows with a signal", f)
	}

	// Row 1: PowerShell reaching Pastebin, started by svchost.
	for f, want := range map[string]string{
		"is_legit_webservice": "pastebin", "t1102_host": "pastebin.com", "t1102_seen_in": "DestinationHostname",
		"t1102_process": "powershell.exe", "t1102_process_class": "script_engine", "t1102_parent_class": "service",
		"mitre_technique_id": "T1102.003", "mitre_tactic_id": "TA0011",
	} {
		require.Equal(t, want, get(1, f), f)
	}
}
