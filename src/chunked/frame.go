package chunked

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Default limits on what a [Reader] accepts. splunkd bounds what it sends by
// limits.conf (maxresultrows, 50,000 rows by default); the largest recorded
// chunk is 16 MB. The limits exist so that a corrupt or hostile length cannot
// make the command wait for, or hold, more than this.
const (
	DefaultMaxMetadata = 16 << 20 // 16 MiB of JSON metadata
	DefaultMaxBody     = 1 << 30  // 1 GiB of CSV body

	maxHeaderLine = 64 // "chunked 1.0," + two 20-digit numbers + "\n" fits
	growStep      = 1 << 20
)

// Message is one decoded protocol message. Meta and Body alias the
// [Reader]'s buffers and are valid until the next call to [Reader.Next].
type Message struct {
	Index      int   // 0 for the first message of the stream
	Offset     int64 // byte offset of the header in the stream
	BodyOffset int64 // byte offset of the first body byte
	Meta       []byte
	Body       []byte
}

// Reader reads protocol messages from a byte stream.
//
// Lengths are byte counts; reads loop over short reads. Memory grows with
// the bytes that actually arrive, never with a declared length: a header that
// announces a gigabyte and then stops costs only what was received.
type Reader struct {
	// MaxMetadata and MaxBody bound the declared lengths; a larger
	// declaration fails with ErrTooLarge before anything is read. Zero means
	// the defaults. Set them before the first call to Next.
	MaxMetadata int64
	MaxBody     int64

	r      *bufio.Reader
	offset int64
	index  int
	meta   []byte
	body   []byte
	line   []byte
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.offset }

