package splunkd

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/t1102app/t1102/src/internal/synth"
)

func TestReadTableCSV(t *testing.T) {
	f, err := os.Open("testdata/events.csv")
	require.NoError(t, err)
	defer f.Close()
	tb, err := ReadTable(f, "csv")
	require.NoError(t, err)
	require.Equal(t, []string{"_time", "host", "Image", "DestinationHostname", "tags"}, tb.Fields, "__mv_tags decodes tags, it is not a field")
	require.Equal(t, 3, tb.Len())
	require.Equal(t, Value{"web", "c2"}, tb.Get(0, "tags"), "__mv_ takes precedence")
	require.Nil(t, tb.Get(1, "tags"), "empty cells are absent")
	require.Equal(t, Value{`say "hi"`}, tb.Get(2, "tags"))
	require.Equal(t, Value{`C:\Windows\System32\curl.exe`}, tb.Get(1, "Image"))
}

func TestReadTableJSONL(t *testing.T) {
	f, err := os.Open("testdata/events.jsonl")
	require.NoError(t, err)
	defer f.Close()
	tb, err := ReadTable(f, "jsonl")
	require.NoError(t, err)
	require.Equal(t, []string{"_time", "host", "Image", "DestinationHostname", "tags", "EventCode", "ok", "obj"}, tb.Fields, "fields by first appearance")
	require.Equal(t, 3, tb.Len(), "blank lines are skipped")
	require.Equal(t, Value{"web", "c2"}, tb.Get(0, "tags"))
	require.Equal(t, Value{"1709539201.5"}, tb.Get(1, "_time"), "numbers keep their JSON text")
	require.Equal(t, Value{"3"}, tb.Get(1, "EventCode"))
	require.Nil(t, tb.Get(2, "DestinationHostname"), "null is absent")
	require.Equal(t, Value{"LAPTOP-9F3K2"}, tb.Get(2, "host"), "key order within a line does not matter")
	require.Equal(t, Value{"true"}, tb.Get(2, "ok"))
	require.Equal(t, Value{`{"a":1}`}, tb.Get(2, "obj"), "objects become compact JSON text")
}

func TestReadTableErrors(t *testing.T) {
	tests := []struct {
		name, format, in, want, reason string
	}{
		{"csv ragged", "csv", "a,b\n1\n", "wrong number of fields", "rows as wide as the header"},
		{"csv dup", "csv", "a,a\n1,2\n", "duplicate column", "unique names"},
		{"csv bad mv", "csv", "a,__mv_a\nx,$x\n", "line 2", "errors carry the line"},
		{"jsonl not object", "jsonl", "{\"a\":\"1\"}\n[1]\n", "line 2", "errors carry the line"},
		{"jsonl trailing", "jsonl", "{\"a\":\"1\"} x\n", "line 1", "one object per line"},
		{"format", "xml", "", "unknown table format", "csv or jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTable(strings.NewReader(tt.in), tt.format)
			require.ErrorContains(t, err, tt.want, tt.reason)
		})
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		name, in  string
		args, raw []string
		reason    string
	}{
		{"plain", "t1102correlate phase=map window=60", []string{"t1102correlate", "phase=map", "window=60"}, []string{"t1102correlate", "phase=map", "window=60"}, "whitespace separates"},
		{"quoted", `sum phase="map" total="total" value1`, []string{"sum", "phase=map", "total=total", "value1"}, []string{"sum", `phase="map"`, `total="total"`, "value1"}, "args lose quotes, raw_args keep them (SDK sum recording)"},
		{"regex", `pattern="\w+"`, []string{`pattern=\w+`}, []string{`pattern="\w+"`}, "other backslashes are kept"},
		{"spaces in quotes", `text="Hello World!"  `, []string{"text=Hello World!"}, []string{`text="Hello World!"`}, "quotes group spaces"},
		{"escaped quote", `q="a\"b"`, []string{`q=a"b`}, []string{`q="a\"b"`}, "backslash escapes a quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, raw, err := Tokenize(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.args, args, tt.reason)
			require.Equal(t, tt.raw, raw, tt.reason)
		})
	}
	_, _, err := Tokenize(`a="b`)
	require.Error(t, err, "unterminated quotes are an error")
}

func TestPercentEncode(t *testing.T) {
	// splunkd 8.2.1: "| generateevents  | head 100"
	require.Equal(t, "%7C%20generateevents%20%20%7C%20head%20100", PercentEncode("| generateevents  | head 100"))
	require.Equal(t, "litsearch%20%28index%3Dbeatles%20_time%3E%3D1627333200.000%29%20%22%2A%22", PercentEncode(`litsearch (index=beatles _time>=1627333200.000) "*"`))
	require.Equal(t, "teststring%3D%22%E0%B8%97t%22", PercentEncode(`teststring="ทt"`), "UTF-8 bytes are encoded one by one")
}

func TestSyntheticSysmon(t *testing.T) {
	a, b := TableOf(synth.Sysmon(500, 42)), TableOf(synth.Sysmon(500, 42))
	require.Equal(t, a, b, "deterministic for a seed")
	require.NotEqual(t, a, TableOf(synth.Sysmon(500, 43)))
	require.Equal(t, synth.Fields, a.Fields)
	require.Len(t, a.Fields, 12)
	quotes, commas := 0, 0
	for i := range a.Rows {
		cl := a.Get(i, "CommandLine")[0]
		quotes += strings.Count(cl, `"`)
		commas += strings.Count(cl, ",")
		require.NotContains(t, cl, "{user}")
		require.NotContains(t, a.Get(i, "Image")[0], "{user}")
	}
	require.Positive(t, quotes, "command lines with quotes")
	require.Positive(t, commas, "command lines with commas")
}

func TestCanonical(t *testing.T) {
	a := &Table{Fields: []string{"b", "a", "_chunked_idx", "__mv_a"}, Rows: [][]Value{
		{{"2"}, {"x", "y"}, {"0"}, {"$x$;$y$"}},
		{{"1"}, nil, {"1"}, nil},
	}}
	b := &Table{Fields: []string{"a", "b"}, Rows: [][]Value{
		{nil, {"1"}},
		{{"x", "y"}, {"2"}},
	}}
	require.Equal(t, []string{"a=x\ny|b=2", "b=1"}, a.Canonical())
	require.Equal(t, a.Canonical(), b.Canonical(), "column order, row order, _chunked_idx and __mv_ do not count")
	b.Rows[1][0] = Value{"y", "x"}
	require.NotEqual(t, a.Canonical(), b.Canonical(), "multivalue order counts")
}

func TestTokenizePipe(t *testing.T) {
	for _, tt := range []struct{ name, in, reason string }{
		{"bare", "t1102correlate phase=map image_field=a|delete", "an unquoted '|' ends the command on splunkd"},
		{"spaced", "x a=1 | y", "with spaces too"},
	} {
		_, _, err := Tokenize(tt.in)
		require.ErrorContains(t, err, "unquoted '|'", "%s: %s", tt.name, tt.reason)
	}
	args, _, err := Tokenize(`x a="b|c"`)
	require.NoError(t, err, "a quoted '|' is data")
	require.Equal(t, []string{"x", "a=b|c"}, args)
}
