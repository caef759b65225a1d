package backtest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/t1102app/t1102/src/splunkd"
)

// State is what scheduled searches leave for later ones: CSV lookups (in
// a working folder) and summary indexes (in memory, saved with the state
// folder). It persists across the runs of a backtest and, when the folder
// is kept, across backtests.
type State struct {
	dir     string // "" for a temporary state
	lookups string // folder of the lookup files
	indexes map[string]*splunkd.Table
	temp    string // temporary folder to remove on Close
}

// OpenState opens the state folder dir: dir/lookups holds the lookups
// (copied from the app's lookups folder when dir/lookups does not exist
// yet) and dir/indexes/<name>.csv the summary indexes of an earlier
// backtest. With dir "", the state lives in a temporary folder removed by
// Close. With inApp, lookups are read and written in the app's own
// lookups folder (outputlookup then changes the app under test).
func OpenState(dir string, app *App, inApp bool) (*State, error) {
	s := &State{dir: dir, indexes: map[string]*splunkd.Table{}}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "t1102-backtest-")
		if err != nil {
			return nil, fmt.Errorf("%w: state folder: %w", ErrLookup, err)
		}
		s.temp, dir = tmp, tmp
	}
	if inApp {
		s.lookups = app.LookupsDir()
		if s.lookups == "" {
			s.lookups = filepath.Join(app.Dir, "lookups")
		}
	} else {
		s.lookups = filepath.Join(dir, "lookups")
		if _, err := os.Stat(s.lookups); errors.Is(err, fs.ErrNotExist) {
			if err := copyLookups(app.LookupsDir(), s.lookups); err != nil {
				s.Close()
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(s.lookups, 0o755); err != nil {
		s.Close()
		return nil, fmt.Errorf("%w: %w", ErrLookup, err)
	}
	if s.temp == "" {
		if err := s.loadIndexes(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// LookupsDir is the folder the lookups are read from and written to.
func (s *State) LookupsDir() string { return s.lookups }

// Index returns the rows collected into summary index name (nil if none).
func (s *State) Index(name string) *splunkd.Table { return s.indexes[strings.ToLower(name)] }

// IndexNames lists the summary indexes holding rows, sorted.
func (s *State) IndexNames() []string {
	var out []string
	for n := range s.indexes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *State) collect(name string, rows *splunkd.Table) {
	name = strings.ToLower(name)
	s.indexes[name] = concat(s.indexes[name], rows)
}

// Close saves the summary indexes into the state folder (dir/indexes) or,
// for a temporary state, removes the folder.
func (s *State) Close() error {
	if s.temp != "" {
		return os.RemoveAll(s.temp)
	}
	dir := filepath.Join(s.dir, "indexes")
	if len(s.indexes) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	for name, tb := range s.indexes {
		if err := writeCSVFile(filepath.Join(dir, name+".csv"), tb); err != nil {
			return err
		}
	}
	return nil
}

func (s *State) loadIndexes() error {
	dir := filepath.Join(s.dir, "indexes")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".csv")
		if !ok || e.IsDir() {
			continue
		}
		tb, err := readCSVFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		s.indexes[strings.ToLower(name)] = tb
	}
	return nil
}

func copyLookups(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	if from == "" {
		return nil
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrLookup, err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			return fmt.Errorf("%w: %w", ErrLookup, err)
		}
	}
	return nil
}

func readCSVFile(path string) (*splunkd.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLookup, err)
	}
	defer f.Close()
	tb, err := splunkd.ReadTable(f, "csv")
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrLookup, path, err)
	}
	return tb, nil
}

// writeCSVFile writes tb as a CSV lookup file: a header of its fields and
// a record per row, a multivalue as its values joined by newlines (the
// form a lookup file keeps them in), through a temporary file renamed into
// place.
func writeCSVFile(path string, tb *splunkd.Table) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.csv")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeCSV(tmp, tb); err != nil {
		tmp.Close()
		return fmt.Errorf("%w: %s: %w", ErrLookup, path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%w: %w", ErrLookup, err)
	}
	return nil
}

func writeCSV(w io.Writer, tb *splunkd.Table) error {
	cw := csv.NewWriter(w)
	var fields []string
	if tb != nil {
		for _, f := range tb.Fields {
			if !strings.HasPrefix(f, "__mv_") && f != "_chunked_idx" {
				fields = append(fields, f)
			}
		}
	}
	if len(fields) == 0 {
		cw.Flush()
		return cw.Error()
	}
	if err := cw.Write(fields); err != nil {
		return err
	}
	rec := make([]string, len(fields))
	for i := range tb.Rows {
		for j, f := range fields {
			rec[j] = strings.Join(tb.Get(i, f), "\n")
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// concat appends b's rows to a's, the fields the union of both (a's first).
// Either may be nil.
func concat(a, b *splunkd.Table) *splunkd.Table {
	out := &splunkd.Table{}
	col := map[string]int{}
	for _, t := range []*splunkd.Table{a, b} {
		if t == nil {
			continue
		}
		for _, f := range t.Fields {
			if _, ok := col[f]; !ok {
				col[f] = len(out.Fields)
				out.Fields = append(out.Fields, f)
			}
		}
	}
	for _, t := range []*splunkd.Table{a, b} {
		if t == nil {
			continue
		}
		for _, row := range t.Rows {
			r := make([]splunkd.Value, len(out.Fields))
			for j, v := range row {
				if j < len(t.Fields) {
					r[col[t.Fields[j]]] = v
				}
			}
			out.Rows = append(out.Rows, r)
		}
	}
	return out
}
