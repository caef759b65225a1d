package splunkd

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/t1102app/t1102/src/internal/synth"
)

func TestAppendCellQuoting(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		{"alnum", "age", "age", "only [A-Za-z0-9]+ stays unquoted"},
		{"digits", "1599165051", "1599165051", "integers are alnum"},
		{"empty", "", "", "empty cells are never quoted"},
		{"underscore", "_time", `"_time"`, "splunkd quotes _time even though encoding/csv would not"},
		{"dot", "1599171244.277", `"1599171244.277"`, "decimal points are not alnum"},
		{"space", "a b", `"a b"`, "spaces force quotes"},
		{"quote", `say "hi"`, `"say ""hi"""`, "quotes are doubled inside"},
		{"comma", "a,b", `"a,b"`, "commas force quotes"},
		{"newline", "a\nb", "\"a\nb\"", "newlines stay literal inside quotes"},
		{"multibyte", "ทt", `"ทt"`, "non-ASCII letters are not [A-Za-z0-9]"},
		{"dollar", "$x$", `"$x$"`, "dollars force quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, string(appendCell(nil, tt.in)), tt.reason)
		})
	}
}

func TestAppendCSVBytes(t *testing.T) {
	tests := []struct {
		name   string
		table  *Table
		crlf   bool
		want   string
		reason string
	}{
		{
			name:   "no fields",
			table:  &Table{},
			want:   "",
			reason: "a table without fields is a 0-byte body",
		},
		{
			name:   "header only",
			table:  &Table{Fields: []string{"age", "_chunked_idx"}},
			want:   "age,\"_chunked_idx\",\"__mv_age\",\"__mv__chunked_idx\"\n",
			reason: "plain fields first, then one __mv_ column per field, same order",
		},
		{
			name: "single values",
			table: &Table{Fields: []string{"age", "note"}, Rows: [][]Value{
				{{"66"}, {"a, \"b\""}},
				{{"18"}, nil},
			}},
			want:   "age,note,\"__mv_age\",\"__mv_note\"\n66,\"a, \"\"b\"\"\",,\n18,,,\n",
			reason: "single values leave __mv_ empty; absent values are empty cells",
		},
		{
			name: "multivalue",
			table: &Table{Fields: []string{"_si"}, Rows: [][]Value{
				{{"FIREFLY-WIN", "beat$les"}},
			}},
			want:   "\"_si\",\"__mv__si\"\n\"FIREFLY-WIN\nbeat$les\",\"$FIREFLY-WIN$;$beat$$les$\"\n",
			reason: "multivalues: values joined by \\n in the plain column, $..$;$..$ with $$ in __mv_",
		},
		{
			name:   "crlf",
			table:  &Table{Fields: []string{"a"}, Rows: [][]Value{{{"1"}}}},
			crlf:   true,
			want:   "a,\"__mv_a\"\r\n1,\r\n",
			reason: "Search.CRLF switches line ends",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, string(AppendCSV(nil, tt.table, tt.crlf)), tt.reason)
		})
	}
}

// normalize makes Value{""} absent, as the wire cannot tell them apart.
func normalize(t *Table) *Table {
	out := &Table{Fields: t.Fields}
	for _, row := range t.Rows {
		r := make([]Value, len(t.Fields))
		for j := range r {
			if j < len(row) && !(len(row[j]) == 1 && row[j][0] == "") && len(row[j]) > 0 {
				r[j] = row[j]
			}
		}
		out.Rows = append(out.Rows, r)
	}
	return out
}

func TestAppendCSVRoundTrip(t *testing.T) {
	tables := []struct {
		name   string
		table  *Table
		reason string
	}{
		{"sysmon", TableOf(synth.Sysmon(200, 7)), "Windows paths, quotes and commas survive encoding/csv"},
		{"multivalue", &Table{Fields: []string{"x", "y z", "_raw"}, Rows: [][]Value{
			{{"a", "b"}, {"$", "$$", ""}, {"line1\nline2"}},
			{nil, {"\"q\""}, {"ทt", "日本"}},
			{{""}, {"", ""}, nil},
		}}, "multivalues with $, empty members, quotes and multibyte text decode to the same values"},
	}
	for _, tt := range tables {
		t.Run(tt.name, func(t *testing.T) {
			for _, crlf := range []bool{false, true} {
				body := AppendCSV(nil, tt.table, crlf)
				// Oracle: the standard library must parse it strictly.
				recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
				require.NoError(t, err, tt.reason)
				require.Len(t, recs, len(tt.table.Rows)+1)
				got, err := ReadTable(bytes.NewReader(body), "csv")
				require.NoError(t, err)
				require.Equal(t, normalize(tt.table), normalize(got), tt.reason)
				d, err := decodeBody(body, bodyCheck{collect: true, idxRows: -1})
				require.NoError(t, err, "the emulator's own reply checks accept splunkd's bytes")
				require.Equal(t, normalize(tt.table).Rows, normalize(&Table{Fields: d.fields, Rows: d.rows}).Rows)
			}
		})
	}
}

