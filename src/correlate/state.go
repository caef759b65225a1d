package correlate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
)

// State rows: one per activity (host, identity, service), written by
// output=state and read back by input=state through a lookup
// (outputlookup t1102_state, then inputlookup t1102_state on the next
// run). The columns are the command's own; the package documentation
// lists them.
const (
	sHost = iota
	sImage
	sCmd
	sParent
	sUser
	sOFN
	sDesc
	sProduct
	sCompany
	sService
	sHosts
	sConns
	sQueries
	sCmdSeen
	sGUID
	sGUIDStart
	sGUIDs
	sStart
	sLast
	sScript
	sScriptPath
	sWritten
	sPID
	sTask
	sTaskAuthor
	sTaskEvery
	sTaskHidden
	sTaskRunAs
	sTaskSource
	sTaskDef
	sTaskID
	nState
)

var stateFields = [nState]string{
	sHost: "t1102s_host", sImage: "t1102s_image", sCmd: "t1102s_cmd", sParent: "t1102s_parent", sUser: "t1102s_user",
	sOFN: "t1102s_ofn", sDesc: "t1102s_desc", sProduct: "t1102s_product", sCompany: "t1102s_company",
	sService: "t1102s_service", sHosts: "t1102s_hosts", sConns: "t1102s_conns", sQueries: "t1102s_queries",
	sCmdSeen: "t1102s_cmdseen", sGUID: "t1102s_guid", sGUIDStart: "t1102s_guid_start", sGUIDs: "t1102s_guids",
	sStart: "t1102s_start", sLast: "t1102s_last",
	sScript: "t1102s_script", sScriptPath: "t1102s_script_path", sWritten: "t1102s_written", sPID: "t1102s_pid",
	sTask: "t1102s_task", sTaskAuthor: "t1102s_task_author", sTaskEvery: "t1102s_task_every", sTaskHidden: "t1102s_task_hidden",
	sTaskRunAs: "t1102s_task_runas", sTaskSource: "t1102s_task_source", sTaskDef: "t1102s_task_def", sTaskID: "t1102s_task_id",
}

// errStateRow is wrapped by the errors of a state row that cannot be read.
var errStateRow = errors.New("bad state row")

// writeState writes one activity as a state row.
func writeState(w *chunked.TableWriter, col *[nState]int, a *activity, buf []byte) []byte {
	for _, f := range [...]struct {
		c int
		v string
	}{
		{sHost, a.host}, {sImage, a.image}, {sCmd, a.cmd}, {sParent, a.parent}, {sUser, a.user}, {sOFN, a.ofn}, {sDesc, a.desc},
		{sProduct, a.product}, {sCompany, a.company}, {sService, a.category}, {sGUID, a.guid},
		{sScript, a.script}, {sScriptPath, a.scriptPath}, {sWritten, a.written}, {sPID, a.pid}, {sTaskID, a.taskID},
	} {
		if f.v != "" {
			w.SetString(col[f.c], f.v)
		}
	}
	// Hosts as "name=count;…", the most requested first.
	buf = buf[:0]
	for i, h := range a.sortedHosts() {
		if i > 0 {
			buf = append(buf, ';')
		}
		buf = strconv.AppendInt(append(append(buf, h...), '='), int64(a.hosts[h]), 10)
	}
	if len(buf) > 0 {
		w.Set(col[sHosts], buf)
	}
	for _, l := range [...]struct {
		c  int
		ts []float64
	}{{sConns, a.conns}, {sQueries, a.queries}} {
		if len(l.ts) > 0 {
			buf = appendTimes(buf[:0], l.ts)
			w.Set(col[l.c], buf)
		}
	}
	if a.cmdSeen {
		w.SetInt(col[sCmdSeen], 1)
	}
	if a.guidStart > 0 {
		w.SetString(col[sGUIDStart], ftoa(a.guidStart))
	}
	if len(a.guids) > 0 {
		w.SetString(col[sGUIDs], strings.Join(a.guids, ";"))
	}
	if a.start > 0 {
		w.SetString(col[sStart], ftoa(a.start))
	}
	w.SetString(col[sLast], ftoa(a.last()))
	if t := a.task; t != nil {
		w.SetString(col[sTask], t.Name)
		for _, f := range [...]struct {
			c int
			v string
		}{{sTaskAuthor, t.Author}, {sTaskRunAs, t.RunAs}, {sTaskSource, t.Source}} {
			if f.v != "" {
				w.SetString(col[f.c], f.v)
			}
		}
		if t.Every > 0 {
			w.SetString(col[sTaskEvery], ftoa(t.Every))
		}
		if t.Hidden {
			w.SetInt(col[sTaskHidden], 1)
		}
		if a.taskDef {
			w.SetInt(col[sTaskDef], 1)
		}
	}
	return buf
}

