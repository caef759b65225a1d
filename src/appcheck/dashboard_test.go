package appcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// This file runs every panel of the shipped dashboard
// (default/data/ui/views/t1102_overview.xml) over the project's events:
// the panel's query with the app's macros expanded and its tokens set, the
// custom command (t1102correlate, t1102score) run as the real binary
// through the emulator, and the SPL before and after it by a small
// evaluator below that knows only the commands the dashboard uses and
// fails the test on any other, so no panel passes untested.

// view is the parsed dashboard: its panels' searches and the drilldown
// tokens of the table panel.
type view struct {
	panels    []panel
	drilldown []tokenRule
}

type panel struct {
	title, kind      string // kind is the visualization element: chart, table, event
	query            string // base search's query followed by the panel's post-process query
	earliest, latest string
}

// tokenRule is a <set token> or <eval token> of a drilldown.
type tokenRule struct {
	token, expr string
	eval        bool
}

func loadView(t *testing.T) (*XMLNode, view) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "default", "data", "ui", "views", "t1102_overview.xml"))
	require.NoError(t, err)
	root, err := ParseXML(data)
	require.NoError(t, err)
	bases := map[string]*XMLNode{}
	root.Walk(func(n *XMLNode) {
		if n.Name == "search" && n.Attr["id"] != "" {
			bases[n.Attr["id"]] = n
		}
	})
	text := func(n *XMLNode, child string) string {
		if c := n.Child(child); c != nil {
			return strings.TrimSpace(c.Text)
		}
		return ""
	}
	var v view
	root.Walk(func(p *XMLNode) {
		if p.Name != "panel" {
			return
		}
		for _, viz := range p.Children {
			s := viz.Child("search")
			if s == nil {
				continue
			}
			pn := panel{title: text(p, "title"), kind: viz.Name, query: text(s, "query"), earliest: text(s, "earliest"), latest: text(s, "latest")}
			if b := s.Attr["base"]; b != "" {
				base := bases[b]
				require.NotNil(t, base, "panel %q: base search %q", pn.title, b)
				pn.query = text(base, "query") + " " + pn.query
				pn.earliest, pn.latest = text(base, "earliest"), text(base, "latest")
			}
			require.Empty(t, s.Attr["ref"], "panel %q: saved-search panels are not run by this test", pn.title)
			v.panels = append(v.panels, pn)
			if d := viz.Child("drilldown"); d != nil {
				for _, r := range d.Children {
					require.Contains(t, []string{"set", "eval"}, r.Name, "panel %q: drilldown element <%s> is not evaluated by this test", pn.title, r.Name)
					v.drilldown = append(v.drilldown, tokenRule{token: r.Attr["token"], expr: strings.TrimSpace(r.Text), eval: r.Name == "eval"})
				}
			}
		}
	})
	return root, v
}

// sysmonEvents reads events files of testdata/events and gives each the
// source Sysmon's own channel is indexed with (the first source of the
// t1102_sysmon macro), as Splunk would return them.
func sysmonEvents(t *testing.T, files ...string) *splunkd.Table {
	t.Helper()
	out := &splunkd.Table{}
	for _, name := range files {
		f, err := os.Open(filepath.Join(repo, "testdata", "events", name))
		require.NoError(t, err)
		tb, err := splunkd.ReadTable(f, "csv")
		f.Close()
		require.NoError(t, err)
		if out.Fields == nil {
			out.Fields = append(tb.Fields, "source")
		}
		require.Equal(t, out.Fields[:len(out.Fields)-1], tb.Fields, "%s has the same columns as the other files", name)
		for _, row := range tb.Rows {
			r := make([]splunkd.Value, len(out.Fields))
			copy(r, row)
			r[len(r)-1] = splunkd.Value{"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"}
			out.Rows = append(out.Rows, r)
		}
	}
	return out
}

