package correlate

import (
	"math"
	"sort"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
)

// states holds what input=state read: activities and baseline pairs.
type states struct {
	acts    map[activityKey]*activity
	pairs   map[pairKey]*pair
	bad     int    // rows that could not be read
	badWhy  string // the first one's error
	other   int    // rows that are neither state nor baseline rows
	dropped int    // activities beyond max_groups
}

// add reads one chunk of state and baseline rows (a row is a state row
// when it has t1102s_service, a baseline row when it has t1102f_service).
func (st *states) add(t *chunked.Table, maxGroups int) error {
	if st.acts == nil {
		st.acts, st.pairs = map[activityKey]*activity{}, map[pairKey]*pair{}
	}
	var sin [nState]int
	for i, f := range stateFields {
		sin[i] = t.Index(f)
	}
	var fin [nFleet]int
	for i, f := range fleetFields {
		fin[i] = t.Index(f)
	}
	for i := 0; i < t.Len(); i++ {
		row := t.Row(i)
		var err error
		switch {
		case len(row.Get(sin[sService])) > 0:
			var a *activity
			if a, err = readState(row, &sin); err == nil {
				k := a.key()
				if old := st.acts[k]; old != nil {
					old.merge(a)
				} else if len(st.acts) >= maxGroups {
					st.dropped++
				} else {
					st.acts[k] = a
				}
			}
		case len(row.Get(fin[fService])) > 0:
			var k pairKey
			var p *pair
			if k, p, err = readPair(row, &fin); err == nil {
				if old := st.pairs[k]; old != nil {
					old.merge(p)
				} else if len(st.pairs) >= maxGroups {
					st.dropped++
				} else {
					st.pairs[k] = p
				}
			}
		default:
			st.other++
		}
		if err != nil {
			if st.bad == 0 {
				st.badWhy = err.Error()
			}
			st.bad++
		}
	}
	t.Release()
	return nil
}

// finish writes the output the options ask for.
func (r *reducer) finish(c *chunked.Chunk) error {
	s := r.det.NewScorer()
	acts := r.st.acts
	if r.opts.Input == FromEvents && r.opts.Output == ToResults {
		// Judged as they are built, one identity at a time: no baseline
		// and no memory on events (those come from input=state).
		var col [nOutput]int
		for i, f := range outputFields {
			col[i] = c.Out.Field(f)
		}
		c.Out.EncodeEachRow()
		r.attachScripts()
		defs := r.taskActivities(s)
		joined := make([]bool, len(defs))
		r.eachIdentity(s, func(as []*activity) {
			for _, a := range as {
				for i, d := range defs {
					if runsTask(a, d) {
						a.adoptTask(d)
						joined[i] = true
					}
				}
				writeResult(&c.Out, &col, s, a, nil, r.opts.All)
			}
		})
		for i, d := range defs {
			if !joined[i] {
				writeResult(&c.Out, &col, s, d, nil, r.opts.All)
			}
		}
		r.warnTelemetry(c)
		return nil
	}
	if r.opts.Input == FromEvents {
		r.attachScripts()
		defs := r.taskActivities(s)
		acts = r.activities(s)
		for _, d := range defs {
			if old := acts[d.key()]; old != nil {
				old.merge(d)
			} else {
				acts[d.key()] = d
			}
		}
		r.warnTelemetry(c)
	} else {
		if r.st.bad > 0 {
			warnf(c, "%s: %d state or baseline rows could not be read and were left out; the first: %s", Name, r.st.bad, r.st.badWhy)
		}
		if r.st.other > 0 {
			warnf(c, "%s: input=state: %d rows are neither state (t1102s_*) nor fleet baseline (t1102f_*) rows and were ignored: give it | inputlookup t1102_state and t1102_fleet", Name, r.st.other)
		}
		if r.st.dropped > 0 {
			warnf(c, "%s: more than max_rows=%d state or baseline rows: %d were not read", Name, r.opts.MaxRows, r.st.dropped)
		}
	}
	if r.opts.Input == FromState {
		acts = resolveIdentities(acts)
	}
	joinTasks(acts)
	b := r.det.Behaviour()
	memory := b.Memory
	if r.opts.Memory > 0 {
		memory = r.opts.Memory
	}
	now := r.now
	if now == 0 {
		for _, a := range acts {
			now = math.Max(now, a.last())
		}
		for _, p := range r.st.pairs {
			now = math.Max(now, p.last)
		}
	}
	if r.opts.Input == FromState {
		// Requests after the search's time are a host's clock ahead of
		// the others: they would never age out of the memory.
		ahead := 0
		for _, a := range acts {
			ahead += a.dropAfter(now + MaxClockSkew)
		}
		if ahead > 0 {
			warnf(c, "%s: %d requests more than %d s after the search's time (clocks ahead) were left out", Name, ahead, int(MaxClockSkew))
		}
	}
	keys := sortedActivityKeys(acts)
	w := &c.Out
	w.EncodeEachRow()
	switch r.opts.Output {
	case ToState:
		return r.writeStates(c, acts, keys, now-memory)
	case ToFleet:
		return r.writeFleet(c, acts, keys, now, b.Fleet.KeepDays)
	}
	if r.opts.Input == FromState {
		// The judge weighs the memory's requests only.
		for _, k := range keys {
			acts[k].prune(now-memory, math.MaxInt)
		}
	}
	fleet := newFleetIndex(r.st.pairs, now)
	var col [nOutput]int
	for i, f := range outputFields {
		col[i] = w.Field(f)
	}
	for _, k := range keys {
		a := acts[k]
		if r.opts.Input == FromState && len(a.requests()) == 0 && !(a.cmdSeen && a.start > now-memory) {
			continue // nothing left in the memory
		}
		writeResult(w, &col, s, a, fleet.view(a), r.opts.All)
	}
	return nil
}

