package appcheck

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/backtest"
	"github.com/t1102app/t1102/src/splunkd"
)

// This file runs every panel of the shipped dashboard
// (default/data/ui/views/t1102_overview.xml) over the project's events:
// the panel's query with the app's macros expanded and its tokens set, the
// custom command (t1102correlate, t1102score) run as the real binary
// through the emulator, and the SPL before and after it by a small
// evaluator below that knows only the commands the dashboard uses and
// fails the test on any other, so no panel passes untested.

// view is the parsed dashboard: its panels' searches and the drilldown
// tokens of the table panel.
type view struct {
	panels    []panel
	drilldown []tokenRule
}

type panel struct {
	title, kind      string // kind is the visualization element: chart, table, event
	query            string // base search's query followed by the panel's post-process query
	earliest, latest string
}

// tokenRule is a <set token> or <eval token> of a drilldown.
type tokenRule struct {
	token, expr string
	eval        bool
}

func loadView(t *testing.T) (*XMLNode, view) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "default", "data", "ui", "views", "t1102_overview.xml"))
	require.NoError(t, err)
	root, err := ParseXML(data)
	require.NoError(t, err)
	bases := map[string]*XMLNode{}
	root.Walk(func(n *XMLNode) {
		if n.Name == "search" && n.Attr["id"] != "" {
			bases[n.Attr["id"]] = n
		}
	})
	text := func(n *XMLNode, child string) string {
		if c := n.Child(child); c != nil {
			return strings.TrimSpace(c.Text)
		}
		return ""
	}
	var v view
	root.Walk(func(p *XMLNode) {
		if p.Name != "panel" {
			return
		}
		for _, viz := range p.Children {
			s := viz.Child("search")
			if s == nil {
				continue
			}
			pn := panel{title: text(p, "title"), kind: viz.Name, query: text(s, "query"), earliest: text(s, "earliest"), latest: text(s, "latest")}
			if b := s.Attr["base"]; b != "" {
				base := bases[b]
				require.NotNil(t, base, "panel %q: base search %q", pn.title, b)
				pn.query = text(base, "query") + " " + pn.query
				pn.earliest, pn.latest = text(base, "earliest"), text(base, "latest")
			}
			require.Empty(t, s.Attr["ref"], "panel %q: saved-search panels are not run by this test", pn.title)
			v.panels = append(v.panels, pn)
			if d := viz.Child("drilldown"); d != nil {
				for _, r := range d.Children {
					require.Contains(t, []string{"set", "eval"}, r.Name, "panel %q: drilldown element <%s> is not evaluated by this test", pn.title, r.Name)
					v.drilldown = append(v.drilldown, tokenRule{token: r.Attr["token"], expr: strings.TrimSpace(r.Text), eval: r.Name == "eval"})
				}
			}
		}
	})
	return root, v
}

// sysmonEvents reads events files of testdata/events and gives each the
// source Sysmon's own channel is indexed with (the first source of the
// t1102_sysmon macro), as Splunk would return them.
func sysmonEvents(t *testing.T, files ...string) *splunkd.Table {
	t.Helper()
	out := &splunkd.Table{}
	col := map[string]int{}
	for _, name := range files {
		f, err := os.Open(filepath.Join(repo, "testdata", "events", name))
		require.NoError(t, err)
		tb, err := splunkd.ReadTable(f, "csv")
		f.Close()
		require.NoError(t, err)
		for _, fl := range append(tb.Fields, "source") {
			if _, ok := col[fl]; !ok {
				col[fl] = len(out.Fields)
				out.Fields = append(out.Fields, fl)
			}
		}
		for _, row := range tb.Rows {
			r := make([]splunkd.Value, len(out.Fields))
			for i, fl := range tb.Fields {
				r[col[fl]] = row[i]
			}
			// Events without a source are Sysmon's (the files give the
			// other channels theirs).
			if len(r[col["source"]]) == 0 || r[col["source"]][0] == "" {
				r[col["source"]] = splunkd.Value{"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"}
			}
			out.Rows = append(out.Rows, r)
		}
	}
	for i, r := range out.Rows {
		for len(r) < len(out.Fields) {
			r = append(r, nil)
		}
		out.Rows[i] = r
	}
	return out
}

