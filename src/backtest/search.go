package backtest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/t1102app/t1102/src/splunkd"
)

var collectIndex = regexp.MustCompile(`\|\s*collect\b[^|]*\bindex\s*=\s*("[^"]*"|[^\s|]+)`)

// searchExpr decides whether row i of tb matches.
type searchExpr func(tb *splunkd.Table, i int) bool

// The search command's expressions (Search Reference, search): terms
// joined by implicit AND, AND, OR, NOT and parentheses; field=value,
// field!=value and field IN (values), values compared case-insensitively
// with * wildcards, any value of a multivalue field matching, a field the
// row lacks matching neither = nor !=; a quoted phrase matches the row's
// _raw; * matches every row. Bare words (which search _raw) and
// comparisons such as field>5 are refused.
type searchParser struct {
	toks   []searchTok
	pos    int
	clause string
	fields []string // fields read by the terms

	// In the base search: earliest=/latest= are time modifiers, index=
	// selects the data.
	base      bool
	summary   []string // known summary indexes
	modifiers []modifier
	indexes   [][]*regexp.Regexp // the patterns of each index term
}

type modifier struct{ name, value string }

type searchTok struct {
	text   string
	quoted bool
}

func newSearchParser(clause string) (*searchParser, error) {
	toks, err := lexSearch(clause)
	if err != nil {
		return nil, err
	}
	return &searchParser{toks: toks, clause: clause}, nil
}

func (p *searchParser) parse() (searchExpr, error) {
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("%w: empty search", ErrSyntax)
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w: search %q: unexpected %q", ErrSyntax, p.clause, p.toks[p.pos].text)
	}
	return e, nil
}

func lexSearch(s string) ([]searchTok, error) {
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
			if j >= len(s) {
				return nil, fmt.Errorf("%w: unterminated quote in %q", ErrSyntax, s)
			}
			toks = append(toks, searchTok{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()=,\"!", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("%w: search %q: unexpected %q", ErrSyntax, s, c)
			}
			toks = append(toks, searchTok{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

func (p *searchParser) peek(text string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, text)
}

func (p *searchParser) next() (searchTok, error) {
	if p.pos >= len(p.toks) {
		return searchTok{}, fmt.Errorf("%w: search %q ends early", ErrSyntax, p.clause)
	}
	p.pos++
	return p.toks[p.pos-1], nil
}

func (p *searchParser) or() (searchExpr, error) {
	t, err := p.and()
	if err != nil {
		return nil, err
	}
	terms := []searchExpr{t}
	for p.peek("OR") {
		p.pos++
		t, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return func(tb *splunkd.Table, r int) bool {
		for _, e := range terms {
			if e(tb, r) {
				return true
			}
		}
		return false
	}, nil
}

func (p *searchParser) and() (searchExpr, error) {
	var terms []searchExpr
	for p.pos < len(p.toks) && !p.peek(")") && !p.peek("OR") {
		if p.peek("AND") {
			p.pos++
		}
		t, err := p.unary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	if len(terms) == 0 {
		return nil, fmt.Errorf("%w: search %q: an empty expression", ErrSyntax, p.clause)
	}
	return func(tb *splunkd.Table, r int) bool {
		for _, e := range terms {
			if !e(tb, r) {
				return false
			}
		}
		return true
	}, nil
}

func (p *searchParser) unary() (searchExpr, error) {
	if p.peek("NOT") {
		p.pos++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(tb *splunkd.Table, r int) bool { return !e(tb, r) }, nil
	}
	if p.peek("(") {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if t, err := p.next(); err != nil || t.text != ")" || t.quoted {
			return nil, fmt.Errorf("%w: search %q: a closing parenthesis is missing", ErrSyntax, p.clause)
		}
		return e, nil
	}
	tok, err := p.next()
	if err != nil {
		return nil, err
	}
	if tok.quoted {
		phrase := strings.ToLower(tok.text)
		return func(tb *splunkd.Table, r int) bool {
			return strings.Contains(strings.ToLower(strings.Join(tb.Get(r, "_raw"), "\n")), phrase)
		}, nil
	}
	if tok.text == "*" {
		return func(*splunkd.Table, int) bool { return true }, nil
	}
	field := tok.text
	var values []string
	negate := false
	switch {
	case p.peek("IN"):
		p.pos++
		if t, err := p.next(); err != nil || t.text != "(" {
			return nil, fmt.Errorf("%w: search %q: IN needs (values)", ErrSyntax, p.clause)
		}
		for !p.peek(")") {
			t, err := p.next()
			if err != nil {
				return nil, err
			}
			values = append(values, t.text)
			if p.peek(",") {
				p.pos++
			}
		}
		p.pos++
	case p.peek("=") || p.peek("!="):
		t, _ := p.next()
		negate = t.text == "!="
		v, err := p.next()
		if err != nil {
			return nil, err
		}
		if !v.quoted && (v.text == "(" || v.text == ")" || v.text == "=" || v.text == ",") {
			return nil, fmt.Errorf("%w: search %q: %s%s needs a value", ErrSyntax, p.clause, field, t.text)
		}
		values = []string{v.text}
	default:
		return nil, fmt.Errorf("%w: search %q: the term %q (bare words search _raw, and comparisons other than = and != are not evaluated; the backtest knows field=value, field!=value, field IN (...), quoted phrases and *)", ErrUnsupported, p.clause, tok.text)
	}
	pats := make([]*regexp.Regexp, len(values))
	for i, v := range values {
		pats[i] = wildcard(v)
	}
	lower := strings.ToLower(field)
	if p.base && (lower == "earliest" || lower == "latest") {
		if negate || len(values) != 1 {
			return nil, fmt.Errorf("%w: search %q: %s takes one time modifier with =", ErrUnsupported, p.clause, field)
		}
		p.modifiers = append(p.modifiers, modifier{lower, values[0]})
		return func(*splunkd.Table, int) bool { return true }, nil
	}
	if p.base && lower == "index" {
		p.indexes = append(p.indexes, pats)
		summary := map[string]bool{}
		for _, n := range p.summary {
			summary[n] = true
		}
		return func(tb *splunkd.Table, r int) bool {
			name := strings.ToLower(first(tb.Get(r, "index")))
			if !summary[name] {
				name = "" // an event: matches any index that is not a summary index
			}
			m := matchIndex(pats, name, p.summary)
			return m != negate
		}, nil
	}
	p.fields = append(p.fields, field)
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
	}, nil
}

// matchIndex: a summary row (name set) matches a pattern of its index; an
// event (name "") matches a pattern that names no summary index.
func matchIndex(pats []*regexp.Regexp, name string, summary []string) bool {
	for _, re := range pats {
		if name != "" {
			if re.MatchString(name) {
				return true
			}
			continue
		}
		hit := false
		for _, s := range summary {
			if re.MatchString(s) {
				hit = true
				break
			}
		}
		if !hit {
			return true
		}
	}
	return false
}

// indexSelects reports whether the base search's index terms name
// summary index name (any of an index term's patterns matching it).
func (p *searchParser) indexSelects(name string) bool {
	for _, pats := range p.indexes {
		for _, re := range pats {
			if re.MatchString(name) {
				return true
			}
		}
	}
	return false
}

// wildcard compiles a search value: case-insensitive, * any run of
// characters.
func wildcard(v string) *regexp.Regexp {
	return regexp.MustCompile("(?is)^" + strings.ReplaceAll(regexp.QuoteMeta(v), `\*`, ".*") + "$")
}
