package backtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// writeApp makes an app folder from path → content.
func writeApp(t *testing.T, files map[string]string) *App {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte(content), 0o644))
	}
	app, err := LoadApp(dir)
	require.NoError(t, err)
	return app
}

// testEngine is an engine over events with a state in a temporary folder
// and btcount as the app's command btcount.
func testEngine(t *testing.T, app *App, events *splunkd.Table) *Engine {
	t.Helper()
	st, err := OpenState(filepath.Join(t.TempDir(), "state"), app, false)
	require.NoError(t, err)
	return &Engine{App: app, State: st, Events: events, Indexers: 2, Commands: map[string][]string{"btcount": {btcountBin}}}
}

var engineApp = map[string]string{
	"default/macros.conf":        "[ev]\ndefinition = source=\"s1\"\n\n[atleast(2)]\nargs = f, n\ndefinition = where $f$ >= $n$\n\n[evalmacro]\ndefinition = 1+1\niseval = 1\n",
	"default/transforms.conf":    "[hosts]\nfilename = hosts.csv\n\n[kv]\nexternal_type = kvstore\ncollection = c\n",
	"default/commands.conf":      "[btcount]\nchunked = true\n\n[oldcmd]\nfilename = old.py\n",
	"lookups/hosts.csv":          "host,owner\nh1,alice\nh2,bob\n",
	"default/savedsearches.conf": "[s]\nsearch = * | collect index=mysummary\n",
}

func engineEvents() *splunkd.Table {
	return splunkd.TableOf([]string{"_time", "host", "source", "n", "_raw", "tag"}, [][]string{
		{"2026-11-20T10:00:00Z", "h1", "s1", "5", "alpha <Channel>X</Channel>", "a"},
		{"2026-11-20T10:30:00Z", "h2", "s1", "50", "beta", ""},
		{"1795172400", "H1", "s2", "7", "gamma", "b"}, // 2026-11-20T11:00:00Z as epoch
		{"2026-11-20T12:00:00Z", "h3", "s1", "x", "delta", "a"},
	})
}

var day = Dispatch{Search: "t", Now: time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)}

func col(tb *splunkd.Table, f string) []string {
	var out []string
	for i := range tb.Rows {
		out = append(out, strings.Join(tb.Get(i, f), "|"))
	}
	return out
}

func TestEngineCommands(t *testing.T) {
	cases := []struct {
		name, reason, query string
		field               string
		want                []string
	}{
		{"base search", "field=value, case-insensitive, any row", `host=h1`, "host", []string{"h1", "H1"}},
		{"macro", "`ev` expands to source=\"s1\"", "`ev`", "host", []string{"h1", "h2", "h3"}},
		{"macro with arguments", "`atleast(n, 10)` is where n >= 10", "* | `atleast(n, 10)`", "host", []string{"h2"}},
		{"wildcard and OR", "values take * wildcards; OR", `host=h* OR source=s2`, "host", []string{"h1", "h2", "H1", "h3"}},
		{"NOT and !=", "!= does not match a missing field, NOT does", `NOT tag=a tag!=b`, "host", []string{}},
		{"IN", "IN lists values", `host IN (h2, h3)`, "host", []string{"h2", "h3"}},
		{"phrase", "a quoted phrase searches _raw", `"<Channel>X</Channel>"`, "host", []string{"h1"}},
		{"earliest/latest", "time modifiers in the base search replace the window, latest exclusive", `earliest=-3h@h latest=-2h@h`, "host", []string{"h1", "h2"}},
		{"search command", "search after a pipe filters the results", `* | search source=s1 host!=h3`, "host", []string{"h1", "h2"}},
		{"where number", "numbers compare as numbers; a text value is not a number", `* | where n >= 7`, "host", []string{"h2", "H1"}},
		{"where string", "a quoted string compares as text, case-sensitive", `* | where host = "H1"`, "host", []string{"H1"}},
		{"where AND OR", "AND binds before OR", `* | where n < 6 OR n > 10 AND host="h2"`, "host", []string{"h1", "h2"}},
		{"where field to field", "a bare name is a field", `* | eval m=n | where m = n`, "host", []string{"h1", "h2", "H1", "h3"}},
		{"where isnull", "isnull: the field is absent", `* | where isnull(tag)`, "host", []string{"h2"}},
		{"where isnotnull NOT", "NOT negates", `* | where NOT isnotnull(tag)`, "host", []string{"h2"}},
		{"where null is not true", "a missing field makes a comparison null", `* | where tag != "a"`, "host", []string{"H1"}},
		{"sort numeric desc", "numbers sort as numbers, text after them", `* | sort 0 - n`, "n", []string{"x", "50", "7", "5"}},
		{"sort time", "_time sorts as time whatever its form", `* | sort - _time`, "host", []string{"h3", "H1", "h2", "h1"}},
		{"sort count", "sort N keeps N rows", `* | sort 2 n`, "n", []string{"5", "7"}},
		{"head", "head N keeps the first N", `* | head 2`, "host", []string{"h1", "h2"}},
		{"head default", "head alone keeps 10", `* | head`, "host", []string{"h1", "h2", "H1", "h3"}},
		{"eval literal number field", "assignments, left to right", `host=h2 | eval a="x y", b=3, c=host, d=c`, "d", []string{"h2"}},
		{"eval null", "null() removes the field", `host=h1 | eval tag=null() | where isnull(tag)`, "host", []string{"h1", "H1"}},
		{"timechart", "a row per bucket, a column per value", `* | timechart span=1h count by source`, "s1", []string{"2", "0", "1"}},
		{"fieldformat", "fieldformat passes values unchanged", `host=h2 | fieldformat _time=strftime(_time, "%F")`, "host", []string{"h2"}},
		{"inputlookup", "a generating command starting the search, the lookup through transforms.conf", `| inputlookup hosts`, "owner", []string{"alice", "bob"}},
		{"inputlookup by file", "a .csv name works directly", `| inputlookup hosts.csv | where owner="bob"`, "host", []string{"h2"}},
		{"inputlookup append", "append=true adds the lookup's rows after the results", `host=h3 | inputlookup append=true hosts`, "host", []string{"h3", "h1", "h2"}},
		{"custom command", "btcount runs through the emulator with the app folder and window", `source=s1 | btcount by=host | sort host`, "count", []string{"1", "1", "1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEngine(t, writeApp(t, engineApp), engineEvents())
			out, err := e.Run(context.Background(), c.query, day)
			require.NoError(t, err, c.reason)
			got := col(out, c.field)
			if got == nil {
				got = []string{}
			}
			require.Equal(t, c.want, got, "%s: %s (%s)", c.name, c.query, c.reason)
		})
	}
}