// resolveIdentities joins, by host and ProcessGuid, the activities of a
// run that saw a process's connections and queries but not its creation
// (network events carry no command line or PE metadata: the process
// started in an earlier hour) to the activity whose run saw its creation,
// so that a process is one identity across the runs. An activity whose
// process creation no run saw stays as it is.
func resolveIdentities(acts map[activityKey]*activity) map[activityKey]*activity {
	type hostGUID struct{ host, guid string }
	known := map[hostGUID]*activity{}
	for _, a := range acts {
		if a.unresolved() {
			continue
		}
		for _, g := range a.guids {
			if k := (hostGUID{a.hostKey, g}); known[k] == nil || a.key().less(known[k].key()) {
				known[k] = a // the same process in one identity; the smallest key if a GUID were reused
			}
		}
	}
	out := make(map[activityKey]*activity, len(acts))
	var pending []*activity
	for k, a := range acts {
		if a.unresolved() {
			pending = append(pending, a)
			continue
		}
		out[k] = a
	}
	for _, a := range pending {
		var tmpl *activity
		for _, g := range a.guids {
			if t := known[hostGUID{a.hostKey, g}]; t != nil && (tmpl == nil || t.key().less(tmpl.key())) {
				tmpl = t
			}
		}
		if tmpl != nil {
			a.cmd, a.image = tmpl.cmd, tmpl.image
			for _, f := range [...]struct {
				dst *string
				v   string
			}{
				{&a.parent, tmpl.parent}, {&a.user, tmpl.user}, {&a.ofn, tmpl.ofn}, {&a.desc, tmpl.desc}, {&a.product, tmpl.product}, {&a.company, tmpl.company},
			} {
				if *f.dst == "" {
					*f.dst = f.v
				}
			}
			if a.start == 0 || tmpl.start > 0 && tmpl.start < a.start {
				a.start = tmpl.start
			}
		}
		if old := out[a.key()]; old != nil {
			old.merge(a)
		} else {
			out[a.key()] = a
		}
	}
	return out
}

func (k activityKey) less(o activityKey) bool {
	if k.host != o.host {
		return k.host < o.host
	}
	if k.image != o.image {
		return k.image < o.image
	}
	if k.cmd != o.cmd {
		return k.cmd < o.cmd
	}
	return k.category < o.category
}

