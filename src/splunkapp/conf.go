package splunkapp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrSyntax is wrapped by every syntax problem of a .conf file: a line that
// is not a header, a setting, a comment or blank.
var ErrSyntax = errors.New("syntax error")

// Error is a problem at a place of a .conf file. Line is 0 when the problem
// is the file's as a whole.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Setting is one key = value of a .conf file.
type Setting struct {
	Key, Value string
	File       string // the file it was read from
	Line       int    // its first line (a value continued with "\" spans more)
}

// Pos is where the setting was read, "file:line".
func (s Setting) Pos() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Stanza is one [name] of a .conf file, or of several merged.
type Stanza struct {
	Name string
	File string // where the stanza was first seen
	Line int    // the line of its first header; 0 for global settings (no header)
	// Reopened are the lines of later "[name]" headers in the same file:
	// Splunk continues the stanza (AppInspect reports them,
	// check_validate_no_duplicate_stanzas_in_conf_files). Nil in a [Conf].
	Reopened []int
	// Settings in the order first written. In a [File] every line is kept,
	// a key set twice included; in a [Conf] there is one per key, from the
	// layer that wins.
	Settings []Setting
}

// Get returns the value of key: the last one set, as Splunk reads a key
// set twice.
func (s *Stanza) Get(key string) (string, bool) {
	v, ok := s.Setting(key)
	return v.Value, ok
}

// Setting returns the setting of key that Splunk uses: the last one.
func (s *Stanza) Setting(key string) (Setting, bool) {
	for i := len(s.Settings) - 1; i >= 0; i-- {
		if s.Settings[i].Key == key {
			return s.Settings[i], true
		}
	}
	return Setting{}, false
}

// Duplicates returns the settings a later line of the stanza sets again:
// the values Splunk does not use.
func (s *Stanza) Duplicates() []Setting {
	var out []Setting
	last := map[string]int{}
	for i, kv := range s.Settings {
		last[kv.Key] = i
	}
	for i, kv := range s.Settings {
		if last[kv.Key] != i {
			out = append(out, kv)
		}
	}
	return out
}

// File is one .conf file as written.
type File struct {
	Path string
	// Global are the settings before the first header: the [default]
	// stanza, for Splunk.
	Global []Setting
	// Stanzas in the order first seen, one per name.
	Stanzas []*Stanza
	// Problems are the lines that could not be read, each an *Error
	// wrapping ErrSyntax; the rest of the file is read.
	Problems []error
}

// Stanza returns the named stanza, or nil.
func (f *File) Stanza(name string) *Stanza {
	for _, s := range f.Stanzas {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Err returns the file's first syntax problem, or nil.
func (f *File) Err() error {
	if len(f.Problems) > 0 {
		return f.Problems[0]
	}
	return nil
}

var bom = []byte("\ufeff")

// Parse reads .conf text; path names it in positions and problems. It
// never fails: lines it cannot read are in the File's Problems, and
// everything else is kept.
func Parse(path string, data []byte) *File {
	f := &File{Path: path}
	data = bytes.TrimPrefix(data, bom)
	var cur *Stanza
	index := map[string]*Stanza{}
	lines := strings.Split(string(data), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1] // the text ended with a line break
	}
	problem := func(line int, format string, a ...any) {
		f.Problems = append(f.Problems, &Error{File: path, Line: line, Err: fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, a...)...)})
	}
	for i := 0; i < len(lines); i++ {
		start := i + 1
		text := strings.TrimSuffix(lines[i], "\r")
		// A trailing backslash joins the next line, the line break kept
		// (how multi-line searches are written in savedsearches.conf).
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			text = text[:len(text)-1] + "\n" + strings.TrimSuffix(lines[i], "\r")
		}
		t := strings.TrimSpace(text)
		switch {
		case t == "" || t[0] == '#':
		case t[0] == '[':
			if !strings.HasSuffix(t, "]") {
				problem(start, "stanza %q not closed", shorten(t))
				continue
			}
			name := t[1 : len(t)-1]
			if s, ok := index[name]; ok {
				s.Reopened = append(s.Reopened, start)
				cur = s
				continue
			}
			cur = &Stanza{Name: name, File: path, Line: start}
			index[name] = cur
			f.Stanzas = append(f.Stanzas, cur)
		default:
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				problem(start, "want [stanza], key = value or # comment, got %q", shorten(t))
				continue
			}
			kv := Setting{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), File: path, Line: start}
			if kv.Key == "" {
				problem(start, "no key before '=' in %q", shorten(t))
				continue
			}
			if cur == nil {
				f.Global = append(f.Global, kv)
				continue
			}
			cur.Settings = append(cur.Settings, kv)
		}
	}
	return f
}

// shorten keeps a quoted line short in a message.
func shorten(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut-- // not inside a UTF-8 sequence
	}
	return s[:cut] + "…"
}

// ReadFile reads and parses one .conf file. A file that cannot be read is
// an error (errors.Is(err, fs.ErrNotExist) when it is missing); a file with
// syntax problems is returned with its first problem as the error: the
// readers of this app's own files refuse what they cannot read rather than
// guess.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := Parse(path, data)
	return f, f.Err()
}