func TestEngineFieldsAndTable(t *testing.T) {
	e := testEngine(t, writeApp(t, engineApp), engineEvents())
	cases := []struct {
		name, reason, query string
		want                []string
	}{
		{"fields +", "keeps the listed fields and the internal ones", `host=h2 | fields host, n`, []string{"_time", "host", "n", "_raw"}},
		{"fields -", "removes the listed fields", `host=h2 | fields - _raw, tag, n`, []string{"_time", "host", "source"}},
		{"fields wildcard", "_* removes every internal field", `host=h2 | fields - _*`, []string{"host", "source", "n", "tag"}},
		{"table", "the listed fields only, in order", `host=h2 | table n, host`, []string{"n", "host"}},
		{"table wildcard", "a wildcard expands in the input's order", `host=h2 | table h*, _t*`, []string{"host", "_time"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.Run(context.Background(), c.query, day)
			require.NoError(t, err)
			require.Equal(t, c.want, out.Fields, c.reason)
		})
	}
}

func TestEngineRefuses(t *testing.T) {
	cases := []struct {
		name, reason, query string
		sentinel            error
		segment             int
	}{
		{"stats", "a command the backtest does not know is named", `* | stats count`, ErrUnsupported, 2},
		{"eval expression", "eval knows assignments only", `* | eval x=n+1`, ErrUnsupported, 2},
		{"eval function", "no functions", `* | eval x=lower(host)`, ErrUnsupported, 2},
		{"where function", "where knows isnull/isnotnull only", `* | where like(host, "h%")`, ErrUnsupported, 2},
		{"where arithmetic", "no arithmetic", `* | where n*2 > 3`, ErrUnsupported, 2},
		{"bare word", "bare words search _raw", `host=h1 alpha`, ErrUnsupported, 1},
		{"comparison in search", "search knows = and != only", `n>5`, ErrUnsupported, 1},
		{"subsearch", "subsearches are not run", `host=h1 [search host=h2]`, ErrUnsupported, 0},
		{"unknown macro", "a macro must be defined", "`nope`", ErrConf, 0},
		{"eval macro", "iseval macros are refused", "`evalmacro`", ErrUnsupported, 0},
		{"inputlookup mid-pipeline", "without append=true inputlookup must come first", `* | inputlookup hosts`, ErrSyntax, 2},
		{"unknown lookup", "neither a stanza nor a .csv", `| inputlookup nothere`, ErrLookup, 2},
		{"kvstore lookup", "only CSV lookups", `| inputlookup kv`, ErrUnsupported, 2},
		{"lookup path", "a lookup file is a plain name", `| inputlookup ../x.csv`, ErrLookup, 2},
		{"outputlookup option", "append= only", `* | outputlookup max=1 hosts`, ErrUnsupported, 2},
		{"collect option", "index= only", `* | collect index=x marker="a"`, ErrUnsupported, 2},
		{"collect without index", "collect needs a name here", `* | collect`, ErrUnsupported, 2},
		{"generating first", "a leading pipe needs a generating command", `| where n > 1`, ErrUnsupported, 2},
		{"timechart function", "count by only", `* | timechart avg(n) by host`, ErrUnsupported, 2},
		{"fieldformat other field", "<f>=strftime(<f>, ...) only", `* | fieldformat a=strftime(_time, "%F")`, ErrUnsupported, 2},
		{"sort function", "sort by fields only", `* | sort num(n)`, ErrUnsupported, 2},
		{"v1 command", "only chunked commands run", `* | oldcmd`, ErrUnsupported, 2},
		{"command failure", "a failing command's error carries ErrCommand", `* | btcount`, ErrCommand, 2},
		{"unterminated quote", "a syntax error", `host="h1`, ErrSyntax, 0},
		{"bad time modifier", "earliest must parse", `earliest=-5x`, ErrSyntax, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEngine(t, writeApp(t, engineApp), engineEvents())
			_, err := e.Run(context.Background(), c.query, day)
			require.Error(t, err, c.reason)
			require.True(t, errors.Is(err, c.sentinel), "%s: %v wraps %v", c.reason, err, c.sentinel)
			var se *SearchError
			require.True(t, errors.As(err, &se))
			require.Equal(t, "t", se.Search, "the error names the search")
			require.Equal(t, c.segment, se.Segment, "the error names the segment: %v", err)
			require.Contains(t, err.Error(), `search "t"`)
		})
	}
}

