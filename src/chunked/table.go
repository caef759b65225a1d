package chunked

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

const mvPrefix = "__mv_"

// Table is one decoded CSV body: a header row of field names and the data
// rows. It is decoded in one pass over the body; cells are sub-slices of the
// body (quoted cells with doubled quotes are unescaped into a side buffer), so
// decoding a body allocates only when a Table needs more room than it had for
// the previous one, plus one string per field name.
//
// A Table and the cells it returns are valid until its next Parse.
type Table struct {
	names    []string
	index    map[string]int
	mv       []int // mv[i]: column of __mv_<names[i]>, or -1
	cells    []cell
	nrows    int
	body     []byte // the body as parsed (repaired copy if it was not UTF-8)
	unesc    []byte // unescaped quoted values
	repaired bool
	gen      uint64 // bumped by every Parse, so writers can cache column maps
}

type cell struct {
	raw []byte // bytes as they appeared in the body, quotes included
	val []byte // the value
}

// Row is one data row of a [Table].
type Row struct {
	t *Table
	i int // row index
}

// Parse decodes body into t, replacing what t held. An empty body (zero
// bytes) is a table with no fields and no rows; a header-only body has
// fields and no rows. On error the position is a byte offset in body, the
// 1-based data row (0 for the header) and the column; use errors.As with
// *Error after [Run] has placed it in the stream.
func (t *Table) Parse(body []byte) error {
	t.gen++
	t.names = t.names[:0]
	clear(t.index)
	t.mv = t.mv[:0]
	t.cells = t.cells[:0]
	t.nrows = 0
	t.repaired = false
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, replacement)
		t.repaired = true
	}
	t.body = body
	if len(body) == 0 {
		return nil
	}
	if cap(t.unesc) < len(body) {
		t.unesc = make([]byte, 0, len(body))
	}
	t.unesc = t.unesc[:0]

	p, ncols := 0, -1
	for row := 0; p < len(body); row++ {
		start := len(t.cells)
		var err error
		p, err = t.parseRecord(body, p, row)
		if err != nil {
			return err
		}
		n := len(t.cells) - start
		if row == 0 {
			ncols = n
			if err := t.setHeader(); err != nil {
				return err
			}
			// Size the cells once: one line per row is the common case
			// (quoted newlines only make this an overestimate).
			if need := (bytes.Count(body[p:], []byte{'\n'}) + 1) * ncols; cap(t.cells) < need {
				t.cells = make([]cell, 0, need)
			}
			t.cells = t.cells[:0]
			continue
		}
		if n != ncols {
			// A blank line in a one-column body is a row with one empty
			// cell; elsewhere a wrong count is an error.
			return &csvError{offset: p, row: row, col: -1, err: fmt.Errorf("%w: %d, header has %d", ErrFieldCount, n, ncols)}
		}
		t.nrows++
	}
	return nil
}

// parseRecord appends the cells of the record starting at p and returns the
// position after its line end. Field ends are found with bytes.IndexByte
// (vectorised) rather than byte by byte: the next LF is located once per
// line and again only after a quoted field that contains one.
func (t *Table) parseRecord(body []byte, p, row int) (int, error) {
	nl := nextLF(body, p)
	for col := 0; ; col++ {
		start := p
		if p < len(body) && body[p] == '"' {
			// Quoted field: runs to the next quote not followed by another.
			q := p + 1
			hasEsc := false
			for {
				i := bytes.IndexByte(body[q:], '"')
				if i < 0 {
					return p, &csvError{offset: start, row: row, col: col, err: fmt.Errorf("%w: quoted field never closed", ErrQuote)}
				}
				q += i
				if q+1 < len(body) && body[q+1] == '"' {
					hasEsc = true
					q += 2
					continue
				}
				break
			}
			raw := body[start : q+1]
			val := body[start+1 : q]
			if hasEsc {
				val = t.unescape(val)
			}
			t.cells = append(t.cells, cell{raw: raw, val: val})
			p = q + 1
			if p > nl {
				nl = nextLF(body, p)
			}
			if p == len(body) {
				return p, nil
			}
			switch body[p] {
			case ',':
				p++
				continue
			case '\n':
				return p + 1, nil
			case '\r':
				if p+1 == len(body) {
					return p + 1, nil
				}
				if body[p+1] == '\n' {
					return p + 2, nil
				}
			}
			return p, &csvError{offset: p, row: row, col: col, err: fmt.Errorf("%w: %q after closing quote", ErrQuote, body[p])}
		}
		// Unquoted field: runs to the next comma or line end.
		end := nl
		if i := bytes.IndexByte(body[p:nl], ','); i >= 0 {
			end = p + i
		}
		v := body[start:end]
		if i := bytes.IndexByte(v, '"'); i >= 0 {
			return p, &csvError{offset: start + i, row: row, col: col, err: fmt.Errorf("%w: quote inside an unquoted field", ErrQuote)}
		}
		if end == nl && len(v) > 0 && v[len(v)-1] == '\r' {
			v = v[:len(v)-1] // CRLF line end
		}
		t.cells = append(t.cells, cell{raw: v, val: v})
		if end == len(body) {
			return end, nil
		}
		if end == nl {
			return end + 1, nil
		}
		p = end + 1 // comma
	}
}

