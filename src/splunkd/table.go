package splunkd

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// A Value is the content of one field in one row. splunkd fields are
// multivalue-capable: a Value of length 1 is an ordinary value, a longer one a
// multivalue, and a nil or empty Value means the field is absent from the row
// (an empty CSV cell on the wire).
type Value []string

// A Table is what splunkd holds between commands: named fields and rows.
// Rows[i][j] is the value of field Fields[j] in row i; a row shorter than
// Fields leaves the remaining fields absent.
type Table struct {
	Fields []string
	Rows   [][]Value
}

// Len returns the number of rows; it is 0 for a nil Table.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.Rows)
}

// Column returns the index of field name in t.Fields, or -1.
func (t *Table) Column(name string) int {
	for i, f := range t.Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// Get returns the value of field name in row i; nil if absent.
func (t *Table) Get(i int, name string) Value {
	j := t.Column(name)
	if j < 0 || j >= len(t.Rows[i]) {
		return nil
	}
	return t.Rows[i][j]
}

// Canonical renders the table as sorted lines of sorted field=value pairs
// (multivalues joined by newlines; empty cells, __mv_ fields and
// _chunked_idx left out), so that results compare equal whatever the
// column order and, across indexers or chunkings, the row order.
func (t *Table) Canonical() []string {
	lines := make([]string, 0, len(t.Rows))
	for _, row := range t.Rows {
		var parts []string
		for j, f := range t.Fields {
			if strings.HasPrefix(f, "__mv_") || f == "_chunked_idx" || j >= len(row) || len(row[j]) == 0 {
				continue
			}
			parts = append(parts, f+"="+strings.Join(row[j], "\n"))
		}
		sort.Strings(parts)
		lines = append(lines, strings.Join(parts, "|"))
	}
	sort.Strings(lines)
	return lines
}

// ReadTable reads a whole table in the given format:
//
//   - "csv": a header row then one record per row, as encoding/csv reads it
//     (strict quoting, every record as wide as the header). A column named
//     __mv_x decodes multivalues of field x in splunkd's $a$;$b$ form and takes
//     precedence over the plain x column; a __mv_x column without an x column
//     defines field x. Empty cells are absent values.
//   - "jsonl": one JSON object per line ({"f":"v"} or {"f":["a","b"]}); blank
//     lines are skipped. Numbers and booleans become their JSON text, null is
//     absent, nested objects become compact JSON text. Fields are ordered by
//     first appearance.
//
// Errors carry the line number.
func ReadTable(r io.Reader, format string) (*Table, error) {
	switch format {
	case "csv":
		return readCSVTable(r)
	case "jsonl", "json", "ndjson":
		return readJSONLTable(r)
	}
	return nil, fmt.Errorf("splunkd: unknown table format %q (want csv or jsonl)", format)
}

func readCSVTable(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err == io.EOF {
		return &Table{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("splunkd: reading csv table: %w", err)
	}
	cols, err := newColumnMap(header)
	if err != nil {
		return nil, fmt.Errorf("splunkd: reading csv table header: %w", err)
	}
	t := &Table{Fields: cols.fields}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("splunkd: reading csv table: %w", err)
		}
		row, err := cols.decodeRow(rec, true)
		if err != nil {
			line, _ := cr.FieldPos(0)
			return nil, fmt.Errorf("splunkd: reading csv table: line %d: %w", line, err)
		}
		t.Rows = append(t.Rows, row)
	}
}

// columnMap maps a CSV header with optional __mv_ columns to fields.
type columnMap struct {
	fields []string
	plain  []int // per field: column of the plain cell, or -1
	mv     []int // per field: column of the __mv_ cell, or -1
}

// newColumnMap interprets a CSV header. Column names must be non-empty and
// unique. A __mv_x column without an x column defines field x.
func newColumnMap(header []string) (*columnMap, error) {
	m := &columnMap{}
	index := make(map[string]int, len(header))
	seen := make(map[string]bool, len(header))
	for i, h := range header {
		if h == "" {
			return nil, fmt.Errorf("column %d has an empty name", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("duplicate column %q", h)
		}
		seen[h] = true
		if !strings.HasPrefix(h, "__mv_") {
			index[h] = len(m.fields)
			m.fields = append(m.fields, h)
			m.plain = append(m.plain, i)
			m.mv = append(m.mv, -1)
		}
	}
	for i, h := range header {
		name, ok := strings.CutPrefix(h, "__mv_")
		if !ok {
			continue
		}
		if j, ok := index[name]; ok {
			m.mv[j] = i
			continue
		}
		index[name] = len(m.fields)
		m.fields = append(m.fields, name)
		m.plain = append(m.plain, -1)
		m.mv = append(m.mv, i)
	}
	return m, nil
}

// decodeRow turns one CSV record into values. With lenient false, a
// non-empty __mv_ cell must agree with its plain cell (values joined by
// "\n"), as splunkd expects [§5].
func (m *columnMap) decodeRow(rec []string, lenient bool) ([]Value, error) {
	row := make([]Value, len(m.fields))
	// One backing array for the single values of this row: one allocation.
	backing := make([]string, len(m.fields))
	for j := range m.fields {
		plain := ""
		if c := m.plain[j]; c >= 0 {
			plain = rec[c]
		}
		if c := m.mv[j]; c >= 0 && rec[c] != "" {
			vals, err := decodeMV(rec[c])
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", m.fields[j], err)
			}
			if !lenient && m.plain[j] >= 0 && plain != strings.Join(vals, "\n") {
				return nil, fmt.Errorf("field %q: %w: plain cell %q is not the __mv_ values joined by newlines", m.fields[j], ErrMultivalue, plain)
			}
			row[j] = vals
			continue
		}
		if plain != "" {
			backing[j] = plain
			row[j] = backing[j : j+1 : j+1]
		}
	}
	return row, nil
}