// expandMacros replaces `name` with its definition from default/macros.conf
// until none is left (macros without arguments only: the app has no other).
func expandMacros(t *testing.T, q string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "default", "macros.conf"))
	require.NoError(t, err)
	macros := ParseConf("macros.conf", data)
	re := regexp.MustCompile("`([^`]*)`")
	for i := 0; re.MatchString(q); i++ {
		require.Less(t, i, 20, "macros expand to macros without end: %s", q)
		q = re.ReplaceAllStringFunc(q, func(m string) string {
			name := strings.Trim(m, "`")
			s := macros.Stanza(name)
			require.NotNil(t, s, "macro %s is defined in default/macros.conf", m)
			def, _ := s.Get("definition")
			return def
		})
	}
	return q
}

// setTokens replaces $name$ and $name|s$ (Simple XML's quoting filter:
// the value in double quotes, backslashes and double quotes escaped) with
// tokens[name]; a token the test does not set fails.
func setTokens(t *testing.T, s string, tokens map[string]string) string {
	t.Helper()
	return regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_.]*)(\|s)?\$`).ReplaceAllStringFunc(s, func(m string) string {
		name, quote := strings.Trim(m, "$"), false
		if n, ok := strings.CutSuffix(name, "|s"); ok {
			name, quote = n, true
		}
		v, ok := tokens[name]
		require.True(t, ok, "token $%s$ in %q is set", name, s)
		if quote {
			return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
		}
		return v
	})
}

// spl is the evaluator's state: the binaries of the custom commands and
// the app folder they read their catalogs from.
type spl struct {
	t        failer
	commands map[string]string // custom command → built executable
	appDir   string
	ran      map[string]bool // custom commands a pipeline ran
}

func newSPL(t *testing.T) *spl {
	data, err := os.ReadFile(filepath.Join(repo, "default", "commands.conf"))
	require.NoError(t, err)
	abs, err := filepath.Abs(repo)
	require.NoError(t, err)
	s := &spl{t: t, commands: map[string]string{}, appDir: abs}
	dir := t.TempDir()
	for _, st := range ParseConf("commands.conf", data).Stanzas {
		bin := filepath.Join(dir, st.Name)
		out, err := exec.Command("go", "build", "-o", bin, "../cmd/"+st.Name).CombinedOutput()
		require.NoError(t, err, "%s", out)
		s.commands[st.Name] = bin
	}
	return s
}

// run evaluates a whole query (macros expanded, tokens set) over events
// in [earliest, latest), epoch seconds: the time range a search applies
// when it reads events. The first segment is the implicit search command.
func (s *spl) run(query string, events *splunkd.Table, earliest, latest float64) *splunkd.Table {
	t := s.t
	s.ran = map[string]bool{}
	in := &splunkd.Table{Fields: events.Fields}
	for i := range events.Rows {
		if ts, ok := rowTime(events, i); ok && ts >= earliest && ts < latest {
			in.Rows = append(in.Rows, events.Rows[i])
		}
	}
	segs := splitPipes(t, query)
	var tb *splunkd.Table
	if strings.TrimSpace(segs[0]) == "" {
		// A query that starts with | starts with a generating command.
		require.Len(t, in.Rows, 0, "a generating search reads no events")
		tb = &splunkd.Table{}
	} else {
		tb = s.search(in, segs[0])
	}
	for _, seg := range segs[1:] {
		name, args, _ := strings.Cut(strings.TrimSpace(seg), " ")
		args = strings.TrimSpace(args)
		switch {
		case s.commands[name] != "":
			tb = s.custom(name, args, tb)
		case name == "search":
			tb = s.search(tb, args)
		case name == "where":
			tb = where(t, tb, args)
		case name == "sort":
			tb = sortRows(t, tb, args)
		case name == "fieldformat":
			// fieldformat changes how a value shows, never the value
			// (Search Reference, fieldformat): only the field it formats is
			// checked, and the expression must be strftime of that field.
			m := regexp.MustCompile(`^(\w+)\s*=\s*strftime\((\w+),\s*"[^"]*"\)$`).FindStringSubmatch(args)
			require.True(t, m != nil && m[1] == m[2], "the evaluator knows fieldformat <f>=strftime(<f>, \"...\") only: %q", args)
			requireFields(t, tb, "fieldformat", m[1])
		case name == "table":
			tb = project(t, tb, strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' }))
		case name == "timechart":
			tb = timechart(t, tb, args)
		default:
			t.Fatalf("the dashboard test's evaluator does not know the SPL command %q (in %q): teach it or change the panel", name, query)
		}
	}
	return tb
}

