package detect

import (
	"bytes"
	"encoding/base64"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/t1102app/t1102/src/internal/fold"
)

// Encoded is what [FindEncoded] found in a command line.
type Encoded struct {
	// How names the signal: "-EncodedCommand" (the parameter, under any
	// abbreviation or dash PowerShell accepts), "FromBase64String", or
	// "base64 argument" (a long argument that decodes to UTF-16LE text).
	How string
	// Decoded is the decoded script when the argument decoded to UTF-16LE
	// text, converted to UTF-8; nil otherwise.
	Decoded []byte
}

// powershellDashes are the characters PowerShell accepts before a
// parameter name: '-', '/', en dash, em dash, horizontal bar.
var powershellDashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// minBase64 is the shortest argument tried as a bare base64 script: 40
// characters decode to 15 UTF-16 characters.
const minBase64 = 40

// FindEncoded looks for an encoded PowerShell command in a command line.
// With powershell true (the process is PowerShell, or the command line runs
// it) every argument that is a dash followed by a prefix of
// "encodedcommand" ("-e", "-en", "-enc", … "/encodedcommand") or the alias
// "-ec", then white space, is the parameter; "-ea", "-ep", "-Exec" and
// "-ExecutionPolicy" are not prefixes and are not it. "FromBase64String"
// counts in any process, and so does a base64 argument of 40 or more
// characters that decodes to UTF-16LE text. cmd.exe's '^' escapes are
// ignored ("-e^n^c"). Decoded text, when there is some, is returned.
func FindEncoded(cmdline []byte, powershell bool) (Encoded, bool) {
	cl := cmdline
	if bytes.IndexByte(cl, '^') >= 0 {
		cl = bytes.ReplaceAll(cl, []byte("^"), nil)
	}
	// One pass over the arguments finds both the parameter and the first
	// long base64 argument; the parameter wins, then FromBase64String.
	var param, b64 []byte
	paramSeen := false
	forEachArg(cl, func(arg, next []byte) bool {
		if powershell && !paramSeen && len(next) > 0 {
			if name, ok := paramName(arg); ok && isEncodedCommandName(name) {
				paramSeen, param = true, next
				return false
			}
		}
		if b64 == nil && len(arg) >= minBase64 && isBase64(arg) {
			b64 = arg
		}
		return true
	})
	if paramSeen {
		return Encoded{How: "-EncodedCommand", Decoded: decodeUTF16Base64(param)}, true
	}
	if fold.Contains(cl, "frombase64string") {
		return Encoded{How: "FromBase64String"}, true
	}
	if b64 != nil {
		if text := decodeUTF16Base64(b64); text != nil {
			return Encoded{How: "base64 argument", Decoded: text}, true
		}
		// The first candidate was not UTF-16LE text; try the others.
		var found []byte
		forEachArg(cl, func(arg, _ []byte) bool {
			if len(arg) >= minBase64 && isBase64(arg) {
				found = decodeUTF16Base64(arg)
			}
			return found == nil
		})
		if found != nil {
			return Encoded{How: "base64 argument", Decoded: found}, true
		}
	}
	return Encoded{}, false
}

func isBase64(s []byte) bool {
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// forEachArg calls fn with each white-space separated argument (quotes
// removed from its ends) and the argument after it, without allocating.
func forEachArg(cl []byte, fn func(arg, next []byte) bool) {
	arg, rest := nextArg(cl)
	for arg != nil {
		next, after := nextArg(rest)
		if !fn(trimQuotes(arg), trimQuotes(next)) {
			return
		}
		arg, rest = next, after
	}
}

// nextArg returns the first white-space separated field of b (nil if none)
// and what follows it. White space is ASCII space, \t, \n, \v, \f, \r and
// the Unicode spaces PowerShell also splits on (NEL, NBSP).
func nextArg(b []byte) (arg, rest []byte) {
	i := 0
	for i < len(b) {
		n := spaceLen(b[i:])
		if n == 0 {
			break
		}
		i += n
	}
	if i == len(b) {
		return nil, nil
	}
	j := i
	for j < len(b) {
		c := b[j]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' {
				break
			}
			j++
			continue
		}
		if spaceLen(b[j:]) > 0 {
			break
		}
		_, size := utf8.DecodeRune(b[j:])
		j += size
	}
	return b[i:j], b[j:]
}

func spaceLen(b []byte) int {
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 1
	case 0xc2:
		if len(b) > 1 && (b[1] == 0x85 || b[1] == 0xa0) {
			return 2
		}
	}
	return 0
}

func trimQuotes(b []byte) []byte {
	for len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == '"' || b[len(b)-1] == '\'') {
		b = b[:len(b)-1]
	}
	return b
}

// paramName returns the name of a PowerShell parameter argument, without
// its dash.
func paramName(arg []byte) ([]byte, bool) {
	for _, d := range powershellDashes {
		if bytes.HasPrefix(arg, []byte(d)) {
			name := arg[len(d):]
			if len(name) == 0 {
				return nil, false
			}
			return name, true
		}
	}
	return nil, false
}

// isEncodedCommandName reports whether a parameter name, in any case, is
// the alias "ec" or a prefix of "encodedcommand".
func isEncodedCommandName(name []byte) bool {
	const full = "encodedcommand"
	if fold.Eq(name, "ec") {
		return true // PowerShell's documented alias
	}
	return len(name) <= len(full) && fold.Eq(name, full[:len(name)])
}

// decodeUTF16Base64 decodes s as standard base64 and returns the UTF-8 form
// of its UTF-16LE text, or nil when s is not base64 of such text: it must
// decode to an even number of bytes that are mostly printable characters.
func decodeUTF16Base64(s []byte) []byte {
	if len(s) < 4 || !isBase64(s) {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(s))
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(string(bytes.TrimRight(s, "=")))
		if err != nil {
			return nil
		}
	}
	if len(raw) < 2 || len(raw)%2 != 0 {
		return nil
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	runes := utf16.Decode(u)
	printable := 0
	out := make([]byte, 0, len(runes))
	for _, r := range runes {
		if r == utf8.RuneError {
			return nil
		}
		if r >= 0x20 || r == '\t' || r == '\n' || r == '\r' {
			printable++
		}
		out = utf8.AppendRune(out, r)
	}
	if printable*10 < len(runes)*9 { // at least 90% printable
		return nil
	}
	return out
}
