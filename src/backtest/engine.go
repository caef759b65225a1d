package backtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/t1102app/t1102/src/splunkd"
)

// Engine evaluates the SPL subset a backtest runs: the implicit base
// search, search, where, sort, fields, table, head, eval (assignments),
// inputlookup, outputlookup, collect, fieldformat, timechart ... count by,
// and the app's custom commands, run as their real executables through the
// splunkd emulator ([splunkd.Run]). Anything else is refused with
// [ErrUnsupported] naming the command. The judgement belongs in the custom
// commands; this SPL only moves data.
//
// An Engine is not safe for concurrent use.
type Engine struct {
	App    *App
	State  *State
	Events *splunkd.Table // the events a base search without a summary index reads
	// Indexers is the number of simulated search peers custom commands run
	// on (default 1).
	Indexers int
	// Commands maps a custom command's name to its argv, replacing the
	// executable commands.conf would find (the app's -app-dir is still
	// appended).
	Commands map[string][]string
	// Location is the search head's time zone for time modifiers (default
	// UTC).
	Location *time.Location
	// Timeout bounds each reply and exit of a custom command (default
	// splunkd's 30s).
	Timeout time.Duration
	// Strict makes a step that reads a field its non-empty input lacks fail
	// with ErrMissingField (Splunk reads it as null), and a search term on
	// such a field too. For tests that want misspelt fields caught.
	Strict bool
	// Allow, when not nil, lists the SPL commands a query may use besides
	// the app's custom commands (say, what a dashboard may); any other is
	// refused with ErrUnsupported.
	Allow []string
	// Messages collects warnings and the inspector messages of custom
	// commands, as "LEVEL: text".
	Messages []string
	// Ran counts the custom commands run, by name.
	Ran map[string]int

	eventTimes []float64 // parsed _time of Events, NaN if none
}

// Dispatch is one search's dispatch: the time its relative modifiers are
// relative to, and its time range [Earliest, Latest) (a zero time is
// unbounded). Search names the saved search in errors.
type Dispatch struct {
	Search           string
	Now              time.Time
	Earliest, Latest time.Time
}

// Run evaluates query (macros not yet expanded) and returns its results.
// Errors are *SearchError values naming the search and the segment.
func (e *Engine) Run(ctx context.Context, query string, d Dispatch) (*splunkd.Table, error) {
	fail := func(seg int, text string, err error) error {
		return &SearchError{Search: d.Search, Segment: seg, Text: text, Err: err}
	}
	if e.App == nil || e.State == nil {
		return nil, fail(0, "", fmt.Errorf("%w: the engine needs an App and a State", ErrConf))
	}
	expanded, err := e.App.ExpandMacros(query)
	if err != nil {
		return nil, fail(0, "", err)
	}
	segs, err := splitPipes(expanded)
	if err != nil {
		return nil, fail(0, "", err)
	}
	if e.Ran == nil {
		e.Ran = map[string]int{}
	}
	var tb *splunkd.Table
	start := 0
	if strings.TrimSpace(segs[0]) == "" {
		// "| inputlookup ...": the search starts with a generating command.
		if len(segs) == 1 {
			return nil, fail(0, "", fmt.Errorf("%w: empty query", ErrSyntax))
		}
		start = 1
	} else {
		if tb, err = e.base(segs[0], &d); err != nil {
			return nil, fail(1, segs[0], err)
		}
		start = 1
	}
	for i := start; i < len(segs); i++ {
		if err := ctx.Err(); err != nil {
			return nil, fail(i+1, segs[i], err)
		}
		first := tb == nil
		if tb == nil {
			tb = &splunkd.Table{}
		}
		if tb, err = e.step(ctx, segs[i], tb, first, expanded, d); err != nil {
			return nil, fail(i+1, segs[i], err)
		}
	}
	return tb, nil
}

