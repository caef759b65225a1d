package detect

import (
	"math"
	"strconv"
	"strings"
)

// Activity is what one process identity did with one web service: the
// process's fields, the service's hosts it asked for or connected to, and
// when. t1102correlate builds one per process (or per identity of
// relaunched processes, from the state kept across scheduled runs) and
// service; [Scorer.Judge] turns it into a verdict.
type Activity struct {
	// Process holds the process's fields (Host, User, Image, ParentImage,
	// OriginalFileName, Description, Product, Company, CommandLine);
	// EventCode, DestinationHostname and QueryName stay empty.
	Process Event
	// Category is the service category judged ("": the command line's own).
	Category string
	// Hosts are the service's hosts the process reached, the most
	// requested first.
	Hosts [][]byte
	// Requests are the times (epoch seconds, any order) of its requests to
	// the service: connections, or DNS queries when it made no connection.
	Requests []float64
	// Instances is how many processes (ProcessGuids) the identity stands
	// for: a scheduled task relaunched every hour is one identity.
	Instances int
	// Fleet is the baseline's view of the pair of this identity and
	// service; nil when there is no baseline.
	Fleet *FleetView
	// Task is the scheduled task that runs the identity, or whose
	// creation this activity is (then Requests is empty and Process holds
	// the task's action); nil when none is known.
	Task *Task
}

// FleetView is what the fleet baseline knows of one pair of process
// identity and service.
type FleetView struct {
	Hosts      int     // hosts that showed the pair (0: the baseline has not seen it)
	FleetHosts int     // hosts in the baseline
	FirstSeen  float64 // when the fleet first showed the pair, epoch seconds (0: never)
	Now        float64 // the time judged at
}

// Judge judges one process identity's activity with one service: the
// command line's evidence as [Scorer.Score] finds it, then polling, the
// program's identity (is it the service's own client, where it belongs)
// and the fleet. Raising signals always count; lowering ones (context,
// own client, a common or established pair) never apply to a process that
// runs what it fetched, asks a command endpoint, is a renamed binary or
// runs from outside its expected path. The result is valid until the next
// call.
func (s *Scorer) Judge(a *Activity) *Result {
	ev := &a.Process
	// The row's service comes first: from the command line when it names
	// it (its URL, raw content and endpoints count as written), else from
	// the hosts reached, which are scanned after the command line. Only
	// when the command line names another service first is it scored
	// again with the row's host ahead of it.
	r := s.score(ev, nil, a.Hosts)
	if a.Category != "" && r.Category != a.Category && len(a.Hosts) > 0 {
		r = s.score(ev, a.Hosts[0], a.Hosts[1:])
	}
	b := &s.d.cat.Behaviour
	w := &s.d.cat.Weights
	if r.Category != "" {
		r.Poll = Poll(a.Requests, b.MinRequests, b.PollThreshold)
		if p := r.Poll; p.Regular && !r.Polled {
			r.Polled = true
			host := ""
			if len(a.Hosts) > 0 {
				host = string(a.Hosts[0])
			}
			s.reason(w.Polling, "polls ", host, " every ", duration(p.Interval), " (", strconv.Itoa(p.Count), " requests, regularity ", ftoa(p.Score), ")")
		}
		if t := a.Task; t != nil {
			r.Task = t
			s.task(t)
		}
		if a.Instances > 1 {
			r.Instances = a.Instances
			s.reason(0, strconv.Itoa(a.Instances), " processes of one image and command line (relaunched)")
		}
		s.client(ev)
	}
	s.finishWith(ev, a.Fleet)
	return r
}

// task weighs what a scheduled task's definition says: it names the
// task, who made it and as whom it runs; a repetition is polling declared
// in advance (the Task Scheduler will ask the service every interval
// whether or not anyone watches), and a hidden task hides as a hidden
// window does.
func (s *Scorer) task(t *Task) {
	r, w := &s.r, &s.d.cat.Weights
	who := ""
	if t.Author != "" {
		who = " by " + t.Author
	}
	as := ""
	if t.RunAs != "" {
		as = ", runs as " + t.RunAs
	}
	s.reason(0, "scheduled task ", taskName(t), " created", who, as, " (", t.Source, ")")
	s.declared(t)
	if t.Hidden && !r.HiddenWindow {
		r.HiddenWindow = true
		s.reason(w.HiddenWindow, "hidden task")
	}
}

// declared counts a task's repetition as polling, unless the requests
// already showed it.
func (s *Scorer) declared(t *Task) {
	r := &s.r
	if t.Every <= 0 || r.Polled {
		return
	}
	r.Polled = true
	s.reason(s.d.cat.Weights.Polling, "declared polling: task ", taskName(t), " repeats every ", duration(t.Every))
}