// decodeMV decodes a non-empty __mv_ cell: ^(\$(?:\$\$|[^$])*\$)(;\$(?:\$\$|[^$])*\$)*$
// with $$ standing for $ [§5].
func decodeMV(s string) ([]string, error) {
	var vals []string
	var b strings.Builder
	i := 0
	for {
		if i >= len(s) || s[i] != '$' {
			return nil, fmt.Errorf("%w: %q: expected '$' at byte %d", ErrMultivalue, s, i)
		}
		i++
		b.Reset()
		for {
			if i >= len(s) {
				return nil, fmt.Errorf("%w: %q: unterminated value", ErrMultivalue, s)
			}
			if s[i] == '$' {
				if i+1 < len(s) && s[i+1] == '$' {
					b.WriteByte('$')
					i += 2
					continue
				}
				i++
				break
			}
			b.WriteByte(s[i])
			i++
		}
		vals = append(vals, b.String())
		if i == len(s) {
			return vals, nil
		}
		if s[i] != ';' {
			return nil, fmt.Errorf("%w: %q: expected ';' at byte %d", ErrMultivalue, s, i)
		}
		i++
	}
}

func readJSONLTable(r io.Reader) (*Table, error) {
	t := &Table{}
	index := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		kvs, err := decodeOrderedObject(b)
		if err != nil {
			return nil, fmt.Errorf("splunkd: reading jsonl table: line %d: %w", line, err)
		}
		row := make([]Value, len(t.Fields), len(t.Fields)+len(kvs))
		for _, kv := range kvs {
			v, err := jsonValue(kv.value)
			if err != nil {
				return nil, fmt.Errorf("splunkd: reading jsonl table: line %d: field %q: %w", line, kv.key, err)
			}
			j, ok := index[kv.key]
			if !ok {
				j = len(t.Fields)
				index[kv.key] = j
				t.Fields = append(t.Fields, kv.key)
			}
			for len(row) <= j {
				row = append(row, nil)
			}
			row[j] = v
		}
		t.Rows = append(t.Rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("splunkd: reading jsonl table: line %d: %w", line+1, err)
	}
	return t, nil
}

type keyValue struct {
	key   string
	value json.RawMessage
}

// decodeOrderedObject decodes a JSON object keeping its key order.
func decodeOrderedObject(b []byte) ([]keyValue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var kvs []keyValue
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		kvs = append(kvs, keyValue{key, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return kvs, nil
}

// jsonValue converts a JSON value to a Value (see ReadTable).
func jsonValue(raw json.RawMessage) (Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case 'n':
		return nil, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		var v Value
		for _, it := range items {
			s, absent, err := jsonScalar(it)
			if err != nil {
				return nil, err
			}
			if !absent {
				v = append(v, s)
			}
		}
		return v, nil
	}
	s, absent, err := jsonScalar(raw)
	if err != nil || absent {
		return nil, err
	}
	return Value{s}, nil
}

func jsonScalar(raw json.RawMessage) (s string, absent bool, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", false, errors.New("empty value")
	case raw[0] == '"':
		err = json.Unmarshal(raw, &s)
		return s, false, err
	case raw[0] == 'n':
		return "", true, nil
	case raw[0] == '{' || raw[0] == '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return "", false, err
		}
		return buf.String(), false, nil
	}
	return string(raw), false, nil // number, true, false
}

// TableOf makes a table of single values from rows of strings, "" being an
// absent value (as package synth writes them). Each value shares the row's
// backing array: no allocation per cell.
func TableOf(fields []string, rows [][]string) *Table {
	t := &Table{Fields: fields, Rows: make([][]Value, 0, len(rows))}
	for _, r := range rows {
		row := make([]Value, len(fields))
		for j := range row {
			if j < len(r) && r[j] != "" {
				row[j] = r[j : j+1 : j+1]
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
