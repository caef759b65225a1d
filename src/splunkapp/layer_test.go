package splunkapp

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeApp lays out files (path under the app → text) in a new app folder.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	return dir
}

func TestMerge(t *testing.T) {
	type want struct {
		stanza, key, value string
		ok                 bool
		pos                string // where the winning value was read
	}
	tests := []struct {
		name, reason    string
		defaults, local string
		want            []want
		order           []string // stanza names in order
	}{
		{name: "local over default", reason: "a key local/ sets replaces default/'s; keys local/ leaves alone stay (Configuration file precedence)",
			defaults: "[a]\nk = 1\nj = 2\n", local: "[a]\nk = 9\n",
			want:  []want{{"a", "k", "9", true, "local:2"}, {"a", "j", "2", true, "default:3"}},
			order: []string{"a"}},
		{name: "empty value wins", reason: "local/ setting a key to nothing clears the default",
			defaults: "[a]\nk = 1\n", local: "[a]\nk =\n",
			want: []want{{"a", "k", "", true, "local:2"}}, order: []string{"a"}},
		{name: "new stanza in local", reason: "a stanza only local/ has is added after default/'s",
			defaults: "[a]\nk = 1\n", local: "[b]\nx = y\n",
			want: []want{{"b", "x", "y", true, "local:2"}}, order: []string{"a", "b"}},
		{name: "no local", reason: "a missing local/ file is an empty layer",
			defaults: "[a]\nk = 1\n",
			want:     []want{{"a", "k", "1", true, "default:2"}}, order: []string{"a"}},
		{name: "duplicate in one file", reason: "within a file the last setting of a key wins, before layering",
			defaults: "[a]\nk = 1\nk = 2\n", local: "[a]\nj = 3\n",
			want: []want{{"a", "k", "2", true, "default:3"}, {"a", "j", "3", true, "local:2"}}, order: []string{"a"}},
		{name: "global settings", reason: "settings before any header are [default]'s, and merge with an explicit [default]",
			defaults: "g = 1\n[default]\nh = 2\n[a]\n", local: "g = 3\n",
			want: []want{{"default", "g", "3", true, "local:1"}, {"default", "h", "2", true, "default:3"}}, order: []string{"default", "a"}},
		{name: "missing key", reason: "a key no layer sets is absent",
			defaults: "[a]\nk = 1\n", local: "[a]\nj = 1\n",
			want: []want{{"a", "x", "", false, ""}, {"zz", "k", "", false, ""}}, order: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			files := map[string]string{"default/x.conf": tt.defaults}
			if tt.local != "" {
				files["local/x.conf"] = tt.local
			}
			dir := writeApp(t, files)
			c, err := ReadApp(dir, "x.conf")
			require.NoError(t, err)
			var names []string
			for _, s := range c.Stanzas {
				names = append(names, s.Name)
			}
			require.Equal(t, tt.order, names)
			for _, w := range tt.want {
				v, ok := c.Get(w.stanza, w.key)
				require.Equal(t, w.ok, ok, "[%s] %s", w.stanza, w.key)
				require.Equal(t, w.value, v, "[%s] %s", w.stanza, w.key)
				if w.ok {
					kv, _ := c.Stanza(w.stanza).Setting(w.key)
					rel, err := filepath.Rel(dir, kv.File)
					require.NoError(t, err)
					require.Equal(t, w.pos, filepath.Dir(rel)+":"+strconv.Itoa(kv.Line), "[%s] %s: %s", w.stanza, w.key, tt.reason)
				}
			}
		})
	}
}

func TestValueFallsBackToDefault(t *testing.T) {
	c := Merge(Parse("d", []byte("[default]\ndisabled = 1\ndispatch = x\n[s]\ndisabled = 0\n")), Parse("l", []byte("[default]\ndispatch = y\n")))
	v, _ := c.Value("s", "disabled")
	require.Equal(t, "0", v, "the stanza's own setting beats [default]")
	v, _ = c.Value("s", "dispatch")
	require.Equal(t, "y", v, "a key the stanza lacks comes from [default], merged across layers")
	_, ok := c.Get("s", "dispatch")
	require.False(t, ok, "Get does not apply [default]")
	v, ok = c.Value("other", "disabled")
	require.True(t, ok, "even for a stanza no layer has")
	require.Equal(t, "1", v)
}

func TestReadAppErrors(t *testing.T) {
	c, err := ReadApp(t.TempDir(), "x.conf")
	require.NoError(t, err, "no file at all is an empty conf")
	require.Empty(t, c.Stanzas)

	dir := writeApp(t, map[string]string{"default/x.conf": "[a]\n", "local/x.conf": "[a]\nk = 1\n[b\n"})
	_, err = ReadApp(dir, "x.conf")
	require.ErrorIs(t, err, ErrSyntax)
	require.ErrorContains(t, err, filepath.Join(dir, "local", "x.conf")+":3: ", "the error names the layer's file and line")
}