func (s *spl) custom(name, args string, in *splunkd.Table) *splunkd.Table {
	a, raw, err := splunkd.Tokenize(args)
	require.NoError(s.t, err)
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: []string{s.commands[name], "-app-dir", s.appDir}, Name: name, Args: a, RawArgs: raw,
		Input: in, Collect: true, Indexers: 2,
	})
	require.NoError(s.t, err, "| %s %s through the emulator", name, args)
	s.ran[name] = true
	if res.Table == nil {
		return &splunkd.Table{}
	}
	return res.Table
}

// splitPipes cuts a query at the | that are outside double quotes; a
// subsearch ([...]) is not evaluated.
func splitPipes(t failer, q string) []string {
	var segs []string
	start, quoted := 0, false
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '[' && !quoted:
			t.Fatalf("subsearches are not evaluated: %q", q)
		case c == '|' && !quoted:
			segs = append(segs, q[start:i])
			start = i + 1
		}
	}
	return append(segs, q[start:])
}

// requireFields fails a step that reads a field its input lacks. Without
// rows there is nothing to lack: the command's header is the union of what
// its rows carry (poll_interval only where something polled), Splunk reads
// a missing field as empty, and the runs with rows catch a misspelt name.
func requireFields(t failer, tb *splunkd.Table, step string, fields ...string) {
	t.Helper()
	if len(tb.Rows) == 0 {
		return
	}
	for _, f := range fields {
		require.GreaterOrEqual(t, tb.Column(f), 0, "%s reads %s, which its input lacks (fields %v)", step, f, tb.Fields)
	}
}

// rowTime is row i's _time: epoch seconds (what commands write) or
// RFC 3339 (the events files).
func rowTime(tb *splunkd.Table, i int) (float64, bool) {
	v := first(tb.Get(i, "_time"))
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f, true
	}
	if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return float64(ts.UnixNano()) / 1e9, true
	}
	return 0, false
}

func first(v splunkd.Value) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// The search command's expressions: terms joined by implicit AND, OR,
// NOT and parentheses; field=value, field!=value and field IN (values),
// values case-insensitive with * wildcards, any value of a multivalue
// field matching (Search Reference, search); a quoted phrase matches the
// event's _raw; * matches every event.
type searchExpr func(tb *splunkd.Table, row int) bool

func (s *spl) search(tb *splunkd.Table, clause string) *splunkd.Table {
	p := &searchParser{t: s.t, toks: lexSearch(s.t, clause), clause: clause, tb: tb}
	e := p.or()
	require.Equal(s.t, len(p.toks), p.pos, "search %q: the evaluator read all of it", clause)
	out := &splunkd.Table{Fields: tb.Fields}
	for i := range tb.Rows {
		if e(tb, i) {
			out.Rows = append(out.Rows, tb.Rows[i])
		}
	}
	return out
}

type searchTok struct {
	text   string
	quoted bool
}

func lexSearch(t failer, s string) []searchTok {
	var toks []searchTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',' || c == '=':
			toks = append(toks, searchTok{text: string(c)})
			i++
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, searchTok{text: "!="})
			i += 2
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			require.Less(t, j, len(s), "unterminated quote in %q", s)
			toks = append(toks, searchTok{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()=,\"!", rune(s[j])) {
				j++
			}
			require.Greater(t, j, i, "search %q: unexpected %q", s, c)
			toks = append(toks, searchTok{text: s[i:j]})
			i = j
		}
	}
	return toks
}

type searchParser struct {
	t      failer
	toks   []searchTok
	pos    int
	clause string
	tb     *splunkd.Table
}

func (p *searchParser) peek(text string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, text)
}

func (p *searchParser) next() searchTok {
	require.Less(p.t, p.pos, len(p.toks), "search %q ends early", p.clause)
	p.pos++
	return p.toks[p.pos-1]
}

