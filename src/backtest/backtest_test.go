package backtest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

func utc(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }

// copyDir copies the fixture app so that the test can add bin/ and check
// that the original is untouched.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	}))
}

// fixtureApp is testdata/app in a temporary folder with btcount in its bin/.
func fixtureApp(t *testing.T) *App {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "btapp")
	copyDir(t, "testdata/app", dir)
	data, err := os.ReadFile(btcountBin)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bin", "btcount"), data, 0o755))
	app, err := LoadApp(dir)
	require.NoError(t, err)
	return app
}

type alertLine struct {
	Time         time.Time
	Search, Host string
	Results      int
}

func alertLines(rep *Report) []alertLine {
	var out []alertLine
	for _, a := range rep.Alerts {
		out = append(out, alertLine{a.Time, a.Search, first(a.Get("host")), a.Results})
	}
	return out
}

// TestBacktestEndToEnd replays the fixture app over three days of events:
// an hourly report collecting per-host counts into a summary index, an
// alert over that index throttled per host for 24 hours (local/ overriding
// default/), a daily search writing a lookup and another reading it.
func TestBacktestEndToEnd(t *testing.T) {
	app := fixtureApp(t)
	events, err := ReadEvents([]string{"testdata/events.csv"}, "bt:proc")
	require.NoError(t, err)
	stateDir := filepath.Join(t.TempDir(), "state")
	st, err := OpenState(stateDir, app, false)
	require.NoError(t, err)
	e := &Engine{App: app, State: st, Events: events, Indexers: 2}
	rep, err := Run(context.Background(), e, Options{From: utc(20, 0, 0), To: utc(23, 0, 0)})
	require.NoError(t, err)
	require.NoError(t, st.Close())

	require.Equal(t, []alertLine{
		// The lookup as shipped in the app (copied into the state).
		{utc(20, 6, 0), "bt_known", "wks-0", 1},
		// wks-1's 6 events of 09:00-10:00, summarised at 10:00; its next
		// two hours (11:05, 12:05) are throttled.
		{utc(20, 10, 5), "bt_alert", "wks-1", 1},
		// Another host is another suppression key.
		{utc(20, 16, 5), "bt_alert", "wks-3", 1},
		// bt_track wrote the lookup at 23:30 on day 1: one digest alert for
		// its two rows.
		{utc(21, 6, 0), "bt_known", "wks-1", 2},
		// 24 hours after the first alert, the period (exclusive) is over.
		{utc(21, 10, 5), "bt_alert", "wks-1", 1},
		{utc(22, 6, 0), "bt_known", "wks-1", 1},
	}, alertLines(rep))

	// The alert's values come from the custom command: the app folder it
	// was given and the window of the run that collected the row.
	a := rep.Alerts[1]
	require.Equal(t, "6", first(a.Get("count")))
	require.Equal(t, "btapp", first(a.Get("app")), "btcount got -app-dir <app>")
	require.Equal(t, epochString(utc(20, 9, 0)), first(a.Get("info_min_time")), "bt_hourly at 10:00 ran over -1h@h = 09:00")
	require.Equal(t, "known", first(rep.Alerts[3].Get("status")), "eval ran in bt_known")

	stats := map[string]Stats{}
	for _, s := range rep.Stats {
		stats[s.Search] = s
	}
	require.Equal(t, Stats{Search: "bt_alert", Runs: 72, Results: 5, Triggered: 5, Alerts: 3, Suppressed: 2}, stats["bt_alert"])
	require.Equal(t, Stats{Search: "bt_hourly", Runs: 72, Results: stats["bt_hourly"].Results}, stats["bt_hourly"], "a report raises nothing")
	require.Greater(t, stats["bt_hourly"].Results, 72, "wks-2 is counted every hour, with the other hosts")
	require.Equal(t, 3, stats["bt_track"].Runs)
	require.Equal(t, Stats{Search: "bt_known", Runs: 3, Results: 4, Triggered: 3, Alerts: 3}, stats["bt_known"])
	require.NotContains(t, stats, "bt_adhoc", "a search without enableSched never runs")
	require.Equal(t, "bt_alert", rep.Stats[0].Search, "same-priority searches are listed in name order")

	// State: day 3 alerted on no host, so its bt_track emptied the lookup
	// (outputlookup's override_if_empty default); the app's copy is
	// untouched, and the summary index was saved with the state.
	lk, err := os.ReadFile(filepath.Join(stateDir, "lookups", "bt_seen.csv"))
	require.NoError(t, err)
	require.Equal(t, "host,count\n", string(lk))
	orig, err := os.ReadFile(filepath.Join(app.Dir, "lookups", "bt_seen.csv"))
	require.NoError(t, err)
	require.Equal(t, "host,count\nwks-0,9\n", string(orig), "outputlookup writes the state, not the app")
	idx, err := os.ReadFile(filepath.Join(stateDir, "indexes", "bt_summary.csv"))
	require.NoError(t, err)
	require.Contains(t, string(idx), "wks-3,7,")

	// Output: one line per alert, then the summary.
	var b bytes.Buffer
	require.NoError(t, WriteAlerts(&b, rep, []string{"host", "count"}, "table"))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 2+6)
	require.Regexp(t, `^2026-11-20T10:05:00Z\s+bt_alert\s+1\s+wks-1\s+6$`, lines[3])
	b.Reset()
	require.NoError(t, WriteAlerts(&b, rep, nil, "csv"))
	tb, err := splunkd.ReadTable(&b, "csv")
	require.NoError(t, err)
	require.Equal(t, []string{"trigger_time", "search", "results", "host", "count", "status", "app", "info_min_time"}, tb.Fields, "default columns: every non-internal field, in order of appearance")
	b.Reset()
	require.NoError(t, WriteSummary(&b, rep))
	require.Regexp(t, `bt_alert\s+72\s+5\s+5\s+3\s+2`, b.String())

	// A second backtest on the same state starts from what the first left:
	// bt_known reads the emptied lookup, not the app's, and raises nothing.
	st2, err := OpenState(stateDir, app, false)
	require.NoError(t, err)
	e2 := &Engine{App: app, State: st2, Events: events, Indexers: 1}
	rep2, err := Run(context.Background(), e2, Options{From: utc(23, 0, 0), To: utc(23, 7, 0), Searches: []string{"bt_known"}})
	require.NoError(t, err)
	require.NoError(t, st2.Close())
	require.Empty(t, rep2.Alerts)
	require.Equal(t, []Stats{{Search: "bt_known", Runs: 1}}, rep2.Stats)
	require.NotNil(t, st2.Index("bt_summary"), "the summary index was read back from the state folder")
}

