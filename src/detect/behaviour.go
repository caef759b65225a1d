package detect

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
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

func (c *Catalog) loadClients(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		r := ClientRule{Provider: get("provider"), Company: get("company"), Process: strings.ToLower(get("process")),
			Line: line, Ref: filepath.Base(path) + ":" + strconv.Itoa(line)}
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
		c.Clients = append(c.Clients, r)
		return nil
	})
}

// behaviourKey is one setting of [alert], [polling] or [fleet]: a number
// within lo–hi (whole or not) and where it goes.
type behaviourKey struct {
	stanza, name string
	lo, hi       float64
	whole        bool
	dst          func(*Behaviour, float64)
}

var behaviourKeys = []behaviourKey{
	{"alert", "risk_threshold", 1, 100, true, func(b *Behaviour, v float64) { b.AlertRisk = int(v) }},
	{"polling", "threshold", 0, 1, false, func(b *Behaviour, v float64) { b.PollThreshold = v }},
	{"polling", "min_requests", 4, 1000, true, func(b *Behaviour, v float64) { b.MinRequests = int(v) }},
	{"polling", "memory", 3600, MaxMemory, true, func(b *Behaviour, v float64) { b.Memory = v }},
	{"fleet", "new_days", 0, 365, false, func(b *Behaviour, v float64) { b.Fleet.NewDays = v }},
	{"fleet", "old_days", 1, 365, false, func(b *Behaviour, v float64) { b.Fleet.OldDays = v }},
	{"fleet", "rare_prevalence", 0, 1, false, func(b *Behaviour, v float64) { b.Fleet.RarePrevalence = v }},
	{"fleet", "rare_hosts", 0, 1e6, true, func(b *Behaviour, v float64) { b.Fleet.RareHosts = int(v) }},
	{"fleet", "common_prevalence", 0, 1, false, func(b *Behaviour, v float64) { b.Fleet.CommonPrevalence = v }},
	{"fleet", "keep_days", 1, 3650, false, func(b *Behaviour, v float64) { b.Fleet.KeepDays = v }},
}

// behaviourStanza is the confStanza of [alert], [polling] or [fleet]:
// every key must be set (default/t1102.conf is where the defaults live).
func behaviourStanza(name string) confStanza {
	return confStanza{name: name, expect: "one of its keys (README/t1102.conf.spec)",
		known: func(_ *Catalog, key string, _ bool) bool {
			return slices.ContainsFunc(behaviourKeys, func(k behaviourKey) bool { return k.stanza == name && k.name == key })
		},
		apply: func(c *Catalog, kv map[string]confValue, defaults string) error {
			for _, k := range behaviourKeys {
				if k.stanza != name {
					continue
				}
				v, ok := kv[k.name]
				if !ok {
					return &CatalogError{File: defaults, Err: fmt.Errorf("%w: [%s] has no %s", ErrCatalog, name, k.name)}
				}
				f, err := strconv.ParseFloat(v.val, 64)
				if err != nil || math.IsNaN(f) || f < k.lo || f > k.hi || k.whole && f != math.Trunc(f) {
					what := "a number"
					if k.whole {
						what = "a whole number"
					}
					return &CatalogError{File: v.file, Line: v.line, Err: fmt.Errorf("%w: [%s] %s = %q: want %s from %v to %v", ErrCatalog, name, k.name, v.val, what, k.lo, k.hi)}
				}
				k.dst(&c.Behaviour, f)
			}
			if f := c.Behaviour.Fleet; name == "fleet" && f.NewDays >= f.OldDays {
				return &CatalogError{File: defaults, Err: fmt.Errorf("%w: [fleet] new_days (%v) must be less than old_days (%v)", ErrCatalog, f.NewDays, f.OldDays)}
			}
			return nil
		}}
}
