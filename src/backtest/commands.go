package backtest

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/splunkd"
)

// sortRows evaluates sort [<count>] [+|-]<field>, ...: numbers compare as
// numbers, _time as a time, the rest as text; <count> 0 is every row,
// none is sort's default of 10000 (Search Reference, sort). The sort is
// stable.
func (e *Engine) sort(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	words := strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	limit := 10000
	if len(words) > 0 {
		if n, err := strconv.Atoi(words[0]); err == nil {
			if n < 0 {
				return nil, fmt.Errorf("%w: sort count %d", ErrSyntax, n)
			}
			limit, words = n, words[1:]
		} else if v, ok := strings.CutPrefix(words[0], "limit="); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: sort limit=%s", ErrSyntax, v)
			}
			limit, words = n, words[1:]
		}
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
		f := strings.TrimLeft(w, "+-")
		if strings.ContainsAny(f, "()") || f == "" {
			return nil, fmt.Errorf("%w: sort key %q (the backtest sorts by fields only, not auto(), num(), str(), ip())", ErrUnsupported, w)
		}
		keys = append(keys, key{f, strings.HasPrefix(w, "-")})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: sort needs a field", ErrSyntax)
	}
	for _, k := range keys {
		if err := e.requireFields(tb, "sort", k.field); err != nil {
			return nil, err
		}
	}
	num := func(r int, f string) (float64, bool) {
		if f == "_time" {
			t := rowTime(tb, r)
			return t, !math.IsNaN(t)
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
			switch {
			case okx && oky:
				c = cmp.Compare(x, y)
			case okx != oky: // numbers before text
				if okx {
					c = -1
				} else {
					c = 1
				}
			default:
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
	return out, nil
}

func fieldList(args string) []string {
	return strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// fieldsCmd evaluates fields [+|-] <wc-field-list>: + keeps the listed
// fields and the internal ones (_time, _raw, ...), which fields removes
// only when told to (- _raw, - _*); - removes the listed fields (Search
// Reference, fields,
// https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.1.2507/search-commands/fields).
func fieldsCmd(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	list := fieldList(args)
	remove := false
	if len(list) > 0 && (list[0] == "-" || list[0] == "+") {
		remove, list = list[0] == "-", list[1:]
	} else if len(list) > 0 && len(list[0]) > 1 && (list[0][0] == '-' || list[0][0] == '+') {
		remove, list[0] = list[0][0] == '-', list[0][1:]
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: fields needs a field list", ErrSyntax)
	}
	pats := make([]*regexp.Regexp, len(list))
	for i, f := range list {
		pats[i] = fieldPattern(f)
	}
	var keep []string
	for _, f := range tb.Fields {
		hit := false
		for _, re := range pats {
			if re.MatchString(f) {
				hit = true
				break
			}
		}
		if hit != remove || (!remove && strings.HasPrefix(f, "_")) {
			keep = append(keep, f)
		}
	}
	return project(tb, keep), nil
}

// fieldPattern matches a field name with * wildcards, case-sensitively
// (field names are).
func fieldPattern(f string) *regexp.Regexp {
	return regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(f), `\*`, ".*") + "$")
}

// table keeps the listed fields (wildcards allowed), in the list's order.
func (e *Engine) table(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	list := fieldList(args)
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: table needs a field list", ErrSyntax)
	}
	var keep []string
	seen := map[string]bool{}
	for _, f := range list {
		if !strings.Contains(f, "*") {
			if err := e.requireFields(tb, "table", f); err != nil {
				return nil, err
			}
			if !seen[f] {
				seen[f] = true
				keep = append(keep, f)
			}
			continue
		}
		re := fieldPattern(f)
		for _, g := range tb.Fields {
			if re.MatchString(g) && !seen[g] {
				seen[g] = true
				keep = append(keep, g)
			}
		}
	}
	return project(tb, keep), nil
}

func project(tb *splunkd.Table, fields []string) *splunkd.Table {
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

// head [N | limit=N]: the first N rows (default 10; Search Reference, head).
func head(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	n := 10
	if a := strings.TrimSpace(args); a != "" {
		a = strings.TrimPrefix(a, "limit=")
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: head %q (the backtest knows head N and head limit=N only)", ErrUnsupported, args)
		}
		n = v
	}
	out := &splunkd.Table{Fields: tb.Fields}
	out.Rows = tb.Rows[:min(n, len(tb.Rows))]
	return out, nil
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)
var numberRe = regexp.MustCompile(`^-?(\d+\.?\d*|\.\d+)$`)

