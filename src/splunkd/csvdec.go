package splunkd

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// decodedBody is a validated reply body.
type decodedBody struct {
	fields []string
	rows   [][]Value // nil unless collecting
	idx    []int     // per row, its _chunked_idx (when checked and collecting)
	idxCol int       // index of _chunked_idx in fields, or -1
	nrows  int
}

// bodyCheck says how to validate a reply body.
type bodyCheck struct {
	collect bool
	// idxRows >= 0 means the request carried _chunked_idx 0..idxRows-1 and
	// every output row must carry one of them, at most once [§6].
	idxRows int
}

// bodyError is a problem found at byte offset off of a body.
type bodyError struct {
	off int64
	err error
}

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// decodeBody validates a reply body with encoding/csv as the independent
// oracle [§5]: valid UTF-8, strict quoting, a header with unique non-empty
// names, every record as wide as the header, well-formed __mv_ cells that
// agree with their plain cells, and _chunked_idx rules. An empty body has no
// fields and no rows; a header-only body has no rows.
func decodeBody(body []byte, chk bodyCheck) (*decodedBody, error) {
	d := &decodedBody{idxCol: -1}
	if len(body) == 0 {
		return d, nil
	}
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, size := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, &bodyError{int64(off), violationf(ErrBadUTF8, "invalid UTF-8 byte 0x%02x", body[off])}
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = 0 // = width of the header
	cr.ReuseRecord = !chk.collect
	header, err := cr.Read()
	if err != nil {
		return nil, &bodyError{0, fmt.Errorf("%w: header: %w", ErrBadCSV, err)}
	}
	header = append([]string(nil), header...)
	cols, err := newColumnMap(header)
	if err != nil {
		return nil, &bodyError{0, fmt.Errorf("%w: header: %v", ErrBadCSV, err)}
	}
	for j, f := range cols.fields {
		if cols.plain[j] < 0 {
			return nil, &bodyError{0, violationf(ErrMultivalue, "column %q has no plain column %q", "__mv_"+f, f)}
		}
	}
	d.fields = cols.fields
	idxPlain, idxMV := -1, -1
	var seen []bool
	if chk.idxRows >= 0 {
		for j, f := range cols.fields {
			if f == chunkedIdx {
				d.idxCol = j
				idxPlain, idxMV = cols.plain[j], cols.mv[j]
			}
		}
		seen = make([]bool, chk.idxRows)
	}
	for {
		start := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			return d, nil
		}
		if err != nil { // a *csv.ParseError, kept for errors.As
			return nil, &bodyError{start, fmt.Errorf("%w: %w", ErrBadCSV, err)}
		}
		line, _ := cr.FieldPos(0)
		k := -1
		if chk.idxRows >= 0 {
			if idxPlain < 0 {
				return nil, &bodyError{start, violationf(ErrChunkedIdx, "line %d: the request carried %s but the reply has no such column", line, chunkedIdx)}
			}
			if idxMV >= 0 && rec[idxMV] != "" {
				return nil, &bodyError{start, violationf(ErrChunkedIdx, "line %d: %s is multivalued", line, chunkedIdx)}
			}
			k = parseIdx(rec[idxPlain])
			switch {
			case k < 0:
				return nil, &bodyError{start, violationf(ErrChunkedIdx, "line %d: %s %q is not a decimal row index", line, chunkedIdx, rec[idxPlain])}
			case k >= chk.idxRows:
				return nil, &bodyError{start, violationf(ErrChunkedIdx, "line %d: %s %d was not sent (the request had %d rows)", line, chunkedIdx, k, chk.idxRows)}
			case seen[k]:
				return nil, &bodyError{start, violationf(ErrChunkedIdx, "line %d: %s %d repeated", line, chunkedIdx, k)}
			}
			seen[k] = true
		}
		if chk.collect {
			row, err := cols.decodeRow(rec, false)
			if err != nil {
				return nil, &bodyError{start, fmt.Errorf("line %d: %w", line, err)}
			}
			d.rows = append(d.rows, row)
			if k >= 0 {
				d.idx = append(d.idx, k)
			}
		} else if err := cols.checkRow(rec); err != nil {
			return nil, &bodyError{start, fmt.Errorf("line %d: %w", line, err)}
		}
		d.nrows++
	}
}

// checkRow validates the __mv_ cells of rec without keeping values.
func (m *columnMap) checkRow(rec []string) error {
	for j, c := range m.mv {
		if c < 0 || rec[c] == "" {
			continue
		}
		vals, err := decodeMV(rec[c])
		if err != nil {
			return fmt.Errorf("field %q: %w", m.fields[j], err)
		}
		if p := m.plain[j]; p >= 0 && rec[p] != strings.Join(vals, "\n") {
			return fmt.Errorf("field %q: %w: plain cell %q is not the __mv_ values joined by newlines", m.fields[j], ErrMultivalue, rec[p])
		}
	}
	return nil
}

// parseIdx parses a canonical non-negative decimal ("0", "17"; not "017",
// "+1" or " 1"); -1 if s is not one.
func parseIdx(s string) int {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