// suppressionApp is one per-result (or digest) alert over the events, run
// every 10 minutes over the last 10.
func suppressionApp(t *testing.T, alertKeys string) *App {
	return writeApp(t, map[string]string{"default/savedsearches.conf": "[a]\nsearch = * | table host, user\ncron_schedule = */10 * * * *\ndispatch.earliest_time = -10m\ndispatch.latest_time = now\nenableSched = 1\ncounttype = number of events\nrelation = greater than\nquantity = 0\n" + alertKeys})
}

func TestSuppression(t *testing.T) {
	// One event before each run at 00:10, 00:20, ..., host and user given.
	events := func(rows ...[3]string) *splunkd.Table {
		var recs [][]string
		for i, r := range rows {
			recs = append(recs, []string{utc(20, 0, 10*i+5).Format(time.RFC3339), r[0], r[1]})
			if r[2] != "" { // a second event in the same window
				recs = append(recs, []string{utc(20, 0, 10*i+6).Format(time.RFC3339), r[0], r[2]})
			}
		}
		return splunkd.TableOf([]string{"_time", "host", "user"}, recs)
	}
	cases := []struct {
		name, reason, keys string
		events             *splunkd.Table
		want               []string // host/user of the alerts, in order
		suppressed         int
	}{
		{"no throttling", "digest_mode 0 raises one alert per result", "alert.digest_mode = 0\n",
			events([3]string{"h1", "u1", "u2"}, [3]string{"h1", "u1", ""}), []string{"h1/u1", "h1/u2", "h1/u1"}, 0},
		{"per host", "the same host within the period is suppressed, also within one run", "alert.digest_mode = 0\nalert.suppress = 1\nalert.suppress.fields = host\nalert.suppress.period = 15m\n",
			events([3]string{"h1", "u1", "u2"}, [3]string{"h1", "u1", ""}, [3]string{"h2", "u1", ""}), []string{"h1/u1", "h2/u1"}, 2},
		{"period ends", "an alert at 00:10 with a 20m period suppresses until 00:30, exclusive", "alert.digest_mode = 0\nalert.suppress = 1\nalert.suppress.fields = host\nalert.suppress.period = 20m\n",
			events([3]string{"h1", "u1", ""}, [3]string{"h1", "u1", ""}, [3]string{"h1", "u1", ""}), []string{"h1/u1", "h1/u1"}, 1},
		{"suppressed do not extend", "suppressed results do not restart the period", "alert.digest_mode = 0\nalert.suppress = 1\nalert.suppress.fields = host\nalert.suppress.period = 25m\n",
			events([3]string{"h1", "u1", ""}, [3]string{"h1", "u1", ""}, [3]string{"h1", "u1", ""}, [3]string{"h1", "u1", ""}), []string{"h1/u1", "h1/u1"}, 2},
		{"combination", "the key is the combination of the fields' values", "alert.digest_mode = 0\nalert.suppress = 1\nalert.suppress.fields = host,user\nalert.suppress.period = 1h\n",
			events([3]string{"h1", "u1", "u2"}, [3]string{"h1", "u2", "u3"}), []string{"h1/u1", "h1/u2", "h1/u3"}, 1},
		{"missing field", "a result without a field takes its empty value: results lacking it share the key", "alert.digest_mode = 0\nalert.suppress = 1\nalert.suppress.fields = host,nosuch\nalert.suppress.period = 1h\n",
			events([3]string{"h1", "u1", "u2"}, [3]string{"h2", "u1", ""}), []string{"h1/u1", "h2/u1"}, 1},
		{"digest", "digest mode: one alert per run, the run throttled whole", "alert.suppress = 1\nalert.suppress.period = 15m\n",
			events([3]string{"h1", "u1", "u2"}, [3]string{"h2", "u1", ""}, [3]string{"h3", "u1", ""}), []string{"h1/u1", "h3/u1"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEngine(t, suppressionApp(t, c.keys), c.events)
			rep, err := Run(context.Background(), e, Options{From: utc(20, 0, 0), To: utc(20, 1, 0)})
			require.NoError(t, err)
			var got []string
			for _, a := range rep.Alerts {
				got = append(got, first(a.Get("host"))+"/"+first(a.Get("user")))
			}
			require.Equal(t, c.want, got, c.reason)
			require.Equal(t, c.suppressed, rep.Stats[0].Suppressed, c.reason)
		})
	}
}

