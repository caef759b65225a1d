package chunked

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

var replacement = []byte("\uFFFD")

// TableWriter builds the CSV body of one reply. Fields are registered by
// name and get a column handle; each row sets the fields it has. The header
// written is the union of the fields set in any row of the reply, in the
// order they were first registered, so a field that first appears in a late
// row is never lost (the Python SDK drops such fields).
//
// Cells are encoded as they are set, into one growing buffer reused across
// replies, so steady-state writing does not allocate.
type TableWriter struct {
	names []string
	index map[string]int
	used  []bool
	mvCol []int // mvCol[c]: column of __mv_<names[c]>, or -1 until needed

	arena []byte
	cells []outCell
	rows  []int // rows[i]: end of row i in cells
	open  bool  // a row has cells not yet ended

	// The current row's copied input, when it is one span cell (see Copy):
	// its index in cells plus one (0: none) and the row it came from.
	span     int
	spanRow  Row
	expanded []outCell // scratch for expand

	// column map for Copy, cached per source table generation
	srcGen  uint64
	srcTab  *Table
	srcCols []int
	srcs    [][]byte // srcs[k-1]: body of source k
	// srcSpan: the source's columns are consecutive writer columns, so a
	// copied row is one cell; srcUsed: those columns are marked used.
	srcSpan, srcUsed bool

	colMap  []int  // scratch for Encode
	mvbuf   []byte // scratch for SetMulti
	scratch []byte // scratch for EncodedLen and WriteBody

	// Direct encoding (see direct.go).
	direct bool
	blocks [][]byte
	drows  []directRow
	ident  []int
	// rowsHint, when set, is how many input rows this writer will copy (a
	// worker's share), for sizing its cells once.
	rowsHint int
}

// outCell is one cell of a row, or n > 1 consecutive cells of a copied
// input row (commas included): its first column and where its encoded
// bytes are, without pointers so the collector never scans the cell slice.
// src 0 is the arena (values set by the command); src k > 0 is the body of
// the k-th input table rows were copied from (valid until that table's next
// Parse, which [Run] never calls before the reply is encoded).
type outCell struct {
	col, n, src, off, end int32
}

// Reset forgets all rows (keeping registered fields and buffers).
func (w *TableWriter) Reset() {
	clear(w.srcs)
	w.srcs = w.srcs[:0]
	w.srcTab = nil
	w.arena = w.arena[:0]
	w.cells = w.cells[:0]
	w.rows = w.rows[:0]
	w.open = false
	w.span = 0
	w.srcUsed = false
	clear(w.used)
	w.direct = false
	clear(w.blocks)
	w.blocks = w.blocks[:0]
	w.drows = w.drows[:0]
}

// Field returns the column handle for name, registering it if new.
func (w *TableWriter) Field(name string) int {
	if c, ok := w.index[name]; ok {
		return c
	}
	if w.index == nil {
		w.index = make(map[string]int)
	}
	c := len(w.names)
	w.names = append(w.names, name)
	w.used = append(w.used, false)
	w.mvCol = append(w.mvCol, -1)
	w.index[name] = c
	// Pair plain and __mv_ columns whichever is registered first.
	if m, ok := w.index[mvPrefix+name]; ok {
		w.mvCol[c] = m
	}
	if len(name) > len(mvPrefix) && name[:len(mvPrefix)] == mvPrefix {
		if p, ok := w.index[name[len(mvPrefix):]]; ok {
			w.mvCol[p] = c
		}
	}
	return c
}

// Len returns the number of rows ended so far.
func (w *TableWriter) Len() int { return len(w.rows) }

// Set sets field col of the current row to the single value v, encoding it
// as CSV. Setting a field twice in a row keeps the last value; setting a
// field copied from the input also empties its __mv_ column, which would
// otherwise take precedence in splunkd.
func (w *TableWriter) Set(col int, v []byte) {
	start := len(w.arena)
	w.arena = appendCSV(w.arena, v)
	w.add(col, start)
	w.single(col)
}