func sortedActivityKeys(acts map[activityKey]*activity) []activityKey {
	keys := make([]activityKey, 0, len(acts))
	for k := range acts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	return keys
}

// activities turns the merged processes into activities, all of them
// (output=state and output=fleet: one run's worth).
func (r *reducer) activities(s *detect.Scorer) map[activityKey]*activity {
	acts := map[activityKey]*activity{}
	r.eachIdentity(s, func(as []*activity) {
		for _, a := range as {
			acts[a.key()] = a
		}
	})
	return acts
}

// eachIdentity turns the merged processes into activities, one identity
// (host, image and command line) at a time in the order of their keys, and
// calls fn with each identity's activities by service category: the
// evidence of each process per host it reached (a connection named by its
// host name or by the same process's DNS answer for the address, a query,
// the command line), grouped by category and folded over the identity's
// processes. A process's state is let go of once its identity is done, so
// that judging all the processes (output=results) never holds their lists
// twice.
func (r *reducer) eachIdentity(s *detect.Scorer, fn func([]*activity)) {
	det := r.det
	type hostEvidence struct {
		conns, queries []float64
		cmd            bool
	}
	type ident struct {
		k     key
		image string // lower case
		cmd   string
	}
	order := make([]ident, 0, len(r.groups))
	for k, g := range r.groups {
		order = append(order, ident{k, strings.ToLower(g.image), g.cmd})
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.k.host != b.k.host {
			return a.k.host < b.k.host
		}
		if a.image != b.image {
			return a.image < b.image
		}
		if a.cmd != b.cmd {
			return a.cmd < b.cmd
		}
		return a.k.guid < b.k.guid
	})
	acts := map[activityKey]*activity{}
	flush := func() {
		if len(acts) == 0 {
			return
		}
		keys := sortedActivityKeys(acts)
		as := make([]*activity, len(keys))
		for i, k := range keys {
			as[i] = acts[k]
		}
		fn(as)
		clear(acts)
	}
	for i, id := range order {
		if i > 0 && (id.k.host != order[i-1].k.host || id.image != order[i-1].image || id.cmd != order[i-1].cmd) {
			flush()
		}
		k, g := id.k, r.groups[id.k]
		// The earliest MaxTimes of the union, whatever the partials held:
		// the same result for any spread of the events.
		if g.prune(r.limits.MaxTimes) {
			r.cappedGroups[k] = true
		}
		evidence := map[string]*hostEvidence{}
		at := func(h string) *hostEvidence {
			e := evidence[h]
			if e == nil {
				e = &hostEvidence{}
				evidence[h] = e
			}
			return e
		}
		// DNS: every query's answers name addresses; a query for a service
		// is itself a request to it.
		type answer struct {
			host string
			t    float64
		}
		byIP := map[string][]answer{}
		for _, q := range g.queries {
			h := string(detect.NormalizeHost(nil, []byte(q.name)))
			for _, ip := range answers(q.results) {
				byIP[ip] = append(byIP[ip], answer{h, q.t})
			}
			if _, _, ok := det.Service([]byte(h)); ok {
				at(h).queries = append(at(h).queries, q.t)
			}
		}
		// Connections: named by their host name when it names a service,
		// else by the same process's DNS answer for that address nearest in
		// time (within the window, either side: Sysmon can log the query
		// after the connection), which must itself name a service. An
		// address shared by a service and another site goes to whichever
		// the process asked for nearest the connection.
		for _, c := range g.conns {
			h := string(detect.NormalizeHost(nil, []byte(c.host)))
			if _, _, ok := det.Service([]byte(h)); !ok {
				h = ""
				best := math.Inf(1)
				for _, a := range byIP[c.ip] {
					if d := math.Abs(c.t - a.t); d <= r.opts.Window && (d < best || d == best && a.host < h) {
						h, best = a.host, d
					}
				}
				if _, _, ok := det.Service([]byte(h)); !ok {
					h = ""
				}
			}
			if h != "" {
				at(h).conns = append(at(h).conns, c.t)
			}
		}
		// The command line (a decoded command, the script blocks): hosts
		// it names.
		ev := detect.Event{Host: []byte(g.host), Image: []byte(g.image), CommandLine: []byte(g.cmd), OriginalFileName: []byte(g.ofn),
			Description: []byte(g.desc), Product: []byte(g.product), ScriptBlock: g.script}
		for _, h := range s.Score(&ev).Hosts {
			at(string(h)).cmd = true
		}
		for h, e := range evidence {
			svc, _, ok := det.Service([]byte(h))
			if !ok {
				continue
			}
			a := &activity{hostKey: g.host, host: g.hostName, image: g.image, cmd: g.cmd, parent: g.parent, user: g.user, ofn: g.ofn,
				desc: g.desc, product: g.product, company: g.company, category: svc.Category, guid: g.guid, guidStart: g.start,
				guids: []string{g.guid}, hosts: map[string]int{h: len(e.conns) + len(e.queries)}, cmdSeen: e.cmd, start: g.start,
				script: string(g.script), scriptPath: g.scriptPath, written: g.written, pid: g.pid}
			a.conns = append([]float64(nil), e.conns...)
			a.queries = append([]float64(nil), e.queries...)
			sort.Float64s(a.conns)
			sort.Float64s(a.queries)
			if k := a.key(); acts[k] != nil {
				acts[k].merge(a)
			} else {
				acts[k] = a
			}
		}
		// What the group held is in its activities now: let it go, so
		// that the reduce does not hold every list twice.
		delete(r.groups, k)
	}
	flush()
}

