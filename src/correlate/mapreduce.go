package correlate

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/fieldmap"
)

type key struct{ host, guid string }

// mapper folds all the events of its share into one partial row per
// process, written in the reply to the last chunk (earlier replies are
// empty). It declares no required_fields: splunkd then sends whole events
// and adds no _chunked_idx, so rows that stand for many events are
// legitimate, and the reduce phase receives at most one row per process
// and indexer however many events there were. Memory is bounded by the
// same limits as the reduce phase's.
type mapper struct {
	limits  Limits
	fields  fieldmap.Map
	in      [fieldmap.NumFields]int
	out     [nPartial]int
	outSet  bool
	groups  map[string]*group // by host "\x00" guid, both normalised
	dropped int               // events of processes beyond MaxGroups
	capped  map[*group]bool
	noGUID  int
	noTime  int
	cmdCut  int    // command lines longer than Windows allows, cut
	kept    kept   // the groups, by key, for max_groups
	buf     []byte // the key being looked up
	strs    interner
	tel     telemetry

	// The catalog, loaded at the first script block (appDir and catalog
	// say where from), to leave out the blocks that cannot be evidence;
	// without it every block is kept.
	appDir, catalog string
	det             *detect.Detector
	detTried        bool
}

// interner shares one string among the rows that repeat a value: the same
// few destinations recur in thousands of connections.
type interner map[string]string

// maxInterned bounds an interner; past it values are still kept, only no
// longer shared.
const maxInterned = 200_000

// get returns the kept form of a raw value (norm applied, cut to n bytes);
// the lookup by the row's bytes does not allocate.
func (in interner) get(raw []byte, n int, norm func(string) string) string {
	if v, ok := in[string(raw)]; ok {
		return v
	}
	k := string(raw)
	v := cut(norm(k), n) // most often k itself: key and value then share their bytes
	if len(in) < maxInterned {
		in[k] = v
	}
	return v
}