// eval evaluates assignments only: f=<"literal">, f=<number>, f=<field>
// (its value, multivalue kept; null if absent) and f=null(), separated by
// commas, each seeing the ones before it. Any other expression is refused.
func (e *Engine) eval(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	assigns, err := splitOutsideQuotes(args, ',')
	if err != nil {
		return nil, err
	}
	out := &splunkd.Table{Fields: append([]string(nil), tb.Fields...)}
	for _, row := range tb.Rows {
		out.Rows = append(out.Rows, append([]splunkd.Value(nil), row...))
	}
	for _, a := range assigns {
		a = strings.TrimSpace(a)
		name, expr, ok := strings.Cut(a, "=")
		name, expr = strings.TrimSpace(name), strings.TrimSpace(expr)
		if !ok || !identRe.MatchString(name) || strings.HasPrefix(expr, "=") || expr == "" {
			return nil, fmt.Errorf("%w: eval %q: want <field>=<value>", ErrSyntax, a)
		}
		var get func(i int) splunkd.Value
		switch {
		case len(expr) >= 2 && expr[0] == '"' && expr[len(expr)-1] == '"' && !strings.Contains(strings.ReplaceAll(expr[1:len(expr)-1], `\"`, ""), `"`):
			v := splunkd.Value{strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(expr[1 : len(expr)-1])}
			get = func(int) splunkd.Value { return v }
		case numberRe.MatchString(expr):
			v := splunkd.Value{expr}
			get = func(int) splunkd.Value { return v }
		case expr == "null()":
			get = func(int) splunkd.Value { return nil }
		case identRe.MatchString(expr) || (len(expr) > 2 && expr[0] == '\'' && expr[len(expr)-1] == '\''):
			src := strings.Trim(expr, "'")
			if err := e.requireFields(out, "eval", src); err != nil {
				return nil, err
			}
			get = func(i int) splunkd.Value { return out.Get(i, src) }
		default:
			return nil, fmt.Errorf("%w: eval expression %q (the backtest evaluates assignments of a literal, a number or a field only; put the logic in a Go command)", ErrUnsupported, expr)
		}
		col := out.Column(name)
		if col < 0 {
			col = len(out.Fields)
			out.Fields = append(out.Fields, name)
		}
		vals := make([]splunkd.Value, len(out.Rows))
		for i := range out.Rows {
			vals[i] = get(i)
		}
		for i := range out.Rows {
			for len(out.Rows[i]) <= col {
				out.Rows[i] = append(out.Rows[i], nil)
			}
			out.Rows[i][col] = vals[i]
		}
	}
	return out, nil
}

func splitOutsideQuotes(s string, sep byte) ([]string, error) {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, fmt.Errorf("%w: unterminated quote in %q", ErrSyntax, s)
	}
	return append(parts, s[start:]), nil
}

var fieldformatRe = regexp.MustCompile(`^(\w+)\s*=\s*strftime\((\w+),\s*"[^"]*"\)$`)

// fieldformat changes how a value shows, never the value (Search
// Reference, fieldformat): it passes the rows on unchanged. Only
// <f>=strftime(<f>, "...") is accepted, so that a misspelt field shows.
func (e *Engine) fieldformat(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	m := fieldformatRe.FindStringSubmatch(strings.TrimSpace(args))
	if m == nil || m[1] != m[2] {
		return nil, fmt.Errorf("%w: fieldformat %q (the backtest knows fieldformat <f>=strftime(<f>, \"...\") only)", ErrUnsupported, args)
	}
	if err := e.requireFields(tb, "fieldformat", m[1]); err != nil {
		return nil, err
	}
	return tb, nil
}

var timechartRe = regexp.MustCompile(`^(?:(?:span|minspan)=(\d+)([smhd])\s+)?count\s+by\s+(\w+)$`)

// timechart evaluates timechart [span=|minspan=<n><s|m|h|d>] count by
// <field>: a row per time bucket (_time its start, epoch seconds), a
// column per value of the field (NULL for rows without it), sorted. Splunk
// picks the span from the time range when none is given; the backtest
// takes the span given, minspan itself, or an hour.
func (e *Engine) timechart(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	m := timechartRe.FindStringSubmatch(strings.TrimSpace(args))
	if m == nil {
		return nil, fmt.Errorf("%w: timechart %q (the backtest knows timechart [span=|minspan=] count by <field> only)", ErrUnsupported, args)
	}
	if err := e.requireFields(tb, "timechart", "_time", m[3]); err != nil {
		return nil, err
	}
	span := 3600.0
	if m[1] != "" {
		n, _ := strconv.Atoi(m[1])
		span = float64(n) * map[string]float64{"s": 1, "m": 60, "h": 3600, "d": 86400}[m[2]]
		if span <= 0 {
			return nil, fmt.Errorf("%w: timechart span must be positive", ErrSyntax)
		}
	}
	counts := map[float64]map[string]int{}
	series := map[string]bool{}
	for i := range tb.Rows {
		ts := rowTime(tb, i)
		if math.IsNaN(ts) {
			continue // timechart ignores results without _time
		}
		b := math.Floor(ts/span) * span
		if counts[b] == nil {
			counts[b] = map[string]int{}
		}
		v := first(tb.Get(i, m[3]))
		if v == "" {
			v = "NULL"
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
	return out, nil
}