func TestAlertConditions(t *testing.T) {
	ev := splunkd.TableOf([]string{"_time", "host", "source"}, [][]string{
		{"2026-11-20T00:00:10Z", "h1", "s1"}, {"2026-11-20T00:00:20Z", "h1", "s2"}, {"2026-11-20T00:00:30Z", "h2", "s1"},
	})
	cases := []struct {
		name, reason, cond string
		alerts             int
	}{
		{"greater than", "3 results > 2", "counttype = number of events\nrelation = greater than\nquantity = 2\n", 1},
		{"not greater", "3 results are not > 3", "counttype = number of events\nrelation = greater than\nquantity = 3\n", 0},
		{"less than", "3 < 4", "counttype = number of events\nrelation = less than\nquantity = 4\n", 1},
		{"equal to", "3 == 3", "counttype = number of events\nrelation = equal to\nquantity = 3\n", 1},
		{"not equal to", "3 != 3 is false", "counttype = number of events\nrelation = not equal to\nquantity = 3\n", 0},
		{"hosts", "2 distinct hosts", "counttype = number of hosts\nrelation = equal to\nquantity = 2\n", 1},
		{"sources", "2 distinct sources, not 3", "counttype = number of sources\nrelation = equal to\nquantity = 3\n", 0},
		{"always", "always triggers", "counttype = always\n", 1},
		{"custom true", "alert_condition gives results", "alert_condition = search host=h2\n", 1},
		{"custom false", "alert_condition gives none", "alert_condition = where host=\"h9\"\n", 0},
		{"report", "without a condition the search is a report", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := writeApp(t, map[string]string{"default/savedsearches.conf": "[a]\nsearch = *\ncron_schedule = 1 0 * * *\nenableSched = 1\n" + c.cond})
			rep, err := Run(context.Background(), testEngine(t, app, ev), Options{From: utc(20, 0, 0), To: utc(20, 0, 2)})
			require.NoError(t, err)
			require.Equal(t, 1, rep.Stats[0].Runs)
			require.Len(t, rep.Alerts, c.alerts, c.reason)
		})
	}
}

