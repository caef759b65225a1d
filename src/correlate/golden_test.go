package correlate_test

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// sorted returns t with its columns in name order (__mv_ columns left
// out) and its rows in the order of their canonical lines: a golden file
// that does not depend on indexers, chunks or column order.
func sorted(t *splunkd.Table) *splunkd.Table {
	var fields []string
	for _, f := range t.Fields {
		if !strings.HasPrefix(f, "__mv_") && f != "_chunked_idx" {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	out := &splunkd.Table{Fields: fields}
	keys := make([]string, len(t.Rows))
	order := make([]int, len(t.Rows))
	for i := range t.Rows {
		one := &splunkd.Table{Fields: t.Fields, Rows: [][]splunkd.Value{t.Rows[i]}}
		keys[i], order[i] = one.Canonical()[0], i
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })
	for _, i := range order {
		row := make([]splunkd.Value, len(fields))
		for j, f := range fields {
			row[j] = t.Get(i, f)
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// TestGolden runs t1102correlate (all=true: every row, alerting or not)
// over the Atomic and the benign events and compares its results with
// testdata/*.golden.csv (refresh with -update). The same file must come
// out of one and of four indexers.
func TestGolden(t *testing.T) {
	for _, name := range []string{"atomic", "benign"} {
		t.Run(name, func(t *testing.T) {
			in := events(t, name+".csv")
			got := string(splunkd.AppendCSV(nil, sorted(run(t, in, 3, "all=true").Table), false))
			path := filepath.Join("testdata", name+".golden.csv")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			require.Equal(t, strings.Split(string(want), "\n"), strings.Split(got, "\n"), "%s differs; -update rewrites it", path)
			for _, n := range []int{1, 4} {
				other := string(splunkd.AppendCSV(nil, sorted(run(t, in, n, "all=true").Table), false))
				require.Equal(t, got, other, "%d indexers give the same results", n)
			}
		})
	}
}
