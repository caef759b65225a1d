package backtest

import (
	"context"
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
