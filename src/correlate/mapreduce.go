package correlate

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
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
	in      [inResults + 1]int
	out     [pCapped + 1]int
	outSet  bool
	groups  map[key]*group
	dropped int // events of processes beyond MaxGroups
	capped  map[key]bool
	noGUID  int
	noTime  int
}

func (m *mapper) Process(c *chunked.Chunk) error {
	if m.groups == nil {
		m.groups, m.capped = map[key]*group{}, map[key]bool{}
	}
	t := &c.In
	for i, f := range inputFields {
		m.in[i] = t.Index(f)
	}
	for i := 0; i < t.Len(); i++ {
		r := t.Row(i)
		// A multivalue (Row.Get joins values with newlines) counts by its
		// first value for the fields that identify an event.
		code := strings.TrimSpace(string(firstValue(r.Get(m.in[inCode]))))
		if code != "1" && code != "3" && code != "22" {
			continue // other events (an image load's OriginalFileName is the DLL's) say nothing here
		}
		guid := normGUID(firstValue(r.Get(m.in[inGUID])))
		if guid == "" {
			m.noGUID++
			continue
		}
		k := key{strings.ToLower(strings.TrimSpace(string(firstValue(r.Get(m.in[inHost]))))), guid}
		g := m.groups[k]
		if g == nil {
			if len(m.groups) >= m.limits.MaxGroups {
				m.dropped++
				continue
			}
			g = &group{host: k.host, guid: guid}
			m.groups[k] = g
		}
		var vals [7]string
		if code == "1" {
			vals = [7]string{string(r.Get(m.in[inImage])), string(r.Get(m.in[inCmd])), string(r.Get(m.in[inParent])),
				string(r.Get(m.in[inUser])), string(r.Get(m.in[inOFN])), string(r.Get(m.in[inDesc])), string(r.Get(m.in[inProduct]))}
		} else {
			// Connections and queries carry the image and the user only.
			vals[0], vals[3] = string(r.Get(m.in[inImage])), string(r.Get(m.in[inUser]))
		}
		g.mergeInfo(code == "1", vals)
		ts, ok := parseTime(r.Get(m.in[inTime]), r.Get(m.in[inUtcTime]))
		switch code {
		case "3":
			if !ok {
				m.noTime++
				continue
			}
			g.conns = append(g.conns, conn{ts, cut(normIP(string(r.Get(m.in[inDestIP]))), maxNameBytes), cut(string(r.Get(m.in[inDestHost])), maxNameBytes)})
		case "22":
			if !ok {
				m.noTime++
				continue
			}
			g.queries = append(g.queries, query{ts, cut(string(r.Get(m.in[inQuery])), maxNameBytes), cut(string(r.Get(m.in[inResults])), maxAnswerLen)})
		}
		if len(g.conns) > m.limits.MaxTimes+m.limits.MaxTimes/4+8 || len(g.queries) > m.limits.MaxTimes+m.limits.MaxTimes/4+8 {
			if g.prune(m.limits.MaxTimes) {
				m.capped[k] = true
			}
		}
	}
	if !c.Last {
		return nil
	}
	if m.noTime > 0 {
		warnf(c, "%s: %d connection or DNS events without a readable _time or UtcTime were left out", Name, m.noTime)
	}
	if m.noGUID > 0 {
		warnf(c, "%s: %d events without ProcessGuid were skipped", Name, m.noGUID)
	}
	if m.dropped > 0 {
		warnf(c, "%s: more than max_groups=%d processes on this indexer: %d events of further processes were not correlated", Name, m.limits.MaxGroups, m.dropped)
	}
	keys := make([]key, 0, len(m.groups))
	for k := range m.groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].host < keys[j].host || keys[i].host == keys[j].host && keys[i].guid < keys[j].guid
	})
	w := &c.Out
	if !m.outSet {
		for i, f := range partialFields {
			m.out[i] = w.Field(f)
		}
		m.outSet = true
	}
	for _, k := range keys {
		g := m.groups[k]
		if g.prune(m.limits.MaxTimes) {
			m.capped[k] = true
		}
		writePartial(w, &m.out, g)
		if m.capped[k] {
			w.SetInt(m.out[pCapped], 1) // the reduce reports it
		}
		w.EndRow()
	}
	return nil
}

func writePartial(w *chunked.TableWriter, o *[pCapped + 1]int, g *group) {
	w.SetString(o[pHost], g.host)
	w.SetString(o[pGUID], g.guid)
	if g.fromP1 {
		w.SetInt(o[pP1], 1)
	}
	for i, v := range g.fields() {
		if *v != "" {
			w.SetString(o[pImage+i], *v)
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

// reducer merges partial rows.
type reducer struct {
	limits       Limits
	groups       map[key]*group
	droppedRows  int // partial rows of processes beyond MaxGroups
	capped       int // processes whose lists hit MaxTimes
	cappedGroups map[key]bool
	finish       func(r *reducer, w *chunked.TableWriter) error
	messages     []string
	strs         map[string]string // interned addresses, host names, queries
}

// maxInterned bounds the intern table; past it strings are kept as they are.
const maxInterned = 200_000

// internBytes returns one shared string for b (cut to n bytes): the same
// few destinations recur in thousands of connections.
func (r *reducer) internBytes(b []byte, n int) string {
	if len(b) > n {
		b = []byte(cut(string(b), n))
	}
	if v, ok := r.strs[string(b)]; ok { // no allocation for the lookup
		return v
	}
	s := string(b)
	if len(r.strs) < maxInterned {
		r.strs[s] = s
	}
	return s
}

func (r *reducer) Add(t *chunked.Table) error {
	if r.groups == nil {
		r.groups, r.cappedGroups, r.strs = map[key]*group{}, map[key]bool{}, map[string]string{}
	}
	var in [pCapped + 1]int
	for i, f := range partialFields {
		in[i] = t.Index(f)
	}
	if in[pGUID] < 0 {
		return nil // nothing from a map phase in this chunk
	}
	for i := 0; i < t.Len(); i++ {
		row := t.Row(i)
		k := key{string(row.Get(in[pHost])), string(row.Get(in[pGUID]))}
		if k.guid == "" {
			continue
		}
		g := r.groups[k]
		if g == nil {
			if len(r.groups) >= r.limits.MaxGroups {
				r.droppedRows++
				continue
			}
			g = &group{host: k.host, guid: k.guid}
			r.groups[k] = g
		}
		var vals [7]string
		for j := range vals {
			vals[j] = string(row.Get(in[pImage+j]))
		}
		g.mergeInfo(string(row.Get(in[pP1])) == "1", vals)
		entries(row.Get(in[pConn]), func(t float64, ip, host []byte) {
			g.conns = append(g.conns, conn{t, r.internBytes(ip, maxNameBytes), r.internBytes(host, maxNameBytes)})
		})
		entries(row.Get(in[pDNS]), func(t float64, name, results []byte) {
			g.queries = append(g.queries, query{t, r.internBytes(name, maxNameBytes), r.internBytes(results, maxAnswerLen)})
		})
		if string(row.Get(in[pCapped])) == "1" {
			r.cappedGroups[k] = true // a map phase kept only the earliest
		}
		if len(g.conns) > r.limits.MaxTimes+r.limits.MaxTimes/4+8 || len(g.queries) > r.limits.MaxTimes+r.limits.MaxTimes/4+8 {
			if g.prune(r.limits.MaxTimes) {
				r.cappedGroups[k] = true
			}
		}
	}
	return nil
}

func (r *reducer) Finish(w *chunked.TableWriter) error {
	return r.finish(r, w)
}
