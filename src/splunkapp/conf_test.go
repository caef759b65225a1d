package splunkapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dump writes what Parse kept, one line per global setting, stanza,
// setting and problem, with lines: the tables below compare it.
func dump(f *File) string {
	var b strings.Builder
	for _, kv := range f.Global {
		fmt.Fprintf(&b, "global %s=%q @%d\n", kv.Key, kv.Value, kv.Line)
	}
	for _, s := range f.Stanzas {
		fmt.Fprintf(&b, "[%s] @%d", s.Name, s.Line)
		if len(s.Reopened) > 0 {
			fmt.Fprintf(&b, " reopened %v", s.Reopened)
		}
		b.WriteString("\n")
		for _, kv := range s.Settings {
			fmt.Fprintf(&b, "  %s=%q @%d\n", kv.Key, kv.Value, kv.Line)
		}
	}
	for _, p := range f.Problems {
		fmt.Fprintf(&b, "problem %v\n", p)
	}
	return b.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, reason string
		text         string
		want         string
	}{
		{name: "empty", reason: "an empty file is an empty conf, not an error",
			text: "", want: ""},
		{name: "comments and blanks", reason: "# lines, indented ones too, and blank lines are skipped; line numbers still count them",
			text: "# top\n\n   # indented\n[a]\nk = v\n", want: "[a] @4\n  k=\"v\" @5\n"},
		{name: "spaces around", reason: "key and value are trimmed; spaces inside a value stay",
			text: "[a]\n  k   =   one  two  \nj=v\n", want: "[a] @1\n  k=\"one  two\" @2\n  j=\"v\" @3\n"},
		{name: "equals in value", reason: "split at the first '=': a search or a regex keeps its own",
			text: "[a]\nsearch = x=1 | eval y=2\n", want: "[a] @1\n  search=\"x=1 | eval y=2\" @2\n"},
		{name: "empty value", reason: "key = nothing sets the key to empty (an admin clearing a default)",
			text: "[a]\nk =\n", want: "[a] @1\n  k=\"\" @2\n"},
		{name: "byte order mark", reason: "Windows editors write one; Splunk reads the file",
			text: "\ufeff[a]\nk = v\n", want: "[a] @1\n  k=\"v\" @2\n"},
		{name: "CRLF", reason: "Windows line ends: the \\r is not part of the value",
			text: "[a]\r\nk = v\r\nj = w\r\n", want: "[a] @1\n  k=\"v\" @2\n  j=\"w\" @3\n"},
		{name: "no final line break", reason: "the last line counts without one",
			text: "[a]\nk = v", want: "[a] @1\n  k=\"v\" @2\n"},
		{name: "continuation", reason: "a trailing backslash continues the value, the line break kept; the setting is at its first line and the next one's line is right",
			text: "[a]\nsearch = one \\\n| two \\\n| three\nk = v\n", want: "[a] @1\n  search=\"one \\n| two \\n| three\" @2\n  k=\"v\" @5\n"},
		{name: "continuation with CRLF", reason: "the backslash before \\r\\n still continues",
			text: "[a]\r\nk = one \\\r\ntwo\r\n", want: "[a] @1\n  k=\"one \\ntwo\" @2\n"},
		{name: "backslash on the last line", reason: "nothing to continue with: the backslash stays in the value",
			text: "[a]\nk = v \\\n", want: "[a] @1\n  k=\"v \\\\\" @2\n"},
		{name: "continued comment", reason: "the continuation is joined first: a comment ending in a backslash takes the next line with it",
			text: "[a]\n# note \\\nk = v\nj = w\n", want: "[a] @1\n  j=\"w\" @4\n"},
		{name: "global settings", reason: "settings before the first header are global ([default] for Splunk)",
			text: "k = v\n[a]\nj = w\n", want: "global k=\"v\" @1\n[a] @2\n  j=\"w\" @3\n"},
		{name: "duplicate key", reason: "both kept with their lines; Splunk uses the last (Get)",
			text: "[a]\nk = 1\nk = 2\n", want: "[a] @1\n  k=\"1\" @2\n  k=\"2\" @3\n"},
		{name: "reopened stanza", reason: "a repeated header continues the stanza; where it was repeated is kept for checkers",
			text: "[a]\nk = 1\n[b]\nx = y\n[a]\nj = 2\n", want: "[a] @1 reopened [5]\n  k=\"1\" @2\n  j=\"2\" @6\n[b] @3\n  x=\"y\" @4\n"},
		{name: "brackets in a stanza name", reason: "props.conf names such as [source::...[ab]] end at the last ']'",
			text: "[source::x[ab]]\nk = v\n", want: "[source::x[ab]] @1\n  k=\"v\" @2\n"},
		{name: "default stanza", reason: "[default] is an ordinary stanza of the file; Conf.Value applies it",
			text: "[default]\nk = v\n", want: "[default] @1\n  k=\"v\" @2\n"},
		{name: "stanza not closed", reason: "a problem with its line; the following settings stay with the stanza before",
			text: "[a]\nk = v\n[b\nj = w\n", want: "[a] @1\n  k=\"v\" @2\n  j=\"w\" @4\nproblem x.conf:3: syntax error: stanza \"[b\" not closed\n"},
		{name: "not a setting", reason: "a line without '=' is a problem, the rest is read",
			text: "[a]\nbroken\nk = v\n", want: "[a] @1\n  k=\"v\" @3\nproblem x.conf:2: syntax error: want [stanza], key = value or # comment, got \"broken\"\n"},
		{name: "no key", reason: "'= v' names nothing",
			text: "[a]\n= v\n", want: "[a] @1\nproblem x.conf:2: syntax error: no key before '=' in \"= v\"\n"},
		{name: "long line in a problem", reason: "a quoted line is cut at 80 bytes, never inside a UTF-8 character",
			text: strings.Repeat("é", 60), want: "problem x.conf:1: syntax error: want [stanza], key = value or # comment, got \"" + strings.Repeat("é", 40) + "…\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			require.Equal(t, tt.want, dump(Parse("x.conf", []byte(tt.text))), tt.reason)
		})
	}
}