// warnTelemetry says what of the script blocks and task definitions
// could not be used.
func (r *reducer) warnTelemetry(c *chunked.Chunk) {
	if r.tel.dropped > 0 {
		warnf(c, "%s: more than %d MiB of script blocks and task definitions: %d were left out", Name, maxTelemetryBytes>>20, r.tel.dropped)
	}
	if r.tel.badTask > 0 {
		warnf(c, "%s: %d task definitions (4698 TaskContent) could not be read and were left out; the first: %s", Name, r.tel.badTask, r.tel.badWhy)
	}
}

// fleetIndex answers the judge's questions about the baseline.
type fleetIndex struct {
	pairs map[pairKey]*pair
	// byImage holds, per generalised image and service, the union of the
	// pairs of every PE name: the view of a process whose creation (and
	// so PE metadata) no run saw.
	byImage map[pairKey]*pair
	size    int // hosts in the baseline: the union of every pair's
	now     float64
}

func newFleetIndex(pairs map[pairKey]*pair, now float64) *fleetIndex {
	f := &fleetIndex{pairs: pairs, byImage: map[pairKey]*pair{}, now: now}
	if len(pairs) == 0 {
		return f
	}
	var all sketch
	for k, p := range pairs {
		all.merge(&p.hosts)
		image, _, _ := strings.Cut(k.identity, "|")
		ik := pairKey{image, k.category}
		u := f.byImage[ik]
		if u == nil {
			u = &pair{}
			f.byImage[ik] = u
		}
		u.merge(p)
	}
	f.size = all.count()
	return f
}

// view is the baseline's view of an activity's pair; nil without a
// baseline.
func (f *fleetIndex) view(a *activity) *detect.FleetView {
	if f.size == 0 {
		return nil
	}
	v := &detect.FleetView{FleetHosts: f.size, Now: f.now}
	// A process seen without its creation is every program of its path;
	// one seen with it is its own pair, with what was seen of its path
	// without a PE name (the same program, its creation unseen).
	var p *pair
	if a.ofn == "" {
		p = f.byImage[pairKey{generalImage(a.image), a.category}]
	} else {
		exact := f.pairs[pairKey{fleetIdentity(a.image, a.ofn), a.category}]
		bare := f.pairs[pairKey{fleetIdentity(a.image, ""), a.category}]
		switch {
		case exact != nil && bare != nil:
			u := *exact
			u.hosts = sketch{}
			u.hosts.merge(&exact.hosts)
			u.merge(bare)
			p = &u
		case exact != nil:
			p = exact
		default:
			p = bare
		}
	}
	if p != nil {
		v.Hosts, v.FirstSeen = p.hosts.count(), p.first
	}
	return v
}

