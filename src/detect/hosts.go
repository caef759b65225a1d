package detect

import "bytes"

// HostRef is a host name found in text, with where it was.
type HostRef struct {
	Host       []byte // as written (not normalised)
	Start, End int    // byte offsets of Host in the text
	URL        bool   // written after "scheme://" or "//"
	Path       []byte // what follows the host up to a space or quote (URL path), if anything
	PathEnd    int    // offset just past Path (End when there is none)
}

func isHostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
}

// endsURL reports whether c ends a URL written in a command line or a
// script: white space, quotes, or the punctuation that closes an argument.
func endsURL(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', ')', '(', ';', '|', '<', '>', ',', ']', '[', '{', '}', '^':
		return true
	}
	return false
}

// ScanHosts calls fn for every host name written in text (a command line or
// decoded script): after "scheme://", after "//", or standing alone as a
// dotted name, as in `iwr raw.githubusercontent.com/x` or `-Uri github.com`.
// A dotted name that follows '\', a single '/' or '.', is a path or file
// name (C:\tools\x.com, /raw.githubusercontent.com/ inside another URL's
// path) and is skipped. The last label must contain a letter, which leaves
// out version numbers and IPv4 addresses. fn returns false to stop.
func ScanHosts(text []byte, fn func(HostRef) bool) {
	for i := 0; i < len(text); {
		if !isHostByte(text[i]) {
			i++
			continue
		}
		start := i
		for i < len(text) && isHostByte(text[i]) {
			i++
		}
		end := i
		// Trim dots and dashes that are punctuation, not part of a name.
		for start < end && (text[start] == '.' || text[start] == '-') {
			start++
		}
		for end > start && (text[end-1] == '.' || text[end-1] == '-') {
			end--
		}
		tok := text[start:end]
		dot := bytes.LastIndexByte(tok, '.')
		if dot <= 0 || !hasLetter(tok[dot+1:]) {
			continue
		}
		// After "//" or, as .NET and browsers read http URLs, after ":\\",
		// ":\\/" or ":/\\".
		url := start >= 2 && slash(text[start-1]) && slash(text[start-2]) &&
			(text[start-1] == '/' && text[start-2] == '/' || start >= 3 && text[start-3] == ':')
		if !url && start > 0 {
			switch text[start-1] {
			case '\\', '/', '.', '$', '%':
				continue // a path, a file name, a variable
			}
		}
		if !url && end < len(text) && text[end] == '\\' {
			continue // C:\path\github.com\x: a directory
		}
		ref := HostRef{Host: tok, Start: start, End: end, URL: url, PathEnd: end}
		p := end
		if p+1 < len(text) && text[p] == '.' && slash(text[p+1]) {
			p++ // a fully qualified name: "pastebin.com./raw/x"
		}
		if p < len(text) && (text[p] == '/' || text[p] == ':' || url && text[p] == '\\') {
			q := p
			for q < len(text) && !endsURL(text[q]) {
				q++
			}
			ref.Path, ref.PathEnd = text[p:q], q
		}
		if !fn(ref) {
			return
		}
	}
}

func slash(c byte) bool { return c == '/' || c == '\\' }

func hasLetter(b []byte) bool {
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}