func (m *mapper) Process(c *chunked.Chunk) error {
	if m.groups == nil {
		m.groups, m.capped, m.strs = map[string]*group{}, map[*group]bool{}, interner{}
	}
	t := &c.In
	for _, f := range inputs {
		m.in[f] = t.Index(m.fields.Name(f))
	}
	for i := 0; i < t.Len(); i++ {
		r := t.Row(i)
		// A multivalue (Row.Get joins values with newlines) counts by its
		// first value for the fields that identify an event.
		code := string(bytes.TrimSpace(firstValue(r.Get(m.in[fieldmap.EventCode]))))
		if code == "" {
			code = eventKind(r, &m.in)
		}
		switch code {
		case "1", "3", "22":
		case "4104":
			m.part(r)
			continue
		case "4698":
			m.task(r)
			continue
		case "11":
			if !detect.TempWrite(r.Get(m.in[fieldmap.TargetFilename])) {
				continue // most files a process writes say nothing of what it fetched
			}
		default:
			continue // other events (an image load's OriginalFileName is the DLL's) say nothing here
		}
		p1 := code == "1"
		// The key, lower case, in m.buf: host, NUL, guid without braces.
		host := bytes.TrimSpace(firstValue(r.Get(m.in[fieldmap.Host])))
		m.buf = appendLower(m.buf[:0], host)
		m.buf = append(m.buf, 0)
		hostLen := len(m.buf) - 1
		m.buf = appendLower(m.buf, bytes.Trim(bytes.TrimSpace(firstValue(r.Get(m.in[fieldmap.ProcessGuid]))), "{}"))
		if len(m.buf) == hostLen+1 {
			m.noGUID++
			continue
		}
		g := m.groups[string(m.buf)]
		if g == nil {
			old, ok := m.kept.admit(string(m.buf[:hostLen]), string(m.buf[hostLen+1:]), m.limits.MaxGroups)
			if !ok {
				m.dropped++
				continue
			}
			if old != nil { // past max_groups: a smaller process takes its place
				delete(m.groups, old.host+"\x00"+old.guid)
				delete(m.capped, old)
				m.dropped += old.records
			}
			g = &group{host: string(m.buf[:hostLen]), guid: string(m.buf[hostLen+1:])}
			m.groups[string(m.buf)] = g
			m.kept.add(g)
		}
		g.records++
		g.mergeHost(host)
		switch {
		case p1:
			var vals [nInfo][]byte
			for i, f := range infoInputs {
				vals[i] = r.Get(m.in[f])
			}
			if g.mergeRaw(true, vals) {
				m.cmdCut++
			}
		case !g.fromP1:
			// Connections and queries carry the image and the user only;
			// they matter until the process creation is seen.
			var vals [nInfo][]byte
			vals[iImage], vals[iUser] = r.Get(m.in[fieldmap.Image]), r.Get(m.in[fieldmap.User])
			g.mergeRaw(false, vals)
		}
		g.mergePID(firstValue(r.Get(m.in[fieldmap.ProcessId])))
		if code == "11" {
			g.mergeWritten(firstValue(r.Get(m.in[fieldmap.TargetFilename])))
			continue
		}
		ts, ok := parseTime(r.Get(m.in[fieldmap.Time]), r.Get(m.in[fieldmap.UtcTime]))
		if p1 {
			if ok {
				g.mergeStart(ts) // _time of a row whose only evidence is the command line
			}
			continue
		}
		if !ok {
			m.noTime++
			continue
		}
		if code == "3" {
			g.conns = append(g.conns, conn{ts, m.strs.get(r.Get(m.in[fieldmap.DestinationIp]), maxNameBytes, normIP), m.strs.get(r.Get(m.in[fieldmap.DestinationHostname]), maxNameBytes, same)})
		} else {
			g.queries = append(g.queries, query{ts, m.strs.get(r.Get(m.in[fieldmap.QueryName]), maxNameBytes, same), m.strs.get(r.Get(m.in[fieldmap.QueryResults]), maxAnswerLen, wholeAnswers)})
		}
		if len(g.conns) > m.limits.MaxTimes+m.limits.MaxTimes/4+8 || len(g.queries) > m.limits.MaxTimes+m.limits.MaxTimes/4+8 {
			if g.prune(m.limits.MaxTimes) {
				m.capped[g] = true
			}
		}
	}
	if !c.Last {
		return nil
	}
	if m.noTime > 0 {
		warnf(c, "%s: %d connection or DNS events without a readable _time or UtcTime were left out", Name, m.noTime)
	}
	if m.cmdCut > 0 {
		warnf(c, "%s: %d command lines longer than Windows' %d characters were cut to that length before they were judged", Name, m.cmdCut, maxCmdUnits)
	}
	if m.noGUID > 0 {
		warnf(c, "%s: %d events without ProcessGuid were skipped", Name, m.noGUID)
	}
	if m.dropped > 0 {
		warnf(c, "%s: more than max_groups=%d processes on this indexer: a fixed sample of %d (the smallest by a hash of host and ProcessGuid) was kept; %d events of the others were not correlated", Name, m.limits.MaxGroups, m.limits.MaxGroups, m.dropped)
	}
	groups := make([]*group, 0, len(m.groups))
	for _, g := range m.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		return a.host < b.host || a.host == b.host && a.guid < b.guid
	})
	w := &c.Out
	if !m.outSet {
		for i, f := range partialFields {
			m.out[i] = w.Field(f)
		}
		m.outSet = true
	}
	for _, g := range groups {
		if g.prune(m.limits.MaxTimes) {
			m.capped[g] = true
		}
		writePartial(w, &m.out, g)
		if m.capped[g] {
			w.SetInt(m.out[pCapped], 1) // the reduce reports it
		}
		if g.start > 0 {
			w.SetString(m.out[pStart], ftoa(g.start))
		}
		w.EndRow()
	}
	m.writeTelemetry(c, w)
	return nil
}

// infoInputs are the input fields of a group's process fields.
var infoInputs = [nInfo]fieldmap.Field{iImage: fieldmap.Image, iCmd: fieldmap.CommandLine, iParent: fieldmap.ParentImage, iUser: fieldmap.User,
	iOFN: fieldmap.OriginalFileName, iDesc: fieldmap.Description, iProduct: fieldmap.Product, iCompany: fieldmap.Company}

