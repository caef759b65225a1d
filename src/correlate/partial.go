package correlate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
)

// ErrNotPartial means the reduce phase received rows that are not its map
// phase's partial rows: splunkd skipped the streaming_preop or something
// between the phases removed its fields. Answering with no rows would
// look like "nothing detected", so it is an error.
var ErrNotPartial = errors.New("reduce input is not the map phase's output")

// checkPartials refuses a non-empty table whose rows are not partial rows:
// every partial row has the marker field t1102c_guid, non-empty (col is its
// column, -1 if absent). An empty table (no events on any indexer) is fine.
// The engine prefixes the command's name and the position.
func checkPartials(t *chunked.Table, col int) error {
	if t.Len() == 0 {
		return nil
	}
	if col < 0 {
		fields := t.Fields()
		more := ""
		if len(fields) > 8 {
			fields, more = fields[:8], ", …"
		}
		return fmt.Errorf("%w (%s phase=map): %d rows without the field %s (fields: %s%s); was the streaming_preop skipped, or were its fields removed?",
			ErrNotPartial, Name, t.Len(), partialFields[pGUID], strings.Join(fields, ", "), more)
	}
	for i := 0; i < t.Len(); i++ {
		if r := t.Row(i); len(r.Get(col)) == 0 {
			return r.Error(col, fmt.Errorf("%w: a partial row always has %s", ErrNotPartial, partialFields[pGUID]))
		}
	}
	return nil
}