func TestEngineAllow(t *testing.T) {
	e := testEngine(t, writeApp(t, engineApp), engineEvents())
	e.Allow = []string{"search", "table"}
	out, err := e.Run(context.Background(), `host=h2 | table host | btcount by=host`, day)
	require.NoError(t, err, "allowed commands and the app's custom commands run")
	require.Equal(t, []string{"h2"}, col(out, "host"))
	_, err = e.Run(context.Background(), `host=h2 | eval x=1`, day)
	require.ErrorIs(t, err, ErrUnsupported, "a command the engine knows but Allow leaves out is refused")
	require.Contains(t, err.Error(), `"eval" is not allowed here`)
}

func TestEngineStrict(t *testing.T) {
	for _, q := range []string{`nope=1`, `* | where nope > 1`, `* | table host, nope`, `* | sort nope`} {
		e := testEngine(t, writeApp(t, engineApp), engineEvents())
		_, err := e.Run(context.Background(), q, day)
		require.NoError(t, err, "Splunk reads a missing field as null: %s", q)
		e.Strict = true
		_, err = e.Run(context.Background(), q, day)
		require.ErrorIs(t, err, ErrMissingField, "strict mode catches a misspelt field: %s", q)
	}
}

// The custom command gets the dispatch window and the app folder.
func TestEngineCustomCommandInfo(t *testing.T) {
	app := writeApp(t, engineApp)
	e := testEngine(t, app, engineEvents())
	d := day
	d.Earliest = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	d.Latest = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)
	out, err := e.Run(context.Background(), `* | btcount by=host`, d)
	require.NoError(t, err)
	require.Equal(t, []string{"h1", "h2"}, col(out, "host"), "only the window's events reach the command")
	require.Equal(t, []string{"1795168800", "1795168800"}, col(out, "info_min_time"), "searchinfo earliest_time is the window's start, epoch seconds")
	require.Equal(t, []string{"1795172400", "1795172400"}, col(out, "info_max_time"))
	require.Equal(t, filepath.Base(app.Dir), first(out.Get(0, "app")), "-app-dir is the app folder")
	require.Equal(t, 1, e.Ran["btcount"])
}

// Commands are found in the app's bin/ as splunkd finds them.
func TestEngineCommandFromAppBin(t *testing.T) {
	app := writeApp(t, engineApp)
	data, err := os.ReadFile(btcountBin)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(app.Dir, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app.Dir, "bin", "btcount"), data, 0o755))
	e := testEngine(t, app, engineEvents())
	e.Commands = nil
	out, err := e.Run(context.Background(), `* | btcount by=source`, day)
	require.NoError(t, err)
	require.Equal(t, []string{"s1", "s2"}, col(out, "source"))

	_, err = e.Run(context.Background(), `* | btcount by=source`, day)
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(app.Dir, "bin", "btcount")))
	_, err = e.Run(context.Background(), `* | btcount by=source`, day)
	require.ErrorIs(t, err, ErrCommand, "a command without an executable fails, naming where it looked")
	require.Contains(t, err.Error(), filepath.Join(app.Dir, "bin", "btcount"))
}