// eventKind says which Sysmon event an event without EventCode (a CIM
// data model's: Network_Resolution, Network_Traffic, Endpoint.Processes)
// stands for: a DNS query when it names a query, a connection when it has
// a destination, else a process creation when it has process fields.
func eventKind(r chunked.Row, in *[fieldmap.NumFields]int) string {
	switch {
	case len(r.Get(in[fieldmap.QueryName])) > 0:
		return "22"
	case len(r.Get(in[fieldmap.DestinationIp])) > 0 || len(r.Get(in[fieldmap.DestinationHostname])) > 0:
		return "3"
	case len(r.Get(in[fieldmap.ScriptBlockText])) > 0:
		return "4104"
	case len(r.Get(in[fieldmap.TaskContent])) > 0:
		return "4698"
	case len(r.Get(in[fieldmap.TargetFilename])) > 0:
		return "11"
	case len(r.Get(in[fieldmap.CommandLine])) > 0 || len(r.Get(in[fieldmap.Image])) > 0:
		return "1"
	}
	return ""
}

func writePartial(w *chunked.TableWriter, o *[nPartial]int, g *group) {
	w.SetString(o[pHost], g.hostName) // as written; the reduce lower-cases it for its key
	w.SetString(o[pGUID], g.guid)
	if g.fromP1 {
		w.SetInt(o[pP1], 1)
	}
	if g.pid != "" {
		w.SetString(o[pPID], g.pid)
	}
	if g.written != "" {
		w.SetString(o[pWritten], g.written)
	}
	for i, v := range g.fields() {
		if *v != "" {
			w.SetString(o[partialInfo[i]], *v)
		}
	}
	// The lists travel as one value, an entry per line ("time|address|host",
	// "time|name|answers"): a partial row is the command's own format, read
	// back only by the reduce phase, so it does not need Splunk's multivalue
	// encoding, which would double its size.
	var b []byte
	if len(g.conns) > 0 {
		b = b[:0]
		for i, c := range g.conns {
			if i > 0 {
				b = append(b, '\n')
			}
			b = append(append(append(append(append(b, ftoa(c.t)...), '|'), clean(c.ip)...), '|'), clean(c.host)...)
		}
		w.Set(o[pConn], b)
	}
	if len(g.queries) > 0 {
		b = b[:0]
		for i, q := range g.queries {
			if i > 0 {
				b = append(b, '\n')
			}
			b = append(append(append(append(append(b, ftoa(q.t)...), '|'), clean(q.name)...), '|'), clean(q.results)...)
		}
		w.Set(o[pDNS], b)
	}
}

