package backtest

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; every error the package returns wraps one of them (or a
// context, I/O or [splunkd] error), for [errors.Is].
var (
	// ErrUnsupported is SPL, a conf setting or a command the backtest does
	// not evaluate: it refuses rather than passing over it.
	ErrUnsupported = errors.New("not supported by the backtest")
	// ErrSyntax is SPL, a cron schedule or a time modifier that does not
	// parse.
	ErrSyntax = errors.New("syntax error")
	// ErrConf is a .conf file, macro or saved search that is wrong or
	// missing.
	ErrConf = errors.New("configuration error")
	// ErrLookup is a lookup that cannot be resolved, read or written.
	ErrLookup = errors.New("lookup error")
	// ErrCommand is a custom search command that failed or could not run.
	ErrCommand = errors.New("custom command failed")
	// ErrMissingField is a step reading a field its (non-empty) input lacks,
	// reported only by an [Engine] with Strict set.
	ErrMissingField = errors.New("field missing from the input")
	// ErrEvents is an events file that cannot be read.
	ErrEvents = errors.New("events error")
)

// SearchError places an error: the saved search (or "" for an ad hoc
// query), the scheduled time of its run (zero outside the scheduler), the
// 1-based pipeline segment (0: the query as a whole, before segments are
// known) and that segment's text.
type SearchError struct {
	Search    string
	Scheduled time.Time
	Segment   int
	Text      string
	Err       error
}

func (e *SearchError) Error() string {
	var b strings.Builder
	if e.Search != "" {
		fmt.Fprintf(&b, "search %q", e.Search)
	} else {
		b.WriteString("query")
	}
	if !e.Scheduled.IsZero() {
		fmt.Fprintf(&b, " (run scheduled at %s)", e.Scheduled.Format(time.RFC3339))
	}
	if e.Segment > 0 {
		fmt.Fprintf(&b, ", segment %d %q", e.Segment, shorten(strings.TrimSpace(e.Text), 120))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *SearchError) Unwrap() error { return e.Err }

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