// writeResult judges one activity and writes its row (all: whether or not
// it alerts).
func writeResult(w *chunked.TableWriter, col *[nOutput]int, s *detect.Scorer, a *activity, fleet *detect.FleetView, all bool) {
	hosts := a.sortedHosts()
	res := judge(s, a, hosts, fleet)
	if !all && !res.Pass {
		return
	}
	writeRow(w, col, a, hosts, res)
}

// judge hands an activity to detect's process-level judgement; the result
// is the scorer's until its next call.
func judge(s *detect.Scorer, a *activity, hosts []string, fleet *detect.FleetView) *detect.Result {
	act := detect.Activity{
		Process: detect.Event{Host: []byte(a.host), User: []byte(a.user), Image: []byte(a.image), ParentImage: []byte(a.parent),
			OriginalFileName: []byte(a.ofn), Description: []byte(a.desc), Product: []byte(a.product), Company: []byte(a.company),
			CommandLine: []byte(a.cmd), ScriptBlock: []byte(a.script), ScriptPath: []byte(a.scriptPath), Written: []byte(a.written)},
		Category: a.category, Requests: a.requests(), Instances: len(a.guids), Fleet: fleet, Task: a.task,
	}
	for _, h := range hosts {
		act.Hosts = append(act.Hosts, []byte(h))
	}
	return s.Judge(&act)
}

