// Package fleet writes the Sysmon events of a simulated fleet over days
// from a description of who runs what (testdata/fleet/actors.csv): the
// ordinary software that polls web services all day and the implants that
// poll them for instructions, each labelled. The backtest of the app's
// schedule runs over it (src/backtest's fleet test, make bench).
//
// Events are what Sysmon logs: a process creation (1) per process, and for
// each request a connection (3, DestinationHostname empty, as it usually
// is) after a DNS query (22) when the process has not asked for the name
// in the last half hour (the resolver's cache). Everything is derived from
// a seed: the same description and seed give the same events.
package fleet

import (
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/splunkd"
)

// Actor is one row of the description: a program on some hosts and how it
// reaches one web service.
type Actor struct {
	Label, Name                            string // Label: benign or implant
	Hosts                                  []string
	Image, Company, OFN, Cmd, Parent, User string // {user} stands for the host's user
	ServiceHost, IP                        string
	Mode                                   string  // process (one process polls), relaunch (a new process per request), random (requests at random times)
	Period, Jitter                         float64 // seconds; a fraction of the period
	Symmetric                              bool    // jitter in [(1−j)·P, (1+j)·P]; else Cobalt Strike's [(1−j)·P, P]
	StartDay, StartHour                    int
	WorkHours                              bool // active 8:00–18:00 on weekdays only (a new process each morning)
	HistoryDays                            int  // days of sparse history before the start, for the baseline's backfill
	// FirstAfter is how long after its start a process first asks the
	// service (optional column first_request_after, seconds): past an hour,
	// the run that sees the process's creation sees none of its requests.
	FirstAfter float64
	Comment    string
}

// Hosts is the simulated fleet: 40 workstations, 4 developers' machines,
// 3 build servers and 5 servers.
func Hosts() []string {
	var hs []string
	for _, g := range []struct {
		prefix string
		n      int
	}{{"WKS", 40}, {"DEV", 4}, {"BLD", 3}, {"SRV", 5}} {
		for i := 1; i <= g.n; i++ {
			hs = append(hs, fmt.Sprintf("%s-%02d", g.prefix, i))
		}
	}
	return hs
}

// User is the account of a host's user.
func User(host string) string { return "u" + strings.ToLower(strings.ReplaceAll(host, "-", "")) }

// Load reads a description (CSV with a header); host patterns (";"
// separated, * wildcards) are matched against Hosts.
func Load(file string) ([]Actor, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, want := range []string{"label", "name", "hosts", "image", "company", "ofn", "command_line", "parent", "user", "service_host", "ip",
		"mode", "period", "jitter", "jitter_kind", "start_day", "start_hour", "active", "history_days", "comment"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("%s:1: no column %q", file, want)
		}
	}
	var out []Actor
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		get := func(c string) string { return rec[col[c]] }
		num := func(c string) (float64, error) {
			v, err := strconv.ParseFloat(get(c), 64)
			if err != nil {
				return 0, fmt.Errorf("%s:%d: %s %q: %w", file, line, c, get(c), err)
			}
			return v, nil
		}
		a := Actor{Label: get("label"), Name: get("name"), Image: get("image"), Company: get("company"), OFN: get("ofn"), Cmd: get("command_line"),
			Parent: get("parent"), User: get("user"), ServiceHost: get("service_host"), IP: get("ip"), Mode: get("mode"),
			Symmetric: get("jitter_kind") != "cobalt", WorkHours: get("active") == "workhours", Comment: get("comment")}
		if a.Label != "benign" && a.Label != "implant" {
			return nil, fmt.Errorf("%s:%d: label %q: want benign or implant", file, line, a.Label)
		}
		if a.Mode != "process" && a.Mode != "relaunch" && a.Mode != "random" {
			return nil, fmt.Errorf("%s:%d: mode %q: want process, relaunch or random", file, line, a.Mode)
		}
		var v [5]float64
		for i, c := range []string{"period", "jitter", "start_day", "start_hour", "history_days"} {
			if v[i], err = num(c); err != nil {
				return nil, err
			}
		}
		a.Period, a.Jitter, a.StartDay, a.StartHour, a.HistoryDays = v[0], v[1], int(v[2]), int(v[3]), int(v[4])
		if i, ok := col["first_request_after"]; ok && rec[i] != "" {
			if a.FirstAfter, err = num("first_request_after"); err != nil {
				return nil, err
			}
		}
		if a.Period <= 0 {
			return nil, fmt.Errorf("%s:%d: period must be positive", file, line)
		}
		for _, pat := range strings.Split(get("hosts"), ";") {
			for _, h := range Hosts() {
				if ok, _ := path.Match(strings.TrimSpace(pat), h); ok && !contains(a.Hosts, h) {
					a.Hosts = append(a.Hosts, h)
				}
			}
		}
		if len(a.Hosts) == 0 {
			return nil, fmt.Errorf("%s:%d: hosts %q match none of the fleet's", file, line, get("hosts"))
		}
		out = append(out, a)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Fields are the columns of the events, as Splunk extracts them from