// step runs one pipeline segment.
func (e *Engine) step(ctx context.Context, seg string, tb *splunkd.Table, first bool, query string, d Dispatch) (*splunkd.Table, error) {
	seg = strings.TrimSpace(seg)
	name, args, _ := strings.Cut(seg, " ")
	args = strings.TrimSpace(args)
	if name == "" {
		return nil, fmt.Errorf("%w: empty pipeline segment", ErrSyntax)
	}
	if e.Allow != nil && knownCommand(name) && !slices.Contains(e.Allow, name) {
		return nil, fmt.Errorf("%w: the SPL command %q is not allowed here (allowed: %s)", ErrUnsupported, name, strings.Join(e.Allow, ", "))
	}
	if first && name != "inputlookup" {
		// The app's own commands may generate (t1102score check_config=true):
		// they run with no input rows.
		if _, custom, _ := e.commandArgv(name); !custom {
			return nil, fmt.Errorf("%w: a search starting with | must start with a generating command (inputlookup or one of the app's), not %s", ErrUnsupported, name)
		}
	}
	switch name {
	case "search":
		return e.search(tb, args, nil)
	case "where":
		return e.where(tb, args)
	case "sort":
		return e.sort(tb, args)
	case "fields":
		return fieldsCmd(tb, args)
	case "table":
		return e.table(tb, args)
	case "head":
		return head(tb, args)
	case "eval":
		return e.eval(tb, args)
	case "inputlookup":
		return e.inputlookup(tb, args, first)
	case "outputlookup":
		return e.outputlookup(tb, args)
	case "collect":
		return e.collect(tb, args, d)
	case "fieldformat":
		return e.fieldformat(tb, args)
	case "timechart":
		return e.timechart(tb, args)
	}
	argv, ok, err := e.commandArgv(name)
	if err != nil {
		return nil, err
	}
	if ok {
		return e.custom(ctx, name, argv, args, tb, query, d)
	}
	return nil, fmt.Errorf("%w: the SPL command %q (the backtest evaluates search, where, sort, fields, table, head, eval, inputlookup, outputlookup, collect, fieldformat, timechart and the app's commands.conf commands)", ErrUnsupported, name)
}

func (e *Engine) commandArgv(name string) ([]string, bool, error) {
	if argv, ok := e.Commands[name]; ok {
		return argv, true, nil
	}
	return e.App.commandArgv(name)
}

