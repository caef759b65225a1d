package chunked

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestReaderFraming(t *testing.T) {
	type msg struct{ meta, body string }
	tests := []struct {
		name   string
		reason string
		input  string
		want   []msg
		err    error // sentinel of the error after the messages in want
		offset int64 // byte offset the error must name
	}{
		{
			name:   "splunkd form",
			reason: "exact header, no separator between messages",
			input:  "chunked 1.0,2,3\n{}a,bchunked 1.0,2,0\n{}",
			want:   []msg{{"{}", "a,b"}, {"{}", ""}},
		},
		{
			name:   "byte lengths",
			reason: "lengths count UTF-8 bytes, not characters: ท is 3 bytes",
			input:  "chunked 1.0,2,4\n{}ทt",
			want:   []msg{{"{}", "ทt"}},
		},
		{
			name:   "sdk tolerance",
			reason: "the Python SDK's reader accepts spaces and a CR; so do we",
			input:  "chunked  1.0 , 2 , 1 \r\n{}x",
			want:   []msg{{"{}", "x"}},
		},
		{
			name:   "blank lines",
			reason: "a recording ends with a stray newline; blank lines between messages carry nothing",
			input:  "chunked 1.0,2,0\n{}\n\r\nchunked 1.0,2,0\n{}\n",
			want:   []msg{{"{}", ""}, {"{}", ""}},
		},
		{
			name:   "empty stream",
			reason: "EOF before any header is a clean end",
			input:  "",
		},
		{
			name:   "bad version",
			reason: "only 1.0 exists",
			input:  "chunked 2.0,2,0\n{}",
			err:    ErrHeader,
		},
		{
			name:   "negative length",
			reason: "lengths are unsigned decimals",
			input:  "chunked 1.0,-2,0\n{}",
			err:    ErrHeader,
		},
		{
			name:   "missing body length",
			reason: "both lengths are required",
			input:  "chunked 1.0,2\n{}",
			err:    ErrHeader,
		},
		{
			name:   "overflowing length",
			reason: "more digits than any limit must not wrap around",
			input:  "chunked 1.0,99999999999999999999999,0\n",
			err:    ErrHeader,
		},
		{
			name:   "garbage",
			reason: "v1 (Intersplunk) input or noise",
			input:  "splunkVersion:8.0.3\n",
			err:    ErrHeader,
		},
		{
			name:   "header without newline",
			reason: "a header line longer than any valid one is refused without reading on",
			input:  "chunked 1.0,2,0" + strings.Repeat(" ", 100),
			err:    ErrHeader,
		},
		{
			name:   "eof inside header",
			reason: "a stream cut inside a header is truncated, not a clean end",
			input:  "chunked 1.0,2",
			err:    ErrTruncated,
		},
		{
			name:   "eof inside body",
			reason: "a declared body longer than the stream",
			input:  "chunked 1.0,2,10\n{}abc",
			err:    ErrTruncated,
			offset: 22, // where the stream ended
		},
		{
			name:   "second message truncated",
			reason: "the error names the second message's position",
			input:  "chunked 1.0,2,0\n{}chunked 1.0,5,0\n{}",
			want:   []msg{{"{}", ""}},
			err:    ErrTruncated,
			offset: 36,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			// One byte per Read: every read loop must cope with short reads.
			r := NewReader(iotest.OneByteReader(strings.NewReader(tt.input)))
			var got []msg
			var err error
			for {
				var m Message
				m, err = r.Next()
				if err != nil {
					break
				}
				got = append(got, msg{string(m.Meta), string(m.Body)})
			}
			require.Equal(t, tt.want, got)
			if tt.err == nil {
				require.ErrorIs(t, err, io.EOF)
				return
			}
			require.ErrorIs(t, err, tt.err)
			var pe *Error
			require.ErrorAs(t, err, &pe)
			if tt.offset != 0 {
				require.Equal(t, tt.offset, pe.Offset, "%v", err)
			}
		})
	}
}

func TestReaderLimits(t *testing.T) {
	r := NewReader(strings.NewReader("chunked 1.0,2,1001\n{}"))
	r.MaxBody = 1000
	_, err := r.Next()
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), "1001")

	r = NewReader(strings.NewReader("chunked 1.0,101,0\n{}"))
	r.MaxMetadata = 100
	_, err = r.Next()
	require.ErrorIs(t, err, ErrTooLarge)
}

// A header may declare up to the limit and then send little: memory must
// follow the bytes received, not the declaration.
func TestReaderDoesNotTrustLengths(t *testing.T) {
	input := "chunked 1.0,2,1000000000\n{}" + strings.Repeat("x", 10000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := NewReader(strings.NewReader(input))
	_, err := r.Next()
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTruncated)
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(8<<20), "allocated %d bytes for a 10 kB body declared as 1 GB", allocated)
}

func TestWriterExactBytes(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	require.NoError(t, w.WriteMessage([]byte(`{"finished":true}`), []byte("test,__mv_test\ndata,\n测试,\n")))
	require.Equal(t, "chunked 1.0,17,29\n{\"finished\":true}test,__mv_test\ndata,\n测试,\n", buf.String())

	// What the writer writes, the reader reads back.
	r := NewReader(&buf)
	m, err := r.Next()
	require.NoError(t, err)
	require.Equal(t, "测试", strings.Split(string(m.Body), "\n")[2][:6])
	_, err = r.Next()
	require.True(t, errors.Is(err, io.EOF))
}