// Sysmon's XmlWinEventLog.
var Fields = []string{"_time", "host", "EventCode", "ProcessGuid", "ProcessId", "Image", "OriginalFileName", "Company", "CommandLine",
	"ParentImage", "User", "DestinationHostname", "DestinationIp", "DestinationPort", "QueryName", "QueryResults"}

// Request is one request of an actor on a host, for the labels.
type Request struct {
	Actor *Actor
	Host  string
	Time  time.Time
}

// Fleet is what Generate made.
type Fleet struct {
	Events   *splunkd.Table // sorted by time
	Requests []Request      // the dense window's requests, by actor and host, in time order
}

type event struct {
	t    time.Time
	cols []string
}

// Generate writes the events of the actors from start for days (and
// their history before start), with seed.
func Generate(actors []Actor, start time.Time, days int, seed int64) *Fleet {
	var evs []event
	fl := &Fleet{}
	end := start.Add(time.Duration(days) * 24 * time.Hour)
	for ai := range actors {
		a := &actors[ai]
		for _, host := range a.Hosts {
			g := &gen{a: a, host: host, rng: rand.New(rand.NewSource(seed ^ int64(hash(a.Name+"|"+host))))}
			g.history(start)
			g.dense(start, end, a.StartDay)
			evs = append(evs, g.evs...)
			for _, t := range g.reqs {
				fl.Requests = append(fl.Requests, Request{Actor: a, Host: host, Time: t})
			}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].t.Before(evs[j].t) })
	tb := &splunkd.Table{Fields: Fields}
	for _, e := range evs {
		row := make([]splunkd.Value, len(Fields))
		row[0] = splunkd.Value{e.t.UTC().Format("2006-01-02T15:04:05.000Z")}
		for i, c := range e.cols {
			if c != "" {
				row[i+1] = splunkd.Value{c}
			}
		}
		tb.Rows = append(tb.Rows, row)
	}
	fl.Events = tb
	return fl
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// gen makes one actor's events on one host.
type gen struct {
	a         *Actor
	host      string
	rng       *rand.Rand
	evs       []event
	reqs      []time.Time // dense requests
	guid      string
	pid       int
	lastQuery time.Time
	n         int
}

func (g *gen) expand(s string) string { return strings.ReplaceAll(s, "{user}", User(g.host)) }

// process starts a new process at t.
func (g *gen) process(t time.Time) {
	g.n++
	h := hash(g.a.Name + "|" + g.host + "|" + strconv.Itoa(g.n))
	g.guid = fmt.Sprintf("{%08x-%04x-%04x-%04x-%012x}", uint32(h), uint16(h>>32), uint16(h>>48)|0x6000&0x6fff, uint16(g.n), h&0xffffffffffff)
	g.pid = 1000 + int(h%60000)
	g.lastQuery = time.Time{}
	g.evs = append(g.evs, event{t, []string{g.host, "1", g.guid, strconv.Itoa(g.pid), g.expand(g.a.Image), g.a.OFN, g.a.Company,
		g.expand(g.a.Cmd), g.expand(g.a.Parent), g.expand(g.a.User), "", "", "", "", ""}})
}