// SetString is Set for a string value.
func (w *TableWriter) SetString(col int, v string) {
	start := len(w.arena)
	w.arena = appendCSVString(w.arena, v)
	w.add(col, start)
	w.single(col)
}

// SetInt sets field col to the decimal form of v.
func (w *TableWriter) SetInt(col int, v int) {
	start := len(w.arena)
	w.arena = appendInt(w.arena, v)
	w.add(col, start)
	w.single(col)
}

// single empties the __mv_ column paired with col, if there is one.
func (w *TableWriter) single(col int) {
	if m := w.mvCol[col]; m >= 0 {
		w.add(m, len(w.arena))
	}
}

// SetMulti sets a multivalue field: the plain column gets the values joined
// by "\n" and the __mv_ column their $-encoding. A single value is written as
// a plain value; no values leave the field empty.
func (w *TableWriter) SetMulti(col int, vals []string) {
	setMulti(w, col, vals)
}

// SetMultiBytes is SetMulti for byte slices.
func (w *TableWriter) SetMultiBytes(col int, vals [][]byte) {
	setMulti(w, col, vals)
}

func setMulti[S string | []byte](w *TableWriter, col int, vals []S) {
	switch len(vals) {
	case 0:
		w.SetString(col, "")
		return
	case 1:
		w.Set(col, []byte(vals[0]))
		return
	}
	var seen uint8
	for _, v := range vals {
		seen |= scanBits(v)
	}
	if seen&2 != 0 {
		// Not all ASCII: the slow path, which repairs invalid UTF-8.
		setMultiRepair(w, col, vals)
		return
	}
	// The plain cell, values joined by LF: always quoted.
	start := len(w.arena)
	w.arena = append(w.arena, '"')
	for i, v := range vals {
		if i > 0 {
			w.arena = append(w.arena, '\n')
		}
		w.arena = appendEscaped(w.arena, v)
	}
	w.arena = append(w.arena, '"')
	w.add(col, start)

	m := w.mvCol[col]
	if m < 0 {
		m = w.Field(mvPrefix + w.names[col])
		w.mvCol[col] = m
	}
	start = len(w.arena)
	if seen&1 == 0 {
		// $-encoded values need no quoting: the cell is written as it is.
		w.arena = AppendMultivalue(w.arena, vals)
	} else {
		tmp := AppendMultivalue(w.mvbuf[:0], vals)
		w.arena = appendCSV(w.arena, tmp)
		w.mvbuf = tmp
	}
	w.add(m, start)
}

// setMultiRepair is setMulti for values that may not be valid UTF-8.
func setMultiRepair[S string | []byte](w *TableWriter, col int, vals []S) {
	start := len(w.arena)
	tmp := w.mvbuf[:0]
	for i, v := range vals {
		if i > 0 {
			tmp = append(tmp, '\n')
		}
		tmp = append(tmp, v...)
	}
	w.arena = appendCSV(w.arena, tmp)
	w.add(col, start)

	m := w.mvCol[col]
	if m < 0 {
		m = w.Field(mvPrefix + w.names[col])
		w.mvCol[col] = m
	}
	start = len(w.arena)
	tmp = AppendMultivalue(tmp[:0], vals)
	w.arena = appendCSV(w.arena, tmp)
	w.add(m, start)
	w.mvbuf = tmp
}

// SetRaw sets field col to bytes already encoded as a CSV cell; its __mv_
// column, if any, is left as it is. raw is copied.
func (w *TableWriter) SetRaw(col int, raw []byte) {
	start := len(w.arena)
	w.arena = append(w.arena, raw...)
	w.add(col, start)
}

func (w *TableWriter) add(col, start int) {
	if w.span > 0 {
		if sc := w.cells[w.span-1]; int32(col) >= sc.col && int32(col) < sc.col+sc.n {
			w.expand() // a copied field set again: its cell must be its own
		}
	}
	w.cells = append(w.cells, outCell{col: int32(col), n: 1, off: int32(start), end: int32(len(w.arena))})
	w.used[col] = true
	w.open = true
}