// expandMacros replaces `name` with its definition from default/macros.conf
// until none is left (macros without arguments only: the app has no other).
func expandMacros(t *testing.T, q string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "default", "macros.conf"))
	require.NoError(t, err)
	macros := ParseConf("macros.conf", data)
	re := regexp.MustCompile("`([^`]*)`")
	for i := 0; re.MatchString(q); i++ {
		require.Less(t, i, 20, "macros expand to macros without end: %s", q)
		q = re.ReplaceAllStringFunc(q, func(m string) string {
			name := strings.Trim(m, "`")
			s := macros.Stanza(name)
			require.NotNil(t, s, "macro %s is defined in default/macros.conf", m)
			def, _ := s.Get("definition")
			return def
		})
	}
	return q
}

// setTokens replaces $name$ and $name|s$ (Simple XML's quoting filter:
// the value in double quotes, backslashes and double quotes escaped) with
// tokens[name]; a token the test does not set fails.
func setTokens(t *testing.T, s string, tokens map[string]string) string {
	t.Helper()
	return regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_.]*)(\|s)?\$`).ReplaceAllStringFunc(s, func(m string) string {
		name, quote := strings.Trim(m, "$"), false
		if n, ok := strings.CutSuffix(name, "|s"); ok {
			name, quote = n, true
		}
		v, ok := tokens[name]
		require.True(t, ok, "token $%s$ in %q is set", name, s)
		if quote {
			return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
		}
		return v
	})
}

// spl runs a panel's query with the backtest's SPL evaluator (package
// backtest): strict (a step reading a field its input lacks fails), allowed
// only the commands the dashboard uses, the custom commands (t1102correlate,
// t1102score) run as the real binaries through the emulator with -app-dir.
type spl struct {
	commands map[string][]string // custom command → built executable
	app      *backtest.App
	ran      map[string]bool // custom commands a pipeline ran
}

// dashboardCommands are the SPL commands the panels may use; any other is
// refused, so no panel passes untested.
var dashboardCommands = []string{"search", "where", "sort", "fieldformat", "table", "timechart"}

func newSPL(t *testing.T) *spl {
	data, err := os.ReadFile(filepath.Join(repo, "default", "commands.conf"))
	require.NoError(t, err)
	app, err := backtest.LoadApp(repo)
	require.NoError(t, err)
	s := &spl{commands: map[string][]string{}, app: app}
	for _, st := range ParseConf("commands.conf", data).Stanzas {
		bin, ok := appBins[st.Name]
		require.True(t, ok, "commands.conf's %s is built by TestMain (main_test.go)", st.Name)
		s.commands[st.Name] = []string{bin}
	}
	return s
}

// run evaluates a whole query (macros expanded, tokens set) over events
// in [earliest, latest), epoch seconds: the time range a search applies
// when it reads events. The first segment is the implicit search command.
func (s *spl) run(query string, events *splunkd.Table, earliest, latest float64) (*splunkd.Table, error) {
	st, err := backtest.OpenState("", s.app, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	e := &backtest.Engine{App: s.app, State: st, Events: events, Indexers: 2, Commands: s.commands, Strict: true, Allow: dashboardCommands}
	epoch := func(f float64) time.Time { return time.Unix(0, int64(f*1e9)).UTC() }
	out, err := e.Run(context.Background(), query, backtest.Dispatch{Search: "dashboard", Now: epoch(latest), Earliest: epoch(earliest), Latest: epoch(latest)})
	s.ran = map[string]bool{}
	for name := range e.Ran {
		s.ran[name] = true
	}
	return out, err
}

func first(v splunkd.Value) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// drilldownTokens sets the drilldown's tokens from one row of the table
// panel's results: <set> substitutes $row.<field>$; <eval> knows
// $row.<field>$ + or - a number only.
func drilldownTokens(t *testing.T, rules []tokenRule, tb *splunkd.Table, row int) map[string]string {
	tokens := map[string]string{}
	ref := regexp.MustCompile(`\$row\.(\w+)\$`)
	for _, r := range rules {
		val := ref.ReplaceAllStringFunc(r.expr, func(m string) string {
			f := ref.FindStringSubmatch(m)[1]
			require.GreaterOrEqual(t, tb.Column(f), 0, "the drilldown's $row.%s$ reads a field of the table (fields %v)", f, tb.Fields)
			v := tb.Get(row, f)
			require.Len(t, v, 1, "$row.%s$ is one value", f)
			return v[0]
		})
		if r.eval {
			m := regexp.MustCompile(`^(-?[0-9.]+)\s*([+-])\s*([0-9.]+)$`).FindStringSubmatch(val)
			require.NotNil(t, m, "the evaluator knows <eval> $row.<field>$ +/- <number> only: %q", r.expr)
			a, _ := strconv.ParseFloat(m[1], 64)
			b, _ := strconv.ParseFloat(m[3], 64)
			if m[2] == "-" {
				b = -b
			}
			val = strconv.FormatFloat(a+b, 'f', -1, 64)
		}
		tokens[r.token] = val
	}
	return tokens
}

// TestDashboardPanelsRun runs every panel of the dashboard: the alerts
// panels over the Atomic events (results) and over the benign ones (none,
// as the alert finds none there), then, for every row of the processes
// table, its drilldown tokens and the timeline and raw-events panels,
// which must select exactly that process's events.
func TestDashboardPanelsRun(t *testing.T) {
	root, v := loadView(t)
	require.Equal(t, "form", root.Name, "a time picker makes the view a <form>")
	require.Equal(t, "1.1", root.Attr["version"])
	s := newSPL(t)

	require.Len(t, v.panels, 5)
	alerts, processes, config := v.panels[0], v.panels[1], v.panels[2]
	timeline, raw := v.panels[3], v.panels[4]
	require.Equal(t, []string{"chart", "table", "table", "chart", "event"}, []string{alerts.kind, processes.kind, config.kind, timeline.kind, raw.kind})
	for _, p := range v.panels {
		require.NotRegexp(t, `(?i)\b(index|source|sourcetype)\s*=`, p.query, "panel %q: no hard-coded index or source", p.title)
		if p == config {
			continue // reads no events
		}
		// The app's macros, not hard-coded sources, say where the data is.
		require.True(t, strings.HasPrefix(p.query, "`t1102_sysmon` ") || strings.HasPrefix(p.query, "`t1102_events` "), "panel %q reads the events through the app's macros: %s", p.title, p.query)
	}

	// The configuration panel is generating: no events in, the shipped
	// configuration's state out (one INFO row: nothing left out), as the
	// configuration check saved search sees it, which then finds nothing.
	cfgRows, err := s.run(config.query, &splunkd.Table{}, 0, 0)
	require.NoError(t, err, "panel %q", config.title)
	require.True(t, s.ran["t1102score"], "panel %q ran t1102score", config.title)
	require.Equal(t, []string{"level", "file", "line", "message"}, cfgRows.Fields)
	require.Equal(t, 1, cfgRows.Len(), "%v", cfgRows.Canonical())
	require.Equal(t, "INFO", first(cfgRows.Get(0, "level")))
	require.Contains(t, first(cfgRows.Get(0, "message")), "0 rows or settings skipped")
	ssConf, err := os.ReadFile(filepath.Join(repo, "default", "savedsearches.conf"))
	require.NoError(t, err)
	check, ok := ParseConf("savedsearches.conf", ssConf).Stanza("T1102.003 - Configuration check").Get("search")
	require.True(t, ok)
	checked, err := s.run(check, &splunkd.Table{}, 0, 0)
	require.NoError(t, err, "the configuration check")
	require.Zero(t, checked.Len(), "the configuration check finds nothing in the shipped configuration")

	// Panels 1 and 2 run the saved search (without its sort; each panel
	// orders its rows).
	ssData, err := os.ReadFile(filepath.Join(repo, "default", "savedsearches.conf"))
	require.NoError(t, err)
	saved, _ := ParseConf("savedsearches.conf", ssData).Stanza("T1102.003 - Web Service One-Way C2").Get("search")
	norm := func(q string) string { return strings.Join(strings.Fields(q), " ") }
	base, _, _ := strings.Cut(norm(alerts.query), " | timechart")
	// The alert's pipeline without its state: its base search, the judge
	// (t1102correlate on events judges as input=state does), its filter;
	// a dashboard never writes the alert's lookups.
	require.NotContains(t, base, "outputlookup", "a dashboard panel writes no lookup")
	require.True(t, strings.HasPrefix(norm(saved), "`t1102_events` | t1102correlate output=state"), "the alert reads what the panels read: %s", saved)
	require.Contains(t, norm(saved), "| t1102correlate input=state | `t1102_filter` | sort 0 - risk_score", "the alert ends as the panels do")
	require.Equal(t, "`t1102_events` | t1102correlate | `t1102_filter`", base, "the alerts panels judge the events of their range")

	// The time picker's tokens: the whole of time (the events are from
	// November 2026, outside the picker's default relative range on most
	// days a test runs).
	allTime := map[string]string{"time.earliest": "0", "time.latest": "4102444800"}
	window := func(p panel, tokens map[string]string) (float64, float64) {
		e, err := strconv.ParseFloat(setTokens(t, p.earliest, tokens), 64)
		require.NoError(t, err, "panel %q: earliest is epoch seconds here", p.title)
		l, err := strconv.ParseFloat(setTokens(t, p.latest, tokens), 64)
		require.NoError(t, err, "panel %q: latest is epoch seconds here", p.title)
		return e, l
	}
	runPanel := func(p panel, events *splunkd.Table, tokens map[string]string) *splunkd.Table {
		e, l := window(p, tokens)
		out, err := s.run(setTokens(t, expandMacros(t, p.query), tokens), events, e, l)
		require.NoError(t, err, "panel %q", p.title)
		return out
	}

	t.Run("benign events: no alerts", func(t *testing.T) {
		events := sysmonEvents(t, "benign.csv")
		for _, p := range []panel{alerts, processes} {
			out := runPanel(p, events, allTime)
			require.True(t, s.ran["t1102correlate"], "panel %q ran t1102correlate", p.title)
			require.Zero(t, out.Len(), "panel %q is empty on benign activity: %v", p.title, out.Canonical())
		}
	})

	for _, set := range []struct {
		name, reason string
		files        []string
	}{
		{"atomic", "the four Atomic Red Team-like tests, each an alert", []string{"atomic.csv"}},
		{"atomic and benign", "with other processes' events beside them, a row's tokens must select its own process only", []string{"atomic.csv", "benign.csv"}},
	} {
		t.Run(set.name, func(t *testing.T) {
			events := sysmonEvents(t, set.files...)

			chart := runPanel(alerts, events, allTime)
			require.True(t, s.ran["t1102correlate"], "panel 1 ran t1102correlate")
			require.NotZero(t, chart.Len(), "panel %q has results", alerts.title)
			require.ElementsMatch(t, []string{"_time", "github", "pastebin", "telegram"}, chart.Fields, "panel 1's series are the services the alert found")

			table := runPanel(processes, events, allTime)
			require.Equal(t, 4, table.Len(), "panel %q: one row per Atomic process and service", processes.title)
			for i := 1; i < table.Len(); i++ {
				a, _ := strconv.Atoi(first(table.Get(i-1, "risk_score")))
				b, _ := strconv.Atoi(first(table.Get(i, "risk_score")))
				require.GreaterOrEqual(t, a, b, "panel 2 is sorted by risk")
			}

			for i := 0; i < table.Len(); i++ {
				tokens := drilldownTokens(t, v.drilldown, table, i)
				guid, host := tokens["guid"], tokens["host"]
				require.NotEmpty(t, guid)
				// What the panels must show: the process's own events, counted
				// here straight from the events.
				want := map[string]int{}
				for r := range events.Rows {
					if first(events.Get(r, "ProcessGuid")) == guid && strings.EqualFold(first(events.Get(r, "host")), host) {
						want[first(events.Get(r, "EventCode"))]++
					}
				}
				require.NotZero(t, want["3"]+want["22"], "row %d (%s): the process has connections or DNS queries", i, guid)

				tl := runPanel(timeline, events, tokens)
				require.NotZero(t, tl.Len(), "panel %q for %s", timeline.title, guid)
				got := map[string]int{}
				for r := range tl.Rows {
					for j, f := range tl.Fields[1:] {
						n, err := strconv.Atoi(first(tl.Rows[r][j+1]))
						require.NoError(t, err)
						got[f] += n
					}
				}
				require.Equal(t, map[string]int{"3": want["3"], "22": want["22"]}, withoutZero(got, "3", "22"), "panel 3 counts every connection and DNS query of %s", guid)

				ev := runPanel(raw, events, tokens)
				require.Equal(t, want["1"]+want["3"]+want["22"], ev.Len(), "panel 4 shows every event of %s (creation, connections, DNS)", guid)
				for r := range ev.Rows {
					require.Equal(t, guid, first(ev.Get(r, "ProcessGuid")), "panel 4 shows only %s's events", guid)
					require.Contains(t, []string{"1", "3", "22"}, first(ev.Get(r, "EventCode")))
				}
			}
		})
	}
}

// withoutZero returns m's counts for keys, absent ones as 0, and fails on
// any other key (a series the panel should not have).
func withoutZero(m map[string]int, keys ...string) map[string]int {
	out := map[string]int{}
	for _, k := range keys {
		out[k] = m[k]
	}
	for k := range m {
		if _, ok := out[k]; !ok {
			out["unexpected series "+k] = m[k]
		}
	}
	return out
}

// TestDashboardEvaluatorRefuses: the evaluator fails on SPL it does not
// know rather than passing over it, and its steps fail on a field their
// input lacks; a query it knows runs (so the failures are the queries').
func TestDashboardEvaluatorRefuses(t *testing.T) {
	events := sysmonEvents(t, "atomic.csv")
	cases := []struct {
		name, reason, query string
		fails               bool
	}{
		{"known steps", "the control: search, sort, table and timechart it knows", `EventCode IN (3, 22) host="wks-017" | sort 0 - _time | table _time, EventCode | timechart span=1m count by EventCode`, false},
		{"unknown command", "a panel using stats would otherwise pass untested", `EventCode=1 | stats count`, true},
		{"eval", "eval expressions are not evaluated", `EventCode=1 | eval x=1`, true},
		{"bare word", "a bare term searches _raw text, which the events files lack", `EventCode=1 powershell`, true},
		{"missing field", "a panel searching a field its input lacks shows nothing", `NoSuchField=1`, true},
		{"where on a missing field", "the later steps read only fields the input has", `EventCode=1 | where nope >= 40`, true},
		{"table of a missing field", "a column the results lack", `EventCode=1 | table host, nope`, true},
		{"where expression", "where knows <field> <op> <number> only", `EventCode=1 | where like(Image, "%x")`, true},
		{"subsearch", "subsearches are not run", `EventCode=1 [search EventCode=3]`, true},
		{"timechart function", "timechart knows count only", `EventCode=3 | timechart avg(DestinationPort) by host`, true},
		{"fieldformat of another field", "fieldformat <f>=strftime(<f>, ...) only", `EventCode=1 | fieldformat a=strftime(_time, "%F")`, true},
	}
	app, err := backtest.LoadApp(repo)
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := (&spl{app: app, commands: map[string][]string{}}).run(c.query, events, 0, 4102444800)
			require.Equal(t, c.fails, err != nil, "%s: %s (%v)", c.name, c.reason, err)
			if c.fails {
				require.True(t, errors.Is(err, backtest.ErrUnsupported) || errors.Is(err, backtest.ErrMissingField), "refused, not broken: %v", err)
			} else {
				require.NotZero(t, out.Len(), "the control query has results")
			}
		})
	}
}
