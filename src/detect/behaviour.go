package detect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ClientsFile is the lookup of the services' own clients:
// provider,company,process,path,comment,source.
const ClientsFile = "t1102_clients.csv"

// Behaviour holds the settings of judging behaviour over time and against
// the fleet (default/t1102.conf [alert], [polling] and [fleet]).
type Behaviour struct {
	// AlertRisk is the risk_score from which a row alerts ([alert]
	// risk_threshold): the only thing that decides it.
	AlertRisk int
	// PollThreshold is the Polling.Score from which requests count as
	// polling, over at least MinRequests requests ([polling]).
	PollThreshold float64
	MinRequests   int
	// Memory is how far back, in seconds, the state kept across scheduled
	// runs judges a process's requests ([polling] memory; one day by
	// default, at most MaxMemory).
	Memory float64
	Fleet  FleetRules
}

// MaxMemory is the longest memory allowed: seven days.
const MaxMemory = 7 * 86400

// FleetRules say when a pair of a process identity and a service is new,
// rare, common or established in the fleet ([fleet]). The thresholds are
// RITA's (../shared/reference/ONE-WAY-C2.md, "How the strongest tools
// decide"): prevalence at most 2 % rare, at least 50 % common; first seen
// within 7 days new, more than 30 days ago established.
type FleetRules struct {
	NewDays, OldDays float64
	// RarePrevalence is the share of the fleet's hosts at or under which a
	// pair is rare; RareHosts the count of hosts that is rare whatever the
	// fleet's size (in a fleet of 40, 2 % is less than one host).
	RarePrevalence   float64
	RareHosts        int
	CommonPrevalence float64
	// KeepDays is how long a pair no host showed stays in the baseline.
	KeepDays float64
}

// ClientRule says where a provider's own programs are installed: an
// executable whose PE CompanyName is Company (exactly, ignoring case),
// under Path, reaching a service of Provider is that service's own client.
// A rule with a Process names a client by file name: that name with the
// company's version info anywhere else is not the client (copied version
// info), which is a signal of its own.
type ClientRule struct {
	Provider, Company, Process string // Provider as the web-service lookup writes it; Process lower case
	Path                       *Glob
	Line                       int
	Ref                        string // "t1102_clients.csv:<line>"
}

func loadClients(path string) ([]ClientRule, error) {
	var out []ClientRule
	err := table(path, []string{"provider", "company", "process", "path"}, func(get func(string) string, line int) error {
		r := ClientRule{Provider: get("provider"), Company: get("company"), Process: strings.ToLower(get("process")),
			Line: line, Ref: ClientsFile + ":" + strconv.Itoa(line)}
		if r.Provider == "" || r.Company == "" {
			return fmt.Errorf("a rule needs a provider and a company")
		}
		if strings.ContainsAny(r.Process, `\/`) {
			return fmt.Errorf("process %q: want a file name without a path (put the path in the path column)", r.Process)
		}
		var err error
		if r.Path, err = optGlob("path", get("path")); err != nil {
			return err
		}
		if r.Path == nil {
			return fmt.Errorf("a rule needs a path: version info alone is anybody's to copy")
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// behaviourFrom reads [alert], [polling] and [fleet]; every key must be
// set (the shipped default file is where the defaults live).
func behaviourFrom(stanza func(string) (map[string]string, error), defaultPath string) (Behaviour, error) {
	var b Behaviour
	type key struct {
		stanza, name string
		lo, hi       float64
		whole        bool
		dst          func(float64)
	}
	keys := []key{
		{"alert", "risk_threshold", 1, 100, true, func(v float64) { b.AlertRisk = int(v) }},
		{"polling", "threshold", 0, 1, false, func(v float64) { b.PollThreshold = v }},
		{"polling", "min_requests", 3, 1000, true, func(v float64) { b.MinRequests = int(v) }},
		{"polling", "memory", 3600, MaxMemory, true, func(v float64) { b.Memory = v }},
		{"fleet", "new_days", 0, 365, false, func(v float64) { b.Fleet.NewDays = v }},
		{"fleet", "old_days", 1, 365, false, func(v float64) { b.Fleet.OldDays = v }},
		{"fleet", "rare_prevalence", 0, 1, false, func(v float64) { b.Fleet.RarePrevalence = v }},
		{"fleet", "rare_hosts", 0, 1e6, true, func(v float64) { b.Fleet.RareHosts = int(v) }},
		{"fleet", "common_prevalence", 0, 1, false, func(v float64) { b.Fleet.CommonPrevalence = v }},
		{"fleet", "keep_days", 1, 3650, false, func(v float64) { b.Fleet.KeepDays = v }},
	}
	read := map[string]map[string]string{}
	for _, k := range keys {
		kv, ok := read[k.stanza]
		if !ok {
			var err error
			if kv, err = stanza(k.stanza); err != nil {
				return b, err
			}
			read[k.stanza] = kv
		}
		raw, ok := kv[k.name]
		if !ok {
			return b, &CatalogError{File: defaultPath, Err: fmt.Errorf("%w: [%s] has no %s", ErrCatalog, k.stanza, k.name)}
		}
		val, line, path := splitConfValue(raw)
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(v) || v < k.lo || v > k.hi || k.whole && v != math.Trunc(v) {
			what := "a number"
			if k.whole {
				what = "a whole number"
			}
			return b, &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: [%s] %s = %q: want %s from %v to %v", ErrCatalog, k.stanza, k.name, val, what, k.lo, k.hi)}
		}
		k.dst(v)
	}
	for name, kv := range read {
		for k, raw := range kv {
			known := false
			for _, want := range keys {
				known = known || want.stanza == name && want.name == k
			}
			if !known {
				_, line, path := splitConfValue(raw)
				return b, &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: [%s] has unknown key %q", ErrCatalog, name, k)}
			}
		}
	}
	if b.Fleet.NewDays >= b.Fleet.OldDays {
		return b, &CatalogError{File: defaultPath, Err: fmt.Errorf("%w: [fleet] new_days (%v) must be less than old_days (%v)", ErrCatalog, b.Fleet.NewDays, b.Fleet.OldDays)}
	}
	return b, nil
}