func (p *searchParser) or() searchExpr {
	terms := []searchExpr{p.and()}
	for p.peek("OR") {
		p.pos++
		terms = append(terms, p.and())
	}
	return func(tb *splunkd.Table, r int) bool {
		for _, e := range terms {
			if e(tb, r) {
				return true
			}
		}
		return false
	}
}

func (p *searchParser) and() searchExpr {
	var terms []searchExpr
	for p.pos < len(p.toks) && !p.peek(")") && !p.peek("OR") {
		if p.peek("AND") {
			p.pos++
		}
		terms = append(terms, p.unary())
	}
	require.NotEmpty(p.t, terms, "search %q: an empty expression", p.clause)
	return func(tb *splunkd.Table, r int) bool {
		for _, e := range terms {
			if !e(tb, r) {
				return false
			}
		}
		return true
	}
}

func (p *searchParser) unary() searchExpr {
	if p.peek("NOT") {
		p.pos++
		e := p.unary()
		return func(tb *splunkd.Table, r int) bool { return !e(tb, r) }
	}
	if p.peek("(") {
		p.pos++
		e := p.or()
		require.Equal(p.t, ")", p.next().text, "search %q: a closing parenthesis", p.clause)
		return e
	}
	tok := p.next()
	if tok.quoted {
		phrase := strings.ToLower(tok.text)
		return func(tb *splunkd.Table, r int) bool {
			return strings.Contains(strings.ToLower(strings.Join(tb.Get(r, "_raw"), "\n")), phrase)
		}
	}
	if tok.text == "*" {
		return func(*splunkd.Table, int) bool { return true }
	}
	field := tok.text
	var values []string
	negate := false
	switch {
	case p.peek("IN"):
		p.pos++
		require.Equal(p.t, "(", p.next().text, "search %q: IN (", p.clause)
		for !p.peek(")") {
			values = append(values, p.next().text)
			if p.peek(",") {
				p.pos++
			}
		}
		p.pos++
	case p.peek("=") || p.peek("!="):
		negate = p.next().text == "!="
		values = []string{p.next().text}
	default:
		p.t.Fatalf("search %q: the evaluator knows field=value, field!=value, field IN (...), quoted phrases and *; not %q", p.clause, tok.text)
	}
	// A field the input lacks matches nothing: worth failing here, since
	// every field a panel searches must be in its input.
	requireFields(p.t, p.tb, "search "+p.clause, field)
	pats := make([]*regexp.Regexp, len(values))
	for i, v := range values {
		pats[i] = regexp.MustCompile("(?is)^" + strings.ReplaceAll(regexp.QuoteMeta(v), `\*`, ".*") + "$")
	}
	return func(tb *splunkd.Table, r int) bool {
		v := tb.Get(r, field)
		if len(v) == 0 {
			return false // absent: neither field=x nor field!=x matches
		}
		for _, x := range v {
			for _, re := range pats {
				if re.MatchString(x) {
					return !negate
				}
			}
		}
		return negate
	}
}

// where evaluates <field> <op> <number> only.
func where(t failer, tb *splunkd.Table, args string) *splunkd.Table {
	m := regexp.MustCompile(`^(\w+)\s*(>=|<=|==|!=|>|<|=)\s*(-?[0-9.]+)$`).FindStringSubmatch(args)
	require.NotNil(t, m, "the evaluator knows where <field> <op> <number> only: %q", args)
	requireFields(t, tb, "where", m[1])
	n, _ := strconv.ParseFloat(m[3], 64)
	out := &splunkd.Table{Fields: tb.Fields}
	for i := range tb.Rows {
		v, err := strconv.ParseFloat(first(tb.Get(i, m[1])), 64)
		if err != nil {
			continue // where drops rows whose comparison is not true
		}
		if map[string]bool{">=": v >= n, "<=": v <= n, "==": v == n, "=": v == n, "!=": v != n, ">": v > n, "<": v < n}[m[2]] {
			out.Rows = append(out.Rows, tb.Rows[i])
		}
	}
	return out
}