// clean keeps the partial encoding's separators out of values.
func clean(s string) string {
	if strings.ContainsAny(s, "|\r\n") {
		return strings.NewReplacer("|", " ", "\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// entries calls fn with the three parts of each line of a list value.
func entries(v []byte, fn func(t float64, a, b []byte)) {
	for len(v) > 0 {
		line := v
		if i := bytes.IndexByte(v, '\n'); i >= 0 {
			line, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		ts, rest, ok := bytes.Cut(line, []byte("|"))
		if !ok {
			continue
		}
		a, b, ok := bytes.Cut(rest, []byte("|"))
		if !ok {
			continue
		}
		t, err := strconv.ParseFloat(string(ts), 64)
		if err != nil {
			continue
		}
		fn(t, a, b)
	}
}

// reducer is the search-head side: it merges the map phase's partial
// rows (input=events) or reads state and baseline rows (input=state), and
// writes results, state or the baseline with the last reply.
type reducer struct {
	limits       Limits
	opts         Options
	det          *detect.Detector
	now          float64 // the search's latest time (0: unbounded)
	groups       map[key]*group
	droppedRows  int  // partial rows of processes beyond MaxGroups
	kept         kept // the groups, by key, for MaxGroups
	cappedGroups map[key]bool
	strs         interner // addresses, host names, queries
	st           states   // input=state
	tel          telemetry
}

// Process implements [chunked.Processor].
func (r *reducer) Process(c *chunked.Chunk) error {
	if c.In.Len() > 0 {
		var err error
		if r.opts.Input == FromState {
			err = r.st.add(&c.In, r.opts.MaxRows)
		} else {
			err = r.Add(&c.In)
		}
		if err != nil {
			return err
		}
	}
	if !c.Last {
		return nil
	}
	if err := r.finish(c); err != nil {
		return err
	}
	if r.droppedRows > 0 {
		warnf(c, "%s: more than max_groups=%d processes: a fixed sample of %d (the smallest by a hash of host and ProcessGuid) was kept; %d partial rows of the others were not correlated", Name, r.limits.MaxGroups, r.limits.MaxGroups, r.droppedRows)
	}
	if n := len(r.cappedGroups); n > 0 {
		warnf(c, "%s: %d processes had more than max_times=%d connections or DNS queries: their counts, last_seen and polling figures use the earliest %d", Name, n, r.limits.MaxTimes, r.limits.MaxTimes)
	}
	return nil
}

func (r *reducer) Add(t *chunked.Table) error {
	if r.groups == nil {
		r.groups, r.cappedGroups, r.strs = map[key]*group{}, map[key]bool{}, interner{}
	}
	var in [nPartial]int
	for i, f := range partialFields {
		in[i] = t.Index(f)
	}
	if err := checkPartials(t, in[pGUID]); err != nil || t.Len() == 0 {
		return err
	}
	for i := 0; i < t.Len(); i++ {
		row := t.Row(i)
		hostName := row.Get(in[pHost])
		switch string(row.Get(in[pKind])) {
		case kindPart:
			r.addPart(row, &in)
			continue
		case kindTask:
			r.addTask(row, &in)
			continue
		}
		k := key{string(appendLower(nil, hostName)), string(row.Get(in[pGUID]))}
		if k.guid == "" {
			continue
		}
		g := r.groups[k]
		if g == nil {
			old, ok := r.kept.admit(k.host, k.guid, r.limits.MaxGroups)
			if !ok {
				r.droppedRows++
				continue
			}
			if old != nil { // past max_groups: a smaller process takes its place
				gone := key{old.host, old.guid}
				delete(r.groups, gone)
				delete(r.cappedGroups, gone)
				r.droppedRows += old.records
			}
			g = &group{host: k.host, guid: k.guid}
			r.groups[k] = g
			r.kept.add(g)
		}
		g.records++
		g.mergeHost(hostName)
		var vals [nInfo][]byte
		for j := range vals {
			vals[j] = row.Get(in[partialInfo[j]])
		}
		g.mergeRaw(string(row.Get(in[pP1])) == "1", vals)
		g.mergePID(row.Get(in[pPID]))
		g.mergeWritten(row.Get(in[pWritten]))
		// Room for this row's entries, exactly: a process's lists arrive
		// in a few partial rows, and doubling would leave up to half of
		// every list unused.
		g.conns = growExact(g.conns, lines(row.Get(in[pConn])))
		g.queries = growExact(g.queries, lines(row.Get(in[pDNS])))
		entries(row.Get(in[pConn]), func(t float64, ip, host []byte) {
			g.conns = append(g.conns, conn{t, r.strs.get(ip, maxNameBytes, same), r.strs.get(host, maxNameBytes, same)})
		})
		entries(row.Get(in[pDNS]), func(t float64, name, results []byte) {
			g.queries = append(g.queries, query{t, r.strs.get(name, maxNameBytes, same), r.strs.get(results, maxAnswerLen, same)})
		})
		if v := row.Get(in[pStart]); len(v) > 0 {
			if t, err := strconv.ParseFloat(string(v), 64); err == nil {
				g.mergeStart(t)
			}
		}
		if string(row.Get(in[pCapped])) == "1" {
			r.cappedGroups[k] = true // a map phase kept only the earliest
		}
		if len(g.conns) > r.limits.MaxTimes+r.limits.MaxTimes/4+8 || len(g.queries) > r.limits.MaxTimes+r.limits.MaxTimes/4+8 {
			if g.prune(r.limits.MaxTimes) {
				r.cappedGroups[k] = true
			}
		}
	}
	// Everything kept is a copy: the chunk (all the partial rows, as one
	// body) is let go of now rather than held while the reply is built.
	t.Release()
	return nil
}

// lines is the number of entries of a list value.
func lines(v []byte) int {
	if len(v) == 0 {
		return 0
	}
	return bytes.Count(v, []byte{'\n'}) + 1
}

// growExact returns s with room for n more elements and no more.
func growExact[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	ns := make([]T, len(s), len(s)+n)
	copy(ns, s)
	return ns
}

// appendLower appends b in ASCII lower case (host names and GUIDs).
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func same(s string) string { return s }

// wholeAnswers cuts a QueryResults value longer than maxAnswerLen after its
// last whole answer (";"), so that the cut cannot leave a shorter, valid,
// wrong address.
func wholeAnswers(s string) string {
	if len(s) <= maxAnswerLen {
		return s
	}
	s = s[:maxAnswerLen]
	if i := strings.LastIndexByte(s, ';'); i >= 0 {
		return s[:i+1]
	}
	return ""
}