// Searches due in the same minute run in priority order, then by name;
// state written by one is read by the next.
func TestSameMinuteOrder(t *testing.T) {
	conf := func(writerPriority string) *App {
		return writeApp(t, map[string]string{
			"default/transforms.conf": "[seen]\nfilename = seen.csv\n",
			"default/savedsearches.conf": "[b_write]\nsearch = * | table host | outputlookup seen\ncron_schedule = 0 * * * *\nenableSched = 1\n" + writerPriority +
				"\n[a_read]\nsearch = | inputlookup seen\ncron_schedule = 0 * * * *\nenableSched = 1\ncounttype = number of events\nrelation = greater than\nquantity = 0\n",
		})
	}
	ev := splunkd.TableOf([]string{"_time", "host"}, [][]string{{"2026-11-20T00:00:10Z", "h1"}})
	cases := []struct {
		name, reason, priority string
		want                   []time.Time
		warned                 bool // a_read found no lookup at 01:00
	}{
		{"by name", "a_read runs before b_write at 01:00, so it first sees the lookup at 02:00", "", []time.Time{utc(20, 2, 0)}, true},
		{"by priority", "schedule_priority = higher runs b_write first", "schedule_priority = higher", []time.Time{utc(20, 1, 0), utc(20, 2, 0)}, false},
		{"continuous after real-time", "realtime_schedule = 0 (continuous) runs after real-time searches", "realtime_schedule = 0", []time.Time{utc(20, 2, 0)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEngine(t, conf(c.priority), ev)
			rep, err := Run(context.Background(), e, Options{From: utc(20, 0, 30), To: utc(20, 2, 1)})
			require.NoError(t, err)
			var got []time.Time
			for _, a := range rep.Alerts {
				got = append(got, a.Time)
			}
			require.Equal(t, c.want, got, c.reason)
			require.Equal(t, c.warned, strings.Contains(strings.Join(e.Messages, "\n"), "seen does not exist"), c.reason)
		})
	}
}

func TestMissingLookupWarns(t *testing.T) {
	app := writeApp(t, map[string]string{"default/savedsearches.conf": "[a]\nsearch = | inputlookup none.csv\ncron_schedule = 0 * * * *\nenableSched = 1\n"})
	e := testEngine(t, app, nil)
	rep, err := Run(context.Background(), e, Options{From: utc(20, 0, 0), To: utc(20, 0, 1)})
	require.NoError(t, err, "inputlookup of a missing lookup warns and gives no rows")
	require.Equal(t, 0, rep.Stats[0].Results)
	require.Equal(t, []string{"WARN: inputlookup: the lookup table none.csv does not exist"}, rep.Messages)
}

