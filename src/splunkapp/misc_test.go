package splunkapp

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindAppDir(t *testing.T) {
	app := writeApp(t, map[string]string{"default/x.conf": "", "linux_x86_64/bin/cmd": "", "bin/cmd": "", "a/b/c/d/cmd": ""})
	tests := []struct {
		name, reason string
		exe          string
		want         string // "" : not found
	}{
		{name: "platform folder", reason: "splunkd runs <app>/<platform>/bin/<cmd> first", exe: filepath.Join(app, "linux_x86_64", "bin", "cmd"), want: app},
		{name: "bin folder", reason: "and <app>/bin/<cmd> otherwise", exe: filepath.Join(app, "bin", "cmd"), want: app},
		{name: "too deep", reason: "at most three levels up: a binary elsewhere must not pick a far ancestor", exe: filepath.Join(app, "a", "b", "c", "d", "cmd")},
		{name: "no app", reason: "a binary outside any app (go run, a test) finds nothing", exe: filepath.Join(t.TempDir(), "bin", "cmd")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, err := FindAppDir(tt.exe, "x.conf")
			if tt.want == "" {
				require.ErrorIs(t, err, ErrNoAppDir)
				require.ErrorContains(t, err, "no default/x.conf above "+tt.exe)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	_, err := FindAppDir(filepath.Join(app, "bin", "cmd"), "other.conf")
	require.ErrorIs(t, err, ErrNoAppDir, "the marker is the named conf file, not any default/ folder")
}

func TestSecretNeverShows(t *testing.T) {
	const value = "hunter2-SESSIONKEY"
	s := Secret(value)
	type holder struct {
		Token Secret `json:"token" xml:"token"`
		Ptr   *Secret
	}
	h := holder{Token: s, Ptr: &s}
	var outs []string
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%d", "%x", "%X", "%10s", "%T %v", "%08.3f"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, []Secret{s}), fmt.Sprintf(verb, map[Secret]Secret{s: s}))
	}
	outs = append(outs, fmt.Sprint(s, h), fmt.Sprintln(s, &h), s.String(), s.GoString(), fmt.Errorf("failed with %v", s).Error())
	b, err := json.Marshal(h)
	require.NoError(t, err)
	outs = append(outs, string(b))
	b, err = xml.Marshal(h)
	require.NoError(t, err)
	outs = append(outs, string(b))
	var log bytes.Buffer
	slog.New(slog.NewJSONHandler(&log, nil)).Info("m", "token", s, "h", h)
	slog.New(slog.NewTextHandler(&log, nil)).Info("m", "token", s, "h", h)
	outs = append(outs, log.String())
	for _, o := range outs {
		require.NotContains(t, o, value)
		require.NotContains(t, o, fmt.Sprintf("%x", value), "nor its bytes in hex")
	}
	require.Equal(t, `"[redacted]"`, fmt.Sprintf("%q", s))
	require.Equal(t, value, s.Reveal(), "Reveal is the one way to the value")
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		name, reason string
		in           string
		want         bool
		err          bool
	}{
		{name: "true", reason: "the documented spelling", in: "true", want: true},
		{name: "TRUE", reason: "any case", in: "TRUE", want: true},
		{name: "t", reason: "short form", in: "t", want: true},
		{name: "1", reason: "a number", in: "1", want: true},
		{name: "yes", reason: "a word", in: "Yes", want: true},
		{name: "y", reason: "short word", in: "y", want: true},
		{name: "spaced", reason: "spaces around a .conf value or argument", in: " true ", want: true},
		{name: "false", reason: "the documented spelling", in: "false"},
		{name: "f", reason: "short form", in: "F"},
		{name: "0", reason: "a number", in: "0"},
		{name: "no", reason: "a word", in: "no"},
		{name: "n", reason: "short word", in: "N"},
		{name: "empty", reason: "nothing is not false", in: "", err: true},
		{name: "2", reason: "other numbers are not booleans", in: "2", err: true},
		{name: "maybe", reason: "a typo must be seen", in: "maybe", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, err := ParseBool(tt.in)
			if tt.err {
				require.ErrorIs(t, err, ErrNotBool)
				require.EqualError(t, err, fmt.Sprintf("%q is not a boolean (use true or false)", tt.in))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLocalLookup(t *testing.T) {
	require.Equal(t, "t1102_allowlist_local.csv", LocalLookup("t1102_allowlist.csv"))
	require.True(t, IsLocalLookup(LocalLookup("x.csv")))
	require.False(t, IsLocalLookup("t1102_allowlist.csv"), "a shipped lookup is not the user's")
	require.False(t, IsLocalLookup("local.csv"), "the suffix is _local.csv")
}
