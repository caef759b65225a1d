package chunked

import (
	"bytes"
	"fmt"
	"math"
	"unicode/utf8"
)

const mvPrefix = "__mv_"

// Table is one decoded CSV body: a header row of field names and the data
// rows. It is decoded in one pass over the body; cells are sub-slices of the
// body (quoted cells with doubled quotes are unescaped into a side buffer), so
// decoding a body on one goroutine allocates only when a Table needs more
// room than it had for the previous one, plus one string per field name.
//
// A Table and the cells it returns are valid until its next Parse.
type Table struct {
	names    []string
	index    map[string]int
	mv       []int // mv[i]: column of __mv_<names[i]>, or -1
	cells    []cell
	nrows    int
	body     []byte   // the body as parsed (repaired copy if it was not UTF-8)
	unesc    []byte   // unescaped quoted values
	p        parser   // the header's parser
	segs     []parser // one per slice of rows
	repaired bool
	gen      uint64 // bumped by every Parse, so writers can cache column maps
}

// cell locates one cell without pointers, so the garbage collector never
// scans the (large) cell slice: raw is body[rs:re], quotes included; the
// value is body[vs:ve], or unesc[^vs:ve] when vs < 0 (unescaped quotes).
type cell struct {
	rs, re, vs, ve int32
}

