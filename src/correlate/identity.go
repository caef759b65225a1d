package correlate

import (
	"cmp"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/detect"
)

// An identity is a process as polling sees it: the same image and command
// line on one host, whatever its ProcessGuid. A scheduled task started
// anew every hour is one identity with many instances.
//
// activity is what one identity did with one service category: the unit
// t1102correlate judges and, with output=state, the row of the state kept
// across scheduled runs.
type activity struct {
	hostKey                                               string // host, lower case
	imageKey                                              string // image, lower case (set by key)
	host                                                  string // as the events write it (the smallest spelling)
	image, cmd, parent, user, ofn, desc, product, company string
	category                                              string
	guid                                                  string // the latest instance's ProcessGuid, without braces
	guidStart                                             float64
	guids                                                 []string // distinct instances, sorted, at most maxGUIDs
	hosts                                                 map[string]int
	conns, queries                                        []float64
	cmdSeen                                               bool // the command line (or a script block, or the task's action) names the service
	start                                                 float64
	script                                                string // the process's script blocks (the longest of the identity's)
	scriptPath                                            string
	written                                               string // a file it created in a temp or public folder
	pid                                                   string
	task                                                  *detect.Task // the task that runs it, or whose creation this is
	taskDef                                               bool         // the activity is the task's creation (4698), not a process
	taskID                                                string       // t1102_identity of the task created, for its runs
}

// maxGUIDs bounds the instances an activity remembers; past it the count
// says "at least".
const maxGUIDs = 64

// activityKey identifies an activity: host, image (lower case), command
// line and category.
type activityKey struct{ host, image, cmd, category string }

func (a *activity) key() activityKey {
	if a.imageKey == "" || !strings.EqualFold(a.imageKey, a.image) {
		a.imageKey = strings.ToLower(a.image)
	}
	return activityKey{a.hostKey, a.imageKey, a.identityCmd(), a.category}
}

// identityCmd is the command-line part of the identity. A process whose
// creation no run saw (its connections and queries carry neither command
// line nor PE metadata) is known by its ProcessGuid instead: two such
// processes of one image are not one identity, and neither takes the
// other's requests (review finding).
func (a *activity) identityCmd() string {
	if a.unresolved() {
		return "\x00" + a.guid
	}
	return a.cmd
}

// unresolved reports whether no run saw the process's creation.
func (a *activity) unresolved() bool { return a.cmd == "" && a.ofn == "" }

// identityID is a short, stable name of an identity for throttling and
// drilldowns (FNV-64a of the lower-case image, NUL, the command line):
// t1102_identity.
func identityID(image, cmd string) string {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(image)))
	h.Write([]byte{0})
	h.Write([]byte(cmd))
	return strconv.FormatUint(h.Sum64(), 16)
}

// merge folds b (the same key) into a: the union of the requests (exact
// duplicates once: the same event read twice is one request), the latest
// instance, the smallest spelling of each field where they differ (the
// order of arrival does not matter).
func (a *activity) merge(b *activity) {
	if b.host != "" && (a.host == "" || b.host < a.host) {
		a.host = b.host
	}
	for _, f := range [...]struct {
		dst *string
		v   string
	}{
		{&a.parent, b.parent}, {&a.user, b.user}, {&a.desc, b.desc}, {&a.product, b.product}, {&a.company, b.company},
	} {
		if f.v != "" && (*f.dst == "" || f.v < *f.dst) {
			*f.dst = f.v
		}
	}
	// PE original names that disagree are evidence: a file of this name
	// was at some point another program (a replaced binary). The one that
	// is not the file's own name is kept, so the detector sees the rename.
	if b.ofn != "" && (a.ofn == "" || renamedFirst(b.ofn, a.ofn, a.image)) {
		a.ofn = b.ofn
	}
	if b.image != "" && (a.image == "" || b.image < a.image) {
		a.image = b.image // the same image, perhaps written in another case
	}
	if !a.unresolved() && (b.guidStart > a.guidStart || b.guidStart == a.guidStart && b.guid > a.guid) {
		a.guid, a.guidStart = b.guid, b.guidStart // an unresolved activity is its one process
	}
	a.guids = mergeStrings(a.guids, b.guids, maxGUIDs)
	if a.hosts == nil {
		a.hosts = map[string]int{}
	}
	for h, n := range b.hosts {
		a.hosts[h] += n
	}
	a.conns = mergeTimes(a.conns, b.conns)
	a.queries = mergeTimes(a.queries, b.queries)
	a.cmdSeen = a.cmdSeen || b.cmdSeen
	if b.start > 0 && (a.start == 0 || b.start < a.start) {
		a.start = b.start
	}
	// The script judged is one process's: the longest (then the
	// smallest), whatever the order.
	if len(b.script) > len(a.script) || len(b.script) == len(a.script) && b.script < a.script {
		a.script, a.scriptPath = b.script, b.scriptPath
	}
	for _, f := range [...]struct {
		dst *string
		v   string
	}{{&a.written, b.written}, {&a.pid, b.pid}, {&a.taskID, b.taskID}} {
		if f.v != "" && (*f.dst == "" || f.v < *f.dst) {
			*f.dst = f.v
		}
	}
	if b.task != nil && (a.task == nil || b.task.Name < a.task.Name) {
		a.task = b.task
	}
	a.taskDef = a.taskDef && b.taskDef
}

