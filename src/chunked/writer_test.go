package chunked

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTableWriterUnionHeader(t *testing.T) {
	var w TableWriter
	a, b := w.Field("a"), w.Field("b")
	w.SetString(a, "1")
	w.EndRow()
	w.SetString(b, "late, with comma")
	w.EndRow()
	// A field registered but never set is not in the header.
	w.Field("never")
	require.Equal(t, "a,b\n1,\n,\"late, with comma\"\n", string(w.Encode(nil)),
		"a field that first appears in a later row is kept (the Python SDK drops it)")

	w.Reset()
	require.Empty(t, w.Encode(nil), "a reply with no rows has an empty body")
}

func TestTableWriterQuoting(t *testing.T) {
	values := []string{"plain", "", "a,b", "say \"hi\"", "two\nlines", "cr\r", " lead", "trail ", "ทt", "$x$"}
	var w TableWriter
	c, k := w.Field("v"), w.Field("k")
	for _, v := range values {
		w.SetString(c, v)
		w.SetString(k, "x") // a second column, so no row is an empty line
		w.EndRow()
	}
	out := w.Encode(nil)
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, len(values)+1)
	var tab Table
	require.NoError(t, tab.Parse(out))
	for i, v := range values {
		require.Equal(t, v, string(tab.Row(i).Get(0)), "our reader reads back what was written")
		if !strings.Contains(v, "\r") { // encoding/csv drops a CR even inside quotes
			require.Equal(t, v, recs[i+1][0], "encoding/csv reads back what was written")
		}
	}
}

func TestTableWriterMultivalue(t *testing.T) {
	var w TableWriter
	c := w.Field("host")
	w.SetMulti(c, []string{"a", "b$c"})
	w.EndRow()
	w.SetMulti(c, []string{"single"})
	w.EndRow()
	w.SetMulti(c, nil)
	w.EndRow()
	out := w.Encode(nil)
	require.Equal(t, "host,__mv_host\n\"a\nb$c\",$a$;$b$$c$\nsingle,\n,\n", string(out))

	var tab Table
	require.NoError(t, tab.Parse(out))
	vals, err := tab.Row(0).Values(tab.Index("host"))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b$c"}, vals)
}

func TestTableWriterCopy(t *testing.T) {
	in := "x,\"_chunked_idx\",\"__mv_x\",\"__mv__chunked_idx\"\n\"a\nb\",0,\"$a$;$b$\",\n\"q\"\"uote\",1,,\n"
	var tab Table
	require.NoError(t, tab.Parse([]byte(in)))
	var w TableWriter
	added := w.Field("added")
	for i := 0; i < tab.Len(); i++ {
		w.Copy(tab.Row(i))
		w.SetInt(added, i*10)
		w.EndRow()
	}
	require.Equal(t,
		"added,x,_chunked_idx,__mv_x,__mv__chunked_idx\n0,\"a\nb\",0,\"$a$;$b$\",\n10,\"q\"\"uote\",1,,\n",
		string(w.Encode(nil)), "copied cells keep their bytes, __mv_ and _chunked_idx included")

	// Setting a copied multivalue field to one value empties its __mv_
	// cell, or splunkd would keep the old values.
	w.Reset()
	w.Copy(tab.Row(0))
	w.SetString(w.Field("x"), "one")
	w.EndRow()
	var back Table
	require.NoError(t, back.Parse(w.Encode(nil)))
	vals, err := back.Row(0).Values(back.Index("x"))
	require.NoError(t, err)
	require.Equal(t, []string{"one"}, vals)
}

func TestTableWriterSteadyStateAllocs(t *testing.T) {
	var tab Table
	require.NoError(t, tab.Parse([]byte("a,b\n1,\"x,y\"\n2,z\n")))
	var w TableWriter
	c := w.Field("n")
	var dst []byte
	allocs := testing.AllocsPerRun(100, func() {
		w.Reset()
		for i := 0; i < tab.Len(); i++ {
			w.Copy(tab.Row(i))
			w.SetInt(c, i)
			w.EndRow()
		}
		dst = w.Encode(dst[:0])
	})
	require.Zero(t, allocs)
}