// writeRow writes an activity's result row.
func writeRow(w *chunked.TableWriter, col *[nOutput]int, a *activity, hosts []string, res *detect.Result) {
	w.SetString(col[oHost], a.host)
	w.SetString(col[oDest], a.host)
	if a.guid != "" && !strings.HasPrefix(a.guid, pseudoGUID) {
		w.SetString(col[oGUID], "{"+a.guid+"}")
	}
	if a.pid != "" {
		w.SetString(col[oProcessID], a.pid)
	}
	if t := a.task; t != nil {
		w.SetString(col[oTask], t.Name)
		if t.Author != "" {
			w.SetString(col[oTaskAuthor], t.Author)
		}
	}
	if a.scriptPath != "" && res.Script {
		w.SetString(col[oScriptPath], a.scriptPath)
	}
	if a.written != "" {
		w.SetString(col[oFile], a.written)
	}
	for _, f := range [...]struct {
		v    string
		cols []int
	}{
		{a.image, []int{oImage, oProcessPath}}, {a.cmd, []int{oCmd, oProcess}}, {a.parent, []int{oParent}},
		{a.user, []int{oUser, oCIMUser}}, {a.ofn, []int{oOFN}},
	} {
		for _, c := range f.cols {
			if f.v != "" {
				w.SetString(col[c], f.v)
			}
		}
	}
	if a.image != "" {
		w.SetString(col[oProcessName], string(detect.Basename([]byte(a.image))))
	}
	if a.parent != "" {
		w.SetString(col[oParentProcessName], string(detect.Basename([]byte(a.parent))))
	}
	if a.taskID != "" {
		w.SetString(col[oIdentity], a.taskID) // a task's runs alert as the task created
	} else {
		w.SetString(col[oIdentity], identityID(a.image, a.identityCmd()))
	}
	if n := len(a.guids); n > 1 {
		w.SetInt(col[oInstances], n)
	}
	w.SetString(col[oService], a.category)
	w.SetMulti(col[oDomains], hosts)
	var seenIn []string
	switch {
	case a.taskDef:
		seenIn = append(seenIn, "TaskContent")
	case a.cmdSeen && (!res.Script || res.SeenIn != "ScriptBlockText"):
		seenIn = append(seenIn, "CommandLine")
	}
	if res.Script {
		seenIn = append(seenIn, "ScriptBlockText")
	}
	if a.written != "" {
		seenIn = append(seenIn, "FileCreate")
	}
	if len(a.queries) > 0 {
		seenIn = append(seenIn, "DNS")
	}
	if len(a.conns) > 0 {
		seenIn = append(seenIn, "connection")
	}
	w.SetMulti(col[oSeenIn], seenIn)
	w.SetInt(col[oConnections], len(a.conns))
	w.SetInt(col[oQueries], len(a.queries))
	if first := a.first(); first > 0 {
		w.SetString(col[oFirstSeen], ftoa(first))
		w.SetString(col[oLastSeen], ftoa(a.last()))
		w.SetString(col[oTime], ftoa(first)) // the row's time is when the process first reached the service
	} else if a.start > 0 {
		w.SetString(col[oTime], ftoa(a.start)) // only the command line names it: when the process started
	}
	p := res.Poll
	w.SetInt(col[oPollCount], p.Count)
	if p.Count >= 2 {
		w.SetString(col[oPollInterval], ftoa(math.Round(p.Interval*1000)/1000))
		w.SetString(col[oPollJitter], ftoa(math.Round(p.Jitter*1000)/1000))
	}
	if p.Judged {
		w.SetString(col[oPollScore], ftoa(p.Score))
		w.SetString(col[oPollRequired], ftoa(p.Required))
	}
	w.SetInt(col[oPolling], detect.B2I(res.Polled))
	w.SetInt(col[oSuspicious], detect.B2I(res.Suspicious))
	w.SetInt(col[oEncoded], detect.B2I(res.Encoded))
	w.SetInt(col[oOfficeParent], detect.B2I(res.OfficeParent))
	w.SetInt(col[oServiceSpawn], detect.B2I(res.ServiceSpawn))
	w.SetInt(col[oSuspicion], res.SuspicionScore)
	w.SetInt(col[oRisk], res.RiskScore)
	reasons := make([]string, len(res.Reasons))
	for i, rs := range res.Reasons {
		reasons[i] = string(rs)
	}
	w.SetMulti(col[oReasons], reasons)
	if len(res.URL) > 0 && a.cmdSeen {
		w.SetString(col[oURL], string(res.URL))
		w.SetString(col[oCIMURL], string(res.URL))
	}
	if len(res.Decoded) > 0 {
		w.SetString(col[oDecoded], string(res.Decoded))
	}
	if f := res.Fleet; f != nil {
		w.SetInt(col[oFleetHosts], max(f.Hosts, 1))
		w.SetInt(col[oFleetSize], f.FleetHosts)
		if f.FirstSeen > 0 {
			w.SetString(col[oFleetFirst], ftoa(f.FirstSeen))
		}
	}
	if res.Pass {
		w.SetString(col[oTechniqueID], detect.MitreTechniqueID)
		w.SetString(col[oTechnique], detect.MitreTechnique)
		w.SetString(col[oTacticID], detect.MitreTacticID)
		w.SetString(col[oTactic], detect.MitreTactic)
	}
	w.EndRow()
}

// writeStates writes the activities as state rows: requests after since
// only, the latest max_times of each kind, activities with nothing left
// dropped; past max_rows or max_mb the least recently active are left out.
func (r *reducer) writeStates(c *chunked.Chunk, acts map[activityKey]*activity, keys []activityKey, since float64) error {
	capped := 0
	live := keys[:0:0]
	for _, k := range keys {
		a := acts[k]
		if a.prune(since, r.opts.Limits.MaxTimes) {
			capped++
		}
		if len(a.conns) == 0 && len(a.queries) == 0 && !(a.cmdSeen && a.start > since) {
			continue
		}
		live = append(live, k)
	}
	// The most recently active first, so that the caps drop the stalest.
	sort.SliceStable(live, func(i, j int) bool { return acts[live[i]].last() > acts[live[j]].last() })
	var col [nState]int
	for i, f := range stateFields {
		col[i] = c.Out.Field(f)
	}
	var buf []byte
	written := r.capped(len(live), func(i int) int64 { return int64(stateSize(acts[live[i]])) }, func(i int) {
		buf = writeState(&c.Out, &col, acts[live[i]], buf)
		c.Out.EndRow()
	})
	if capped > 0 {
		warnf(c, "%s: %d activities had more than max_times=%d connections or DNS queries in the memory: the state keeps the latest %d", Name, capped, r.opts.Limits.MaxTimes, r.opts.Limits.MaxTimes)
	}
	if left := len(live) - written; left > 0 {
		warnf(c, "%s: the state reached max_rows=%d or max_mb=%d: %d of the least recently active activities were left out", Name, r.opts.MaxRows, r.opts.MaxBytes>>20, left)
	}
	return nil
}