func TestSavedSearchRefusals(t *testing.T) {
	base := "[a]\nsearch = *\nenableSched = 1\n"
	cases := []struct {
		name, reason, conf string
		sentinel           error
	}{
		{"no cron", "a scheduled search needs cron_schedule", base, ErrConf},
		{"bad cron", "the schedule must parse", base + "cron_schedule = 61 * * * *\n", ErrSyntax},
		{"drops by", "comparisons with the previous run are refused", base + "cron_schedule = * * * * *\ncounttype = number of events\nrelation = drops by\nquantity = 1\n", ErrUnsupported},
		{"no relation", "number of events needs a relation", base + "cron_schedule = * * * * *\ncounttype = number of events\nquantity = 1\n", ErrConf},
		{"per-result throttle without fields", "the spec requires alert.suppress.fields", base + "cron_schedule = * * * * *\ncounttype = always\nalert.digest_mode = 0\nalert.suppress = 1\nalert.suppress.period = 1h\n", ErrConf},
		{"no period", "throttling needs a period", base + "cron_schedule = * * * * *\ncounttype = always\nalert.suppress = 1\n", ErrConf},
		{"bad priority", "schedule_priority has three values", base + "cron_schedule = * * * * *\nschedule_priority = urgent\n", ErrConf},
		{"bad dispatch time", "dispatch.earliest_time must parse", base + "cron_schedule = * * * * *\ndispatch.earliest_time = -5x\n", ErrConf},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEngine(t, writeApp(t, map[string]string{"default/savedsearches.conf": c.conf}), nil)
			_, err := Run(context.Background(), e, Options{From: utc(20, 0, 0), To: utc(20, 0, 1)})
			require.Error(t, err, c.reason)
			require.True(t, errors.Is(err, c.sentinel), "%s: %v wraps %v", c.reason, err, c.sentinel)
		})
	}
	e := testEngine(t, writeApp(t, map[string]string{"default/savedsearches.conf": base + "cron_schedule = * * * * *\n[b]\nsearch = *\n"}), nil)
	for _, name := range []string{"nope", "b"} {
		_, err := Run(context.Background(), e, Options{From: utc(20, 0, 0), To: utc(20, 0, 1), Searches: []string{name}})
		require.ErrorIs(t, err, ErrConf, "-search %s: not a scheduled search", name)
	}
	_, err := Run(context.Background(), e, Options{From: utc(20, 1, 0), To: utc(20, 0, 1)})
	require.ErrorIs(t, err, ErrConf, "the start must be before the end")

	// A failing run names the search, its scheduled time and the segment.
	e = testEngine(t, writeApp(t, map[string]string{"default/savedsearches.conf": base + "search = * | stats count\ncron_schedule = 3 * * * *\n"}), nil)
	_, err = Run(context.Background(), e, Options{From: utc(20, 0, 0), To: utc(20, 1, 0)})
	require.ErrorIs(t, err, ErrUnsupported)
	require.EqualError(t, err, `search "a" (run scheduled at 2026-11-20T00:03:00Z), segment 2 "stats count": not supported by the backtest: the SPL command "stats" (the backtest evaluates search, where, sort, fields, table, head, eval, inputlookup, outputlookup, collect, fieldformat, timechart and the app's commands.conf commands)`)
}

// The real app's scheduled searches over the Atomic events: it runs and
// reports, whatever the detection decides (its output is not asserted).
func TestRealAppSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the app's scheduled searches through its real commands")
	}
	cmds := maps.Clone(appBins) // built by TestMain
	app, err := LoadApp("../..")
	require.NoError(t, err)
	events, err := ReadEvents([]string{"../../testdata/events/atomic.csv"}, DefaultSource)
	require.NoError(t, err)
	st, err := OpenState("", app, false)
	require.NoError(t, err)
	defer st.Close()
	e := &Engine{App: app, State: st, Events: events, Indexers: 3, Commands: cmds}
	// Two hours around the events (09:00-09:21): every search of the
	// app is hourly (minutes 7, 17 and 37), so each runs twice, and the
	// alert's run at 10:07 reads the events' hour.
	rep, err := Run(context.Background(), e, Options{From: utc(20, 9, 0), To: utc(20, 11, 0)})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Stats, "the app has scheduled searches")
	for _, s := range rep.Stats {
		require.Positive(t, s.Runs, "%s ran", s.Search)
	}
	require.Positive(t, e.Ran["t1102correlate"], "the detection's command ran")
	var b bytes.Buffer
	require.NoError(t, WriteSummary(&b, rep))
	require.Contains(t, b.String(), "T1102.003 - Web Service One-Way C2")
}
