package backtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/splunkd"
)

// Options selects what a backtest replays.
type Options struct {
	// From and To bound the scheduled times: every minute t with
	// From <= t < To (From rounded up to a whole minute) is a tick of the
	// scheduler.
	From, To time.Time
	// Searches names the saved searches to run; empty runs every stanza
	// with enableSched = 1 (shipped disabled or not).
	Searches []string
	// Location is the search head's time zone, for cron and for snapping
	// time modifiers (default UTC).
	Location *time.Location
	// First names saved searches, scheduled or not, to run once at From
	// before the schedule starts, as a user runs a backfill by hand when
	// enabling the detection. Their results raise no alerts.
	First []string
}

// Alert is one alert the backtest raised: in per-result mode
// (alert.digest_mode = 0) one result's fields; in digest mode the first
// result's, with Results the number of results of the run.
type Alert struct {
	Time    time.Time // the scheduled time of the run that raised it
	Search  string
	Results int
	Fields  []string
	Values  []splunkd.Value
}

// Get returns the alert's value of field f (nil if absent).
func (a Alert) Get(f string) splunkd.Value {
	if i := slices.Index(a.Fields, f); i >= 0 {
		return a.Values[i]
	}
	return nil
}

// Stats counts one saved search's activity in a backtest.
type Stats struct {
	Search     string
	Runs       int // scheduled runs
	Results    int // results over all runs
	Triggered  int // runs whose alert condition held
	Alerts     int // alerts raised
	Suppressed int // alerts throttled (results in per-result mode, runs in digest mode)
}

// Report is a backtest's outcome: the alerts in the order raised, the
// statistics per search in run order, and the warnings and inspector
// messages of the runs.
type Report struct {
	Alerts   []Alert
	Stats    []Stats
	Messages []string
}

// Backtest replays the app's scheduled searches over the engine's events
// as splunkd's scheduler would (see [Run]).
//
// For each minute from opts.From to opts.To, every selected search whose
// cron_schedule matches runs, in the scheduler's priority order (see
// [SavedSearch] rank: schedule_priority and realtime_schedule, then name),
// with its dispatch window resolved against the scheduled time. The
// backtest never skips a run (as realtime_schedule = 0, continuous
// scheduling, promises; the real scheduler might skip under load with the
// default realtime_schedule = 1) and ignores schedule_window and
// allow_skew (they move a run within its period, not its window).
// Lookups and summary indexes written by one run are read by the later
// ones (the engine's State).
//
// Alerting follows savedsearches.conf.spec: the condition counttype
// relation quantity over the results (number of events; number of hosts
// and number of sources count distinct host and source values; always;
// custom runs alert_condition over the results and triggers when it gives
// any); alert.digest_mode = 1 raises one alert per triggered run, 0 one per
// result. Throttling (alert.suppress = 1) in per-result mode skips a
// result whose values of alert.suppress.fields equal those of an alert
// raised less than alert.suppress.period before (the same combination
// within one run included; Alerting Manual, "Throttle alerts",
// https://help.splunk.com/splunk-enterprise/alert-and-respond/alerting-manual/9.4/manage-alert-trigger-conditions-and-throttling/throttle-alerts).
// A result lacking one of the fields takes the empty value for it, so
// results lacking it share that part of the key: Splunk's documentation
// does not say, and this is the backtest's choice. In digest mode a run
// less than the period after the last alert is suppressed whole
// (alert.suppress.fields is not used). An alert raised at t suppresses
// until t + period, exclusive; suppressed alerts do not extend the period.
func Run(ctx context.Context, e *Engine, opts Options) (*Report, error) {
	if e == nil || e.App == nil || e.State == nil {
		return nil, fmt.Errorf("%w: the backtest needs an engine with an App and a State", ErrConf)
	}
	all, err := e.App.SavedSearches()
	if err != nil {
		return nil, err
	}
	searches := all
	if len(opts.Searches) > 0 {
		searches = nil
		for _, name := range opts.Searches {
			i := slices.IndexFunc(all, func(s *SavedSearch) bool { return s.Name == name })
			if i < 0 {
				return nil, fmt.Errorf("%w: no saved search %q with enableSched = 1 (scheduled: %s)", ErrConf, name, names(all))
			}
			if !slices.Contains(searches, all[i]) {
				searches = append(searches, all[i])
			}
		}
	}
	sort.SliceStable(searches, func(i, j int) bool {
		if a, b := searches[i].rank(), searches[j].rank(); a != b {
			return a < b
		}
		return searches[i].Name < searches[j].Name
	})
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	if e.Location == nil {
		e.Location = loc
	}
	if !opts.From.Before(opts.To) {
		return nil, fmt.Errorf("%w: the backtest's start %s is not before its end %s", ErrConf, opts.From.Format(time.RFC3339), opts.To.Format(time.RFC3339))
	}
	rep := &Report{}
	for _, name := range opts.First {
		s, err := e.App.SavedSearch(name)
		if err != nil {
			return nil, err
		}
		first := Stats{Search: name}
		once := *s
		once.IsAlert = false
		if err := runOnce(ctx, e, &once, opts.From.In(loc), loc, &first, nil, rep); err != nil {
			return nil, err
		}
		rep.Stats = append(rep.Stats, first)
	}
	stats := make([]Stats, len(searches))
	throttle := make([]map[string]time.Time, len(searches))
	for i, s := range searches {
		stats[i].Search = s.Name
		throttle[i] = map[string]time.Time{}
	}
	start := opts.From.In(loc).Truncate(time.Minute)
	if start.Before(opts.From) {
		start = start.Add(time.Minute)
	}
	for t := start; t.Before(opts.To); t = t.Add(time.Minute) {
		local := t.In(loc)
		for i, s := range searches {
			if !s.Cron.Match(local) {
				continue
			}
			if err := runOnce(ctx, e, s, local, loc, &stats[i], throttle[i], rep); err != nil {
				return nil, err
			}
		}
	}
	rep.Stats = append(rep.Stats, stats...)
	rep.Messages = e.Messages
	return rep, nil
}