// Next reads the next message. It returns io.EOF, and nothing else, when the
// stream ends cleanly between messages; blank lines between messages (which
// splunkd does not write but some recordings contain) are skipped. Any other
// failure is an [*Error] with the message index and byte offset.
func (r *Reader) Next() (Message, error) {
	var m Message
	metaLen, bodyLen, start, err := r.header()
	if err != nil {
		return m, err
	}
	m.Index, m.Offset = r.index, start
	maxMeta, maxBody := r.MaxMetadata, r.MaxBody
	if maxMeta <= 0 {
		maxMeta = DefaultMaxMetadata
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if metaLen > maxMeta {
		return m, r.errorf(start, ErrTooLarge, "metadata of %d bytes, limit %d", metaLen, maxMeta)
	}
	if bodyLen > maxBody {
		return m, r.errorf(start, ErrTooLarge, "body of %d bytes, limit %d", bodyLen, maxBody)
	}
	if r.meta, err = r.readN(r.meta, metaLen); err != nil {
		return m, r.errorf(r.offset, ErrTruncated, "metadata: got %d of %d bytes", len(r.meta), metaLen)
	}
	m.BodyOffset = r.offset
	if r.body, err = r.readN(r.body, bodyLen); err != nil {
		return m, r.errorf(r.offset, ErrTruncated, "body: got %d of %d bytes", len(r.body), bodyLen)
	}
	m.Meta, m.Body = r.meta, r.body
	if cap(r.body) > keepBody {
		// A body this large (a reduce phase's single chunk) belongs to
		// the message alone: once its user lets go of it, it is garbage,
		// rather than kept for a next message that may never be as big.
		r.body = nil
	}
	r.index++
	return m, nil
}

// keepBody is the largest body storage a Reader keeps for the next
// message. splunkd's streaming chunks (a few MB) stay well below it.
const keepBody = 32 << 20

func (r *Reader) errorf(off int64, sentinel error, format string, args ...any) error {
	return &Error{Chunk: r.index, Offset: off, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

// header reads "chunked 1.0,M,B\n". Like the Python SDK's reader it accepts
// spaces around the commas and a CR before the LF; splunkd writes the exact
// form.
func (r *Reader) header() (metaLen, bodyLen, start int64, err error) {
	for {
		start = r.offset
		r.line = r.line[:0]
		for {
			c, err := r.r.ReadByte()
			if err != nil {
				if err == io.EOF && len(r.line) == 0 {
					return 0, 0, start, io.EOF
				}
				if err == io.EOF {
					return 0, 0, start, r.errorf(start, ErrTruncated, "header %q has no end of line", r.line)
				}
				return 0, 0, start, &Error{Chunk: r.index, Offset: r.offset, Err: err}
			}
			r.offset++
			if c == '\n' {
				break
			}
			if len(r.line) >= maxHeaderLine {
				return 0, 0, start, r.errorf(start, ErrHeader, "no newline within %d bytes (starts %q)", maxHeaderLine, r.line)
			}
			r.line = append(r.line, c)
		}
		if isBlank(r.line) {
			continue
		}
		metaLen, bodyLen, ok := parseHeader(r.line)
		if !ok {
			return 0, 0, start, r.errorf(start, ErrHeader, "want \"chunked 1.0,<meta bytes>,<body bytes>\", got %q", r.line)
		}
		return metaLen, bodyLen, start, nil
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// parseHeader parses the header line without its LF.
func parseHeader(line []byte) (metaLen, bodyLen int64, ok bool) {
	const prefix = "chunked"
	if len(line) < len(prefix) || string(line[:len(prefix)]) != prefix {
		return 0, 0, false
	}
	rest := line[len(prefix):]
	n := skipSpace(rest)
	if n == 0 {
		return 0, 0, false
	}
	rest = rest[n:]
	if len(rest) < 3 || string(rest[:3]) != "1.0" {
		return 0, 0, false
	}
	rest = rest[3:]
	for i := 0; i < 2; i++ {
		rest = rest[skipSpace(rest):]
		if len(rest) == 0 || rest[0] != ',' {
			return 0, 0, false
		}
		rest = rest[1:]
		rest = rest[skipSpace(rest):]
		var v int64
		digits := 0
		for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
			if digits == 18 { // more than fits any limit; refuse rather than overflow
				return 0, 0, false
			}
			v = v*10 + int64(rest[digits]-'0')
			digits++
		}
		if digits == 0 {
			return 0, 0, false
		}
		rest = rest[digits:]
		if i == 0 {
			metaLen = v
		} else {
			bodyLen = v
		}
	}
	if !isBlank(rest) {
		return 0, 0, false
	}
	return metaLen, bodyLen, true
}

func skipSpace(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	return n
}

// readN reads exactly n bytes into buf (reusing its storage), growing it
// only as bytes arrive.
func (r *Reader) readN(buf []byte, n int64) ([]byte, error) {
	buf = buf[:0]
	if int64(cap(buf)) >= n {
		buf = buf[:n]
		k, err := io.ReadFull(r.r, buf)
		r.offset += int64(k)
		if err != nil {
			return buf[:k], unexpectedEOF(err)
		}
		return buf, nil
	}
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			// Double what has arrived, up to the declared length plus an
			// eighth: messages of about the same size (splunkd's chunks)
			// then fit in the storage of the first one instead of each
			// slightly larger one allocating again. Storage stays below
			// twice the bytes received.
			grow := max(cap(buf), growStep)
			limit := n
			if n <= keepBody {
				limit += n / 8 // a body above keepBody is not kept: no room for a next one
			}
			want := min(int64(cap(buf)+grow), limit)
			nb := make([]byte, len(buf), want)
			copy(nb, buf)
			buf = nb
		}
		k, err := r.r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+k]
		r.offset += int64(k)
		if err != nil && int64(len(buf)) < n {
			return buf, unexpectedEOF(err)
		}
	}
	return buf, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer writes protocol messages. Each message is written and flushed whole.
type Writer struct {
	w   *bufio.Writer
	hdr []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10)}
}

// WriteMessage writes one message with the given metadata and a body made
// of the concatenation of the body parts, and flushes it. Lengths are byte
// lengths.
func (w *Writer) WriteMessage(meta []byte, body ...[]byte) error {
	n := 0
	for _, b := range body {
		n += len(b)
	}
	w.head(meta, n)
	for _, b := range body {
		w.w.Write(b)
	}
	return w.w.Flush()
}

// head writes a message's header line and its metadata, for a body of n
// bytes.
func (w *Writer) head(meta []byte, n int) {
	w.hdr = append(w.hdr[:0], "chunked 1.0,"...)
	w.hdr = strconv.AppendInt(w.hdr, int64(len(meta)), 10)
	w.hdr = append(w.hdr, ',')
	w.hdr = strconv.AppendInt(w.hdr, int64(n), 10)
	w.hdr = append(w.hdr, '\n')
	w.w.Write(w.hdr)
	w.w.Write(meta)
}

// WriteMessageFunc writes a message whose body of n bytes body writes, for
// bodies encoded while they are sent. Writing other than n bytes is an
// error (the header has already promised n).
func (w *Writer) WriteMessageFunc(meta []byte, n int, body func(io.Writer) (int, error)) error {
	w.head(meta, n)
	k, err := body(w.w)
	if err != nil {
		return err
	}
	if k != n {
		return fmt.Errorf("%w: body of %d bytes written, %d declared", ErrCommand, k, n)
	}
	return w.w.Flush()
}