// nextLF returns the index of the first LF at or after p, or len(body).
func nextLF(body []byte, p int) int {
	if i := bytes.IndexByte(body[p:], '\n'); i >= 0 {
		return p + i
	}
	return len(body)
}

// unescape turns doubled quotes into single ones, into t.unesc. t.unesc
// was sized to the body, so it never moves and earlier values stay valid.
func (t *Table) unescape(val []byte) []byte {
	u := len(t.unesc)
	for {
		i := bytes.IndexByte(val, '"')
		if i < 0 {
			t.unesc = append(t.unesc, val...)
			break
		}
		t.unesc = append(t.unesc, val[:i+1]...)
		val = val[i+2:]
	}
	return t.unesc[u:len(t.unesc):len(t.unesc)]
}

func (t *Table) setHeader() error {
	if t.index == nil {
		t.index = make(map[string]int, len(t.cells))
	}
	for i, c := range t.cells {
		name := string(c.val)
		if name == "" {
			return &csvError{offset: 0, row: 0, col: i, err: fmt.Errorf("%w: column %d has no name", ErrHeaderRow, i+1)}
		}
		if _, dup := t.index[name]; dup {
			return &csvError{offset: 0, row: 0, col: i, err: fmt.Errorf("%w: field %q appears twice", ErrHeaderRow, name)}
		}
		t.index[name] = i
		t.names = append(t.names, name)
	}
	for _, name := range t.names {
		j, ok := t.index[mvPrefix+name]
		if !ok {
			j = -1
		}
		t.mv = append(t.mv, j)
	}
	return nil
}

// Fields returns the field names of the header row, __mv_ columns included,
// in body order. The slice is shared; do not modify it.
func (t *Table) Fields() []string { return t.names }

// Index returns the column of the named field, or -1.
func (t *Table) Index(name string) int {
	if i, ok := t.index[name]; ok {
		return i
	}
	return -1
}

// Len returns the number of data rows.
func (t *Table) Len() int { return t.nrows }

// Row returns data row i (0-based).
func (t *Table) Row(i int) Row { return Row{t: t, i: i} }

// Repaired reports whether the body was not valid UTF-8 and had its invalid
// sequences replaced by U+FFFD before decoding.
func (t *Table) Repaired() bool { return t.repaired }

// Table returns the table the row belongs to.
func (r Row) Table() *Table { return r.t }

// Index returns the row's 0-based index in its table.
func (r Row) Index() int { return r.i }

// Get returns the plain value of column col (for a multivalue field, the
// values joined by "\n"), or nil if col < 0. The bytes alias the body.
func (r Row) Get(col int) []byte {
	if col < 0 {
		return nil
	}
	return r.t.cells[r.i*len(r.t.names)+col].val
}

// Raw returns column col as it was encoded in the body, quotes included.
func (r Row) Raw(col int) []byte {
	if col < 0 {
		return nil
	}
	return r.t.cells[r.i*len(r.t.names)+col].raw
}

// Values returns the values of column col: the decoded __mv_ cell when the
// field has a non-empty one, else the plain cell as one value, else none.
func (r Row) Values(col int) ([]string, error) {
	if col < 0 {
		return nil, nil
	}
	if m := r.t.mv[col]; m >= 0 {
		if enc := r.Get(m); len(enc) > 0 {
			vals, err := DecodeMultivalue(enc)
			if err != nil {
				return nil, &csvError{offset: -1, row: r.i + 1, col: m, err: err}
			}
			return vals, nil
		}
	}
	v := r.Get(col)
	if len(v) == 0 {
		return nil, nil
	}
	return []string{string(v)}, nil
}

// DecodeMultivalue decodes an __mv_ cell, "$a$;$b$$c$" → ["a", "b$c"].
func DecodeMultivalue(enc []byte) ([]string, error) {
	var vals []string
	var buf []byte
	p := 0
	for {
		if p >= len(enc) || enc[p] != '$' {
			return nil, fmt.Errorf("%w: want '$' at byte %d of %q", ErrMultivalue, p, enc)
		}
		p++
		buf = buf[:0]
		for {
			if p >= len(enc) {
				return nil, fmt.Errorf("%w: value never closed in %q", ErrMultivalue, enc)
			}
			if enc[p] == '$' {
				if p+1 < len(enc) && enc[p+1] == '$' {
					buf = append(buf, '$')
					p += 2
					continue
				}
				p++
				break
			}
			buf = append(buf, enc[p])
			p++
		}
		vals = append(vals, string(buf))
		if p == len(enc) {
			return vals, nil
		}
		if enc[p] != ';' {
			return nil, fmt.Errorf("%w: want ';' at byte %d of %q", ErrMultivalue, p, enc)
		}
		p++
	}
}

// AppendMultivalue appends the __mv_ encoding of vals to dst.
func AppendMultivalue(dst []byte, vals []string) []byte {
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, '$')
		for j := 0; j < len(v); j++ {
			if v[j] == '$' {
				dst = append(dst, '$')
			}
			dst = append(dst, v[j])
		}
		dst = append(dst, '$')
	}
	return dst
}