func TestTableWriterOneColumnEmpty(t *testing.T) {
	var w TableWriter
	c := w.Field("a")
	for _, v := range []string{"1", "", "3"} {
		w.SetString(c, v)
		w.EndRow()
	}
	out := w.Encode(nil)
	require.Equal(t, "a\n1\n\"\"\n3\n", string(out), "an empty lone cell is \"\", not a blank line")
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4, "encoding/csv keeps the row")

	require.Equal(t, len(out), w.EncodedLen(), "the length counts the \"\" of an empty lone cell")

	w.Reset()
	w.EndRow()
	w.EndRow()
	require.Empty(t, w.Encode(nil), "rows without fields make no body")
	require.Zero(t, w.EncodedLen())
}

// TestTableWriterRowShapes: rows written in one pass (cells in column
// order) and rows that need the per-position table (out of order, a field
// set twice, a copied field set again, two copies in one row) encode alike.
func TestTableWriterRowShapes(t *testing.T) {
	in := "x,y,z\n1,\"two, with comma\",3\n4,5,6\n"
	var tab Table
	require.NoError(t, tab.Parse([]byte(in)))
	for _, tt := range []struct {
		name, reason string
		write        func(w *TableWriter)
		want         string
	}{
		{"in order", "copied span then added fields in registration order",
			func(w *TableWriter) {
				w.Copy(tab.Row(0))
				w.SetString(w.Field("a"), "A")
				w.SetString(w.Field("b"), "B")
			},
			"x,y,z,a,b\n1,\"two, with comma\",3,A,B\n"},
		{"gap", "an unset field between two set ones is an empty cell",
			func(w *TableWriter) {
				a, _, c := w.Field("a"), w.Field("b"), w.Field("c")
				w.Copy(tab.Row(0))
				w.SetString(a, "A")
				w.SetString(c, "C")
				w.EndRow()
				w.Copy(tab.Row(1))
				w.SetString(w.Field("b"), "B")
			},
			"a,b,c,x,y,z\nA,,C,1,\"two, with comma\",3\n,B,,4,5,6\n"},
		{"out of order", "fields set in another order than registered",
			func(w *TableWriter) {
				a, b := w.Field("a"), w.Field("b")
				w.Copy(tab.Row(0))
				w.SetString(b, "B")
				w.SetString(a, "A")
			},
			"a,b,x,y,z\nA,B,1,\"two, with comma\",3\n"},
		{"set twice", "the last value wins",
			func(w *TableWriter) {
				a := w.Field("a")
				w.SetString(a, "first")
				w.SetString(a, "last")
			},
			"a\nlast\n"},
		{"copied field set", "a field of the copied row set again replaces only that cell",
			func(w *TableWriter) {
				w.Copy(tab.Row(0))
				w.SetString(w.Field("y"), "new")
				w.SetString(w.Field("a"), "A")
			},
			"x,y,z,a\n1,new,3,A\n"},
		{"copied field set first", "a field set before the copy is replaced by the copy",
			func(w *TableWriter) {
				w.Field("x")
				w.Field("y")
				w.Field("z")
				w.SetString(w.Field("y"), "old")
				w.Copy(tab.Row(1))
			},
			"x,y,z\n4,5,6\n"},
		{"two copies", "the second copy replaces the first",
			func(w *TableWriter) {
				w.Copy(tab.Row(0))
				w.Copy(tab.Row(1))
				w.SetString(w.Field("x"), "X")
			},
			"x,y,z\nX,5,6\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var w TableWriter
			tt.write(&w)
			require.Equal(t, tt.want, string(w.Encode(nil)), tt.reason)
			require.Equal(t, len(tt.want), w.EncodedLen(), "the length is known before encoding")
			var b strings.Builder
			n, err := w.WriteBody(&b)
			require.NoError(t, err)
			require.Equal(t, tt.want, b.String(), "written in pieces, the same body")
			require.Equal(t, len(tt.want), n)
		})
	}
}