// renamedFirst reports whether PE original name x should win over y for
// the file image: the one that differs from the file's name first, then
// the smallest (a total order: merges do not depend on arrival).
func renamedFirst(x, y, image string) bool {
	base := image[strings.LastIndexAny(image, `\/`)+1:]
	xr, yr := !strings.EqualFold(x, base), !strings.EqualFold(y, base)
	if xr != yr {
		return xr
	}
	return x < y
}

// mergeStrings is the sorted union of two sorted lists, at most max long
// (the largest kept: ProcessGuids of later instances do not sort later,
// but any fixed rule keeps the result independent of the order of merges).
func mergeStrings(a, b []string, max int) []string {
	out := union(a, b)
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// mergeTimes is the sorted union of two sorted lists of times, exact
// duplicates once.
func mergeTimes(a, b []float64) []float64 {
	if len(b) == 0 {
		return a
	}
	return union(a, b)
}

// union is the sorted union of two sorted lists, values in both once.
func union[T cmp.Ordered](a, b []T) []T {
	out := make([]T, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// prune keeps the requests in (since, ∞) and, of those, the latest max of
// each kind; it reports whether max cut anything.
func (a *activity) prune(since float64, max int) (capped bool) {
	cut := func(ts []float64) []float64 {
		i := sort.Search(len(ts), func(i int) bool { return ts[i] > since })
		ts = ts[i:]
		if len(ts) > max {
			ts, capped = ts[len(ts)-max:], true
		}
		return ts
	}
	a.conns, a.queries = cut(a.conns), cut(a.queries)
	return capped
}

// MaxClockSkew is how far after the search's time a request may be and
// still count (seconds): a host's clock a little ahead.
const MaxClockSkew = 3600

// dropAfter removes requests after until and says how many.
func (a *activity) dropAfter(until float64) int {
	n := 0
	cut := func(ts []float64) []float64 {
		i := sort.Search(len(ts), func(i int) bool { return ts[i] > until })
		n += len(ts) - i
		return ts[:i]
	}
	a.conns, a.queries = cut(a.conns), cut(a.queries)
	return n
}

// last is the latest request, or the start when there is none.
func (a *activity) last() float64 {
	t := a.start
	if n := len(a.conns); n > 0 {
		t = math.Max(t, a.conns[n-1])
	}
	if n := len(a.queries); n > 0 {
		t = math.Max(t, a.queries[n-1])
	}
	return t
}

// first is the earliest request, or 0.
func (a *activity) first() float64 {
	t := math.Inf(1)
	if len(a.conns) > 0 {
		t = a.conns[0]
	}
	if len(a.queries) > 0 {
		t = math.Min(t, a.queries[0])
	}
	if math.IsInf(t, 1) {
		return 0
	}
	return t
}

// requests are the times polling is judged on: the connections, or the
// DNS queries when the process made no connection to the service (Sysmon
// logs a query only when the resolver's cache misses).
func (a *activity) requests() []float64 {
	if len(a.conns) > 0 {
		return a.conns
	}
	return a.queries
}

// sortedHosts are the service's hosts, the most requested first.
func (a *activity) sortedHosts() []string {
	hs := make([]string, 0, len(a.hosts))
	for h := range a.hosts {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool {
		ni, nj := a.hosts[hs[i]], a.hosts[hs[j]]
		return ni > nj || ni == nj && hs[i] < hs[j]
	})
	return hs
}

// generalImage is the image path as the fleet baseline counts it: lower
// case, the user's folder generalised (c:\users\alice\appdata\… →
// c:\users\*\appdata\…; /home/alice/… → /home/*/…), so that one program
// installed per user is one identity across the fleet.
func generalImage(image string) string {
	p := strings.ToLower(strings.TrimSpace(image))
	for _, root := range []string{`:\users\`, `/home/`, `/users/`} {
		if i := strings.Index(p, root); i >= 0 {
			rest := p[i+len(root):]
			if j := strings.IndexAny(rest, `\/`); j > 0 {
				p = p[:i+len(root)] + "*" + rest[j:]
			}
			break
		}
	}
	return p
}

// fleetIdentity is a pair's process side in the fleet baseline: the
// generalised image path and the PE original name.
func fleetIdentity(image, ofn string) string {
	return generalImage(image) + "|" + strings.ToLower(strings.TrimSpace(ofn))
}
