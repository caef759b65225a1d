// Package fold holds the byte helpers the detection logic and the legacy
// logic share: ASCII case folding without allocating, and SPL's lower().
package fold

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// Eq reports whether b equals the lower-case ASCII text t when b's
// ASCII letters are lowered.
func Eq(b []byte, t string) bool {
	if len(b) != len(t) {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
}

// IsASCII reports whether b has no byte above 0x7f.
func IsASCII(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Lower appends SPL's Lower(v) to dst: ASCII eight bytes at a time,
// anything else through Unicode lower-casing (where, for example, the
// Kelvin sign K becomes an ASCII k that the patterns can match).
func Lower(dst, v []byte) []byte {
	n := len(dst)
	dst = append(dst, v...)
	b := dst[n:]
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&0x8080808080808080 != 0 {
			return append(dst[:n], bytes.ToLower(v)...)
		}
		// For each byte, bit 7 of x+0x3f is set when it is >= 'A' and
		// bit 7 of x+0x25 when it is > 'Z' (no carries: bytes are < 0x80).
		upper := ((x + 0x3f3f3f3f3f3f3f3f) ^ (x + 0x2525252525252525)) & 0x8080808080808080
		binary.LittleEndian.PutUint64(b[i:], x|upper>>2)
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= utf8.RuneSelf {
			return append(dst[:n], bytes.ToLower(v)...)
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return dst
}

// Index is bytes.Index ignoring ASCII case, for a lower-case ASCII t.
func Index(s []byte, t string) int {
	for i := 0; i+len(t) <= len(s); i++ {
		if Eq(s[i:i+len(t)], t) {
			return i
		}
	}
	return -1
}

func HasPrefix(s []byte, t string) bool {
	return len(s) >= len(t) && Eq(s[:len(t)], t)
}

// Contains reports whether s contains the lower-case ASCII text t,
// ignoring ASCII case.
func Contains(s []byte, t string) bool {
	if len(t) == 0 {
		return true
	}
	first := t[0]
	upper := first - ('a' - 'A')
	for i := 0; i+len(t) <= len(s); i++ {
		if c := s[i]; (c == first || c == upper) && Eq(s[i:i+len(t)], t) {
			return true
		}
	}
	return false
}

// AppendASCIILower appends b with ASCII letters lowered: the finders'
// lists are ASCII, and the length stays that of b, so offsets carry over.
func AppendASCIILower(dst, b []byte) []byte {
	n := len(dst)
	dst = append(dst, b...)
	for i := n; i < len(dst); i++ {
		if c := dst[i]; 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}