// sortRows evaluates sort [<count>] [+|-]<field>, ...: numbers compare as
// numbers, times as times, the rest as text; <count> 0 is all rows.
func sortRows(t failer, tb *splunkd.Table, args string) *splunkd.Table {
	words := strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' })
	limit := 10000 // sort's default
	if n, err := strconv.Atoi(words[0]); err == nil {
		limit, words = n, words[1:]
	}
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	for i := 0; i < len(words); i++ {
		w := words[i]
		if (w == "-" || w == "+") && i+1 < len(words) {
			keys = append(keys, key{words[i+1], w == "-"})
			i++
			continue
		}
		keys = append(keys, key{strings.TrimLeft(w, "+-"), strings.HasPrefix(w, "-")})
	}
	require.NotEmpty(t, keys, "sort %q: a field", args)
	for _, k := range keys {
		requireFields(t, tb, "sort", k.field)
	}
	num := func(r int, f string) (float64, bool) {
		if f == "_time" {
			return rowTime(tb, r)
		}
		v, err := strconv.ParseFloat(first(tb.Get(r, f)), 64)
		return v, err == nil
	}
	idx := make([]int, len(tb.Rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		for _, k := range keys {
			x, okx := num(idx[a], k.field)
			y, oky := num(idx[b], k.field)
			var c int
			if okx && oky {
				c = cmp.Compare(x, y)
			} else {
				c = strings.Compare(first(tb.Get(idx[a], k.field)), first(tb.Get(idx[b], k.field)))
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	out := &splunkd.Table{Fields: tb.Fields}
	for _, i := range idx {
		if limit > 0 && len(out.Rows) == limit {
			break
		}
		out.Rows = append(out.Rows, tb.Rows[i])
	}
	return out
}

func project(t failer, tb *splunkd.Table, fields []string) *splunkd.Table {
	requireFields(t, tb, "table", fields...)
	out := &splunkd.Table{Fields: fields}
	for i := range tb.Rows {
		r := make([]splunkd.Value, len(fields))
		for j, f := range fields {
			r[j] = tb.Get(i, f)
		}
		out.Rows = append(out.Rows, r)
	}
	return out
}

// timechart evaluates timechart [span=<n><s|m|h>|minspan=<n><s|m|h>] count
// by <field>: one row per time bucket (_time its start), one column per
// value of the field. Splunk picks the span from the time range when
// none is given, and a span of at least minspan; the evaluator uses the
// span given, minspan itself, or an hour: the bucket size changes neither
// the fields read nor whether there are results.
func timechart(t failer, tb *splunkd.Table, args string) *splunkd.Table {
	m := regexp.MustCompile(`^(?:(?:span|minspan)=(\d+)([smh])\s+)?count by (\w+)$`).FindStringSubmatch(args)
	require.NotNil(t, m, "the evaluator knows timechart [span=|minspan=] count by <field> only: %q", args)
	requireFields(t, tb, "timechart", "_time", m[3])
	span := 3600.0
	if m[1] != "" {
		n, _ := strconv.Atoi(m[1])
		span = float64(n) * map[string]float64{"s": 1, "m": 60, "h": 3600}[m[2]]
	}
	counts := map[float64]map[string]int{}
	series := map[string]bool{}
	for i := range tb.Rows {
		ts, ok := rowTime(tb, i)
		require.True(t, ok, "timechart: row %d has a _time", i)
		b := math.Floor(ts/span) * span
		if counts[b] == nil {
			counts[b] = map[string]int{}
		}
		v := first(tb.Get(i, m[3]))
		if v == "" {
			v = "NULL" // timechart's series for rows without the field
		}
		counts[b][v]++
		series[v] = true
	}
	out := &splunkd.Table{Fields: []string{"_time"}}
	for s := range series {
		out.Fields = append(out.Fields, s)
	}
	sort.Strings(out.Fields[1:])
	var buckets []float64
	for b := range counts {
		buckets = append(buckets, b)
	}
	sort.Float64s(buckets)
	for _, b := range buckets {
		r := []splunkd.Value{{strconv.FormatFloat(b, 'f', -1, 64)}}
		for _, s := range out.Fields[1:] {
			r = append(r, splunkd.Value{strconv.Itoa(counts[b][s])})
		}
		out.Rows = append(out.Rows, r)
	}
	return out
}

// drilldownTokens sets the drilldown's tokens from one row of the table
// panel's results: <set> substitutes $row.<field>$; <eval> knows
// $row.<field>$ + or - a number only.
func drilldownTokens(t failer, rules []tokenRule, tb *splunkd.Table, row int) map[string]string {
	tokens := map[string]string{}
	ref := regexp.MustCompile(`\$row\.(\w+)\$`)
	for _, r := range rules {
		val := ref.ReplaceAllStringFunc(r.expr, func(m string) string {
			f := ref.FindStringSubmatch(m)[1]
			requireFields(t, tb, "the drilldown's $row."+f+"$", f)
			v := tb.Get(row, f)
			require.Len(t, v, 1, "$row.%s$ is one value", f)
			return v[0]
		})
		if r.eval {
			m := regexp.MustCompile(`^(-?[0-9.]+)\s*([+-])\s*([0-9.]+)$`).FindStringSubmatch(val)
			require.NotNil(t, m, "the evaluator knows <eval> $row.<field>$ +/- <number> only: %q", r.expr)
			a, _ := strconv.ParseFloat(m[1], 64)
			b, _ := strconv.ParseFloat(m[3], 64)
			if m[2] == "-" {
				b = -b
			}
			val = strconv.FormatFloat(a+b, 'f', -1, 64)
		}
		tokens[r.token] = val
	}
	return tokens
}

// TestDashboardPanelsRun runs every panel of the dashboard: the alerts
// panels over the Atomic events (results) and over the benign ones (none,
// as the alert finds none there), then, for every row of the processes
// table, its drilldown tokens and the timeline and raw-events panels,
// which must select exactly that process's events.
func TestDashboardPanelsRun(t *testing.T) {
	root, v := loadView(t)
	require.Equal(t, "form", root.Name, "a time picker makes the view a <form>")
	require.Equal(t, "1.1", root.Attr["version"])
	s := newSPL(t)

	require.Len(t, v.panels, 5)
	alerts, processes, config := v.panels[0], v.panels[1], v.panels[2]
	timeline, raw := v.panels[3], v.panels[4]
	require.Equal(t, []string{"chart", "table", "table", "chart", "event"}, []string{alerts.kind, processes.kind, config.kind, timeline.kind, raw.kind})
	for _, p := range v.panels {
		require.NotRegexp(t, `(?i)\b(index|source|sourcetype)\s*=`, p.query, "panel %q: no hard-coded index or source", p.title)
		if p == config {
			continue // reads no events
		}
		// The app's macros, not hard-coded sources, say where the data is.
		require.True(t, strings.HasPrefix(p.query, "`t1102_sysmon` "), "panel %q reads the events through `t1102_sysmon`: %s", p.title, p.query)
	}

	// The configuration panel is generating: no events in, the shipped
	// configuration's state out (one INFO row: nothing left out), as the
	// configuration check saved search sees it, which then finds nothing.
	cfgRows := s.run(config.query, &splunkd.Table{}, 0, 0)
	require.True(t, s.ran["t1102score"], "panel %q ran t1102score", config.title)
	require.Equal(t, []string{"level", "file", "line", "message"}, cfgRows.Fields)
	require.Equal(t, 1, cfgRows.Len(), "%v", cfgRows.Canonical())
	require.Equal(t, "INFO", first(cfgRows.Get(0, "level")))
	require.Contains(t, first(cfgRows.Get(0, "message")), "0 rows or settings skipped")
	ssConf, err := os.ReadFile(filepath.Join(repo, "default", "savedsearches.conf"))
	require.NoError(t, err)
	check, ok := ParseConf("savedsearches.conf", ssConf).Stanza("T1102.003 - Configuration check").Get("search")
	require.True(t, ok)
	require.Zero(t, s.run(check, &splunkd.Table{}, 0, 0).Len(), "the configuration check finds nothing in the shipped configuration")

	// Panels 1 and 2 run the saved search (without its sort; each panel
	// orders its rows).
	ssData, err := os.ReadFile(filepath.Join(repo, "default", "savedsearches.conf"))
	require.NoError(t, err)
	saved, _ := ParseConf("savedsearches.conf", ssData).Stanza("T1102.003 - Web Service One-Way C2").Get("search")
	norm := func(q string) string { return strings.Join(strings.Fields(q), " ") }
	base, _, _ := strings.Cut(norm(alerts.query), " | timechart")
	require.Equal(t, strings.TrimSuffix(norm(saved), " | sort 0 - risk_score"), base, "the alerts panels run the saved search's search")

	// The time picker's tokens: the whole of time (the events are from
	// November 2026, outside the picker's default relative range on most
	// days a test runs).
	allTime := map[string]string{"time.earliest": "0", "time.latest": "4102444800"}
	window := func(p panel, tokens map[string]string) (float64, float64) {
		e, err := strconv.ParseFloat(setTokens(t, p.earliest, tokens), 64)
		require.NoError(t, err, "panel %q: earliest is epoch seconds here", p.title)
		l, err := strconv.ParseFloat(setTokens(t, p.latest, tokens), 64)
		require.NoError(t, err, "panel %q: latest is epoch seconds here", p.title)
		return e, l
	}
	runPanel := func(p panel, events *splunkd.Table, tokens map[string]string) *splunkd.Table {
		e, l := window(p, tokens)
		return s.run(setTokens(t, expandMacros(t, p.query), tokens), events, e, l)
	}

	t.Run("benign events: no alerts", func(t *testing.T) {
		events := sysmonEvents(t, "benign.csv")
		for _, p := range []panel{alerts, processes} {
			out := runPanel(p, events, allTime)
			require.True(t, s.ran["t1102correlate"], "panel %q ran t1102correlate", p.title)
			require.Zero(t, out.Len(), "panel %q is empty on benign activity: %v", p.title, out.Canonical())
		}
	})

	for _, set := range []struct {
		name, reason string
		files        []string
	}{
		{"atomic", "the four Atomic Red Team-like tests, each an alert", []string{"atomic.csv"}},
		{"atomic and benign", "with other processes' events beside them, a row's tokens must select its own process only", []string{"atomic.csv", "benign.csv"}},
	} {
		t.Run(set.name, func(t *testing.T) {
			events := sysmonEvents(t, set.files...)

			chart := runPanel(alerts, events, allTime)
			require.True(t, s.ran["t1102correlate"], "panel 1 ran t1102correlate")
			require.NotZero(t, chart.Len(), "panel %q has results", alerts.title)
			require.ElementsMatch(t, []string{"_time", "github", "pastebin", "telegram"}, chart.Fields, "panel 1's series are the services the alert found")

			table := runPanel(processes, events, allTime)
			require.Equal(t, 4, table.Len(), "panel %q: one row per Atomic process and service", processes.title)
			for i := 1; i < table.Len(); i++ {
				a, _ := strconv.Atoi(first(table.Get(i-1, "risk_score")))
				b, _ := strconv.Atoi(first(table.Get(i, "risk_score")))
				require.GreaterOrEqual(t, a, b, "panel 2 is sorted by risk")
			}

			for i := 0; i < table.Len(); i++ {
				tokens := drilldownTokens(t, v.drilldown, table, i)
				guid, host := tokens["guid"], tokens["host"]
				require.NotEmpty(t, guid)
				// What the panels must show: the process's own events, counted
				// here straight from the events.
				want := map[string]int{}
				for r := range events.Rows {
					if first(events.Get(r, "ProcessGuid")) == guid && strings.EqualFold(first(events.Get(r, "host")), host) {
						want[first(events.Get(r, "EventCode"))]++
					}
				}
				require.NotZero(t, want["3"]+want["22"], "row %d (%s): the process has connections or DNS queries", i, guid)

				tl := runPanel(timeline, events, tokens)
				require.NotZero(t, tl.Len(), "panel %q for %s", timeline.title, guid)
				got := map[string]int{}
				for r := range tl.Rows {
					for j, f := range tl.Fields[1:] {
						n, err := strconv.Atoi(first(tl.Rows[r][j+1]))
						require.NoError(t, err)
						got[f] += n
					}
				}
				require.Equal(t, map[string]int{"3": want["3"], "22": want["22"]}, withoutZero(got, "3", "22"), "panel 3 counts every connection and DNS query of %s", guid)

				ev := runPanel(raw, events, tokens)
				require.Equal(t, want["1"]+want["3"]+want["22"], ev.Len(), "panel 4 shows every event of %s (creation, connections, DNS)", guid)
				for r := range ev.Rows {
					require.Equal(t, guid, first(ev.Get(r, "ProcessGuid")), "panel 4 shows only %s's events", guid)
					require.Contains(t, []string{"1", "3", "22"}, first(ev.Get(r, "EventCode")))
				}
			}
		})
	}
}

// withoutZero returns m's counts for keys, absent ones as 0, and fails on
// any other key (a series the panel should not have).
func withoutZero(m map[string]int, keys ...string) map[string]int {
	out := map[string]int{}
	for _, k := range keys {
		out[k] = m[k]
	}
	for k := range m {
		if _, ok := out[k]; !ok {
			out["unexpected series "+k] = m[k]
		}
	}
	return out
}

// failer is what the evaluator reports to: a *testing.T, or fatalT in
// TestDashboardEvaluatorRefuses.
type failer interface {
	require.TestingT
	Helper()
	Fatalf(format string, args ...any)
}

// TestDashboardEvaluatorRefuses: the evaluator fails on SPL it does not
// know rather than passing over it, and its steps fail on a field their
// input lacks; a query it knows runs (so the failures are the queries').
func TestDashboardEvaluatorRefuses(t *testing.T) {
	events := sysmonEvents(t, "atomic.csv")
	cases := []struct {
		name, reason, query string
		fails               bool
	}{
		{"known steps", "the control: search, sort, table and timechart it knows", `EventCode IN (3, 22) host="wks-017" | sort 0 - _time | table _time, EventCode | timechart span=1m count by EventCode`, false},
		{"unknown command", "a panel using stats would otherwise pass untested", `EventCode=1 | stats count`, true},
		{"eval", "eval expressions are not evaluated", `EventCode=1 | eval x=1`, true},
		{"bare word", "a bare term searches _raw text, which the events files lack", `EventCode=1 powershell`, true},
		{"missing field", "a panel searching a field its input lacks shows nothing", `NoSuchField=1`, true},
		{"where on a missing field", "the later steps read only fields the input has", `EventCode=1 | where nope >= 40`, true},
		{"table of a missing field", "a column the results lack", `EventCode=1 | table host, nope`, true},
		{"where expression", "where knows <field> <op> <number> only", `EventCode=1 | where like(Image, "%x")`, true},
		{"subsearch", "subsearches are not run", `EventCode=1 [search EventCode=3]`, true},
		{"timechart function", "timechart knows count only", `EventCode=3 | timechart avg(DestinationPort) by host`, true},
		{"fieldformat of another field", "fieldformat <f>=strftime(<f>, ...) only", `EventCode=1 | fieldformat a=strftime(_time, "%F")`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft := &fatalT{}
			var out *splunkd.Table
			func() {
				defer func() {
					if r := recover(); r != nil && r != errFatal {
						panic(r)
					}
				}()
				out = (&spl{t: ft, commands: map[string]string{}}).run(c.query, events, 0, 4102444800)
			}()
			require.Equal(t, c.fails, ft.failed, "%s: %s (%s)", c.name, c.reason, ft.msg)
			if !c.fails {
				require.NotZero(t, out.Len(), "the control query has results")
			}
		})
	}
}

var errFatal = errors.New("evaluator failed")

// fatalT records the evaluator's failure and stops it (by a panic that
// the test recovers) instead of ending the test.
type fatalT struct {
	failed bool
	msg    string
}

func (f *fatalT) Errorf(format string, a ...any) { f.failed, f.msg = true, fmt.Sprintf(format, a...) }
func (f *fatalT) FailNow()                       { panic(errFatal) }
func (f *fatalT) Fatalf(format string, a ...any) { f.Errorf(format, a...); f.FailNow() }
func (f *fatalT) Helper()                        {}
