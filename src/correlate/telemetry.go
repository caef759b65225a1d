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

// The telemetry beyond Sysmon 1, 3 and 22.
//
// PowerShell script block logging (Microsoft-Windows-PowerShell/Operational
// 4104) writes the text PowerShell compiles, after any de-obfuscation of
// the command line, in parts of about 32 KB (MessageNumber of
// MessageTotal, one ScriptBlockId). The event names no ProcessGuid: its
// System element's Execution ProcessID is the PowerShell host's process
// id, so a block is tied to the process of that id on its host that
// started last before it (Sysmon's ProcessId on the same host), in the
// reduce phase, where all the partial rows of both are.
//
// Security 4698 (a scheduled task was created) holds the task's definition
// in TaskContent; the task's action is judged as a command line at its
// creation, and its later runs (a new process each time) take the task's
// name, author and declared repetition (joinTasks).
//
// Sysmon 11 (file created) adds to its process the first file it created
// in a temp or public folder (detect.TempWrite).

// Partial row kinds.
const (
	kindPart = "sb"
	kindTask = "task"
)

// maxTelemetryBytes bounds the script text and task definitions one phase
// keeps; past it further ones are dropped and counted (inspector WARN).
const maxTelemetryBytes = 64 << 20

// part is one part of a script block.
type part struct {
	host       string // as the events write it
	id         string // ScriptBlockId, lower case, without braces
	num, total int
	pid, user  string
	path       string
	t          float64
	text       string
}

// taskDef is a task's creation.
type taskDef struct {
	host, name, author, content string
	t                           float64
}

// telemetry holds one phase's script block parts and task creations.
type telemetry struct {
	parts   map[string]*part    // host (lower) NUL id NUL number
	tasks   map[string]*taskDef // host (lower) NUL name (lower) NUL time
	bytes   int
	dropped int // parts or tasks past maxTelemetryBytes or max_groups
	badTask int // task definitions that could not be read
	badWhy  string
}

func (tl *telemetry) addPart(p *part, maxTasks int) {
	if tl.parts == nil {
		tl.parts = map[string]*part{}
	}
	k := strings.ToLower(p.host) + "\x00" + p.id + "\x00" + strconv.Itoa(p.num)
	if old := tl.parts[k]; old != nil {
		if p.t > 0 && (old.t == 0 || p.t < old.t) {
			old.t = p.t // the same part logged twice: one part
		}
		return
	}
	if tl.bytes+len(p.text) > maxTelemetryBytes || len(tl.parts) >= 50*maxTasks {
		tl.dropped++
		return
	}
	tl.bytes += len(p.text)
	tl.parts[k] = p
}

func (tl *telemetry) addTask(d *taskDef, maxTasks int) {
	if tl.tasks == nil {
		tl.tasks = map[string]*taskDef{}
	}
	k := strings.ToLower(d.host) + "\x00" + strings.ToLower(d.name) + "\x00" + ftoa(d.t)
	if tl.tasks[k] != nil {
		return
	}
	if tl.bytes+len(d.content) > maxTelemetryBytes || len(tl.tasks) >= maxTasks {
		tl.dropped++
		return
	}
	tl.bytes += len(d.content)
	tl.tasks[k] = d
}