// expand replaces the current row's span cell by one cell per field.
func (w *TableWriter) expand() {
	sc := w.cells[w.span-1]
	t, r := w.spanRow.t, w.spanRow.i
	n := len(t.names)
	one := w.expanded[:0]
	for i, c := range t.cells[r*n : r*n+n] {
		one = append(one, outCell{col: int32(w.srcCols[i]), n: 1, src: sc.src, off: c.rs, end: c.re})
	}
	w.cells = slices.Replace(w.cells, w.span-1, w.span, one...)
	w.expanded = one
	w.span = 0
}

// Copy copies every field of an input row, as it was encoded, into the
// current row: __mv_ columns and _chunked_idx travel unchanged. The row's
// table must not be parsed again before the writer is encoded or reset.
func (w *TableWriter) Copy(r Row) {
	t := r.t
	if t != w.srcTab || t.gen != w.srcGen {
		w.srcTab, w.srcGen = t, t.gen
		w.srcCols = w.srcCols[:0]
		for _, name := range t.names {
			w.srcCols = append(w.srcCols, w.Field(name))
		}
		w.srcs = append(w.srcs, t.body)
		w.srcSpan, w.srcUsed = len(w.srcCols) > 1, false
		for i := 1; i < len(w.srcCols); i++ {
			if w.srcCols[i] != w.srcCols[0]+i {
				w.srcSpan = false
			}
		}
	}
	src := int32(len(w.srcs))
	// The cells alias the input body rather than being copied: the row is
	// encoded before the table is parsed again.
	n := len(t.names)
	if n == 0 {
		return
	}
	rows := t.nrows
	if w.rowsHint > 0 {
		rows = min(rows, w.rowsHint)
	}
	if want := rows * (n + 4); !w.direct && len(w.cells) == 0 && cap(w.cells) < want {
		// First row of a reply: room for every input cell and a few
		// added fields per row, so the slice does not grow row by row
		// (a writer that encodes each row as it ends needs one row's).
		w.cells = make([]outCell, 0, want)
	}
	if w.span > 0 {
		w.expand() // two copies in one row: only the last is a span
	}
	in := t.cells[r.i*n : r.i*n+n]
	if w.srcSpan {
		// The fields are consecutive columns here as in the body: the
		// row's bytes from its first cell to its last, commas included,
		// are one span.
		if !w.srcUsed {
			for _, col := range w.srcCols {
				w.used[col] = true
			}
			w.srcUsed = true
		}
		w.span = len(w.cells) + 1
		w.spanRow = r
		w.cells = append(w.cells, outCell{col: int32(w.srcCols[0]), n: int32(n), src: src, off: in[0].rs, end: in[n-1].re})
		w.open = true
		return
	}
	for i, c := range in {
		col := w.srcCols[i]
		w.cells = append(w.cells, outCell{col: int32(col), n: 1, src: src, off: c.rs, end: c.re})
		w.used[col] = true
	}
	w.open = true
}

// EndRow ends the current row. A row with no field set is still a row.
func (w *TableWriter) EndRow() {
	w.open = false
	w.span = 0
	if w.direct {
		w.endDirect()
		w.rows = append(w.rows, 0)
		return
	}
	w.rows = append(w.rows, len(w.cells))
}

// Encode appends the CSV body (header and rows, LF line ends) to dst. A
// reply with no rows encodes to nothing.
func (w *TableWriter) Encode(dst []byte) []byte {
	n := w.layout()
	if n == 0 {
		return dst
	}
	dst = w.appendHeader(dst)
	if w.direct {
		return w.appendDirect(dst)
	}
	return w.encodeRows(dst, w.colMap, n)
}

// layout numbers the used columns in order (w.colMap: each local column's
// place, -1 if unused) and returns how many there are; 0 when there is
// nothing to encode (no rows, or rows without fields).
func (w *TableWriter) layout() int {
	if w.open {
		w.EndRow()
	}
	if len(w.rows) == 0 {
		return 0
	}
	colMap := w.colMap[:0]
	n := 0
	for c := range w.names {
		if w.used[c] {
			colMap = append(colMap, n)
			n++
		} else {
			colMap = append(colMap, -1)
		}
	}
	w.colMap = colMap
	return n
}

