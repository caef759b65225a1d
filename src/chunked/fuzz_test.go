package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Seeds shared by the fuzz targets: the shapes recorded splunkd traffic has.
var seedBodies = []string{
	"",
	"a,b\n1,2\n",
	"\"_time\",text,\"__mv__time\",\"__mv_text\"\n\"1599171244.277\",\"Tú, novia\",,\n",
	"_si,\"__mv__si\"\n\"FIREFLY-WIN\nbeatles\",\"$FIREFLY-WIN$;$beatles$\"\n",
	"a\r\n\"x\"\"y\"\r\n\r\n",
	"age,\"_chunked_idx\",\"__mv_age\",\"__mv__chunked_idx\"\n",
	"a\n\xff\n",
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(frame(getinfoMeta, "") + exec(true, "a\n1\n")))
	f.Add([]byte("chunked 1.0,2,3\n{}abc\n\nchunked  1.0 , 2 , 0 \r\n{}"))
	f.Add([]byte("chunked 1.0,99999999999,0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		r.MaxBody, r.MaxMetadata = 1<<16, 1<<16
		var consumed int64
		for {
			m, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) {
					t.Fatalf("error without position: %v", err)
				}
				return
			}
			if r.Offset() <= consumed || r.Offset() > int64(len(in)) {
				t.Fatalf("offset %d after %d, input %d bytes", r.Offset(), consumed, len(in))
			}
			consumed = r.Offset()
			if int64(len(m.Meta)+len(m.Body)) > int64(len(in)) {
				t.Fatalf("message larger than input")
			}
		}
	})
}