func names(ss []*SavedSearch) string {
	var n []string
	for _, s := range ss {
		n = append(n, fmt.Sprintf("%q", s.Name))
	}
	if n == nil {
		return "none"
	}
	return strings.Join(n, ", ")
}

// runOnce runs search s scheduled at t and raises its alerts.
func runOnce(ctx context.Context, e *Engine, s *SavedSearch, t time.Time, loc *time.Location, st *Stats, last map[string]time.Time, rep *Report) error {
	fail := func(err error) error {
		var se *SearchError
		if errors.As(err, &se) && se.Scheduled.IsZero() {
			se.Scheduled = t
			return err
		}
		return &SearchError{Search: s.Name, Scheduled: t, Err: err}
	}
	d, err := s.dispatch(t, loc)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrConf, err))
	}
	res, err := e.Run(ctx, s.Search, d)
	if err != nil {
		return fail(err)
	}
	st.Runs++
	st.Results += res.Len()
	if !s.IsAlert {
		return nil
	}
	ok, err := s.triggered(ctx, e, res, d)
	if err != nil {
		return fail(err)
	}
	if !ok {
		return nil
	}
	st.Triggered++
	suppressed := func(key string) bool {
		if !s.Suppress {
			return false
		}
		if at, seen := last[key]; seen && t.Before(at.Add(s.SuppressPeriod)) {
			return true
		}
		return false
	}
	if s.Digest {
		if suppressed("") {
			st.Suppressed++
			return nil
		}
		last[""] = t
		a := Alert{Time: t, Search: s.Name, Results: res.Len()}
		if res.Len() > 0 {
			a.Fields, a.Values = res.Fields, res.Rows[0]
		}
		rep.Alerts = append(rep.Alerts, a)
		st.Alerts++
		return nil
	}
	for i := range res.Rows {
		key := suppressKey(res, i, s.SuppressFields)
		if suppressed(key) {
			st.Suppressed++
			continue
		}
		last[key] = t
		rep.Alerts = append(rep.Alerts, Alert{Time: t, Search: s.Name, Results: 1, Fields: res.Fields, Values: res.Rows[i]})
		st.Alerts++
	}
	return nil
}

// suppressKey joins row i's values of fields (a multivalue's values joined
// by newlines, a missing field empty) with a separator no value holds.
func suppressKey(tb *splunkd.Table, i int, fields []string) string {
	parts := make([]string, len(fields))
	for j, f := range fields {
		parts[j] = strconv.Quote(strings.Join(tb.Get(i, f), "\n"))
	}
	return strings.Join(parts, ",")
}

// triggered evaluates the alert condition over a run's results.
func (s *SavedSearch) triggered(ctx context.Context, e *Engine, res *splunkd.Table, d Dispatch) (bool, error) {
	var n int
	switch s.CountType {
	case "always":
		return true, nil
	case "custom":
		out, err := e.RunOn(ctx, s.AlertCondition, res, d)
		if err != nil {
			return false, fmt.Errorf("alert_condition: %w", err)
		}
		return out.Len() > 0, nil
	case "number of events":
		n = res.Len()
	case "number of hosts", "number of sources":
		f := "host"
		if s.CountType == "number of sources" {
			f = "source"
		}
		seen := map[string]bool{}
		for i := range res.Rows {
			for _, v := range res.Get(i, f) {
				seen[v] = true
			}
		}
		n = len(seen)
	}
	switch s.Relation {
	case "greater than":
		return n > s.Quantity, nil
	case "less than":
		return n < s.Quantity, nil
	case "equal to":
		return n == s.Quantity, nil
	}
	return n != s.Quantity, nil
}

// RunOn runs pipeline (commands separated by |, the first one named or an
// implicit search) over input, as alert_condition is run over a search's
// results.
func (e *Engine) RunOn(ctx context.Context, pipeline string, input *splunkd.Table, d Dispatch) (*splunkd.Table, error) {
	if e.App == nil || e.State == nil {
		return nil, &SearchError{Search: d.Search, Err: fmt.Errorf("%w: the engine needs an App and a State", ErrConf)}
	}
	if input == nil {
		input = &splunkd.Table{}
	}
	expanded, err := e.App.ExpandMacros(pipeline)
	if err != nil {
		return nil, &SearchError{Search: d.Search, Err: err}
	}
	segs, err := splitPipes(expanded)
	if err != nil {
		return nil, &SearchError{Search: d.Search, Err: err}
	}
	if e.Ran == nil {
		e.Ran = map[string]int{}
	}
	tb := input
	for i, seg := range segs {
		if i == 0 && strings.TrimSpace(seg) == "" {
			continue
		}
		if i == 0 {
			word, _, _ := strings.Cut(strings.TrimSpace(seg), " ")
			if !knownCommand(word) {
				if _, ok, _ := e.commandArgv(word); !ok {
					seg = "search " + seg
				}
			}
		}
		if tb, err = e.step(ctx, seg, tb, false, expanded, d); err != nil {
			return nil, &SearchError{Search: d.Search, Segment: i + 1, Text: seg, Err: err}
		}
	}
	return tb, nil
}

func knownCommand(w string) bool {
	switch w {
	case "search", "where", "sort", "fields", "table", "head", "eval", "inputlookup", "outputlookup", "collect", "fieldformat", "timechart":
		return true
	}
	return false
}