// custom runs a custom command through the emulator: argv, then -app-dir
// <app> (the project's commands take the app folder so), search-time
// arguments tokenised as splunkd does, the dispatch's time range as
// searchinfo earliest_time/latest_time (epoch seconds), Indexers peers.
func (e *Engine) custom(ctx context.Context, name string, argv []string, args string, in *splunkd.Table, query string, d Dispatch) (*splunkd.Table, error) {
	a, raw, err := splunkd.Tokenize(args)
	if err != nil {
		return nil, fmt.Errorf("%w: %s arguments: %w", ErrSyntax, name, err)
	}
	full := append(append([]string(nil), argv...), "-app-dir", e.App.Dir)
	res, err := splunkd.Run(ctx, splunkd.Search{
		Argv: full, Name: name, Args: a, RawArgs: raw,
		Input: in, Collect: true, Indexers: max(e.Indexers, 1), Timeout: e.Timeout,
		Info: splunkd.SearchInfo{
			Search: query, App: e.App.Name,
			EarliestTime: epochString(d.Earliest), LatestTime: epochString(d.Latest),
		},
	})
	if res != nil {
		for _, m := range res.Messages {
			e.Messages = append(e.Messages, fmt.Sprintf("%s: %s: %s", m.Level, name, m.Text))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s through the emulator: %w", ErrCommand, name, err)
	}
	e.Ran[name]++
	if res.Table == nil {
		return &splunkd.Table{}, nil
	}
	return res.Table, nil
}

// epochString formats t as epoch seconds for searchinfo; zero is "0"
// (unbounded), as splunkd sends for all time.
func epochString(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', -1, 64)
}

// base runs the implicit search command at the start of a query: its
// earliest=/latest= terms replace the dispatch's time range (relative to
// its Now), and an index=<name> naming a summary index (one collect has
// written, or that a saved search of the app collects into) selects that
// index's rows instead of the events.
func (e *Engine) base(clause string, d *Dispatch) (*splunkd.Table, error) {
	clause = strings.TrimSpace(clause)
	if w, rest, ok := strings.Cut(clause, " "); ok && strings.EqualFold(w, "search") {
		clause = rest
	} else if strings.EqualFold(clause, "search") {
		clause = "*"
	}
	p, err := newSearchParser(clause)
	if err != nil {
		return nil, err
	}
	p.base = true
	p.summary = e.summaryNames()
	expr, err := p.parse()
	if err != nil {
		return nil, err
	}
	for _, m := range p.modifiers {
		t, err := ParseTime(m.value, d.Now, e.Location)
		if err != nil {
			return nil, err
		}
		if m.name == "earliest" {
			d.Earliest = t
		} else {
			d.Latest = t
		}
	}
	// The data: the events unless every index term names summary indexes
	// only, plus the summary indexes the index terms name.
	eventsToo := len(p.indexes) == 0
	for _, pats := range p.indexes {
		if matchIndex(pats, "", p.summary) {
			eventsToo = true
		}
	}
	var summaries *splunkd.Table
	for _, name := range p.summary {
		if p.indexSelects(name) && e.State != nil {
			if idx := e.State.Index(name); idx != nil {
				summaries = concat(summaries, idx)
			}
		}
	}
	events := e.Events
	if events == nil || !eventsToo {
		events = &splunkd.Table{}
	}
	var src *splunkd.Table
	var times []float64
	if summaries == nil {
		src = events
		if eventsToo {
			if len(e.eventTimes) != len(src.Rows) {
				e.eventTimes = make([]float64, len(src.Rows))
				for i := range src.Rows {
					e.eventTimes[i] = rowTime(src, i)
				}
			}
			times = e.eventTimes
		}
	} else {
		src = concat(events, summaries)
		times = make([]float64, len(src.Rows))
		for i := range src.Rows {
			times[i] = rowTime(src, i)
		}
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if !d.Earliest.IsZero() {
		lo = float64(d.Earliest.UnixNano()) / 1e9
	}
	if !d.Latest.IsZero() {
		hi = float64(d.Latest.UnixNano()) / 1e9
	}
	// Events from earliest (inclusive) to latest (exclusive) (Search
	// Manual, "Specify time modifiers in your search",
	// https://help.splunk.com/splunk-enterprise/search/search-manual/9.2/specify-time-ranges/specify-time-modifiers-in-your-search).
	in := &splunkd.Table{Fields: src.Fields}
	for i := range src.Rows {
		if t := times[i]; !math.IsNaN(t) && t >= lo && t < hi {
			in.Rows = append(in.Rows, src.Rows[i])
		}
	}
	if e.Strict && len(in.Rows) > 0 {
		for _, f := range p.fields {
			if in.Column(f) < 0 {
				return nil, fmt.Errorf("%w: search reads %s (fields %v)", ErrMissingField, f, in.Fields)
			}
		}
	}
	return filter(in, expr), nil
}

// summaryNames lists the known summary indexes: those holding rows and
// those a saved search of the app collects into.
func (e *Engine) summaryNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		n = strings.ToLower(n)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if e.State != nil {
		for _, n := range e.State.IndexNames() {
			add(n)
		}
	}
	for _, name := range e.App.saved.order {
		q := e.App.saved.stanzas[name]["search"]
		for _, m := range collectIndex.FindAllStringSubmatch(q, -1) {
			add(strings.Trim(m[1], `"`))
		}
	}
	return out
}

func filter(tb *splunkd.Table, expr searchExpr) *splunkd.Table {
	out := &splunkd.Table{Fields: tb.Fields}
	for i := range tb.Rows {
		if expr(tb, i) {
			out.Rows = append(out.Rows, tb.Rows[i])
		}
	}
	return out
}

// search is the search command after the first segment.
func (e *Engine) search(tb *splunkd.Table, clause string, _ *Dispatch) (*splunkd.Table, error) {
	p, err := newSearchParser(clause)
	if err != nil {
		return nil, err
	}
	expr, err := p.parse()
	if err != nil {
		return nil, err
	}
	if err := e.requireFields(tb, "search", p.fields...); err != nil {
		return nil, err
	}
	return filter(tb, expr), nil
}

// requireFields fails, in Strict mode, a step reading a field its
// non-empty input lacks.
func (e *Engine) requireFields(tb *splunkd.Table, step string, fields ...string) error {
	if !e.Strict || len(tb.Rows) == 0 {
		return nil
	}
	for _, f := range fields {
		if tb.Column(f) < 0 {
			return fmt.Errorf("%w: %s reads %s (fields %v)", ErrMissingField, step, f, tb.Fields)
		}
	}
	return nil
}

// inputlookup [append=<bool>] <name>: the lookup's rows, replacing the
// results or, with append=true, after them. A lookup file that does not
// exist gives no rows and a warning, as Splunk's does (Search Reference,
// inputlookup: "If the lookup does not exist, a warning message is
// displayed (but no syntax error is generated)",
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/inputlookup).
func (e *Engine) inputlookup(tb *splunkd.Table, args string, first bool) (*splunkd.Table, error) {
	name, appendTo, err := lookupArgs("inputlookup", args)
	if err != nil {
		return nil, err
	}
	if !first && !appendTo {
		return nil, fmt.Errorf("%w: inputlookup is a generating command: put it first (| inputlookup %s) or use append=true", ErrSyntax, name)
	}
	file, err := e.App.lookupFile(name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(e.State.LookupsDir(), file)
	lk, err := readCSVFile(path)
	if errors.Is(err, os.ErrNotExist) {
		e.Messages = append(e.Messages, fmt.Sprintf("WARN: inputlookup: the lookup table %s does not exist", name))
		lk = &splunkd.Table{}
	} else if err != nil {
		return nil, err
	}
	if appendTo {
		return concat(tb, lk), nil
	}
	return lk, nil
}

// outputlookup [append=<bool>] <name>: writes the results to the lookup
// file in the state's lookups folder (replacing it, or adding rows with
// append=true, columns merged) and passes the results on unchanged, as
// Splunk's does (Search Reference, outputlookup,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.0/search-commands/outputlookup).
// With no results and append=false the file is emptied
// (override_if_empty's default, true).
func (e *Engine) outputlookup(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	name, appendTo, err := lookupArgs("outputlookup", args)
	if err != nil {
		return nil, err
	}
	file, err := e.App.lookupFile(name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(e.State.LookupsDir(), file)
	out := tb
	if appendTo {
		old, err := readCSVFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		out = concat(old, tb)
	}
	if err := writeCSVFile(path, out); err != nil {
		return nil, err
	}
	return tb, nil
}

func lookupArgs(cmd, args string) (name string, appendTo bool, err error) {
	words, _, err := splunkd.Tokenize(args)
	if err != nil {
		return "", false, fmt.Errorf("%w: %s: %w", ErrSyntax, cmd, err)
	}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		switch {
		case ok && k == "append":
			b, perr := parseBool(v)
			if perr != nil {
				return "", false, fmt.Errorf("%w: %s append=%s: want a boolean", ErrSyntax, cmd, v)
			}
			appendTo = b
		case ok:
			return "", false, fmt.Errorf("%w: %s option %s= (the backtest knows append= only)", ErrUnsupported, cmd, k)
		case name != "":
			return "", false, fmt.Errorf("%w: %s takes one lookup name, got %q and %q", ErrUnsupported, cmd, name, w)
		default:
			name = w
		}
	}
	if name == "" {
		return "", false, fmt.Errorf("%w: %s needs a lookup name", ErrSyntax, cmd)
	}
	return name, appendTo, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "t", "true", "yes", "y":
		return true, nil
	case "0", "f", "false", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean", ErrSyntax, s)
}

// collect index=<name>: adds the results to the in-memory summary index
// name, which later base searches with index=<name> read, and passes them
// on (Search Reference, collect,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/collect).
// Each stored row keeps its _time; a row without one gets the dispatch's
// earliest time (info_min_time) or, for an all-time search, its Now: the
// order collect's addtime option describes. The stored rows carry
// index=<name>; collect's info_* fields (addinfo) are not added.
func (e *Engine) collect(tb *splunkd.Table, args string, d Dispatch) (*splunkd.Table, error) {
	words, _, err := splunkd.Tokenize(args)
	if err != nil {
		return nil, fmt.Errorf("%w: collect: %w", ErrSyntax, err)
	}
	index := ""
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k != "index" {
			return nil, fmt.Errorf("%w: collect argument %q (the backtest knows index=<name> only)", ErrUnsupported, w)
		}
		index = v
	}
	if index == "" {
		return nil, fmt.Errorf("%w: collect needs index=<name>", ErrUnsupported)
	}
	stamp := d.Now
	if !d.Earliest.IsZero() {
		stamp = d.Earliest
	}
	fields := append([]string(nil), tb.Fields...)
	ti, ii := tb.Column("_time"), tb.Column("index")
	if ti < 0 {
		ti = len(fields)
		fields = append(fields, "_time")
	}
	if ii < 0 {
		ii = len(fields)
		fields = append(fields, "index")
	}
	stored := &splunkd.Table{Fields: fields}
	for _, row := range tb.Rows {
		r := make([]splunkd.Value, len(fields))
		copy(r, row)
		if len(r[ti]) == 0 {
			r[ti] = splunkd.Value{epochString(stamp)}
		}
		r[ii] = splunkd.Value{strings.ToLower(index)}
		stored.Rows = append(stored.Rows, r)
	}
	e.State.collect(index, stored)
	return tb, nil
}

