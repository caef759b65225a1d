package chunked

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rowsOf returns the plain values of every row.
func rowsOf(t *Table) [][]string {
	var out [][]string
	for i := 0; i < t.Len(); i++ {
		r := t.Row(i)
		var row []string
		for c := range t.Fields() {
			row = append(row, string(r.Get(c)))
		}
		out = append(out, row)
	}
	return out
}

func TestTableParse(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		body   string
		fields []string
		rows   [][]string
		err    error
		row    int // 1-based row of the error
		offset int // byte offset of the error in the body
	}{
		{
			name:   "splunkd quoting",
			reason: "splunkd quotes every non-alphanumeric cell, header names included, never empty ones",
			body:   "\"_time\",text,\"__mv__time\",\"__mv_text\"\n\"1599171244.277\",\"Tú, novia\",,\n",
			fields: []string{"_time", "text", "__mv__time", "__mv_text"},
			rows:   [][]string{{"1599171244.277", "Tú, novia", "", ""}},
		},
		{
			name:   "crlf",
			reason: "the Python SDK writes CRLF; the CR is part of the line end, not of the last value",
			body:   "a,b\r\n1,2\r\n\"x\",y\r\n",
			fields: []string{"a", "b"},
			rows:   [][]string{{"1", "2"}, {"x", "y"}},
		},
		{
			name:   "quoted newlines and quotes",
			reason: "CR, LF and doubled quotes inside quotes are data",
			body:   "a,b\n\"line1\nline2\",\"say \"\"hi\"\"\r\n\"\n",
			fields: []string{"a", "b"},
			rows:   [][]string{{"line1\nline2", "say \"hi\"\r\n"}},
		},
		{
			name:   "no final newline",
			reason: "the last row may end at the end of the body",
			body:   "a,b\n1,2",
			fields: []string{"a", "b"},
			rows:   [][]string{{"1", "2"}},
		},
		{
			name:   "empty body",
			reason: "an execute message may carry no body at all",
			body:   "",
		},
		{
			name:   "header only",
			reason: "Splunk 8.2.1 ends streaming input with a header-only chunk",
			body:   "age,\"_chunked_idx\",\"__mv_age\",\"__mv__chunked_idx\"\n",
			fields: []string{"age", "_chunked_idx", "__mv_age", "__mv__chunked_idx"},
		},
		{
			name:   "one column blank line",
			reason: "with one column an empty value is an empty line",
			body:   "a\n1\n\n2\n",
			fields: []string{"a"},
			rows:   [][]string{{"1"}, {""}, {"2"}},
		},
		{
			name:   "empty cells",
			reason: "empty cells are absent values",
			body:   "a,b,c\n,,\n",
			fields: []string{"a", "b", "c"},
			rows:   [][]string{{"", "", ""}},
		},
		{
			name:   "too few fields",
			reason: "every row has as many cells as the header",
			body:   "a,b\n1,2\n3\n",
			err:    ErrFieldCount,
			row:    2,
			offset: 8, // where the row starts
		},
		{
			name:   "bare quote",
			reason: "a quote inside an unquoted field is not CSV splunkd writes",
			body:   "a\nab\"c\n",
			err:    ErrQuote,
			row:    1,
			offset: 4,
		},
		{
			name:   "unclosed quote",
			reason: "a quoted field must end",
			body:   "a,b\n1,\"open\n",
			err:    ErrQuote,
			row:    1,
			offset: 6,
		},
		{
			name:   "text after closing quote",
			reason: "only a comma or a line end may follow a closing quote",
			body:   "a\n\"x\"y\n",
			err:    ErrQuote,
			row:    1,
			offset: 5,
		},
		{
			name:   "duplicate field",
			reason: "two columns with one name cannot be told apart",
			body:   "a,a\n1,2\n",
			err:    ErrHeaderRow,
		},
		{
			name:   "unnamed field",
			reason: "a column needs a name",
			body:   "a,,b\n1,2,3\n",
			err:    ErrHeaderRow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			var tab Table
			err := tab.Parse([]byte(tt.body))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				var ce *CSVError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, tt.row, ce.row, "row")
				if tt.offset != 0 {
					require.Equal(t, tt.offset, ce.offset, "offset")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.fields, append([]string(nil), tab.Fields()...))
			require.Equal(t, tt.rows, rowsOf(&tab))
		})
	}
}

func TestTableMultivalue(t *testing.T) {
	body := "_si,\"__mv__si\",n,\"__mv_n\"\n\"FIREFLY-WIN\nbeatles\",\"$FIREFLY-WIN$;$beatles$\",1,\n" +
		"x,,\"a$b\n\",\"$a$$b$;$$\"\n"
	var tab Table
	require.NoError(t, tab.Parse([]byte(body)))
	si, n := tab.Index("_si"), tab.Index("n")

	vals, err := tab.Row(0).Values(si)
	require.NoError(t, err)
	require.Equal(t, []string{"FIREFLY-WIN", "beatles"}, vals, "__mv_ decodes to the values")
	vals, err = tab.Row(0).Values(n)
	require.NoError(t, err)
	require.Equal(t, []string{"1"}, vals, "an empty __mv_ cell leaves the plain value")
	vals, err = tab.Row(1).Values(n)
	require.NoError(t, err)
	require.Equal(t, []string{"a$b", ""}, vals, "$$ is a dollar inside a value and an empty value")
	vals, err = tab.Row(1).Values(tab.Index("missing"))
	require.NoError(t, err)
	require.Empty(t, vals)
}