func TestDecodeMV(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
		reason   string
	}{
		{"two", "$a$;$b$", []string{"a", "b"}, false, "basic list"},
		{"escaped", "$a$$b$;$$$$$$", []string{"a$b", "$$"}, false, "$$ stands for $"},
		{"empty member", "$$;$x$", []string{"", "x"}, false, "an empty member is written $$"},
		{"one", "$only$", []string{"only"}, false, "a one-element list is well-formed"},
		{"unterminated", "$a", nil, true, "every value ends with $"},
		{"no dollar", "a;b", nil, true, "values are $-wrapped"},
		{"trailing sep", "$a$;", nil, true, "a ; must be followed by a value"},
		{"junk", "$a$x", nil, true, "only ; may follow a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeMV(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrMultivalue, tt.reason)
				return
			}
			require.NoError(t, err, tt.reason)
			require.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		idxRows int
		want    error
		rows    int
		reason  string
	}{
		{"empty", "", -1, nil, 0, "a 0-byte body means no rows"},
		{"header only", "a,b\n", -1, nil, 0, "a header-only body means no rows"},
		{"crlf", "a,b\r\n1,2\r\n", -1, nil, 1, "CRLF line ends are accepted"},
		{"interleaved mv", "a,__mv_a,b\n\"x\ny\",$x$;$y$,1\n", -1, nil, 1, "__mv_ columns are matched by name"},
		{"no mv", "average\n51.4", -1, nil, 1, "__mv_ columns are optional; the last newline too"},
		{"bad quote", "a,\"b\n", -1, ErrBadCSV, 0, "strict quoting"},
		{"lazy quote", "a\nx\"y\n", -1, ErrBadCSV, 0, "LazyQuotes is off"},
		{"ragged", "a,b\n1\n", -1, ErrBadCSV, 0, "every row is as wide as the header"},
		{"dup", "a,a\n", -1, ErrBadCSV, 0, "column names are unique"},
		{"empty name", "a,\n", -1, ErrBadCSV, 0, "column names are non-empty"},
		{"bad utf8", "a\n\xff\n", -1, ErrBadUTF8, 0, "bodies are UTF-8"},
		{"mv mismatch", "a,__mv_a\nz,$x$;$y$\n", -1, ErrMultivalue, 0, "plain cell must be the values joined by \\n"},
		{"lone mv", "__mv_a\n$x$;$y$\n", -1, ErrMultivalue, 0, "an __mv_ column needs its plain column"},
		{"idx ok", "x,_chunked_idx\n1,1\n2,0\n", 2, nil, 2, "rows may come back in any order"},
		{"idx filtered", "x,_chunked_idx\n1,1\n", 2, nil, 1, "rows may be dropped"},
		{"idx missing column", "x\n1\n", 2, ErrChunkedIdx, 0, "_chunked_idx must be kept"},
		{"idx missing column no rows", "x\n", 2, nil, 0, "no rows, nothing to merge"},
		{"idx empty", "x,_chunked_idx\n1,\n", 2, ErrChunkedIdx, 0, "every row carries one"},
		{"idx out of range", "x,_chunked_idx\n1,2\n", 2, ErrChunkedIdx, 0, "only indexes that were sent"},
		{"idx repeated", "x,_chunked_idx\n1,0\n1,0\n", 2, ErrChunkedIdx, 0, "each at most once"},
		{"idx leading zero", "x,_chunked_idx\n1,01\n", 2, ErrChunkedIdx, 0, "canonical decimal only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, collect := range []bool{true, false} {
				d, err := decodeBody([]byte(tt.body), bodyCheck{collect: collect, idxRows: tt.idxRows})
				if tt.want != nil {
					require.ErrorIs(t, err, tt.want, tt.reason)
					continue
				}
				require.NoError(t, err, tt.reason)
				require.Equal(t, tt.rows, d.nrows, tt.reason)
			}
		})
	}
}

func TestDecodeBodyErrorOffset(t *testing.T) {
	body := "a,b\n1,2\n3,\"x\n"
	_, err := decodeBody([]byte(body), bodyCheck{idxRows: -1})
	var be *bodyError
	require.True(t, errors.As(err, &be))
	require.Equal(t, int64(strings.Index(body, "3,")), be.off, "the offset names the start of the bad record")
	var pe *csv.ParseError
	require.True(t, errors.As(err, &pe), "the encoding/csv error stays reachable")
}

func BenchmarkAppendCSV(b *testing.B) {
	t := TableOf(synth.Sysmon(10000, 1))
	buf := AppendCSV(nil, t, false)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendCSV(buf[:0], t, false)
	}
}

func ExampleAppendCSV() {
	t := &Table{
		Fields: []string{"host", "_si"},
		Rows:   [][]Value{{{"web01"}, {"idx1", "main"}}},
	}
	fmt.Printf("%q\n", AppendCSV(nil, t, false))
	// Output:
	// "host,\"_si\",\"__mv_host\",\"__mv__si\"\nweb01,\"idx1\nmain\",,\"$idx1$;$main$\"\n"
}