// FuzzGetInfo: any metadata decodes without panicking, and whatever else it
// holds, no way of printing the result shows the session key.
func FuzzGetInfo(f *testing.F) {
	f.Add([]byte(getinfoMeta))
	f.Add([]byte(`{"action": "getinfo", "searchinfo": {"latest_time": 1599172248.0, "maxresultrows": "7"}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var gi GetInfo
		if err := json.Unmarshal(in, &gi); err != nil {
			if strings.Contains(err.Error(), "s3cr3t-key") && !strings.Contains(string(in), "s3cr3t-key") {
				t.Fatalf("error invents the key")
			}
			return
		}
		const marker = "zz-session-marker-zz"
		gi.SearchInfo.SessionKey = Secret(marker)
		b, _ := json.Marshal(gi)
		printed := fmt.Sprintf("%v %+v %#v %s %q %x", gi, gi, gi, gi.SearchInfo.SessionKey, gi.SearchInfo.SessionKey, gi.SearchInfo.SessionKey) + string(b)
		if strings.Contains(printed, marker) || strings.Contains(printed, fmt.Sprintf("%x", marker)) {
			t.Fatalf("session key printed: %s", printed)
		}
	})
}

// FuzzRun: whatever arrives, the command answers with well-formed messages,
// at most one per message received plus nothing unsolicited, and never
// panics.
func FuzzRun(f *testing.F) {
	f.Add([]byte(frame(getinfoMeta, "") + exec(false, "a,b\n1,2\n") + exec(true, "")))
	f.Add([]byte(frame(getinfoMeta, "") + exec(true, "a,b\n1,\"2\n")))
	f.Add([]byte(exec(true, "a\n1\n")))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		err := Run(&tagger{}, bytes.NewReader(in), &out, Options{MaxBody: 1 << 16, MaxMetadata: 1 << 16})
		r := NewReader(&out)
		n := 0
		var last Message
		for {
			m, rerr := r.Next()
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				t.Fatalf("reply %d malformed: %v", n, rerr)
			}
			if !json.Valid(m.Meta) {
				t.Fatalf("reply %d metadata not JSON: %q", n, m.Meta)
			}
			last = m
			n++
		}
		in2 := NewReader(bytes.NewReader(in))
		msgs := 0
		var endErr error
		for {
			_, rerr := in2.Next()
			if rerr != nil {
				endErr = rerr
				break
			}
			msgs++
		}
		// One reply per message; one more only for an input that ended in
		// a broken message, which gets an error reply.
		want := msgs
		if endErr != io.EOF {
			want++
		}
		if n > want {
			t.Fatalf("%d replies to %d messages (input ends with %v)", n, msgs, endErr)
		}
		if err != nil && n > 0 && !bytes.Contains(last.Meta, []byte(`"error"`)) {
			t.Fatalf("failed (%v) without an error reply: %s", err, last.Meta)
		}
	})
}

// FuzzTable: any body either fails with a position or decodes to rows that
// the writer encodes and the reader decodes back to the same values.
func FuzzTable(f *testing.F) {
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// Slicing over workers gives exactly what one worker gives.
		defer func(n int) { minParallelBytes = n }(minParallelBytes)
		minParallelBytes = 1
		var tab, par Table
		err := tab.Parse(body)
		if a, b := stateOf(&tab, err), stateOf(&par, par.ParseWorkers(body, 3)); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("one worker: %+v\nthree: %+v", a, b)
		}
		if err != nil {
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		if tab.Len() == 0 {
			return
		}
		var w TableWriter
		for i := 0; i < tab.Len(); i++ {
			for c, name := range tab.Fields() {
				w.SetString(w.Field(name), string(tab.Row(i).Get(c)))
			}
			w.EndRow()
		}
		var back Table
		if err := back.Parse(w.Encode(nil)); err != nil {
			t.Fatalf("re-encoded table does not parse: %v", err)
		}
		want, got := rowsOf(&tab), rowsOf(&back)
		if len(want) != len(got) {
			t.Fatalf("rows: %d, then %d", len(want), len(got))
		}
		for i := range want {
			if strings.Join(want[i], "\x00") != strings.Join(got[i], "\x00") {
				t.Fatalf("row %d: %q, then %q", i, want[i], got[i])
			}
		}
	})
}

// FuzzMultivalue: a valid __mv_ cell re-encodes to itself; values encode
// and decode back.
func FuzzMultivalue(f *testing.F) {
	f.Add("$a$;$b$$c$", "a\x00b$c")
	f.Add("$$", "$")
	f.Add("$a;", "")
	f.Fuzz(func(t *testing.T, enc string, joined string) {
		if vals, err := DecodeMultivalue([]byte(enc)); err == nil {
			if again := string(AppendMultivalue(nil, vals)); again != enc {
				t.Fatalf("%q decodes to %q which encodes to %q", enc, vals, again)
			}
		}
		vals := strings.Split(joined, "\x00")
		back, err := DecodeMultivalue(AppendMultivalue(nil, vals))
		if err != nil || strings.Join(back, "\x00") != joined {
			t.Fatalf("%q: got %q, %v", vals, back, err)
		}
	})
}

// FuzzRoundtrip: rows written with SetMulti come back through a Table's
// Values unchanged.
func FuzzRoundtrip(f *testing.F) {
	f.Add("a", "x\x00y", "b", "plain")
	f.Add("_time", "", "f", "say \"hi\",\r\nthere")
	f.Fuzz(func(t *testing.T, name1, vals1, name2, vals2 string) {
		if name1 == "" || name2 == "" || strings.ToValidUTF8(name1, "\uFFFD") == strings.ToValidUTF8(name2, "\uFFFD") || strings.HasPrefix(name1, mvPrefix) || strings.HasPrefix(name2, mvPrefix) {
			return
		}
		var w TableWriter
		c1, c2 := w.Field(name1), w.Field(name2)
		v1, v2 := strings.Split(vals1, "\x00"), strings.Split(vals2, "\x00")
		w.SetMulti(c1, v1)
		w.SetMulti(c2, v2)
		w.EndRow()
		var tab Table
		if err := tab.Parse(w.Encode(nil)); err != nil {
			t.Fatalf("parse: %v", err)
		}
		for _, c := range []struct {
			name string
			want []string
		}{{name1, v1}, {name2, v2}} {
			// Names are repaired like values.
			got, err := tab.Row(0).Values(tab.Index(strings.ToValidUTF8(c.name, "\uFFFD")))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, v := range c.want {
				want = append(want, strings.ToValidUTF8(v, "\uFFFD")) // the documented repair
			}
			if len(want) == 1 && want[0] == "" {
				want = nil // one empty value is an absent field
			}
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
				t.Fatalf("%s: wrote %q, read %q", c.name, want, got)
			}
		}
	})
}