// request asks the service at t: a DNS query when the cache has expired,
// then a connection.
func (g *gen) request(t time.Time, dense bool) {
	img, user := g.expand(g.a.Image), g.expand(g.a.User)
	if g.lastQuery.IsZero() || t.Sub(g.lastQuery) > 30*time.Minute {
		g.evs = append(g.evs, event{t, []string{g.host, "22", g.guid, strconv.Itoa(g.pid), img, "", "", "", "", user, "", "", "",
			g.a.ServiceHost, "::ffff:" + g.a.IP + ";"}})
		g.lastQuery = t
	}
	ct := t.Add(time.Duration(50+g.rng.Intn(250)) * time.Millisecond)
	g.evs = append(g.evs, event{ct, []string{g.host, "3", g.guid, strconv.Itoa(g.pid), img, "", "", "", "", user, "", g.a.IP, "443", "", ""}})
	if dense {
		g.reqs = append(g.reqs, t)
	}
}

// history: one process and one request a day at about noon, for the
// backfill.
func (g *gen) history(start time.Time) {
	for d := g.a.HistoryDays; d >= 1; d-- {
		t := start.Add(-time.Duration(d)*24*time.Hour + 12*time.Hour + time.Duration(g.rng.Intn(3600))*time.Second)
		g.process(t)
		g.request(t.Add(time.Duration(1+g.rng.Intn(30))*time.Second), false)
	}
}

// sleep is the next interval.
func (g *gen) sleep() time.Duration {
	p, j := g.a.Period, g.a.Jitter
	var s float64
	switch {
	case g.a.Mode == "random":
		s = g.rng.ExpFloat64() * p
	case g.a.Symmetric:
		s = p * (1 + j*(2*g.rng.Float64()-1))
	default:
		s = p * (1 - j*g.rng.Float64())
	}
	return time.Duration(math.Max(s, 1) * float64(time.Second))
}

func (g *gen) dense(start, end time.Time, startDay int) {
	if !g.a.WorkHours {
		t := start.Add(time.Duration(startDay)*24*time.Hour + time.Duration(g.a.StartHour)*time.Hour + time.Duration(g.rng.Intn(1800))*time.Second)
		if g.a.Mode != "relaunch" {
			g.process(t)
			t = t.Add(time.Duration(g.a.FirstAfter * float64(time.Second)))
		}
		for ; t.Before(end); t = t.Add(g.sleep()) {
			if g.a.Mode == "relaunch" {
				g.process(t)
				g.request(t.Add(time.Duration(1+g.rng.Intn(5))*time.Second), true)
				continue
			}
			g.request(t, true)
		}
		return
	}
	for day := start.Add(time.Duration(startDay) * 24 * time.Hour); day.Before(end); day = day.Add(24 * time.Hour) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		t := day.Add(time.Duration(max(g.a.StartHour, 8))*time.Hour + time.Duration(g.rng.Intn(1800))*time.Second)
		stop := day.Add(18 * time.Hour)
		g.process(t)
		for t = t.Add(time.Duration(5+g.rng.Intn(60))*time.Second + time.Duration(g.a.FirstAfter*float64(time.Second))); t.Before(stop) && t.Before(end); t = t.Add(g.sleep()) {
			g.request(t, true)
		}
	}
}

// WriteCSV writes the events as CSV, the form backtest.ReadEvents and
// splunkdemu read (one value per cell: the events have no multivalues).
func WriteCSV(w io.Writer, tb *splunkd.Table) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(tb.Fields); err != nil {
		return err
	}
	rec := make([]string, len(tb.Fields))
	for _, row := range tb.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) && len(row[i]) > 0 {
				rec[i] = row[i][0]
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
