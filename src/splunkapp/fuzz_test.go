package splunkapp

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, and what it returns is consistent with
// the text: every position is a line of the input, stanza names are
// unique, every problem is a positioned syntax error, no key is empty or
// spaced at its ends, and merging a file alone keeps one setting per key
// with the value Get returns.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"[a]\nk = v \\\n w\n# c\n[a]\nbad\n",
		"\ufeffg = 1\r\n[default]\r\nk=\\\r\n",
		"[x\n= v\n[]\n[[a]]\nk==v\n",
		"\\\n\\\n\\",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := Parse("x.conf", data)
		lines := strings.Count(string(data), "\n") + 1
		inFile := func(what string, line int) {
			if line < 1 || line > lines {
				t.Fatalf("%s at line %d of a %d-line text", what, line, lines)
			}
		}
		seen := map[string]bool{}
		for _, s := range file.Stanzas {
			inFile("stanza "+s.Name, s.Line)
			for _, l := range s.Reopened {
				inFile("reopened "+s.Name, l)
			}
			if seen[s.Name] {
				t.Fatalf("stanza %q twice", s.Name)
			}
			seen[s.Name] = true
		}
		check := func(kv Setting) {
			inFile("setting "+kv.Key, kv.Line)
			if kv.Key == "" || strings.TrimSpace(kv.Key) != kv.Key || strings.TrimSpace(kv.Value) != kv.Value {
				t.Fatalf("setting %q = %q not trimmed", kv.Key, kv.Value)
			}
		}
		for _, kv := range file.Global {
			check(kv)
		}
		for _, s := range file.Stanzas {
			for _, kv := range s.Settings {
				check(kv)
			}
		}
		for _, p := range file.Problems {
			var pe *Error
			if !errors.As(p, &pe) || !errors.Is(p, ErrSyntax) {
				t.Fatalf("problem %v is not a positioned syntax error", p)
			}
			inFile("problem", pe.Line)
		}
		c := Merge(file)
		for _, s := range c.Stanzas {
			keys := map[string]bool{}
			for _, kv := range s.Settings {
				if keys[kv.Key] {
					t.Fatalf("merged [%s] has %q twice", s.Name, kv.Key)
				}
				keys[kv.Key] = true
				if s.Name == DefaultStanza {
					continue // global settings and [default] merged
				}
				if v, _ := file.Stanza(s.Name).Get(kv.Key); v != kv.Value {
					t.Fatalf("merged [%s] %s = %q, the file's last is %q", s.Name, kv.Key, kv.Value, v)
				}
			}
		}
	})
}