// part reads a 4104 event (map phase).
func (m *mapper) part(r chunked.Row) {
	text := r.Get(m.in[fieldmap.ScriptBlockText])
	if len(bytes.TrimSpace(text)) == 0 {
		return
	}
	get := func(f fieldmap.Field) string {
		return string(bytes.TrimSpace(firstValue(r.Get(m.in[f]))))
	}
	num, _ := strconv.Atoi(get(fieldmap.MessageNumber))
	total, _ := strconv.Atoi(get(fieldmap.MessageTotal))
	num, total = max(num, 1), max(total, 1)
	// Before anything is copied: most blocks of full script block
	// logging are left out here.
	if total == 1 {
		if det := m.detector(); det != nil && !det.ScriptOfInterest(text) {
			return // no evidence in it: see detect.ScriptOfInterest
		}
	}
	ts, _ := parseTime(r.Get(m.in[fieldmap.Time]), r.Get(m.in[fieldmap.UtcTime]))
	p := &part{host: get(fieldmap.Host), id: strings.ToLower(strings.Trim(get(fieldmap.ScriptBlockId), "{}")),
		num: num, total: total, pid: get(fieldmap.ExecutionProcessID), user: get(fieldmap.UserID), path: get(fieldmap.ScriptPath), t: ts,
		text: string(cut(text, detect.MaxScript))}
	if p.host == "" {
		return
	}
	if p.id == "" {
		p.id = "pid" + p.pid + "@" + ftoa(ts) // no id: a block of its own
	}
	m.tel.addPart(p, m.limits.MaxGroups)
}

// detector loads the catalog once; nil when it cannot be loaded (the
// reduce phase, which needs it, reports why).
func (m *mapper) detector() *detect.Detector {
	if !m.detTried {
		m.detTried = true
		if cat, err := detect.LoadCatalog(m.appDir, m.catalog); err == nil {
			m.det = detect.NewDetector(cat)
		}
	}
	return m.det
}

