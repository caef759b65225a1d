package correlate

import (
	"bytes"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/fieldmap"
)

// inputs are the fields the map phase reads (fieldmap names where from).
var inputs = [...]fieldmap.Field{
	fieldmap.EventCode, fieldmap.Host, fieldmap.ProcessGuid, fieldmap.Time, fieldmap.UtcTime, fieldmap.Image, fieldmap.CommandLine,
	fieldmap.ParentImage, fieldmap.User, fieldmap.OriginalFileName, fieldmap.Description, fieldmap.Product,
	fieldmap.DestinationHostname, fieldmap.DestinationIp, fieldmap.QueryName, fieldmap.QueryResults, fieldmap.Company,
	fieldmap.ProcessId, fieldmap.TargetFilename, fieldmap.ScriptBlockText, fieldmap.ScriptBlockId, fieldmap.MessageNumber,
	fieldmap.MessageTotal, fieldmap.ScriptPath, fieldmap.ExecutionProcessID, fieldmap.UserID, fieldmap.TaskName, fieldmap.TaskContent,
	fieldmap.SubjectUserName, fieldmap.SubjectDomainName,
}

// Partial-state fields exchanged between the map and reduce phases.
const (
	pHost = iota
	pGUID
	pP1
	pImage
	pCmd
	pParent
	pUser
	pOFN
	pDesc
	pProduct
	pConn
	pDNS
	pCapped
	pStart
	pCompany
	pKind    // "sb": a part of a script block; "task": a task created; empty: a process
	pText    // the script block part's text, or the task's TaskContent
	pPID     // the process id (Sysmon's ProcessId; a script block's Execution ProcessID)
	pPart    // a script block part's "MessageNumber/MessageTotal"
	pPath    // a script block's Path, or the task's name
	pWritten // a file the process created in a temp or public folder
	nPartial
)

// partialFields are the partial rows' field names, keyed by column.
var partialFields = [nPartial]string{
	pHost: "t1102c_host", pGUID: "t1102c_guid", pP1: "t1102c_p1", pImage: "t1102c_image", pCmd: "t1102c_cmd", pParent: "t1102c_parent",
	pUser: "t1102c_user", pOFN: "t1102c_ofn", pDesc: "t1102c_desc", pProduct: "t1102c_product", pConn: "t1102c_conn", pDNS: "t1102c_dns",
	pCapped: "t1102c_capped", pStart: "t1102c_start", pCompany: "t1102c_company",
	pKind: "t1102c_kind", pText: "t1102c_text", pPID: "t1102c_pid", pPart: "t1102c_part", pPath: "t1102c_path", pWritten: "t1102c_written",
}

// The process fields of a group, as mergeRaw takes them.
const (
	iImage = iota
	iCmd
	iParent
	iUser
	iOFN
	iDesc
	iProduct
	iCompany
	nInfo
)

// partialInfo is the partial-row column of each process field.
var partialInfo = [nInfo]int{iImage: pImage, iCmd: pCmd, iParent: pParent, iUser: pUser, iOFN: pOFN, iDesc: pDesc, iProduct: pProduct, iCompany: pCompany}

// Limits bound the reduce phase's memory.
type Limits struct {
	// MaxGroups is how many processes are tracked; events of further
	// processes are dropped and counted (inspector WARN).
	MaxGroups int
	// MaxTimes is how many connections and DNS queries are kept per
	// process (each); beyond it the earliest MaxTimes are kept and
	// connection_count, dns_count, last_seen and the polling figures are
	// those of the kept ones (inspector WARN naming how many processes).
	MaxTimes int
}

// DefaultLimits are the limits without arguments: at most 20,000
// processes per process (map or reduce), and the earliest 100 connections
// and 100 DNS queries of each, which is more than regularity needs. A
// process holds at most 133 of each between prunings, so the state
// stays under about 20,000 × 2 × 133 × 80 bytes, some 430 MB, at the very
// worst, plus the command lines, kept whole (up to 32,767 characters,
// about 96 KB of UTF-8 at most: 1.9 GB more if every process had the
// longest possible one), and far less with real data.
var DefaultLimits = Limits{MaxGroups: 20_000, MaxTimes: 100}

// conn is one connection: time, destination address and host name.
type conn struct {
	t    float64
	ip   string
	host string
}

// query is one DNS query: time, name and the answer addresses.
type query struct {
	t       float64
	name    string
	results string
}

// Byte bounds on what a process's state keeps of each value: a command
// line can be 32,767 characters, answers and names are short in practice
// but arrive from the data.
const (
	maxTextBytes = 4096 // parent, image and the other process fields
	maxNameBytes = 256  // host names, addresses, query names
	maxAnswerLen = 512  // QueryResults
	// maxCmdUnits is Windows' limit on a command line, in UTF-16 code
	// units: the whole command line is kept and judged, as padding before
	// a URL (or a long encoded command) must not push evidence past a cut.
	// Only a longer value, which Windows cannot produce, is cut (and the
	// map phase warns).
	maxCmdUnits = 32_767
)

// cutCmd shortens a command line to maxCmdUnits UTF-16 code units, at a
// character boundary; cut says whether it did.
func cutCmd(v []byte) (kept []byte, wasCut bool) {
	if len(v) <= maxCmdUnits {
		return v, false // never more units than bytes
	}
	units := 0
	for i := 0; i < len(v); {
		r, n := utf8.DecodeRune(v[i:])
		u := 1
		if r > 0xFFFF {
			u = 2
		}
		if units+u > maxCmdUnits {
			return v[:i], true
		}
		units += u
		i += n
	}
	return v, false
}

// keep is what a group keeps of process field i.
func keep(i int, v []byte) (kept []byte, wasCut bool) {
	if i == iCmd {
		return cutCmd(v)
	}
	return cut(v, maxTextBytes), false
}