// rowTime is row i's _time in epoch seconds (what commands write) or RFC
// 3339 (events files); NaN if it has none.
func rowTime(tb *splunkd.Table, i int) float64 {
	v := first(tb.Get(i, "_time"))
	if v == "" {
		return math.NaN()
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return float64(ts.UnixNano()) / 1e9
	}
	return math.NaN()
}

func first(v splunkd.Value) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// splitPipes cuts a query at the | outside double quotes; a subsearch
// ([...]) is refused, and so is a query that is not UTF-8: search values
// and field names become regular expressions (wildcard, fieldPattern), and
// regexp.MustCompile panics on invalid UTF-8 (FuzzEngineRun: "00=\xe8").
// Both Run and RunOn split here, after macro expansion.
func splitPipes(q string) ([]string, error) {
	if !utf8.ValidString(q) {
		return nil, fmt.Errorf("%w: the query is not valid UTF-8", ErrSyntax)
	}
	var segs []string
	start, quoted := 0, false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '[' && !quoted:
			return nil, fmt.Errorf("%w: subsearches ([...]) are not evaluated", ErrUnsupported)
		case c == '|' && !quoted:
			segs = append(segs, q[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, fmt.Errorf("%w: unterminated quote", ErrSyntax)
	}
	return append(segs, q[start:]), nil
}