func TestTableWriterMultivalueQuoting(t *testing.T) {
	var w TableWriter
	c := w.Field("v")
	w.SetMulti(c, []string{`say "hi"`, "a,b", "x$y"})
	w.EndRow()
	w.SetMulti(c, []string{"ok", "bad\xffbyte"})
	w.EndRow()
	out := w.Encode(nil)
	var tab Table
	require.NoError(t, tab.Parse(out))
	for i, want := range [][]string{{`say "hi"`, "a,b", "x$y"}, {"ok", "bad\uFFFDbyte"}} {
		vals, err := tab.Row(i).Values(tab.Index("v"))
		require.NoError(t, err)
		require.Equal(t, want, vals, "row %d: quotes, commas and $ survive; invalid UTF-8 is replaced", i)
		require.Equal(t, strings.Join(want, "\n"), string(tab.Row(i).Get(tab.Index("v"))), "the plain cell joins the values")
	}
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	require.NoError(t, err, "encoding/csv reads it")
	require.Len(t, recs, 3)
}

// TestTableWriterWriteBodyLarge: a body of many pieces is the one Encode
// makes, and its length is the one announced.
func TestTableWriterWriteBodyLarge(t *testing.T) {
	var w TableWriter
	a, b := w.Field("a"), w.Field("b")
	for i := 0; i < 50_000; i++ {
		w.SetInt(a, i)
		if i%3 == 0 {
			w.SetString(b, "x, \"quoted\"")
		}
		w.EndRow()
	}
	want := w.Encode(nil)
	require.Greater(t, len(want), 256<<10, "more than one piece")
	require.Equal(t, len(want), w.EncodedLen())
	var got strings.Builder
	n, err := w.WriteBody(&got)
	require.NoError(t, err)
	require.Equal(t, len(want), n)
	require.Equal(t, string(want), got.String())
}

// TestTableWriterEncodeEachRow: a writer that encodes rows as they end
// sends the body the cell-keeping writer sends, whatever fields were
// registered late, set in some rows only, or never set.
func TestTableWriterEncodeEachRow(t *testing.T) {
	var in Table
	require.NoError(t, in.Parse([]byte("x,y\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n")))
	for _, tt := range []struct {
		name  string
		write func(w *TableWriter)
	}{
		{"all registered first", func(w *TableWriter) {
			a, b := w.Field("a"), w.Field("b")
			for i := 0; i < 3; i++ {
				w.SetInt(a, i)
				w.SetString(b, "v,"+strings.Repeat("x", i))
				w.EndRow()
			}
		}},
		{"late and unused fields", func(w *TableWriter) {
			a := w.Field("a")
			w.Field("never")
			w.SetString(a, "1")
			w.EndRow()
			w.SetString(w.Field("late"), "q\"uote")
			w.EndRow()
			w.SetMulti(w.Field("mv"), []string{"p", "q"})
			w.SetString(a, "3")
			w.EndRow()
		}},
		{"copied rows", func(w *TableWriter) {
			for i := 0; i < in.Len(); i++ {
				w.Copy(in.Row(i))
				w.SetString(w.Field("y"), "replaced")
				w.EndRow()
			}
		}},
		{"one empty column", func(w *TableWriter) {
			c := w.Field("a")
			w.SetString(c, "")
			w.EndRow()
			w.SetString(c, "x")
			w.EndRow()
		}},
		{"many rows", func(w *TableWriter) {
			a, b := w.Field("a"), w.Field("b")
			for i := 0; i < 100_000; i++ {
				w.SetInt(a, i)
				if i == 99_999 {
					w.SetString(w.Field("last"), "only here")
				}
				w.SetString(b, "twenty bytes of text")
				w.EndRow()
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var cells, direct TableWriter
			tt.write(&cells)
			direct.EncodeEachRow()
			tt.write(&direct)
			want := cells.Encode(nil)
			require.Equal(t, string(want), string(direct.Encode(nil)))
			require.Equal(t, len(want), direct.EncodedLen())
			var b strings.Builder
			n, err := direct.WriteBody(&b)
			require.NoError(t, err)
			require.Equal(t, len(want), n)
			require.Equal(t, string(want), b.String())
			require.Equal(t, cells.Len(), direct.Len())
		})
	}
}
