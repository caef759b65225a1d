package detect

import (
	"errors"
	"strings"

	"github.com/t1102app/t1102/src/internal/fold"
)

// Glob is a compiled path or text pattern of the catalogs: '*' stands for
// any run of bytes (path separators included), every other byte stands for
// itself, ASCII letters in either case. A pattern matches the whole value:
// `C:\Program Files\Puppet Labs\Puppet\*\ruby.exe` is an exact path with one
// folder left open; `*\npm-cli.js*` is "contains \npm-cli.js". This is the
// meaning of '*' in Splunk's WILDCARD lookups and in Sigma's path modifiers,
// kept to one rule so that a tuned lookup reads the same everywhere.
type Glob struct {
	src   string
	parts []string // the literal runs between '*', lower case
	open  [2]bool  // '*' at the start, at the end
}

// ErrEmptyPattern is returned for a pattern that is only '*' (or empty):
// a rule written with it would say nothing.
var ErrEmptyPattern = errors.New("a pattern of only '*' matches everything")

// CompileGlob compiles a pattern.
func CompileGlob(pattern string) (Glob, error) {
	g := Glob{src: pattern}
	if strings.Trim(pattern, "*") == "" {
		return g, ErrEmptyPattern
	}
	g.open = [2]bool{strings.HasPrefix(pattern, "*"), strings.HasSuffix(pattern, "*")}
	for _, p := range strings.Split(pattern, "*") {
		if p != "" {
			g.parts = append(g.parts, asciiLower(p))
		}
	}
	return g, nil
}

// String returns the pattern as written.
func (g Glob) String() string { return g.src }

// Match reports whether the whole of v matches, ignoring ASCII case. It
// does not allocate.
func (g Glob) Match(v []byte) bool {
	parts := g.parts
	if len(parts) == 0 {
		return false
	}
	if !g.open[0] {
		if !fold.HasPrefix(v, parts[0]) {
			return false
		}
		v, parts = v[len(parts[0]):], parts[1:]
		if len(parts) == 0 {
			return g.open[1] || len(v) == 0
		}
	}
	last := len(parts) - 1
	if !g.open[1] {
		// The last run is anchored at the end; the others, greedily
		// leftmost, must fit before it.
		p := parts[last]
		if len(v) < len(p) || !fold.Eq(v[len(v)-len(p):], p) {
			return false
		}
		v, parts = v[:len(v)-len(p)], parts[:last]
	}
	for _, p := range parts {
		i := fold.Index(v, p)
		if i < 0 {
			return false
		}
		v = v[i+len(p):]
	}
	return true
}

// asciiLower lower-cases ASCII letters only, as the matchers compare.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
