package backtest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SavedSearch is a scheduled search of savedsearches.conf, its keys merged
// from [default], then the stanza, default/ then local/ key by key.
type SavedSearch struct {
	Name   string
	Search string
	Cron   *Cron
	// EarliestTime and LatestTime are dispatch.earliest_time and
	// dispatch.latest_time, relative to the scheduled time; "" means all
	// time before, and the scheduled time itself.
	EarliestTime, LatestTime string
	Disabled                 bool // disabled = 1: run anyway (the backtest tries what is not enabled yet)
	Realtime                 bool // realtime_schedule (default true)
	Priority                 string

	// Alerting. IsAlert: counttype or alert_condition is set; otherwise
	// the search is a report and raises nothing.
	IsAlert        bool
	CountType      string // number of events, number of hosts, number of sources, custom, always
	Relation       string // greater than, less than, equal to, not equal to
	Quantity       int
	AlertCondition string
	Digest         bool // alert.digest_mode (default true): one alert per run, else one per result
	Suppress       bool
	SuppressFields []string
	SuppressPeriod time.Duration
}

// SavedSearches returns the app's stanzas with enableSched = 1, sorted by
// name, their settings checked: what the backtest cannot honour is an
// error (relation drops by / rises by, which compare with the previous
// run, are refused; so is per-result throttling without
// alert.suppress.fields, which savedsearches.conf.spec requires).
func (a *App) SavedSearches() ([]*SavedSearch, error) {
	var out []*SavedSearch
	defaults := a.saved.stanzas["default"]
	for _, name := range a.saved.order {
		if name == "default" {
			continue
		}
		kv := map[string]string{}
		for k, v := range defaults {
			kv[k] = v
		}
		for k, v := range a.saved.stanzas[name] {
			kv[k] = v
		}
		if !isTrue(kv["enableSched"]) {
			continue
		}
		s, err := newSavedSearch(name, kv)
		if err != nil {
			return nil, fmt.Errorf("%w: savedsearches.conf [%s]: %w", ErrConf, name, err)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SavedSearch returns the saved search name, scheduled or not (a search
// that is run by hand, such as a backfill).
func (a *App) SavedSearch(name string) (*SavedSearch, error) {
	if _, ok := a.saved.stanzas[name]; !ok || name == "default" {
		return nil, fmt.Errorf("%w: savedsearches.conf has no [%s]", ErrConf, name)
	}
	kv := map[string]string{}
	for k, v := range a.saved.stanzas["default"] {
		kv[k] = v
	}
	for k, v := range a.saved.stanzas[name] {
		kv[k] = v
	}
	s, err := newSavedSearch(name, kv)
	if err != nil {
		return nil, fmt.Errorf("%w: savedsearches.conf [%s]: %w", ErrConf, name, err)
	}
	return s, nil
}

func isTrue(v string) bool {
	b, err := parseBool(strings.TrimSpace(v))
	return err == nil && b
}

func newSavedSearch(name string, kv map[string]string) (*SavedSearch, error) {
	s := &SavedSearch{
		Name: name, Search: kv["search"],
		EarliestTime: kv["dispatch.earliest_time"], LatestTime: kv["dispatch.latest_time"],
		Disabled: isTrue(kv["disabled"]), Realtime: true, Priority: kv["schedule_priority"],
		Digest: true,
	}
	if strings.TrimSpace(s.Search) == "" {
		return nil, fmt.Errorf("no search")
	}
	cronText, ok := kv["cron_schedule"]
	if !ok && isTrue(kv["enableSched"]) {
		return nil, fmt.Errorf("enableSched = 1 without cron_schedule")
	}
	var err error
	if ok {
		if s.Cron, err = ParseCron(cronText); err != nil {
			return nil, err
		}
	}
	if v, ok := kv["realtime_schedule"]; ok {
		s.Realtime = isTrue(v)
	}
	switch s.Priority {
	case "", "default", "higher", "highest":
	default:
		return nil, fmt.Errorf("schedule_priority = %q: want default, higher or highest", s.Priority)
	}
	if v, ok := kv["alert.digest_mode"]; ok {
		s.Digest = isTrue(v)
	}
	ct, hasCT := kv["counttype"]
	s.AlertCondition = strings.TrimSpace(kv["alert_condition"])
	s.IsAlert = hasCT || s.AlertCondition != ""
	if !s.IsAlert {
		return s, nil
	}
	s.CountType = strings.TrimSpace(ct)
	if s.CountType == "" {
		s.CountType = "always"
		if s.AlertCondition != "" {
			s.CountType = "custom"
		}
	}
	switch s.CountType {
	case "always":
	case "custom":
		if s.AlertCondition == "" {
			return nil, fmt.Errorf("counttype = custom without alert_condition")
		}
	case "number of events", "number of hosts", "number of sources":
		s.Relation = strings.TrimSpace(kv["relation"])
		switch s.Relation {
		case "greater than", "less than", "equal to", "not equal to":
		case "drops by", "rises by":
			return nil, fmt.Errorf("%w: relation = %s (compares with the previous run)", ErrUnsupported, s.Relation)
		default:
			return nil, fmt.Errorf("relation = %q: want greater than, less than, equal to or not equal to", s.Relation)
		}
		q, err := strconv.Atoi(strings.TrimSpace(kv["quantity"]))
		if err != nil {
			return nil, fmt.Errorf("quantity = %q: want an integer", kv["quantity"])
		}
		s.Quantity = q
	default:
		return nil, fmt.Errorf("counttype = %q", s.CountType)
	}
	s.Suppress = isTrue(kv["alert.suppress"])
	if s.Suppress {
		if s.SuppressPeriod, err = ParseDuration(kv["alert.suppress.period"]); err != nil || s.SuppressPeriod <= 0 {
			return nil, fmt.Errorf("alert.suppress.period = %q: want a positive period such as 60, 1m, 24h", kv["alert.suppress.period"])
		}
		for _, f := range strings.Split(kv["alert.suppress.fields"], ",") {
			if f = strings.TrimSpace(f); f != "" {
				s.SuppressFields = append(s.SuppressFields, f)
			}
		}
		if !s.Digest && len(s.SuppressFields) == 0 {
			return nil, fmt.Errorf("alert.suppress = 1 with alert.digest_mode = 0 needs alert.suppress.fields")
		}
	}
	return s, nil
}

// rank orders searches due in the same minute as splunkd's scheduler
// prioritises them (savedsearches.conf.spec, schedule_priority: "RTSS(H) >
// CSS(H) > RTSS(h) > RTSS(d) > CSS(h) > CSS(d)"; RTSS real-time scheduled,
// realtime_schedule = 1, CSS continuous); ties run in name order.
func (s *SavedSearch) rank() int {
	order := []string{"rt highest", "c highest", "rt higher", "rt default", "c higher", "c default"}
	kind := "c "
	if s.Realtime {
		kind = "rt "
	}
	p := s.Priority
	if p == "" {
		p = "default"
	}
	return slices.Index(order, kind+p)
}

// dispatch resolves the search's time range for a run scheduled at t: the
// scheduled time is the "now" of its relative time modifiers.
func (s *SavedSearch) dispatch(t time.Time, loc *time.Location) (Dispatch, error) {
	d := Dispatch{Search: s.Name, Now: t, Latest: t}
	var err error
	if e := strings.TrimSpace(s.EarliestTime); e != "" {
		if d.Earliest, err = ParseTime(e, t, loc); err != nil {
			return d, fmt.Errorf("dispatch.earliest_time: %w", err)
		}
	}
	if l := strings.TrimSpace(s.LatestTime); l != "" {
		if d.Latest, err = ParseTime(l, t, loc); err != nil {
			return d, fmt.Errorf("dispatch.latest_time: %w", err)
		}
	}
	return d, nil
}
