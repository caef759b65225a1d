package splunkd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Framing [§2]: every message is
//
//	chunked 1.0,<M>,<B>\n<M bytes of JSON metadata><B bytes of CSV body>
//
// with M and B decimal byte counts.

const (
	headerPrefix = "chunked 1.0,"
	// maxHeaderLen caps a header line: "chunked 1.0," + two 18-digit
	// numbers + ',' + '\n' is 50 bytes.
	maxHeaderLen = 64
	// maxLenDigits keeps declared lengths well inside int64.
	maxLenDigits = 18
)

// appendHeader appends the header of a message with m metadata bytes and b
// body bytes.
func appendHeader(dst []byte, m, b int) []byte {
	dst = append(dst, headerPrefix...)
	dst = strconv.AppendInt(dst, int64(m), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(b), 10)
	return append(dst, '\n')
}

// headerBadByte checks a partial header (no '\n' yet) and returns the index
// of the first byte that cannot start a valid header, or -1.
func headerBadByte(b []byte) int {
	for i, c := range b {
		if i < len(headerPrefix) {
			if c != headerPrefix[i] {
				return i
			}
			continue
		}
		if c != ',' && (c < '0' || c > '9') {
			return i
		}
	}
	return -1
}

// parseHeader parses a complete header line (ending in '\n') against
// ^chunked 1\.0,(0|[1-9][0-9]*),(0|[1-9][0-9]*)\n$. On failure it returns
// the index of the offending byte and a description.
func parseHeader(line []byte) (m, b int64, bad int, err error) {
	if i := headerBadByte(line[:len(line)-1]); i >= 0 {
		return 0, 0, i, fmt.Errorf("unexpected byte %q in header %s", line[i], quoteShort(line, maxHeaderLen))
	}
	if len(line) <= len(headerPrefix) {
		return 0, 0, len(line) - 1, fmt.Errorf("header %q too short", line)
	}
	var nums [2]int64
	pos := len(headerPrefix)
	for k := range nums {
		start := pos
		for pos < len(line)-1 && line[pos] != ',' {
			pos++
		}
		digits := line[start:pos]
		switch {
		case len(digits) == 0:
			return 0, 0, start, fmt.Errorf("missing length in header %q", line)
		case len(digits) > 1 && digits[0] == '0':
			return 0, 0, start, fmt.Errorf("length with a leading zero in header %q", line)
		case len(digits) > maxLenDigits:
			return 0, 0, start, fmt.Errorf("%w: length %s in header", ErrTooLarge, digits)
		}
		nums[k], _ = strconv.ParseInt(string(digits), 10, 64)
		if k == 0 {
			if pos == len(line)-1 {
				return 0, 0, pos, fmt.Errorf("header %q has one length, want two", line)
			}
			pos++ // the comma
		} else if pos != len(line)-1 {
			return 0, 0, pos, fmt.Errorf("header %q has more than two lengths", line)
		}
	}
	return nums[0], nums[1], 0, nil
}

// deadlineReader is the read end of a pipe.
type deadlineReader interface {
	io.Reader
	SetReadDeadline(t time.Time) error
}

// frameReader reads replies from a command's stdout, counting offsets and
// never allocating by a declared length: buffers grow as bytes arrive.
type frameReader struct {
	rd   deadlineReader
	buf  []byte
	r, w int
	off  int64 // stream offset of buf[r]
	err  error // sticky error of rd
}

func newFrameReader(rd deadlineReader) *frameReader {
	return &frameReader{rd: rd, buf: make([]byte, 64*1024)}
}

// buffered returns the number of bytes read from the pipe but not consumed.
func (fr *frameReader) buffered() int { return fr.w - fr.r }