func (w *TableWriter) appendHeader(dst []byte) []byte {
	first := true
	for c, name := range w.names {
		if !w.used[c] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendCSVString(dst, name)
	}
	return append(dst, '\n')
}

// EncodedLen returns the length of the body [TableWriter.Encode] would
// append, without encoding it.
func (w *TableWriter) EncodedLen() int {
	n := w.layout()
	if n == 0 {
		return 0
	}
	w.scratch = w.appendHeader(w.scratch[:0])
	size := len(w.scratch)
	if w.direct {
		return size + w.directLen()
	}
	begin := 0
	for _, end := range w.rows {
		size += w.rowLen(w.cells[begin:end], w.colMap, n)
		begin = end
	}
	return size
}

// rowLen is the encoded length of one row, line end included; it follows
// encodeRows cell for cell.
func (w *TableWriter) rowLen(cells []outCell, colMap []int, n int) int {
	orderCells(cells, colMap)
	next, commas, size := 0, 0, 0
	for k, oc := range cells {
		g := colMap[oc.col]
		if g < next || k+1 < len(cells) && colMap[cells[k+1].col] == g {
			continue
		}
		size += g - commas + int(oc.end-oc.off)
		next = g + int(oc.n)
		commas = next - 1
	}
	size += n - 1 - commas
	if size == 0 {
		size = 2 // endRow's ""
	}
	return size + 1
}

// WriteBody writes the body [TableWriter.Encode] would append to out, a
// slice of rows at a time through a reused buffer, so a large reply is
// never held encoded whole beside the rows it is encoded from. It returns
// the bytes written.
func (w *TableWriter) WriteBody(out io.Writer) (int, error) {
	n := w.layout()
	if n == 0 {
		return 0, nil
	}
	const piece = 256 << 10
	buf := w.appendHeader(w.scratch[:0])
	if w.direct {
		k, err := w.writeDirect(out, buf)
		w.scratch = buf[:0]
		return k, err
	}
	total := 0
	begin := 0
	for i, end := range w.rows {
		buf = w.encodeRow(buf, w.cells[begin:end], w.colMap, n)
		begin = end
		if len(buf) >= piece || i == len(w.rows)-1 {
			k, err := out.Write(buf)
			total += k
			if err != nil {
				w.scratch = buf[:0]
				return total, err
			}
			buf = buf[:0]
		}
	}
	w.scratch = buf[:0]
	return total, nil
}

// endRow ends a row begun at rowStart. A row that wrote nothing (one
// column, empty) is written as "" so that it is not a blank line, which
// some CSV readers (Go's encoding/csv among them) skip.
func endRow(dst []byte, rowStart int) []byte {
	if len(dst) == rowStart {
		dst = append(dst, '"', '"')
	}
	return append(dst, '\n')
}

func (w *TableWriter) appendCell(dst []byte, oc outCell) []byte {
	if oc.src == 0 {
		return append(dst, w.arena[oc.off:oc.end]...)
	}
	return append(dst, w.srcs[oc.src-1][oc.off:oc.end]...)
}

// AppendCell appends v encoded as one CSV cell (quoted if needed, invalid
// UTF-8 repaired), for values a command encodes once and sets with SetRaw.
func AppendCell(dst []byte, v string) []byte { return appendCSVString(dst, v) }

// cellClass marks the bytes scanCell looks for: 1 needs quoting, 2 is not
// ASCII.
var cellClass = func() (t [256]uint8) {
	for _, c := range []byte{',', '"', '\r', '\n'} {
		t[c] = 1
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = 2
	}
	return t
}()

// scanCell reports, in one pass, whether a value must be quoted (it holds
// a comma, quote, CR or LF, or starts or ends with a space, which quoting
// keeps) and whether it is all ASCII (and so valid UTF-8).
func scanCell[S string | []byte](v S) (quote, ascii bool) {
	if len(v) == 0 {
		return false, true
	}
	seen := scanBits(v)
	return seen&1 != 0 || v[0] == ' ' || v[len(v)-1] == ' ', seen&2 == 0
}

