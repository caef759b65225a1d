package backtest

import (
	"fmt"
	"math"
	"os"

	"github.com/t1102app/t1102/src/splunkd"
)

// DefaultSource is the source events without one get: Sysmon's own
// channel as Splunk indexes it, which the app's t1102_sysmon macro
// matches.
const DefaultSource = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"

// ReadEvents reads CSV events files (a header row; _time as RFC 3339 or
// epoch seconds, required in every row) into one table, the fields the
// union of the files'. A row without a source gets source (when source is
// not ""). Errors name the file and the row.
func ReadEvents(paths []string, source string) (*splunkd.Table, error) {
	var out *splunkd.Table
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEvents, err)
		}
		tb, err := splunkd.ReadTable(f, "csv")
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrEvents, p, err)
		}
		if tb.Column("_time") < 0 {
			return nil, fmt.Errorf("%w: %s: no _time column", ErrEvents, p)
		}
		for i := range tb.Rows {
			if math.IsNaN(rowTime(tb, i)) {
				return nil, fmt.Errorf("%w: %s: row %d (line %d): _time %q is neither RFC 3339 nor epoch seconds", ErrEvents, p, i+1, i+2, first(tb.Get(i, "_time")))
			}
		}
		out = concat(out, tb)
	}
	if out == nil {
		out = &splunkd.Table{}
	}
	if source != "" && len(out.Rows) > 0 {
		col := out.Column("source")
		if col < 0 {
			col = len(out.Fields)
			out.Fields = append(out.Fields, "source")
		}
		for i, row := range out.Rows {
			for len(row) <= col {
				row = append(row, nil)
			}
			if len(row[col]) == 0 {
				row[col] = splunkd.Value{source}
			}
			out.Rows[i] = row
		}
	}
	return out, nil
}