// fill reads more bytes into the buffer; it returns the sticky error when
// nothing could be read.
func (fr *frameReader) fill() error {
	if fr.err != nil {
		return fr.err
	}
	if fr.r > 0 {
		copy(fr.buf, fr.buf[fr.r:fr.w])
		fr.w -= fr.r
		fr.r = 0
	}
	for {
		n, err := fr.rd.Read(fr.buf[fr.w:])
		fr.w += n
		if err != nil {
			fr.err = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// frameError is a framing problem at stream offset off.
type frameError struct {
	off int64
	err error
}

func (e *frameError) Error() string { return e.err.Error() }
func (e *frameError) Unwrap() error { return e.err }

// ioError classifies a read error: deadline → ErrTimeout, EOF → eofErr.
func ioError(err error, eofErr error, what string) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return violationf(ErrTimeout, "no complete %s in time", what)
	case errors.Is(err, io.EOF), errors.Is(err, os.ErrClosed):
		return violationf(eofErr, "stdout closed before a complete %s", what)
	}
	return fmt.Errorf("%w: reading stdout: %w", eofErr, err)
}

// readHeader reads and validates one header. It fails fast: the first byte
// that cannot belong to a header is reported without waiting for more.
func (fr *frameReader) readHeader() (m, b int64, start int64, err error) {
	start = fr.off
	for i := 0; ; i++ {
		for fr.r+i >= fr.w {
			if err := fr.fill(); err != nil {
				if i == 0 {
					return 0, 0, start, &frameError{start, ioError(err, ErrNoReply, "reply")}
				}
				return 0, 0, start, &frameError{start + int64(i), ioError(err, ErrTruncated, "header")}
			}
		}
		c := fr.buf[fr.r+i]
		if c == '\n' {
			line := fr.buf[fr.r : fr.r+i+1]
			m, b, bad, perr := parseHeader(line)
			if perr != nil {
				sentinel := ErrBadHeader
				if errors.Is(perr, ErrTooLarge) {
					return 0, 0, start, &frameError{start + int64(bad), perr}
				}
				return 0, 0, start, &frameError{start + int64(bad), fmt.Errorf("%w: %v", sentinel, perr)}
			}
			fr.r += i + 1
			fr.off += int64(i + 1)
			return m, b, start, nil
		}
		if bad := headerBadByte(fr.buf[fr.r : fr.r+i+1]); bad >= 0 {
			what := "a header must be exactly \"chunked 1.0,<M>,<B>\\n\""
			if bad == 0 && i == 0 {
				what = "expected a chunk header"
			}
			return 0, 0, start, &frameError{start + int64(bad), violationf(ErrBadHeader, "%s; got %s", what,
				quoteShort(fr.buf[fr.r:min(fr.w, fr.r+maxHeaderLen)], maxHeaderLen))}
		}
		if i+1 >= maxHeaderLen {
			return 0, 0, start, &frameError{start + int64(i), violationf(ErrBadHeader, "no newline within %d bytes: %s", maxHeaderLen,
				quoteShort(fr.buf[fr.r:fr.r+i+1], maxHeaderLen))}
		}
	}
}

// readN appends exactly n bytes to dst[:0] and returns it. dst grows by
// doubling as bytes arrive, so a lying length costs no memory.
func (fr *frameReader) readN(dst []byte, n int64, what string) ([]byte, error) {
	dst = dst[:0]
	for int64(len(dst)) < n {
		if fr.r == fr.w {
			if fr.err == nil && n-int64(len(dst)) >= int64(len(fr.buf)) {
				// Large remainder: read straight into dst.
				if len(dst) == cap(dst) {
					dst = growFor(dst, n-int64(len(dst)))
				}
				room := min(int64(cap(dst)-len(dst)), n-int64(len(dst)))
				k, err := fr.rd.Read(dst[len(dst) : len(dst)+int(room)])
				dst = dst[:len(dst)+k]
				fr.off += int64(k)
				if err != nil {
					fr.err = err
				}
				continue
			}
			if err := fr.fill(); err != nil {
				return dst, &frameError{fr.off, ioError(err, ErrTruncated, what)}
			}
		}
		k := min(int64(fr.w-fr.r), n-int64(len(dst)))
		if int64(cap(dst)-len(dst)) < k {
			dst = growFor(dst, n-int64(len(dst)))
		}
		dst = append(dst, fr.buf[fr.r:fr.r+int(k)]...)
		fr.r += int(k)
		fr.off += k
	}
	return dst, nil
}

// growFor returns dst with more capacity: doubled, at least 64 KiB more, but
// never more than the remaining need.
func growFor(dst []byte, need int64) []byte {
	grow := max(int64(cap(dst)), 64*1024)
	grow = min(grow, need)
	nb := make([]byte, len(dst), int64(len(dst))+grow)
	copy(nb, dst)
	return nb
}