func (t *Table) val(c cell) []byte {
	if c.vs >= 0 {
		return t.body[c.vs:c.ve]
	}
	return t.unesc[^c.vs:c.ve]
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
func (t *Table) Parse(body []byte) error { return t.ParseWorkers(body, 1) }

// ParseWorkers is Parse with up to workers goroutines, each decoding a
// slice of the rows of a large body. Slices start at a line end preceded by
// an even number of quote characters, which in valid CSV is exactly a line
// end outside any quoted field; the result and the errors are those of
// Parse.
func (t *Table) ParseWorkers(body []byte, workers int) error {
	t.gen++
	t.names = t.names[:0]
	clear(t.index)
	t.mv = t.mv[:0]
	t.cells = t.cells[:0]
	t.nrows = 0
	t.repaired = false
	if !validUTF8(body, workers) {
		body = bytes.ToValidUTF8(body, replacement)
		t.repaired = true
	}
	t.body = body
	if len(body) == 0 {
		return nil
	}
	if len(body) > math.MaxInt32 {
		return &CSVError{offset: 0, row: 0, col: -1, err: fmt.Errorf("%w: body of %d bytes, limit %d", ErrTooLarge, len(body), math.MaxInt32)}
	}
	// The header row.
	t.p.cells, t.p.unesc = t.p.cells[:0], t.p.unesc[:0]
	p, err := t.p.parseRecord(body, 0, 0)
	if err != nil {
		return err
	}
	if err := t.setHeader(&t.p); err != nil {
		return err
	}
	ncols := len(t.names)

	// Cut the rows into slices.
	k := 1
	if workers > 1 && len(body)-p >= minParallelBytes {
		k = workers
	}
	if k == 1 {
		if len(t.segs) == 0 {
			t.segs = append(t.segs, parser{})
		}
		// Parse the rows and adopt the slice's buffers, no copy.
		sg := &t.segs[0]
		sg.parseRows(body, p, len(body), ncols)
		if sg.err != nil {
			return sg.err
		}
		t.cells, sg.cells = sg.cells, t.cells[:0]
		t.unesc, sg.unesc = sg.unesc, t.unesc[:0]
		t.nrows = sg.nrows
		return nil
	}
	// A line end preceded by an even number of quotes is outside any
	// quoted field. Quotes are counted once, left to right; a cut that
	// cannot be found within a slice's length (an odd quote left open, as
	// in a malformed body, or one huge quoted value) ends the cutting and
	// the rest is parsed as one slice.
	bounds := []int{p}
	quotes, counted := 0, p
	for i := 1; i < k; i++ {
		target := max(p+(len(body)-p)*i/k, bounds[len(bounds)-1])
		limit := min(target+(len(body)-p)/k, len(body))
		cut := -1
		for at := target; at < limit; {
			nl := bytes.IndexByte(body[at:limit], '\n')
			if nl < 0 {
				break
			}
			at += nl + 1
			quotes += bytes.Count(body[counted:at], []byte{'"'})
			counted = at
			if quotes%2 == 0 {
				cut = at
				break
			}
		}
		if cut < 0 || cut >= len(body) {
			break
		}
		bounds = append(bounds, cut)
	}
	bounds = append(bounds, len(body))
	k = len(bounds) - 1
	for len(t.segs) < k {
		t.segs = append(t.segs, parser{})
	}
	each(k, func(i int) {
		t.segs[i].parseRows(body, bounds[i], bounds[i+1], ncols)
	})

	// Join the slices in order; the first error, by position, wins.
	rows := 0
	t.cells = t.cells[:0]
	t.unesc = t.unesc[:0]
	for i := 0; i < k; i++ {
		sg := &t.segs[i]
		if sg.err != nil {
			sg.err.row += rows
			return sg.err
		}
		base := int32(len(t.unesc))
		t.unesc = append(t.unesc, sg.unesc...)
		start := len(t.cells)
		t.cells = append(t.cells, sg.cells...)
		if base > 0 && len(sg.unesc) > 0 {
			for j := start; j < len(t.cells); j++ {
				if c := &t.cells[j]; c.vs < 0 {
					c.vs = ^(^c.vs + base)
					c.ve += base
				}
			}
		}
		rows += sg.nrows
		if cap(sg.cells) > keepCells {
			// Copied into t.cells: a slice's own storage for a body this
			// large (a reduce phase's) would double the table's size.
			sg.cells, sg.unesc = nil, nil
		}
	}
	t.nrows = rows
	return nil
}

// keepCells is the most cells a slice parser keeps for the next body after
// its cells were joined into the table's (16 bytes each: 8 MiB).
const keepCells = 1 << 19

// minParallelBytes is the smallest body worth cutting into slices (a
// variable so tests can exercise slicing on small bodies).
var minParallelBytes = 256 << 10

// validUTF8 is utf8.Valid over slices of body cut at line ends (ASCII, so
// never inside a multi-byte sequence), checked concurrently.
func validUTF8(body []byte, workers int) bool {
	if workers <= 1 || len(body) < minParallelBytes {
		return utf8.Valid(body)
	}
	bounds := make([]int, workers+1)
	bounds[workers] = len(body)
	for i := 1; i < workers; i++ {
		at := max(len(body)*i/workers, bounds[i-1])
		if nl := bytes.IndexByte(body[at:], '\n'); nl >= 0 {
			at += nl
		} else {
			at = len(body)
		}
		bounds[i] = at
	}
	ok := make([]bool, workers)
	each(workers, func(i int) { ok[i] = utf8.Valid(body[bounds[i]:bounds[i+1]]) })
	for _, v := range ok {
		if !v {
			return false
		}
	}
	return true
}

// each runs f(0) … f(k-1) concurrently (f(0) on the calling goroutine) and
// waits for all. A panic in one is re-raised in the caller.
func each(k int, f func(i int)) {
	if k <= 1 {
		f(0)
		return
	}
	panics := make([]any, k)
	done := make(chan struct{}, k-1)
	for i := 1; i < k; i++ {
		go func() {
			defer func() {
				panics[i] = recover()
				done <- struct{}{}
			}()
			f(i)
		}()
	}
	func() {
		defer func() { panics[0] = recover() }()
		f(0)
	}()
	for i := 1; i < k; i++ {
		<-done
	}
	for _, v := range panics {
		if v != nil {
			panic(v)
		}
	}
}

// parser decodes records into cells; a Table has one per slice of rows.
type parser struct {
	cells []cell
	unesc []byte
	nrows int
	err   *CSVError
}

// parseRows decodes the records of body[from:to], each ncols wide. Rows in
// errors count from 1 at from.
func (ps *parser) parseRows(body []byte, from, to, ncols int) {
	ps.cells, ps.unesc, ps.nrows, ps.err = ps.cells[:0], ps.unesc[:0], 0, nil
	// Size the cells once: one line per row is the common case (quoted
	// newlines only make this an overestimate). No slice can hold more
	// cells than it has commas and line ends, whatever the header says.
	// Quoted values with line ends (a reduce phase's lists) make lines
	// many more than rows: then commas plus lines is the closer bound.
	lines := bytes.Count(body[from:to], []byte{'\n'}) + 1
	need := lines * ncols
	overflow := need/ncols != lines
	if overflow || need > (to-from)+1 || lines > 1024 {
		if alt := bytes.Count(body[from:to], []byte{','}) + lines; overflow || alt < need {
			need = alt
		}
	}
	if cap(ps.cells) < need {
		ps.cells = make([]cell, 0, need)
	}
	seg := body[:to]
	for p, row := from, 1; p < to; row++ {
		start, first := len(ps.cells), p
		var err error
		p, err = ps.parseRecord(seg, p, row)
		if err != nil {
			ps.err = err.(*CSVError)
			return
		}
		if n := len(ps.cells) - start; n != ncols {
			// A blank line in a one-column body is a row with one empty
			// cell; elsewhere a wrong count is an error.
			ps.err = &CSVError{offset: first, row: row, col: -1, err: fmt.Errorf("%w: %d, header has %d", ErrFieldCount, n, ncols)}
			return
		}
		ps.nrows++
	}
}

// parseRecord appends the cells of the record starting at p and returns the
// position after its line end. Field ends are found with bytes.IndexByte
// (vectorised) rather than byte by byte: the next LF is located once per
// line and again only after a quoted field that contains one.
func (ps *parser) parseRecord(body []byte, p, row int) (int, error) {
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
					return p, &CSVError{offset: start, row: row, col: col, err: fmt.Errorf("%w: quoted field never closed", ErrQuote)}
				}
				q += i
				if q+1 < len(body) && body[q+1] == '"' {
					hasEsc = true
					q += 2
					continue
				}
				break
			}
			c := cell{rs: int32(start), re: int32(q + 1), vs: int32(start + 1), ve: int32(q)}
			if hasEsc {
				c.vs, c.ve = ps.unescape(body[start+1 : q])
			}
			ps.cells = append(ps.cells, c)
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
			return p, &CSVError{offset: p, row: row, col: col, err: fmt.Errorf("%w: %q after closing quote", ErrQuote, body[p])}
		}
		// Unquoted field: runs to the next comma or line end.
		end := nl
		if i := bytes.IndexByte(body[p:nl], ','); i >= 0 {
			end = p + i
		}
		if i := bytes.IndexByte(body[start:end], '"'); i >= 0 {
			return p, &CSVError{offset: start + i, row: row, col: col, err: fmt.Errorf("%w: quote inside an unquoted field", ErrQuote)}
		}
		vend := end
		if end == nl && end > start && body[end-1] == '\r' {
			vend-- // CRLF line end
		}
		ps.cells = append(ps.cells, cell{rs: int32(start), re: int32(vend), vs: int32(start), ve: int32(vend)})
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