// cut shortens s to at most n bytes, at a UTF-8 boundary.
func cut[S string | []byte](s S, n int) S {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// group is everything known about one process.
type group struct {
	host, guid                                   string  // the key: lower case, guid without braces
	hostName                                     string  // host as the events write it (the smallest spelling, if several)
	fromP1                                       bool    // the process fields come from its process-creation event
	start                                        float64 // the process creation's time (0: not seen)
	records                                      int     // events (map) or partial rows (reduce) merged, for max_groups warnings
	image, cmd, parent, user, ofn, desc, product string
	company                                      string
	pid                                          string // the process id (the smallest, if several)
	written                                      string // a file it created in a temp or public folder (the smallest path)
	script                                       []byte // its script blocks, joined (reduce: attachScripts)
	scriptPath                                   string
	conns                                        []conn
	queries                                      []query
}

// mergePID and mergeWritten keep the smallest non-empty value: the same
// whatever the order of arrival.
func (g *group) mergePID(v []byte) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && (g.pid == "" || string(v) < g.pid) {
		g.pid = string(cut(v, maxNameBytes))
	}
}

func (g *group) mergeWritten(v []byte) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && (g.written == "" || string(v) < g.written) {
		g.written = string(cut(v, maxTextBytes))
	}
}

// mergeHost keeps the smallest spelling of the host name: lookups and
// where clauses after the command compare case-sensitively, so the output
// writes host as the events do, the same whatever the order of arrival.
func (g *group) mergeHost(raw []byte) {
	if len(raw) > 0 && (g.hostName == "" || string(raw) < g.hostName) {
		g.hostName = string(cut(raw, maxNameBytes))
	}
}

// mergeStart keeps the earliest process-creation time seen (one process
// has one; several would be a reused GUID, and the earliest is the same
// whatever the order).
func (g *group) mergeStart(t float64) {
	if t > 0 && (g.start == 0 || t < g.start) {
		g.start = t
	}
}

func (g *group) fields() [nInfo]*string {
	return [nInfo]*string{iImage: &g.image, iCmd: &g.cmd, iParent: &g.parent, iUser: &g.user, iOFN: &g.ofn, iDesc: &g.desc, iProduct: &g.product, iCompany: &g.company}
}

// mergeRaw takes process fields from another record of the same process
// (an event, or a partial row), as bytes: values from process creation win;
// otherwise the smallest value, so the outcome does not depend on arrival
// order. Only the values it keeps are converted, so merging the many
// records of processes already known allocates nothing.
// It reports whether a command line was longer than Windows allows and cut.
func (g *group) mergeRaw(fromP1 bool, vals [nInfo][]byte) (cmdCut bool) {
	mine := g.fields()
	switch {
	case fromP1 && !g.fromP1:
		for i, v := range vals {
			v, c := keep(i, v)
			cmdCut = cmdCut || c
			*mine[i] = string(v)
		}
		g.fromP1 = true
	case fromP1 == g.fromP1:
		for i, v := range vals {
			v, c := keep(i, v)
			cmdCut = cmdCut || c
			if len(v) > 0 && (*mine[i] == "" || string(v) < *mine[i]) {
				*mine[i] = string(v)
			}
		}
	}
	return cmdCut
}

// prune keeps the earliest max connections and queries, ordered by time
// (then by value, for a total order).
func (g *group) prune(max int) (dropped bool) {
	if len(g.conns) > max {
		sort.Slice(g.conns, func(i, j int) bool { return lessConn(g.conns[i], g.conns[j]) })
		g.conns = g.conns[:max]
		dropped = true
	}
	if len(g.queries) > max {
		sort.Slice(g.queries, func(i, j int) bool { return lessQuery(g.queries[i], g.queries[j]) })
		g.queries = g.queries[:max]
		dropped = true
	}
	return dropped
}

func lessConn(a, b conn) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	if a.ip != b.ip {
		return a.ip < b.ip
	}
	return a.host < b.host
}

func lessQuery(a, b query) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	if a.name != b.name {
		return a.name < b.name
	}
	return a.results < b.results
}

// firstValue is the first line of a cell: the first value of a multivalue
// field as Row.Get returns it.
func firstValue(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// parseTime reads _time as splunkd sends it (epoch seconds), or an
// RFC 3339 time or Sysmon's UtcTime ("2006-01-02 15:04:05.000").
func parseTime(vals ...[]byte) (float64, bool) {
	for _, v := range vals {
		s := strings.TrimSpace(string(v))
		if s == "" {
			continue
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return float64(t.UnixNano()) / 1e9, true
			}
		}
	}
	return 0, false
}

// answers returns the addresses of a Sysmon QueryResults value
// ("::ffff:1.2.3.4;type:  5 cdn.example;2001:db8::1;"), also when it was a
// multivalue (values one per line, or spaces once through a partial row).
// It splits on every character strings.TrimSpace (and so normIP) would trim,
// not only on ' ', '\t', '\r' and '\n': an IPv6 zone may hold any byte, and
// "::%\f" was kept whole here while normIP of the connection's address
// trims it to "::%", so the two keys could never match (FuzzAnswersAndTimes).
func answers(results string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(results, func(r rune) bool { return r == ';' || unicode.IsSpace(r) }) {
		if a, err := netip.ParseAddr(part); err == nil {
			out = append(out, a.Unmap().String())
		}
	}
	return out
}

// normIP makes an address comparable with answers().
func normIP(s string) string {
	if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
		return a.Unmap().String()
	}
	return strings.TrimSpace(s)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// warnf adds an inspector warning.
func warnf(c *chunked.Chunk, format string, args ...any) {
	c.Message(chunked.LevelWarn, format, args...)
}
