package score_test

// t1102score on the real Sysmon corpus in ../shared/sysmon (skipped where
// that folder is absent): every process labelled malicious is found with
// its service, the benign one is not, and what else is kept is listed.

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/internal/sysmon"
	"github.com/t1102app/t1102/src/splunkd"
)

func corpusDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "..", "shared", "sysmon")
	if _, err := os.Stat(filepath.Join(dir, "labels.csv")); err != nil {
		t.Skipf("Sysmon corpus not found at %s (../shared sits beside a full checkout; a fresh clone has none): %v", dir, err)
	}
	return dir
}

// loadCorpus reads every dataset into one table with a "dataset" field.
func loadCorpus(t testing.TB, dir string) *splunkd.Table {
	datasets, err := sysmon.ReadDir(filepath.Join(dir, "xml"))
	require.NoError(t, err)
	tab := &splunkd.Table{}
	col := map[string]int{}
	for _, ds := range datasets {
		for _, ev := range ds.Events {
			row := make([]splunkd.Value, len(tab.Fields))
			set := func(k, v string) {
				i, ok := col[k]
				if !ok {
					i = len(tab.Fields)
					col[k] = i
					tab.Fields = append(tab.Fields, k)
					for j := range tab.Rows {
						tab.Rows[j] = append(tab.Rows[j], nil)
					}
					row = append(row, nil)
				}
				if v != "" {
					row[i] = splunkd.Value{v}
				}
			}
			set("dataset", ds.Name)
			for _, fv := range ev {
				set(fv.Name, fv.Value)
			}
			tab.Rows = append(tab.Rows, row)
		}
	}
	for i := range tab.Rows { // rows read before a field appeared
		for len(tab.Rows[i]) < len(tab.Fields) {
			tab.Rows[i] = append(tab.Rows[i], nil)
		}
	}
	return tab
}

type label struct{ dataset, guid, image, services, seenIn, verdict string }

func loadLabels(t *testing.T, dir string) []label {
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	var out []label
	for _, r := range recs[1:] {
		out = append(out, label{r[0], strings.ToLower(strings.Trim(r[1], "{}")), r[2], r[3], r[5], r[6]})
	}
	return out
}

func normGUID(v splunkd.Value) string {
	if len(v) == 0 {
		return ""
	}
	return strings.ToLower(strings.Trim(v[0], "{}"))
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	input := loadCorpus(t, dir)
	require.Len(t, input.Rows, 13944, "the corpus as documented")
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: scoreArgv, Args: []string{"filter=true"}, Input: input, Collect: true, ChunkRows: 2000, Indexers: 3,
	})
	require.NoError(t, err)
	out := res.Table

	type key struct{ dataset, guid string }
	kept := map[key][]int{}
	for i := range out.Rows {
		k := key{first(out.Get(i, "dataset")), normGUID(out.Get(i, "ProcessGuid"))}
		kept[k] = append(kept[k], i)
	}
	labelled := map[key]bool{}
	for _, l := range loadLabels(t, dir) {
		k := key{l.dataset, l.guid}
		labelled[k] = true
		rows := kept[k]
		switch l.verdict {
		case "malicious":
			require.NotEmpty(t, rows, "%s %s (%s) must be found", l.dataset, l.guid, l.image)
			var cats []string
			for _, i := range rows {
				cats = append(cats, first(out.Get(i, "is_legit_webservice")))
			}
			require.Contains(t, cats, strings.Split(l.services, ";")[0], "%s %s: right service", l.dataset, l.image)
		case "benign":
			require.Empty(t, rows, "%s %s (%s) is ordinary software", l.dataset, l.guid, l.image)
		}
	}
	// What else was kept: listed for the reader (and the closing note).
	var other []string
	for k, rows := range kept {
		if labelled[k] {
			continue
		}
		i := rows[0]
		other = append(other, strings.Join([]string{k.dataset, first(out.Get(i, "Image")), first(out.Get(i, "t1102_host")),
			first(out.Get(i, "t1102_seen_in")), strings.Join(out.Get(i, "t1102_reasons"), "; ")}, " | "))
	}
	sort.Strings(other)
	t.Logf("kept %d rows of %d; %d unlabelled processes kept:", len(out.Rows), len(input.Rows), len(other))
	for _, o := range other {
		t.Log("  " + o)
	}

	// The baseline and the larger catalog, on the same events.
	for _, args := range [][]string{{"filter=true", "logic=legacy"}, {"filter=true", "catalog=lots"}} {
		res, err := splunkd.Run(context.Background(), splunkd.Search{Argv: scoreArgv, Args: args, Input: input, Collect: true, ChunkRows: 5000})
		require.NoError(t, err)
		found := 0
		for _, l := range loadLabels(t, dir) {
			for i := range res.Table.Rows {
				if l.verdict == "malicious" && first(res.Table.Get(i, "dataset")) == l.dataset && normGUID(res.Table.Get(i, "ProcessGuid")) == l.guid {
					found++
					break
				}
			}
		}
		t.Logf("%v: %d rows kept, %d of the labelled malicious processes found", args, len(res.Table.Rows), found)
		if args[1] == "logic=legacy" {
			require.Zero(t, len(res.Table.Rows), "the original SPL reports nothing on this corpus (the issue's measurement)")
		} else {
			require.Equal(t, 10, found, "the larger catalog finds what the default one finds")
		}
	}
}
