package correlate

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/chunked"
)

// TestSketchCounts: the baseline's host counts are exact up to 64 hosts
// and within HyperLogLog's error (1.04/√256 ≈ 6.5 %, three standard
// errors allowed) beyond; merging is a union.
func TestSketchCounts(t *testing.T) {
	for _, n := range []int{1, 2, 5, 20, 52, 200, 1000, 10000} {
		var s sketch
		for i := 0; i < n; i++ {
			s.add(fmt.Sprintf("WKS-%05d", i))
			s.add(fmt.Sprintf("wks-%05d", i)) // the same host in another case
		}
		got := s.count()
		tol := 0.0
		if n > maxExact {
			tol = 3 * 1.04 / 16 * float64(n)
		}
		require.InDelta(t, n, got, math.Max(tol, 0.5), "%d hosts", n)
		back, err := parseSketch(appendSketch(nil, &s))
		require.NoError(t, err)
		require.True(t, s.equal(&back), "%d hosts: the encoding round-trips", n)
	}
	var a, b sketch
	for i := 0; i < 30; i++ {
		a.add(fmt.Sprint("h", i))
		b.add(fmt.Sprint("h", i+15))
	}
	a.merge(&b)
	require.Equal(t, 45, a.count(), "the union of 0-29 and 15-44")
}

func TestGeneralImage(t *testing.T) {
	for _, tt := range []struct{ in, want, reason string }{
		{`C:\Users\alice\AppData\Local\Notion\Notion.exe`, `c:\users\*\appdata\local\notion\notion.exe`, "a per-user install is one program across users"},
		{`C:\Program Files\Google\Chrome\Application\chrome.exe`, `c:\program files\google\chrome\application\chrome.exe`, "a per-machine path stays"},
		{`/home/bob/.local/bin/tool`, `/home/*/.local/bin/tool`, "POSIX homes too"},
		{`C:\Users\alice`, `c:\users\alice`, "no file under the folder: nothing to generalise"},
	} {
		require.Equal(t, tt.want, generalImage(tt.in), tt.reason)
	}
}

// TestResolveIdentities: a run that saw only a process's connections (it
// started in an earlier hour) joins the activity that saw its creation,
// by host and ProcessGuid: one identity, one polling series.
func TestResolveIdentities(t *testing.T) {
	full := &activity{hostKey: "wks-1", host: "WKS-1", image: `C:\a\agent.exe`, cmd: `agent.exe -k`, ofn: "agent.exe", category: "telegram",
		guids: []string{"g1"}, hosts: map[string]int{"api.telegram.org": 2}, conns: []float64{100, 400}, start: 90}
	later := &activity{hostKey: "wks-1", host: "WKS-1", image: `C:\a\agent.exe`, category: "telegram",
		guids: []string{"g1"}, hosts: map[string]int{"api.telegram.org": 2}, conns: []float64{700, 1000}}
	other := &activity{hostKey: "wks-2", host: "WKS-2", image: `C:\a\agent.exe`, category: "telegram",
		guids: []string{"g1"}, hosts: map[string]int{"api.telegram.org": 1}, conns: []float64{50}}
	acts := map[activityKey]*activity{full.key(): full, later.key(): later, other.key(): other}
	out := resolveIdentities(acts)
	require.Len(t, out, 2, "the later run's activity joined; the other host's GUID is another process")
	got := out[full.key()]
	require.Equal(t, []float64{100, 400, 700, 1000}, got.conns)
	require.Equal(t, 4, got.hosts["api.telegram.org"])
	require.Contains(t, out, other.key())
}

// TestStateCaps: past max_rows the least recently active activities are
// left out, with a warning; requests older than the memory go.
func TestStateCaps(t *testing.T) {
	r := &reducer{opts: Options{MaxRows: 2, MaxBytes: 1 << 20, Limits: Limits{MaxGroups: 10, MaxTimes: 3}}}
	acts := map[activityKey]*activity{}
	for i := 0; i < 4; i++ {
		a := &activity{hostKey: fmt.Sprint("h", i), host: fmt.Sprint("H", i), image: "x.exe", category: "github",
			hosts: map[string]int{"github.com": 5}, conns: []float64{10, 20, 1000, 1000 + float64(i), 1010 + float64(i), 1020 + float64(i)}}
		acts[a.key()] = a
	}
	var c chunked.Chunk
	require.NoError(t, r.writeStates(&c, acts, sortedActivityKeys(acts), 500))
	require.Equal(t, 2, c.Out.Len(), "max_rows")
	require.Len(t, c.Messages(), 2, "one warning for max_times, one for max_rows: %v", c.Messages())
	for _, a := range acts {
		require.LessOrEqual(t, len(a.conns), 3, "the latest max_times")
		require.Greater(t, a.conns[0], 500.0, "nothing older than the memory")
	}
}

// TestMergeKeepsTheRename: instances of one identity whose PE original
// names disagree keep the one that is not the file's name, in any order
// (review finding: the smallest value hid a replaced binary).
func TestMergeKeepsTheRename(t *testing.T) {
	mk := func(ofn string) *activity {
		return &activity{hostKey: "h", host: "H", image: `C:\Users\a\AppData\Local\Microsoft\OneDrive\OneDrive.exe`, cmd: "OneDrive.exe", ofn: ofn,
			category: "microsoft_personal", hosts: map[string]int{}}
	}
	for _, order := range [][2]string{{"OneDrive.exe", "PowerShell.EXE"}, {"PowerShell.EXE", "OneDrive.exe"}} {
		a := mk(order[0])
		a.merge(mk(order[1]))
		require.Equal(t, "PowerShell.EXE", a.ofn, "merged %v", order)
	}
}

// TestStateRoundTrip: a state row written is read back to the same
// activity (requests to the millisecond).
func TestStateRoundTrip(t *testing.T) {
	a := &activity{hostKey: "wks-1", host: "WKS-1", image: `C:\a\agent.exe`, cmd: `agent.exe -k "x, y"`, parent: `C:\Windows\explorer.exe`,
		user: `CORP\ann`, ofn: "agent.exe", company: "Acme, Inc.", category: "telegram", guid: "g2", guidStart: 90.5,
		guids: []string{"g1", "g2"}, hosts: map[string]int{"api.telegram.org": 3, "t.me": 1}, conns: []float64{100.25, 400, 700.125},
		queries: []float64{99.5}, cmdSeen: true, start: 90.5}
	var w chunked.TableWriter
	var col [nState]int
	for i, f := range stateFields {
		col[i] = w.Field(f)
	}
	writeState(&w, &col, a, nil)
	w.EndRow()
	var tab chunked.Table
	require.NoError(t, tab.Parse(w.Encode(nil)))
	var in [nState]int
	for i, f := range stateFields {
		in[i] = tab.Index(f)
	}
	back, err := readState(tab.Row(0), &in)
	require.NoError(t, err)
	a.key()
	back.key()
	require.Equal(t, a, back)
}