// capped writes rows 0..n-1 in order (write) while they fit max_rows and
// max_mb (size estimates each row's bytes) and says how many it wrote.
func (r *reducer) capped(n int, size func(int) int64, write func(int)) int {
	var bytes int64
	for i := 0; i < n; i++ {
		b := size(i)
		if i >= r.opts.MaxRows || bytes+b > r.opts.MaxBytes {
			return i
		}
		write(i)
		bytes += b
	}
	return n
}

// stateSize estimates a state row's bytes as a lookup stores it.
func stateSize(a *activity) int {
	n := len(a.host) + len(a.image) + len(a.cmd) + len(a.parent) + len(a.user) + len(a.ofn) + len(a.desc) + len(a.product) +
		len(a.company) + len(a.category) + len(a.guid) + 40*len(a.guids) + 80 + len(a.script) + len(a.scriptPath) + len(a.written) + len(a.pid)
	if t := a.task; t != nil {
		n += len(t.Name) + len(t.Author) + len(t.RunAs) + 60
	}
	for h := range a.hosts {
		n += len(h) + 6
	}
	return n + 9*(len(a.conns)+len(a.queries))
}

// writeFleet folds the activities into the baseline read (each host that
// showed a pair counts once, however often it is folded in) and writes
// it; pairs no host showed for keep_days are dropped.
func (r *reducer) writeFleet(c *chunked.Chunk, acts map[activityKey]*activity, keys []activityKey, now, keepDays float64) error {
	pairs := r.st.pairs
	if pairs == nil {
		pairs = map[pairKey]*pair{}
	}
	for _, k := range keys {
		a := acts[k]
		if a.taskDef {
			continue // a task created is no process of the fleet's
		}
		first := a.first()
		if first == 0 {
			first = a.start
		}
		if first == 0 {
			continue
		}
		pk := pairKey{fleetIdentity(a.image, a.ofn), a.category}
		p := pairs[pk]
		if p == nil {
			p = &pair{}
			pairs[pk] = p
		}
		p.hosts.add(a.hostKey)
		o := pair{first: first, last: math.Max(first, a.last())}
		p.merge(&o)
	}
	pks := make([]pairKey, 0, len(pairs))
	for k, p := range pairs {
		if p.last >= now-keepDays*86400 {
			pks = append(pks, k)
		}
	}
	// The most recently seen first, so that the caps drop the stalest.
	sort.Slice(pks, func(i, j int) bool {
		a, b := pairs[pks[i]], pairs[pks[j]]
		if a.last != b.last {
			return a.last > b.last
		}
		return pks[i].identity < pks[j].identity || pks[i].identity == pks[j].identity && pks[i].category < pks[j].category
	})
	var col [nFleet]int
	for i, f := range fleetFields {
		col[i] = c.Out.Field(f)
	}
	var buf []byte
	written := r.capped(len(pks), func(i int) int64 { return int64(len(pks[i].identity) + len(pks[i].category) + 600) }, func(i int) {
		buf = writePair(&c.Out, &col, pks[i], pairs[pks[i]], buf)
		c.Out.EndRow()
	})
	if left := len(pks) - written; left > 0 {
		warnf(c, "%s: the fleet baseline reached max_rows=%d or max_mb=%d: %d of the least recently seen pairs were left out", Name, r.opts.MaxRows, r.opts.MaxBytes>>20, left)
	}
	return nil
}