// task reads a 4698 event (map phase).
func (m *mapper) task(r chunked.Row) {
	get := func(f fieldmap.Field) string {
		return string(bytes.TrimSpace(firstValue(r.Get(m.in[f]))))
	}
	content := r.Get(m.in[fieldmap.TaskContent])
	d := &taskDef{host: get(fieldmap.Host), name: get(fieldmap.TaskName), content: string(cut(content, detect.MaxTaskXML))}
	if d.host == "" || len(bytes.TrimSpace(content)) == 0 {
		return
	}
	d.author = get(fieldmap.SubjectUserName)
	if dom := get(fieldmap.SubjectDomainName); dom != "" && d.author != "" {
		d.author = dom + `\` + d.author
	}
	d.t, _ = parseTime(r.Get(m.in[fieldmap.Time]), r.Get(m.in[fieldmap.UtcTime]))
	m.tel.addTask(d, m.limits.MaxGroups)
}

// writeTelemetry writes the parts and task creations as partial rows, in
// a fixed order, and warns of what was dropped.
func (m *mapper) writeTelemetry(c *chunked.Chunk, w *chunked.TableWriter) {
	if m.tel.dropped > 0 {
		warnf(c, "%s: more than %d MiB of script blocks and task definitions on this indexer: %d were left out", Name, maxTelemetryBytes>>20, m.tel.dropped)
	}
	for _, k := range sortedKeys(m.tel.parts) {
		p := m.tel.parts[k]
		w.SetString(m.out[pKind], kindPart)
		w.SetString(m.out[pHost], p.host)
		w.SetString(m.out[pGUID], p.id+":"+strconv.Itoa(p.num))
		w.SetString(m.out[pText], p.text)
		w.SetString(m.out[pPart], strconv.Itoa(p.num)+"/"+strconv.Itoa(p.total))
		for _, f := range [...]struct {
			col int
			v   string
		}{{pPID, p.pid}, {pUser, p.user}, {pPath, p.path}} {
			if f.v != "" {
				w.SetString(m.out[f.col], f.v)
			}
		}
		if p.t > 0 {
			w.SetString(m.out[pStart], ftoa(p.t))
		}
		w.EndRow()
	}
	for _, k := range sortedKeys(m.tel.tasks) {
		d := m.tel.tasks[k]
		w.SetString(m.out[pKind], kindTask)
		w.SetString(m.out[pHost], d.host)
		w.SetString(m.out[pGUID], "task:"+d.name)
		w.SetString(m.out[pText], d.content)
		if d.name != "" {
			w.SetString(m.out[pPath], d.name)
		}
		if d.author != "" {
			w.SetString(m.out[pUser], d.author)
		}
		if d.t > 0 {
			w.SetString(m.out[pStart], ftoa(d.t))
		}
		w.EndRow()
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// addPart and addTask read the map phase's telemetry rows (reduce phase).
func (r *reducer) addPart(row chunked.Row, in *[nPartial]int) {
	get := func(c int) string { return string(row.Get(in[c])) }
	id := get(pGUID)
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		id = id[:i] // "<id>:<number>"
	}
	p := &part{host: get(pHost), id: id, pid: get(pPID), user: get(pUser), path: get(pPath), text: get(pText)}
	n, total, _ := strings.Cut(get(pPart), "/")
	p.num, _ = strconv.Atoi(n)
	p.total, _ = strconv.Atoi(total)
	p.num, p.total = max(p.num, 1), max(p.total, 1)
	p.t, _ = strconv.ParseFloat(get(pStart), 64)
	if p.host == "" || p.text == "" {
		return
	}
	r.tel.addPart(p, r.limits.MaxGroups)
}

func (r *reducer) addTask(row chunked.Row, in *[nPartial]int) {
	get := func(c int) string { return string(row.Get(in[c])) }
	d := &taskDef{host: get(pHost), name: get(pPath), author: get(pUser), content: get(pText)}
	d.t, _ = strconv.ParseFloat(get(pStart), 64)
	if d.host == "" || d.content == "" {
		return
	}
	r.tel.addTask(d, r.limits.MaxGroups)
}

// block is a script block, its parts joined.
type block struct {
	host, hostName string
	id             string
	pid, user      string
	path           string
	t              float64
	text           []byte
}

// blocks joins the parts of each script block, in MessageNumber order (a
// missing part leaves its gap), earliest first.
func (tl *telemetry) blocks() []*block {
	byID := map[string][]*part{}
	for _, p := range tl.parts {
		k := strings.ToLower(p.host) + "\x00" + p.id
		byID[k] = append(byID[k], p)
	}
	out := make([]*block, 0, len(byID))
	for _, ps := range byID {
		sort.Slice(ps, func(i, j int) bool { return ps[i].num < ps[j].num })
		b := &block{host: strings.ToLower(ps[0].host), hostName: ps[0].host, id: ps[0].id}
		for _, p := range ps {
			if b.t == 0 || p.t > 0 && p.t < b.t {
				b.t = p.t
			}
			if p.host < b.hostName {
				b.hostName = p.host
			}
			b.pid, b.user, b.path = first(b.pid, p.pid), first(b.user, p.user), first(b.path, p.path)
			if len(b.text)+len(p.text) <= detect.MaxScript {
				b.text = append(b.text, p.text...)
			}
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.host != b.host {
			return a.host < b.host
		}
		if a.t != b.t {
			return a.t < b.t
		}
		return a.id < b.id
	})
	return out
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pseudoGUID names the process of script blocks no Sysmon event showed:
// by its process id on its host (within one search's window a process id
// names one process), or by the user when not even that is known. It is
// no ProcessGuid, and writeRow does not write it as one.
const pseudoGUID = "powershell-"

// attachScripts gives each script block to its process: on its host, the
// process of its ProcessID that started last at or before the block (a
// process whose creation no run saw counts as started before it); a block
// whose process no Sysmon event showed becomes a process of its own, by
// host and process id, with the block's user.
func (r *reducer) attachScripts() {
	if len(r.tel.parts) == 0 {
		return
	}
	type hostPID struct{ host, pid string }
	byPID := map[hostPID][]*group{}
	for _, g := range r.groups {
		if g.pid != "" {
			k := hostPID{g.host, g.pid}
			byPID[k] = append(byPID[k], g)
		}
	}
	for _, b := range r.tel.blocks() {
		var best *group
		for _, g := range byPID[hostPID{b.host, b.pid}] {
			if g.start > b.t+1 && b.t > 0 {
				continue // a later process with the id reused
			}
			if best == nil || g.start > best.start || g.start == best.start && g.guid < best.guid {
				best = g
			}
		}
		if best == nil {
			guid := pseudoGUID + "pid-" + b.pid
			if b.pid == "" {
				guid = pseudoGUID + "user-" + strings.ToLower(b.user)
			}
			k := key{b.host, guid}
			if best = r.groups[k]; best == nil {
				best = &group{host: b.host, hostName: b.hostName, guid: guid, user: b.user, pid: b.pid}
				r.groups[k] = best
			}
		}
		if len(best.script) > 0 && len(best.script)+1+len(b.text) > detect.MaxScript {
			continue
		}
		if len(best.script) > 0 {
			best.script = append(best.script, '\n')
		}
		best.script = append(best.script, b.text...)
		best.scriptPath = first(best.scriptPath, b.path)
	}
	r.tel.parts = nil
}

// taskActivities judges each task created as its action's command line:
// a task whose action names a catalogued service is an activity of its
// own (its creation), one per service category it names.
func (r *reducer) taskActivities(s *detect.Scorer) []*activity {
	var out []*activity
	for _, k := range sortedKeys(r.tel.tasks) {
		d := r.tel.tasks[k]
		t, err := detect.ParseTaskXML([]byte(d.content))
		if err != nil {
			if r.tel.badTask == 0 {
				r.tel.badWhy = err.Error()
			}
			r.tel.badTask++
			continue
		}
		if d.name != "" {
			t.Name = d.name // the event's TaskName is the task's path
		}
		t.Author = first(d.author, t.Author)
		cmd := t.CommandLine()
		res := s.Score(&detect.Event{Host: []byte(d.host), Image: []byte(t.Command), CommandLine: []byte(cmd)})
		byCat := map[string]*activity{}
		for _, h := range res.Hosts {
			svc, _, ok := r.det.Service(h)
			if !ok {
				continue
			}
			a := byCat[svc.Category]
			if a == nil {
				tk := t
				a = &activity{hostKey: strings.ToLower(d.host), host: d.host, image: t.Command, cmd: cmd, user: t.Author,
					category: svc.Category, hosts: map[string]int{}, cmdSeen: true, start: d.t, task: &tk, taskDef: true}
				byCat[svc.Category] = a
				out = append(out, a)
			}
			a.hosts[string(h)] += 0
		}
	}
	r.tel.tasks = nil
	return out
}

// joinTasks gives the runs of each task created (the same host and
// service, the action's program and arguments) the task, and takes the
// creation's activity out: the runs are the task from then on, under the
// creation's identity, so that its alert is throttled as one.
func joinTasks(acts map[activityKey]*activity) {
	var defs []activityKey
	for k, a := range acts {
		if a.taskDef {
			defs = append(defs, k)
		}
	}
	if len(defs) == 0 {
		return
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].less(defs[j]) })
	for _, dk := range defs {
		d := acts[dk]
		joined := false
		for _, a := range acts {
			if !a.taskDef && runsTask(a, d) {
				a.adoptTask(d)
				joined = true
			}
		}
		if joined {
			delete(acts, dk)
		}
	}
}

// runsTask reports whether activity a is a run of the task created in d.
func runsTask(a, d *activity) bool {
	if a.hostKey != d.hostKey || a.category != d.category || d.task == nil || a.cmd == "" {
		return false
	}
	prog := d.task.Command
	if !strings.Contains(string(detect.Basename([]byte(prog))), ".") {
		prog += ".exe"
	}
	if !strings.EqualFold(string(detect.Basename([]byte(a.image))), string(detect.Basename([]byte(prog)))) {
		return false
	}
	_, args := detect.SplitProgram(a.cmd)
	return strings.Join(strings.Fields(args), " ") == strings.Join(strings.Fields(d.task.Arguments), " ")
}

// adoptTask makes a a run of the task created in d.
func (a *activity) adoptTask(d *activity) {
	t := *d.task
	a.task = &t
	id := identityID(d.image, d.identityCmd())
	if a.taskID == "" || id < a.taskID {
		a.taskID = id
	}
}