// unescape appends val to ps.unesc with doubled quotes made single and
// returns the value's cell bounds (start complemented, see cell).
func (ps *parser) unescape(val []byte) (vs, ve int32) {
	u := len(ps.unesc)
	for {
		i := bytes.IndexByte(val, '"')
		if i < 0 {
			ps.unesc = append(ps.unesc, val...)
			break
		}
		ps.unesc = append(ps.unesc, val[:i+1]...)
		val = val[i+2:]
	}
	return ^int32(u), int32(len(ps.unesc))
}

// setHeader takes the field names from the header's parser.
func (t *Table) setHeader(ps *parser) error {
	if t.index == nil {
		t.index = make(map[string]int, len(ps.cells))
	}
	for i, c := range ps.cells {
		var name string
		if c.vs >= 0 {
			name = string(t.body[c.vs:c.ve])
		} else {
			name = string(ps.unesc[^c.vs:c.ve])
		}
		if name == "" {
			return &CSVError{offset: 0, row: 0, col: i, err: fmt.Errorf("%w: column %d has no name", ErrHeaderRow, i+1)}
		}
		if _, dup := t.index[name]; dup {
			return &CSVError{offset: 0, row: 0, col: i, err: fmt.Errorf("%w: field %q appears twice", ErrHeaderRow, name)}
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

// Release empties t and lets go of its storage and of the body its cells
// alias: for a processor that has folded a large chunk into its own state
// and would otherwise keep the chunk alive while it builds its reply. A
// released table parses again like a new one.
func (t *Table) Release() {
	t.gen++
	t.names, t.index, t.mv = nil, nil, nil
	t.cells, t.unesc, t.body = nil, nil, nil
	t.p, t.segs = parser{}, nil
	t.nrows, t.repaired = 0, false
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
	return r.t.val(r.t.cells[r.i*len(r.t.names)+col])
}

// Raw returns column col as it was encoded in the body, quotes included.
func (r Row) Raw(col int) []byte {
	if col < 0 {
		return nil
	}
	c := r.t.cells[r.i*len(r.t.names)+col]
	return r.t.body[c.rs:c.re]
}

// Error places err at this row and column (col < 0: the row as a whole),
// for a processor to return: [Run] reports it with the chunk, the byte
// offset of the cell, the row and the field name. err stays reachable
// with errors.Is and errors.As.
func (r Row) Error(col int, err error) error {
	off := -1
	if n := len(r.t.names); n > 0 {
		if col >= 0 && col < n {
			off = int(r.t.cells[r.i*n+col].rs)
		} else {
			off = int(r.t.cells[r.i*n].rs)
		}
	}
	if col >= len(r.t.names) {
		col = -1
	}
	return &CSVError{offset: off, row: r.i + 1, col: col, err: err}
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
				return nil, &CSVError{offset: -1, row: r.i + 1, col: m, err: err}
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
func AppendMultivalue[S string | []byte](dst []byte, vals []S) []byte {
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
