package detect

import (
	"bytes"
	"encoding/base64"
	"unicode/utf16"
	"unicode/utf8"
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
	var found Encoded
	ok := false
	if powershell {
		forEachArg(cl, func(arg []byte, next []byte) bool {
			name, isParam := paramName(arg)
			if !isParam || !isEncodedCommandName(name) || len(next) == 0 {
				return true // the parameter needs white space and a value after it
			}
			found, ok = Encoded{How: "-EncodedCommand"}, true
			if text := decodeUTF16Base64(next); text != nil {
				found.Decoded = text
			}
			return false
		})
		if ok {
			return found, true
		}
	}
	if containsFold(cl, "frombase64string") {
		return Encoded{How: "FromBase64String"}, true
	}
	forEachArg(cl, func(arg, _ []byte) bool {
		if len(arg) < minBase64 {
			return true
		}
		if text := decodeUTF16Base64(arg); text != nil {
			found, ok = Encoded{How: "base64 argument", Decoded: text}, true
			return false
		}
		return true
	})
	return found, ok
}

// forEachArg calls fn with each white-space separated argument (quotes
// removed from its ends) and the argument after it.
func forEachArg(cl []byte, fn func(arg, next []byte) bool) {
	args := bytes.Fields(cl)
	for i, a := range args {
		var next []byte
		if i+1 < len(args) {
			next = trimQuotes(args[i+1])
		}
		if !fn(trimQuotes(a), next) {
			return
		}
	}
}

func trimQuotes(b []byte) []byte { return bytes.Trim(b, "\"'") }

// paramName returns the name of a PowerShell parameter argument, without
// its dash, lower-cased.
func paramName(arg []byte) ([]byte, bool) {
	for _, d := range powershellDashes {
		if bytes.HasPrefix(arg, []byte(d)) {
			name := arg[len(d):]
			if len(name) == 0 {
				return nil, false
			}
			return bytes.ToLower(name), true
		}
	}
	return nil, false
}

func isEncodedCommandName(name []byte) bool {
	const full = "encodedcommand"
	if string(name) == "ec" {
		return true // PowerShell's documented alias
	}
	return len(name) <= len(full) && string(name) == full[:len(name)]
}

// decodeUTF16Base64 decodes s as standard base64 and returns the UTF-8 form
// of its UTF-16LE text, or nil when s is not base64 of such text: it must
// decode to an even number of bytes that are mostly printable characters.
func decodeUTF16Base64(s []byte) []byte {
	if len(s) < 4 {
		return nil
	}
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil
		}
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

// containsFold reports whether s contains the lower-case ASCII text t,
// ignoring ASCII case.
func containsFold(s []byte, t string) bool {
	if len(t) == 0 {
		return true
	}
	first := t[0]
	upper := first - ('a' - 'A')
	for i := 0; i+len(t) <= len(s); i++ {
		if c := s[i]; (c == first || c == upper) && foldEq(s[i:i+len(t)], t) {
			return true
		}
	}
	return false
}
