package chunked

import (
	"bytes"
	"io"
)

// Direct encoding: a writer that encodes each row as it ends holds the
// reply once, encoded, instead of as cells (20 bytes each) beside the
// values they point at. For replies built whole before they are sent (a
// reduce phase's, tens of megabytes) that is most of the memory.
//
// A row is encoded over every field registered when it ends. The header
// is still the union of the fields set in the reply: when every registered
// field was set somewhere and every row saw all of them (the usual case:
// the fields are registered before the first row), the rows are sent as
// they were encoded; otherwise each row is laid out again, cell by cell,
// as it is sent.

// blockSize is the size of the blocks encoded rows are kept in: blocks,
// rather than one growing slice, so that growing never copies the reply.
const blockSize = 1 << 20

// directRow is where an encoded row ends and how many fields it was
// encoded over.
type directRow struct {
	block, end, ncols int32
}

// EncodeEachRow makes w encode every row when it ends (see above). Call it
// before the first row of a reply; [TableWriter.Reset] turns it off. The
// rows' values are copied when they end, so a row copied from an input
// table needs that table only until then.
func (w *TableWriter) EncodeEachRow() { w.direct = true }

// endDirect encodes the row just ended and forgets its cells.
func (w *TableWriter) endDirect() {
	n := len(w.names)
	for len(w.ident) < n {
		w.ident = append(w.ident, len(w.ident))
	}
	row := w.encodeRow(w.scratch[:0], w.cells, w.ident[:n], n)
	w.scratch = row[:0]
	last := len(w.blocks) - 1
	if last < 0 || cap(w.blocks[last])-len(w.blocks[last]) < len(row) {
		w.blocks = append(w.blocks, make([]byte, 0, max(blockSize, len(row))))
		last++
	}
	w.blocks[last] = append(w.blocks[last], row...)
	w.drows = append(w.drows, directRow{block: int32(last), end: int32(len(w.blocks[last])), ncols: int32(n)})
	w.cells = w.cells[:0]
	w.arena = w.arena[:0]
}

// directAsIs reports whether the encoded rows are the body as they are.
func (w *TableWriter) directAsIs() bool {
	for c := range w.names {
		if !w.used[c] {
			return false
		}
	}
	n := int32(len(w.names))
	for _, r := range w.drows {
		if r.ncols != n {
			return false
		}
	}
	return true
}

// eachDirectRow calls fn with every encoded row, in order.
func (w *TableWriter) eachDirectRow(fn func(row []byte, ncols int)) {
	start, block := 0, int32(-1)
	for _, r := range w.drows {
		if r.block != block {
			start, block = 0, r.block
		}
		fn(w.blocks[r.block][start:r.end], int(r.ncols))
		start = int(r.end)
	}
}

// relayRow appends an encoded row (ncols fields, line end included) laid
// out over the used fields: unused fields left out, fields registered after
// it empty.
func (w *TableWriter) relayRow(dst, row []byte, ncols int) []byte {
	rowStart := len(dst)
	first := true
	p := 0
	for c := range w.names {
		var cell []byte
		if c < ncols {
			cell, p = nextCell(row, p)
		}
		if !w.used[c] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, cell...)
	}
	return endRow(dst, rowStart)
}

// nextCell returns the encoded cell of row starting at p and the position
// after its separator. row is one of this writer's own rows, valid CSV.
func nextCell(row []byte, p int) ([]byte, int) {
	start := p
	if p < len(row) && row[p] == '"' {
		q := p + 1
		for {
			i := bytes.IndexByte(row[q:], '"')
			if i < 0 {
				return row[start:], len(row)
			}
			q += i + 1
			if q < len(row) && row[q] == '"' {
				q++
				continue
			}
			return row[start:q], q + 1
		}
	}
	end := p
	for end < len(row) && row[end] != ',' && row[end] != '\n' {
		end++
	}
	return row[start:end], end + 1
}

// directLen is the length of the rows of a direct writer as sent.
func (w *TableWriter) directLen() int {
	size := 0
	if w.directAsIs() {
		for _, b := range w.blocks {
			size += len(b)
		}
		return size
	}
	w.eachDirectRow(func(row []byte, ncols int) {
		w.scratch = w.relayRow(w.scratch[:0], row, ncols)
		size += len(w.scratch)
	})
	return size
}

// appendDirect appends the rows of a direct writer as sent.
func (w *TableWriter) appendDirect(dst []byte) []byte {
	if w.directAsIs() {
		for _, b := range w.blocks {
			dst = append(dst, b...)
		}
		return dst
	}
	w.eachDirectRow(func(row []byte, ncols int) { dst = w.relayRow(dst, row, ncols) })
	return dst
}

// writeDirect writes the header in buf, then the rows of a direct writer,
// to out.
func (w *TableWriter) writeDirect(out io.Writer, buf []byte) (int, error) {
	total := 0
	write := func(b []byte) error {
		k, err := out.Write(b)
		total += k
		return err
	}
	if w.directAsIs() {
		if err := write(buf); err != nil {
			return total, err
		}
		for _, b := range w.blocks {
			if err := write(b); err != nil {
				return total, err
			}
		}
		return total, nil
	}
	var err error
	w.eachDirectRow(func(row []byte, ncols int) {
		if err != nil {
			return
		}
		buf = w.relayRow(buf, row, ncols)
		if len(buf) >= 256<<10 {
			err = write(buf)
			buf = buf[:0]
		}
	})
	if err == nil {
		err = write(buf)
	}
	return total, err
}
