package backtest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/splunkd"
)

// where evaluates a boolean expression per row and keeps the rows where it
// is true (Search Reference, where): comparisons <operand> <op> <operand>
// with op one of = == != < <= > >=, an operand a field, a number or a
// "quoted string"; AND, OR, NOT, parentheses; isnull(f) and isnotnull(f).
// Two numbers compare as numbers, two strings as text (case-sensitive, as
// eval does); a number literal against a value that is not a number, and
// a comparison with a field the row lacks, are null, and null is not true
// (the backtest's reading, as the dashboard test's evaluator had it). A multivalue field compares by its first value. Other
// functions and arithmetic are refused.
func (e *Engine) where(tb *splunkd.Table, args string) (*splunkd.Table, error) {
	toks, err := lexWhere(args)
	if err != nil {
		return nil, err
	}
	p := &whereParser{toks: toks, text: args}
	expr, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w: where %q: unexpected %q", ErrSyntax, args, p.toks[p.pos].text)
	}
	if err := e.requireFields(tb, "where", p.fields...); err != nil {
		return nil, err
	}
	out := &splunkd.Table{Fields: tb.Fields}
	for i := range tb.Rows {
		if expr(tb, i) == tTrue {
			out.Rows = append(out.Rows, tb.Rows[i])
		}
	}
	return out, nil
}

// tri is a three-valued truth: eval's null propagates through comparisons.
type tri int

const (
	tNull tri = iota
	tFalse
	tTrue
)

var compareOps = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

type whereExpr func(tb *splunkd.Table, i int) tri

type whereTok struct {
	text string
	kind byte // 'i' identifier, 'n' number, 's' string, 'o' operator or punctuation
}

func lexWhere(s string) ([]whereTok, error) {
	var toks []whereTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, whereTok{string(c), 'o'})
			i++
		case strings.ContainsRune("=!<>", rune(c)):
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, fmt.Errorf("%w: where %q: unexpected '!' (want !=)", ErrSyntax, s)
			}
			toks = append(toks, whereTok{op, 'o'})
			i = j
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("%w: where %q: unterminated quote", ErrSyntax, s)
			}
			kind := byte('s')
			if c == '\'' {
				kind = 'i' // 'field name'
			}
			toks = append(toks, whereTok{b.String(), kind})
			i = j + 1
		case c == '-' || c == '.' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			if _, err := strconv.ParseFloat(s[i:j], 64); err != nil {
				return nil, fmt.Errorf("%w: where %q: %q is not a number (arithmetic is not evaluated)", ErrUnsupported, s, s[i:j])
			}
			toks = append(toks, whereTok{s[i:j], 'n'})
			i = j
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, whereTok{s[i:j], 'i'})
			i = j
		default:
			return nil, fmt.Errorf("%w: where %q: %q (arithmetic and other operators are not evaluated)", ErrUnsupported, s, c)
		}
	}
	return toks, nil
}

type whereParser struct {
	toks   []whereTok
	pos    int
	text   string
	fields []string
}

func (p *whereParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'i' && p.toks[p.pos].text == w
}

func (p *whereParser) peekOp(op string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'o' && p.toks[p.pos].text == op
}

func (p *whereParser) or() (whereExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peekWord("OR") {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(tb *splunkd.Table, i int) tri {
			x, y := a(tb, i), b(tb, i)
			switch {
			case x == tTrue || y == tTrue:
				return tTrue
			case x == tNull || y == tNull:
				return tNull
			}
			return tFalse
		}
	}
	return l, nil
}

func (p *whereParser) and() (whereExpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peekWord("AND") {
		p.pos++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		l = func(tb *splunkd.Table, i int) tri {
			x, y := a(tb, i), b(tb, i)
			switch {
			case x == tFalse || y == tFalse:
				return tFalse
			case x == tNull || y == tNull:
				return tNull
			}
			return tTrue
		}
	}
	return l, nil
}

func (p *whereParser) not() (whereExpr, error) {
	if p.peekWord("NOT") {
		p.pos++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return func(tb *splunkd.Table, i int) tri {
			switch e(tb, i) {
			case tTrue:
				return tFalse
			case tFalse:
				return tTrue
			}
			return tNull
		}, nil
	}
	if p.peekOp("(") {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peekOp(")") {
			return nil, fmt.Errorf("%w: where %q: a closing parenthesis is missing", ErrSyntax, p.text)
		}
		p.pos++
		return e, nil
	}
	if (p.peekWord("isnull") || p.peekWord("isnotnull")) && p.pos+3 < len(p.toks) && p.toks[p.pos+1].text == "(" && p.toks[p.pos+2].kind == 'i' && p.toks[p.pos+3].text == ")" {
		isNull, field := p.toks[p.pos].text == "isnull", p.toks[p.pos+2].text
		p.pos += 4
		p.fields = append(p.fields, field)
		return func(tb *splunkd.Table, i int) tri {
			if (len(tb.Get(i, field)) == 0) == isNull {
				return tTrue
			}
			return tFalse
		}, nil
	}
	numL := p.pos < len(p.toks) && p.toks[p.pos].kind == 'n'
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != 'o' || !compareOps[p.toks[p.pos].text] {
		return nil, fmt.Errorf("%w: where %q: want <field> <op> <value> after %q (functions other than isnull/isnotnull are not evaluated)", ErrUnsupported, p.text, p.toks[p.pos-1].text)
	}
	op := p.toks[p.pos].text
	p.pos++
	numR := p.pos < len(p.toks) && p.toks[p.pos].kind == 'n'
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	return func(tb *splunkd.Table, i int) tri {
		x, okx := l(tb, i)
		y, oky := r(tb, i)
		if !okx || !oky {
			return tNull
		}
		var c int
		fx, errx := strconv.ParseFloat(x, 64)
		fy, erry := strconv.ParseFloat(y, 64)
		if (numR && errx != nil) || (numL && erry != nil) {
			return tNull
		}
		if errx == nil && erry == nil {
			switch {
			case fx < fy:
				c = -1
			case fx > fy:
				c = 1
			}
		} else {
			c = strings.Compare(x, y)
		}
		var ok bool
		switch op {
		case "=", "==":
			ok = c == 0
		case "!=":
			ok = c != 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		}
		if ok {
			return tTrue
		}
		return tFalse
	}, nil
}

// operand returns a function giving the operand's value in a row, false
// when null.
func (p *whereParser) operand() (func(tb *splunkd.Table, i int) (string, bool), error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("%w: where %q ends early", ErrSyntax, p.text)
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case 'n', 's':
		v := t.text
		return func(*splunkd.Table, int) (string, bool) { return v, true }, nil
	case 'i':
		if p.peekOp("(") {
			return nil, fmt.Errorf("%w: where %q: the function %s() (the backtest knows isnull() and isnotnull() only)", ErrUnsupported, p.text, t.text)
		}
		if t.text == "AND" || t.text == "OR" || t.text == "NOT" {
			return nil, fmt.Errorf("%w: where %q: unexpected %s", ErrSyntax, p.text, t.text)
		}
		f := t.text
		p.fields = append(p.fields, f)
		return func(tb *splunkd.Table, i int) (string, bool) {
			v := tb.Get(i, f)
			if len(v) == 0 {
				return "", false
			}
			return v[0], true
		}, nil
	}
	return nil, fmt.Errorf("%w: where %q: unexpected %q", ErrSyntax, p.text, t.text)
}