func taskName(t *Task) string {
	if t.Name == "" {
		return "(unnamed)"
	}
	return t.Name
}

// client finds whether a program that is no interpreter or LOLBin is the
// service's own: the provider's company in its version info, where the
// provider installs it. A rule naming the program by file name whose path
// does not match says the version info was copied: a signal of its own.
func (s *Scorer) client(ev *Event) {
	r := &s.r
	company := strings.TrimSpace(string(ev.Company))
	if r.Suspicious || r.PEName != "" || company == "" || company == "-" {
		return
	}
	image := trimSpace(ev.Image)
	// A client by file name with its company's version info is checked
	// for where it is, whatever service it reached: a copied Notion.exe
	// polling Telegram is as misplaced as one polling Notion.
	misplaced, placed := "", false
	for i := range s.d.cat.Clients {
		c := &s.d.cat.Clients[i]
		if !strings.EqualFold(c.Company, company) || c.Process != "" && c.Process != string(r.Process) {
			continue
		}
		if c.Path.Match(image) {
			placed = true
			if strings.EqualFold(c.Provider, r.Provider) {
				r.OwnClient = c.Ref
			}
		} else if c.Process != "" && misplaced == "" {
			misplaced = c.Ref
		}
	}
	if placed {
		return
	}
	if misplaced != "" && r.UnexpectedPath == "" {
		r.UnexpectedPath = misplaced
		s.reason(s.d.cat.Weights.UnexpectedPath, string(r.Process), " with ", company, "'s version info outside where it is installed (", misplaced, ")")
	}
}

// fleet weighs the baseline's view of the pair; lower says whether
// lowering signals may apply.
func (s *Scorer) fleet(f *FleetView, lower bool) {
	r := &s.r
	if f == nil || f.FleetHosts <= 0 || r.Category == "" {
		return
	}
	r.Fleet = f
	rules, w := &s.d.cat.Behaviour.Fleet, &s.d.cat.Weights
	hosts := max(f.Hosts, 1) // this host shows it, whether or not the baseline has seen it yet
	age := math.Inf(1)
	if f.FirstSeen > 0 {
		age = max(0, f.Now-f.FirstSeen)
	}
	of := strconv.Itoa(hosts) + " of " + strconv.Itoa(f.FleetHosts) + " hosts"
	// New and rare weigh behaviour, as RITA weighs a beacon's prevalence:
	// a rare program that reached a service now and then says little; one
	// that polls it, or runs or asks for commands from it, is the pattern.
	raise := r.Polled || r.DownloadExecute != "" || r.CommandEndpoint || r.RawContent
	isNew := f.FirstSeen == 0 || age <= rules.NewDays*86400
	rare := hosts <= rules.RareHosts || float64(hosts) <= rules.RarePrevalence*float64(f.FleetHosts)
	if raise && isNew {
		r.NewPair = true
		if f.FirstSeen == 0 {
			s.reason(w.NewPair, "new in the fleet: not in the baseline")
		} else {
			s.reason(w.NewPair, "new in the fleet: first seen ", duration(age), " ago")
		}
	}
	if raise && rare {
		r.RarePair = true
		s.reason(w.RarePair, "rare in the fleet: ", of)
	}
	// An interpreter or LOLBin is the same program whatever it runs: that
	// PowerShell is common and old in the fleet says nothing of this
	// script, so the fleet lowers only what the program itself is.
	if !lower || r.Suspicious {
		return
	}
	// A new pair on many hosts at once (a campaign, a worm) stays
	// suspicious: being common lowers only what is not new.
	if float64(hosts) >= rules.CommonPrevalence*float64(f.FleetHosts) && !rare && !isNew {
		r.CommonPair = true
		s.reason(-w.Context[KindCommonPair], "common in the fleet: ", of)
	}
	if f.FirstSeen > 0 && age > rules.OldDays*86400 {
		r.OldPair = true
		s.reason(-w.Context[KindEstablishedPair], "established in the fleet: first seen ", duration(age), " ago")
	}
}

// duration writes seconds the way a reason reads best.
func duration(sec float64) string {
	switch {
	case sec < 120:
		return ftoa(math.Round(sec*10)/10) + " s"
	case sec < 2*3600:
		return ftoa(math.Round(sec/6)/10) + " min"
	case sec < 2*86400:
		return ftoa(math.Round(sec/360)/10) + " h"
	}
	return ftoa(math.Round(sec/8640)/10) + " days"
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
