package splunkd

import (
	"strconv"
	"strings"
)

// AppendCSV appends t to dst encoded byte for byte as splunkd writes an
// execute body [§5]:
//
//   - a non-empty cell, header names included, is quoted iff it is not
//     made only of ASCII letters and digits; a '"' inside is doubled;
//   - empty cells (absent values) are never quoted;
//   - the header lists all plain fields, then one __mv_<field> column per
//     field in the same order;
//   - a multivalue is written as its values joined by "\n" in the plain
//     column and as $a$;$b$ (with '$' doubled inside values) in the __mv_
//     column; a single value leaves the __mv_ cell empty;
//   - lines end with "\n", or "\r\n" if crlf is set.
//
// A table without fields encodes as nothing (a 0-byte body); a table
// without rows as the header line alone.
func AppendCSV(dst []byte, t *Table, crlf bool) []byte {
	if t == nil || len(t.Fields) == 0 {
		return dst
	}
	e := newChunkEncoder(t.Fields, identityColumns(len(t.Fields)), false, crlf)
	dst = e.appendHeader(dst)
	for _, row := range t.Rows {
		dst = e.appendRow(dst, row, 0)
	}
	return dst
}

func identityColumns(n int) []int {
	cols := make([]int, n)
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// chunkEncoder writes execute bodies for one projection of the input: the
// columns cols of each row (named names), plus _chunked_idx if idx is set.
type chunkEncoder struct {
	names []string
	cols  []int
	idx   bool
	crlf  bool
}

func newChunkEncoder(names []string, cols []int, idx, crlf bool) *chunkEncoder {
	return &chunkEncoder{names: names, cols: cols, idx: idx, crlf: crlf}
}

// empty reports whether bodies have no columns at all (0-byte bodies).
func (e *chunkEncoder) empty() bool { return len(e.names) == 0 && !e.idx }

func (e *chunkEncoder) eol(dst []byte) []byte {
	if e.crlf {
		return append(dst, '\r', '\n')
	}
	return append(dst, '\n')
}

func (e *chunkEncoder) appendHeader(dst []byte) []byte {
	if e.empty() {
		return dst
	}
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	for _, n := range e.names {
		sep()
		dst = appendCell(dst, n)
	}
	if e.idx {
		sep()
		dst = appendCell(dst, chunkedIdx)
	}
	for _, n := range e.names {
		sep()
		dst = appendCell(dst, "__mv_"+n)
	}
	if e.idx {
		sep()
		dst = appendCell(dst, "__mv_"+chunkedIdx)
	}
	return e.eol(dst)
}

// appendRow writes one row; k is its _chunked_idx.
func (e *chunkEncoder) appendRow(dst []byte, row []Value, k int) []byte {
	if e.empty() {
		return dst
	}
	n := 0
	for i, c := range e.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		if c < len(row) {
			dst = appendPlain(dst, row[c])
		}
		n++
	}
	if e.idx {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(k), 10)
	}
	for _, c := range e.cols {
		dst = append(dst, ',')
		if c < len(row) {
			dst = appendMV(dst, row[c])
		}
	}
	if e.idx {
		dst = append(dst, ',')
	}
	return e.eol(dst)
}

// alnum marks the bytes [A-Za-z0-9].
var alnum = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	return t
}()

// isAlnum reports whether s is non-empty and made only of [A-Za-z0-9].
func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum[s[i]] {
			return false
		}
	}
	return true
}

// appendCell appends one cell with splunkd's quoting rule.
func appendCell(dst []byte, s string) []byte {
	if s == "" || isAlnum(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	dst = appendQuotedContent(dst, s)
	return append(dst, '"')
}

// appendQuotedContent appends s with '"' doubled.
func appendQuotedContent(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
}

// appendPlain appends the plain cell of v: its values joined by "\n".
func appendPlain(dst []byte, v Value) []byte {
	switch len(v) {
	case 0:
		return dst
	case 1:
		return appendCell(dst, v[0])
	}
	dst = append(dst, '"')
	for i, s := range v {
		if i > 0 {
			dst = append(dst, '\n')
		}
		dst = appendQuotedContent(dst, s)
	}
	return append(dst, '"')
}

// appendMV appends the __mv_ cell of v: empty unless v is a multivalue.
func appendMV(dst []byte, v Value) []byte {
	if len(v) < 2 {
		return dst
	}
	dst = append(dst, '"') // the cell contains '$', so it is always quoted
	for i, s := range v {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, '$')
		for j := 0; j < len(s); j++ {
			switch s[j] {
			case '$':
				dst = append(dst, '$', '$')
			case '"':
				dst = append(dst, '"', '"')
			default:
				dst = append(dst, s[j])
			}
		}
		dst = append(dst, '$')
	}
	return append(dst, '"')
}

// chunkedIdx is the field splunkd adds to streaming and stateful input when
// the command declared required_fields, to merge output rows back [§6].
const chunkedIdx = "_chunked_idx"