func TestStanzaGetAndDuplicates(t *testing.T) {
	s := Parse("x.conf", []byte("[a]\nk = 1\nj = x\nk = 2\nk = 3\n")).Stanza("a")
	v, ok := s.Get("k")
	require.True(t, ok)
	require.Equal(t, "3", v, "the last setting of a key is the one Splunk uses")
	kv, _ := s.Setting("k")
	require.Equal(t, "x.conf:5", kv.Pos())
	_, ok = s.Get("missing")
	require.False(t, ok)
	var lines []int
	for _, d := range s.Duplicates() {
		lines = append(lines, d.Line)
	}
	require.Equal(t, []int{2, 4}, lines, "the settings a later line overrides")
}

func TestProblemsAreErrors(t *testing.T) {
	f := Parse("app/default/x.conf", []byte("[a\n"))
	err := f.Err()
	require.ErrorIs(t, err, ErrSyntax)
	var pe *Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "app/default/x.conf", pe.File)
	require.Equal(t, 1, pe.Line)
	require.NoError(t, Parse("x.conf", []byte("[a]\n")).Err())
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "missing.conf"))
	require.ErrorIs(t, err, os.ErrNotExist)

	bad := filepath.Join(dir, "bad.conf")
	require.NoError(t, os.WriteFile(bad, []byte("[a]\nk = v\noops\n"), 0o644))
	f, err := ReadFile(bad)
	require.ErrorIs(t, err, ErrSyntax)
	require.EqualError(t, err, bad+`:3: syntax error: want [stanza], key = value or # comment, got "oops"`)
	require.NotNil(t, f, "the file comes back with what could be read")
	v, _ := f.Stanza("a").Get("k")
	require.Equal(t, "v", v)

	// A wrapped problem still answers errors.Is and errors.As.
	wrapped := fmt.Errorf("reading the catalog: %w", err)
	require.True(t, errors.Is(wrapped, ErrSyntax))
}
