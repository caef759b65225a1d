package splunkd

import (
	"bytes"
	"testing"
	"time"
)

// memReader is an in-memory deadlineReader that returns data in small
// pieces, to exercise short reads.
type memReader struct {
	r    *bytes.Reader
	step int
}

func (m *memReader) Read(p []byte) (int, error) {
	if len(p) > m.step {
		p = p[:m.step]
	}
	return m.r.Read(p)
}

func (m *memReader) SetReadDeadline(time.Time) error { return nil }

// FuzzReplies feeds arbitrary command output to the reply reader and
// validators: they may reject it, never panic, and never allocate by a
// declared length.
func FuzzReplies(f *testing.F) {
	f.Add([]byte("chunked 1.0,20,0\n{\"type\":\"streaming\"}chunked 1.0,17,8\n{\"finished\":true}a,b\n1,2\n"), uint8(3))
	f.Add([]byte("chunked 1.0,17,36\n{\"finished\":true}x,\"_chunked_idx\",\"__mv_x\"\n\"a\nb\",0,$a$;$b$\n"), uint8(1))
	f.Add([]byte("chunked 1.0,999999999999999999,0\n"), uint8(64))
	f.Add([]byte("chunked 1.0,2,5\n{}a,\"b\n"), uint8(7))
	f.Add([]byte("chunked 1.0,60,0\n{\"inspector\":{\"messages\":[[\"WARN\",\"x\"]]},\"finished\":false}"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		fr := newFrameReader(&memReader{r: bytes.NewReader(data), step: int(step%64) + 1})
		for i := 0; i < 8; i++ {
			m, b, _, err := fr.readHeader()
			if err != nil {
				return
			}
			if m+b > 1<<20 {
				return // the cap check of process.receive
			}
			meta, err := fr.readN(nil, m, "metadata")
			if err != nil {
				return
			}
			body, err := fr.readN(nil, b, "body")
			if err != nil {
				return
			}
			_, _ = parseReplyMeta(meta, i == 0, "fuzz")
			for _, collect := range []bool{false, true} {
				for _, idx := range []int{-1, 3} {
					d, err := decodeBody(body, bodyCheck{collect: collect, idxRows: idx})
					if err == nil && collect {
						c := newCollector(true)
						if d.idxCol >= 0 {
							in := make([][]Value, 3)
							c.merge(d, in, []string{"w"}, []bool{false})
						} else {
							c.add(d, true)
						}
						_ = c.table()
					}
				}
			}
		}
	})
}

// FuzzSplitStream: recordings may be anything; SplitStream must not panic.
func FuzzSplitStream(f *testing.F) {
	f.Add([]byte(testStream))
	f.Add([]byte("chunked 1.0,2,150\n{}"))
	f.Add([]byte("splunkVersion:8.0.3\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := SplitStream(data)
		if err == nil && len(msgs) == 0 {
			t.Fatal("no error and no messages")
		}
	})
}