// scanBits returns the union of the cellClass bits of v's bytes.
func scanBits[S string | []byte](v S) uint8 {
	var seen uint8
	for i := 0; i < len(v); i++ {
		seen |= cellClass[v[i]]
	}
	return seen
}

// appendEscaped appends v with every quote doubled, as inside a quoted
// cell.
func appendEscaped[S string | []byte](dst []byte, v S) []byte {
	for {
		i := index(v, '"')
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i+1]...)
		dst = append(dst, '"')
		v = v[i+1:]
	}
}

func index[S string | []byte](v S, c byte) int {
	switch v := any(v).(type) {
	case string:
		return strings.IndexByte(v, c)
	case []byte:
		return bytes.IndexByte(v, c)
	}
	panic("unreachable")
}

func appendCSV(dst, v []byte) []byte {
	quote, ascii := scanCell(v)
	if !ascii && !utf8.Valid(v) {
		v = bytes.ToValidUTF8(v, replacement)
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	dst = appendEscaped(dst, v)
	return append(dst, '"')
}

func appendCSVString(dst []byte, v string) []byte {
	quote, ascii := scanCell(v)
	if !ascii && !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	dst = appendEscaped(dst, v)
	return append(dst, '"')
}

func appendInt(dst []byte, v int) []byte {
	if v >= 0 && v < 10 {
		return append(dst, byte('0'+v))
	}
	var b [20]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return append(dst, b[i:]...)
}

// encodeRows appends the writer's rows (no header) with cells placed by
// global column: colMap[c] is the output position of local column c (-1
// for a column no row set) and n the number of output columns.
//
// Each row is written in one pass over its cells in output order, runs of
// empty cells as runs of commas. Cells usually come in that order (the
// copied input, then the added fields as registered); a row that does not
// (a __mv_ column registered late, fields set out of order, a field set
// twice) is first put in order by a stable insertion sort, cheap on a few
// dozen nearly sorted cells. Where two cells share a position the later one
// set wins; a copied row's span wins over the cells it covers, which were
// set before it (add splits the span of a field set after the copy).
func (w *TableWriter) encodeRows(dst []byte, colMap []int, n int) []byte {
	if w.open {
		w.EndRow()
	}
	begin := 0
	for _, end := range w.rows {
		dst = w.encodeRow(dst, w.cells[begin:end], colMap, n)
		begin = end
	}
	return dst
}

func (w *TableWriter) encodeRow(dst []byte, cells []outCell, colMap []int, n int) []byte {
	rowStart := len(dst)
	orderCells(cells, colMap)
	next, commas := 0, 0 // next free position; commas written
	for k, oc := range cells {
		g := colMap[oc.col]
		if g < next || k+1 < len(cells) && colMap[cells[k+1].col] == g {
			continue // covered by a span, or set again later
		}
		dst = appendCommas(dst, g-commas)
		dst = w.appendCell(dst, oc)
		next = g + int(oc.n)
		commas = next - 1
	}
	dst = appendCommas(dst, n-1-commas)
	return endRow(dst, rowStart)
}

// orderCells sorts a row's cells by output position unless they already
// are.
func orderCells(cells []outCell, colMap []int) {
	for i := 1; i < len(cells); i++ {
		if colMap[cells[i].col] < colMap[cells[i-1].col] {
			sortCells(cells, colMap)
			return
		}
	}
}

// sortCells sorts a row's cells by output position, keeping the order in
// which cells of one position were set.
func sortCells(cells []outCell, colMap []int) {
	for i := 1; i < len(cells); i++ {
		c := cells[i]
		g := colMap[c.col]
		j := i
		for ; j > 0 && colMap[cells[j-1].col] > g; j-- {
			cells[j] = cells[j-1]
		}
		cells[j] = c
	}
}

// commaRun is a run of commas to append empty cells from.
var commaRun = []byte(strings.Repeat(",", 64))

func appendCommas(dst []byte, k int) []byte {
	for k > len(commaRun) {
		dst = append(dst, commaRun...)
		k -= len(commaRun)
	}
	if k > 0 {
		dst = append(dst, commaRun[:k]...)
	}
	return dst
}
