package appcheck

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Extractor applies an app's search-time field extraction for one props
// stanza, or for every stanza a source matches, the way Splunk does, for
// what this app uses: REPORT transforms with REGEX and FORMAT (named
// fields, or $1::$2 pairs applied to every match, a field keeping its
// first value as MV_ADD = false does), then EVAL expressions made of
// nested replace(field, "regex", replacement) calls whose replacement is a
// string or printf("%c", <code point>). Go's regexp (RE2) runs the
// expressions: the app's REGEXes use only syntax RE2 and PCRE share
// (classes, groups, alternation), which the constructor checks by
// compiling them.
type Extractor struct {
	reports []report
	evals   []eval
}

type report struct {
	name   string
	re     *regexp.Regexp
	format string
}

type eval struct {
	field string
	expr  *node // compiled once, evaluated per event
}

// NewExtractor builds the extraction of props stanza from props and
// transforms.
func NewExtractor(props, transforms *Conf, stanza string) (*Extractor, error) {
	st := props.Stanza(stanza)
	if st == nil {
		return nil, fmt.Errorf("props.conf has no [%s]", stanza)
	}
	return newExtractor(transforms, st.Settings)
}

// NewSourceExtractor builds the extraction an event of source gets: the
// keys of every [source::<pattern>] stanza of props whose pattern matches
// it ([SourceMatches]), REPORT classes in ASCII order of their names. Two
// matching stanzas that set the same key are an error: Splunk would keep
// one of them by the patterns' ASCII order or priority (props.conf.spec,
// "[<spec>] stanza pattern collisions"), and the app does not rely on
// that.
func NewSourceExtractor(props, transforms *Conf, source string) (*Extractor, error) {
	var keys []KV
	from := map[string]string{}
	for _, st := range props.Stanzas {
		pattern, ok := strings.CutPrefix(st.Name, "source::")
		if !ok {
			continue
		}
		match, err := SourceMatches(pattern, source)
		if err != nil {
			return nil, err
		}
		if !match {
			continue
		}
		for _, kv := range st.Settings {
			if other, dup := from[kv.Key]; dup {
				return nil, fmt.Errorf("%s: [%s] and [%s] both set %s", source, other, st.Name, kv.Key)
			}
			from[kv.Key] = st.Name
			keys = append(keys, kv)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no props.conf source:: stanza matches %s", source)
	}
	var reports, others []KV
	for _, kv := range keys {
		if strings.HasPrefix(kv.Key, "REPORT-") {
			reports = append(reports, kv)
		} else {
			others = append(others, kv)
		}
	}
	sort.Slice(reports, func(i, j int) bool { return reports[i].Key < reports[j].Key })
	return newExtractor(transforms, append(reports, others...))
}

func newExtractor(transforms *Conf, keys []KV) (*Extractor, error) {
	x := &Extractor{}
	for _, kv := range keys {
		switch {
		case strings.HasPrefix(kv.Key, "REPORT-"):
			for _, ref := range strings.Split(kv.Value, ",") {
				ref = strings.TrimSpace(ref)
				t := transforms.Stanza(ref)
				if t == nil {
					return nil, fmt.Errorf("transforms.conf has no [%s]", ref)
				}
				src, _ := t.Get("REGEX")
				format, _ := t.Get("FORMAT")
				re, err := regexp.Compile(src)
				if err != nil {
					return nil, fmt.Errorf("[%s] REGEX: %w", ref, err)
				}
				x.reports = append(x.reports, report{ref, re, format})
			}
		case strings.HasPrefix(kv.Key, "EVAL-"):
			x.evals = append(x.evals, eval{strings.TrimPrefix(kv.Key, "EVAL-"), compileExpr(kv.Value)})
		}
	}
	return x, nil
}

// Transforms lists the transforms the extraction runs, in order.
func (x *Extractor) Transforms() []string {
	names := make([]string, len(x.reports))
	for i, r := range x.reports {
		names[i] = r.name
	}
	return names
}

// Reversed returns the extraction with its transforms run in the opposite
// order: where the same field comes from more than one transform, the
// result shows whether the order matters.
func (x *Extractor) Reversed() *Extractor {
	r := &Extractor{evals: x.evals}
	for i := len(x.reports) - 1; i >= 0; i-- {
		r.reports = append(r.reports, x.reports[i])
	}
	return r
}

// Extract returns the fields of one _raw event.
func (x *Extractor) Extract(raw string) (map[string]string, error) {
	fields := map[string]string{}
	set := func(k, v string) {
		if _, ok := fields[k]; !ok && v != "" { // MV_ADD = false; empty values make no field
			fields[k] = v
		}
	}
	for _, r := range x.reports {
		for _, m := range r.re.FindAllStringSubmatchIndex(raw, -1) {
			group := func(i int) string {
				if m[2*i] < 0 {
					return ""
				}
				return raw[m[2*i]:m[2*i+1]]
			}
			if k, v, ok := strings.Cut(r.format, "::"); ok {
				set(expand(k, group), expand(v, group))
			}
		}
	}
	// EVALs see the extracted fields, not each other's results.
	results := map[string]string{}
	for _, e := range x.evals {
		v, isNull, err := e.expr.eval(fields)
		if err != nil {
			return nil, fmt.Errorf("EVAL-%s: %w", e.field, err)
		}
		if !isNull {
			results[e.field] = v
		}
	}
	for k, v := range results {
		fields[k] = v
	}
	return fields, nil
}

// expand replaces $1…$9 in a FORMAT part.
func expand(s string, group func(int) string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			b.WriteString(group(int(s[i+1] - '0')))
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// node is an EVAL expression, read and its regular expressions compiled
// once: a field name, or replace(inner, "regex", replacement), the replacement a string or printf("%c", n). A missing field
// is null, and replace of null is null, as in SPL. What cannot be read is
// kept as an error and reported when the expression is evaluated, at the
// point evaluating it would meet it: a call that cannot be read before its
// argument is evaluated, a bad string, regex or replacement only when the
// argument is not null.
type node struct {
	field   string // a field name, when call is false
	call    bool
	err     error // the call cannot be read
	inner   *node
	lateErr error // a bad string, regex or replacement
	re      *regexp.Regexp
	repl    string
	// literal is re's text when re matches exactly that string (the app's
	// EVALs replace XML entities): strings.ReplaceAll replaces the same
	// leftmost, non-overlapping matches, without the regexp machine.
	literal   string
	isLiteral bool
}

// compileExpr reads expr.
func compileExpr(expr string) *node {
	expr = strings.TrimSpace(expr)
	if !strings.HasPrefix(expr, "replace(") {
		return &node{field: expr}
	}
	n := &node{call: true}
	if !strings.HasSuffix(expr, ")") || len(expr) < len("replace()") {
		n.err = fmt.Errorf("cannot read %q", expr)
		return n
	}
	args, err := splitArgs(expr[len("replace(") : len(expr)-1])
	if err != nil || len(args) != 3 {
		n.err = fmt.Errorf("cannot read %q", expr)
		return n
	}
	n.inner = compileExpr(args[0])
	pat, err1 := unquote(args[1])
	repl, err2 := constant(args[2])
	if err1 != nil || err2 != nil {
		n.lateErr = fmt.Errorf("bad string in %q", expr)
		return n
	}
	re, err := regexp.Compile(pat)
	switch {
	case err != nil:
		n.lateErr = err
	case strings.ContainsAny(repl, `\$`):
		n.lateErr = fmt.Errorf("replacement %q uses back references, which this check does not model", repl)
	default:
		n.re, n.repl = re, repl
		n.literal, n.isLiteral = re.LiteralPrefix()
	}
	return n
}

// eval evaluates n over fields; isNull reports a null result.
func (n *node) eval(fields map[string]string) (v string, isNull bool, err error) {
	if !n.call {
		v, ok := fields[n.field]
		return v, !ok, nil
	}
	if n.err != nil {
		return "", false, n.err
	}
	inner, isNull, err := n.inner.eval(fields)
	if err != nil || isNull {
		return "", isNull, err
	}
	if n.lateErr != nil {
		return "", false, n.lateErr
	}
	if n.isLiteral {
		return strings.ReplaceAll(inner, n.literal, n.repl), false, nil
	}
	return n.re.ReplaceAllLiteralString(inner, n.repl), false, nil
}

// splitArgs splits a call's arguments at top-level commas.
func splitArgs(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if inStr || depth != 0 {
		return nil, fmt.Errorf("unbalanced %q", s)
	}
	return append(out, strings.TrimSpace(s[start:])), nil
}

// constant evaluates a replacement: a string literal, or printf("%c", n),
// the character with code point n (Search Reference, Conversion functions:
// %c is a single Unicode code point).
func constant(s string) (string, error) {
	s = strings.TrimSpace(s)
	inner, ok := strings.CutPrefix(s, "printf(")
	if !ok {
		return unquote(s)
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return "", fmt.Errorf("cannot read %q", s)
	}
	args, err := splitArgs(inner)
	if err != nil || len(args) != 2 {
		return "", fmt.Errorf("cannot read %q", s)
	}
	if format, err := unquote(args[0]); err != nil || format != "%c" {
		return "", fmt.Errorf("printf format other than %%c in %q", s)
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 || n > utf8.MaxRune || !utf8.ValidRune(rune(n)) {
		return "", fmt.Errorf("not a code point in %q", s)
	}
	return string(rune(n)), nil
}

// unquote reads an SPL string literal: double quotes, backslash escaping
// the next character.
func unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", fmt.Errorf("not a string: %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// SourceMatches reports whether a props.conf [source::<pattern>] stanza
// applies to source: the pattern must match the whole source, "..."
// matching any characters, "*" any but a path separator ('/' or '\'), "|"
// and "( )" as in a regular expression, "." a literal period, "\\" a
// backslash; the rest is PCRE (props.conf.spec, "[<spec>] stanza
// patterns" and "match language"). Go's regexp stands in for PCRE, for
// the syntax the two share.
func SourceMatches(pattern, source string) (bool, error) {
	var b strings.Builder
	b.WriteString("^(?:")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case strings.HasPrefix(pattern[i:], "..."):
			b.WriteString(".*")
			i += 2
		case c == '*':
			b.WriteString(`[^/\\]*`)
		case c == '.':
			b.WriteString(`\.`)
		case c == '\\' && i+1 < len(pattern):
			b.WriteString(regexp.QuoteMeta(pattern[i+1 : i+2]))
			i++
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(")$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return false, fmt.Errorf("source::%s: %w", pattern, err)
	}
	return re.MatchString(source), nil
}