// appendTimes writes sorted times compactly, in whole milliseconds: the
// first in full, then each as the difference from the one before
// ("1764000000.25;300;299.875").
func appendTimes(b []byte, ts []float64) []byte {
	var prev int64
	for i, t := range ts {
		if i > 0 {
			b = append(b, ';')
		}
		ms := int64(math.Round(t * 1000))
		b = strconv.AppendFloat(b, float64(ms-prev)/1000, 'f', -1, 64)
		prev = ms
	}
	return b
}

// parseTimes reads what appendTimes wrote.
func parseTimes(v []byte) ([]float64, error) {
	if len(v) == 0 {
		return nil, nil
	}
	out := make([]float64, 0, bytes.Count(v, []byte{';'})+1)
	var prev int64
	for i, part := range bytes.Split(v, []byte{';'}) {
		d, err := strconv.ParseFloat(string(bytes.TrimSpace(part)), 64)
		if err != nil || math.IsNaN(d) || math.Abs(d) > 1e11 || i > 0 && d < 0 {
			return nil, fmt.Errorf("time %d %q: want seconds, increasing", i+1, part)
		}
		prev += int64(math.Round(d * 1000))
		out = append(out, float64(prev)/1000)
	}
	return out, nil
}

// readState reads one state row; in are the state columns of its table.
func readState(row chunked.Row, in *[nState]int) (*activity, error) {
	get := func(c int) string { return string(row.Get(in[c])) }
	a := &activity{host: get(sHost), image: get(sImage), cmd: get(sCmd), parent: get(sParent), user: get(sUser), ofn: get(sOFN),
		desc: get(sDesc), product: get(sProduct), company: get(sCompany), category: get(sService), guid: get(sGUID),
		cmdSeen: get(sCmdSeen) == "1", hosts: map[string]int{}, script: get(sScript), scriptPath: get(sScriptPath), written: get(sWritten),
		pid: get(sPID), taskID: get(sTaskID)}
	a.hostKey = string(appendLower(nil, []byte(a.host)))
	if a.hostKey == "" || a.category == "" {
		return nil, fmt.Errorf("%w: %s and %s are required", errStateRow, stateFields[sHost], stateFields[sService])
	}
	for _, part := range strings.Split(get(sHosts), ";") {
		if part == "" {
			continue
		}
		h, n, ok := strings.Cut(part, "=")
		c, err := strconv.Atoi(n)
		if !ok || err != nil || c < 0 || h == "" {
			return nil, fmt.Errorf("%w: %s: %q is not host=count", errStateRow, stateFields[sHosts], part)
		}
		a.hosts[h] += c
	}
	var err error
	if a.conns, err = parseTimes(row.Get(in[sConns])); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errStateRow, stateFields[sConns], err)
	}
	if a.queries, err = parseTimes(row.Get(in[sQueries])); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errStateRow, stateFields[sQueries], err)
	}
	for _, f := range [...]struct {
		c   int
		dst *float64
	}{{sGUIDStart, &a.guidStart}, {sStart, &a.start}} {
		if v := get(f.c); v != "" {
			if *f.dst, err = strconv.ParseFloat(v, 64); err != nil || math.IsNaN(*f.dst) || math.IsInf(*f.dst, 0) {
				return nil, fmt.Errorf("%w: %s=%q: want epoch seconds", errStateRow, stateFields[f.c], v)
			}
		}
	}
	if name := get(sTask); name != "" || get(sTaskDef) == "1" {
		t := &detect.Task{Name: name, Author: get(sTaskAuthor), RunAs: get(sTaskRunAs), Source: get(sTaskSource), Hidden: get(sTaskHidden) == "1"}
		if v := get(sTaskEvery); v != "" {
			if t.Every, err = strconv.ParseFloat(v, 64); err != nil || !(t.Every >= 0) || math.IsInf(t.Every, 0) {
				return nil, fmt.Errorf("%w: %s=%q: want seconds", errStateRow, stateFields[sTaskEvery], v)
			}
		}
		a.task, a.taskDef = t, get(sTaskDef) == "1"
		if a.taskDef {
			// The creation's action is its image and command line.
			t.Command, t.Arguments = detect.SplitProgram(a.cmd)
		}
	}
	if v := get(sGUIDs); v != "" {
		a.guids = strings.Split(v, ";")
		sort.Strings(a.guids)
		if len(a.guids) > maxGUIDs {
			a.guids = a.guids[len(a.guids)-maxGUIDs:]
		}
	}
	return a, nil
}