func TestDecodeMultivalue(t *testing.T) {
	tests := []struct {
		name, enc string
		want      []string
		ok        bool
	}{
		{"two", "$a$;$b$", []string{"a", "b"}, true},
		{"escaped dollar", "$b$$c$", []string{"b$c"}, true},
		{"empty member", "$$;$x$", []string{"", "x"}, true},
		{"only dollars", "$$$$$$", []string{"$$"}, true},
		{"odd dollars", "$$$$$", nil, false},
		{"semicolon inside", "$a;b$", []string{"a;b"}, true},
		{"no opening dollar", "a$;$b$", nil, false},
		{"unclosed", "$a", nil, false},
		{"junk after value", "$a$x", nil, false},
		{"trailing semicolon", "$a$;", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMultivalue([]byte(tt.enc))
			if !tt.ok {
				require.ErrorIs(t, err, ErrMultivalue)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.enc, string(AppendMultivalue(nil, got)), "encoding gives the input back")
		})
	}
}

func TestTableInvalidUTF8(t *testing.T) {
	var tab Table
	require.NoError(t, tab.Parse([]byte("a,b\n\xff\xfe,ok\n")))
	require.True(t, tab.Repaired())
	require.Equal(t, "\uFFFD,ok", string(tab.Row(0).Get(0))+","+string(tab.Row(0).Get(1)),
		"a run of invalid bytes becomes one U+FFFD")
}

func TestTableReuseDoesNotAllocate(t *testing.T) {
	body := []byte("EventCode,Image,\"CommandLine\"\n3,C:\\x.exe,\"a \"\"b\"\", c\"\n1,y,z\n")
	var tab Table
	require.NoError(t, tab.Parse(body))
	allocs := testing.AllocsPerRun(100, func() {
		if err := tab.Parse(body); err != nil {
			t.Fatal(err)
		}
	})
	// Only the header's field names are allocated, once per chunk.
	require.LessOrEqual(t, allocs, float64(3))
}

// tableState is everything a parse yields, for comparing two parses.
type tableState struct {
	Fields []string
	Rows   [][]string
	Raw    [][]string
	Err    string
}

func stateOf(t *Table, err error) tableState {
	if err != nil {
		return tableState{Err: err.Error()}
	}
	st := tableState{Fields: append([]string(nil), t.Fields()...), Rows: rowsOf(t)}
	for i := 0; i < t.Len(); i++ {
		var raw []string
		for c := range t.Fields() {
			raw = append(raw, string(t.Row(i).Raw(c)))
		}
		st.Raw = append(st.Raw, raw)
	}
	return st
}

func TestParseWorkersMatchesParse(t *testing.T) {
	defer func(n int) { minParallelBytes = n }(minParallelBytes)
	minParallelBytes = 1
	var b strings.Builder
	b.WriteString("a,b,\"c\"\n")
	for i := 0; i < 200; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%d,\"multi\nline\n%d\",x\n", i, i) // newlines inside quotes, where cuts must not fall
		case 1:
			fmt.Fprintf(&b, "%d,\"q\"\"uote\",\"\"\r\n", i) // doubled quotes: unescaped per slice
		case 2:
			fmt.Fprintf(&b, "%d,,\n", i)
		default:
			fmt.Fprintf(&b, "%d,plain,\"a,b\"\n", i)
		}
	}
	good := b.String()
	cases := map[string]string{
		"good":             good,
		"short row":        "a,b\n" + strings.Repeat("1,2\n", 50) + "3\n" + strings.Repeat("4,5\n", 50),
		"unclosed at end":  "a\n" + strings.Repeat("x\n", 100) + "\"open\n",
		"bad quote middle": "a,b\n" + strings.Repeat("1,\"q\"\n", 60) + "2,\"x\"y\n" + strings.Repeat("3,4\n", 60),
		"header only":      "a,b\n",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			var seq, par Table
			want := stateOf(&seq, seq.Parse([]byte(body)))
			for _, w := range []int{2, 3, 7, 64} {
				require.Equal(t, want, stateOf(&par, par.ParseWorkers([]byte(body), w)), "%d workers", w)
			}
		})
	}
}

// A header may claim many columns; the cells reserved must follow what the
// body can hold, not rows × columns.
func TestParseDoesNotReserveByHeaderWidth(t *testing.T) {
	body := strings.Repeat("c,", 1999) + "c\n" + strings.Repeat("\n", 10000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var tab Table
	err := tab.Parse([]byte(body))
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrHeaderRow, "2,000 columns named c") // duplicate names are refused first
	body = ""
	for i := 0; i < 2000; i++ {
		body += fmt.Sprintf("c%d,", i)
	}
	body = strings.TrimSuffix(body, ",") + "\n" + strings.Repeat("\n", 10000)
	runtime.GC()
	runtime.ReadMemStats(&before)
	err = tab.Parse([]byte(body))
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrFieldCount)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "a 20 kB body must not reserve 2,000 × 10,000 cells")
}

func TestParseWorkersOddQuoteIsLinear(t *testing.T) {
	defer func(n int) { minParallelBytes = n }(minParallelBytes)
	minParallelBytes = 1
	// A bare quote early leaves every later line end "inside quotes": the
	// cutting must give up, not rescan the body for every line.
	body := []byte("a,b\nx\"y,1\n" + strings.Repeat("1,2\n", 200000))
	var seq, par Table
	want := stateOf(&seq, seq.Parse(body))
	require.Equal(t, want, stateOf(&par, par.ParseWorkers(body, 4)))
}
