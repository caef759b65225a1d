package forward_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/forward"
	"github.com/t1102app/t1102/src/splunkapp"
)

// TestAlertParamsCannotOverrideAdminSettings: "| sendalert t1102_forward
// param.spool_dir=… param.allow_http=1 param.url=http://…" reaches the
// binary as the payload's configuration, merged with alert_actions.conf
// (restmap.conf validation only runs when a saved search is saved through
// REST). Where the spool goes, what is trusted and whether plain http is
// allowed come from alert_actions.conf alone.
func TestAlertParamsCannotOverrideAdminSettings(t *testing.T) {
	var requests atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer plain.Close()
	dir := t.TempDir()
	adminSpool := filepath.Join(dir, "admin-spool")
	evilSpool := filepath.Join(dir, "elsewhere")
	home := splunkHome(t, map[string]any{"configuration": map[string]string{"spool_dir": adminSpool}})

	theirs := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate of the searcher's choosing
	defer theirs.Close()
	p := payload("https://127.0.0.1:1", results(t, dir, 2), map[string]string{
		"destination": "webhook", "url": plain.URL + "/hook",
		"spool_dir": evilSpool, "allow_http": "1", "ca_file": caFile(t, theirs),
	})
	r := executeIn(t, home, p, nil)
	require.Equal(t, forward.ExitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, "plain http; set allow_http = 1", "http stays refused: the admin never allowed it")
	require.Zero(t, requests.Load(), "nothing was posted over http")
	_, err := os.Stat(evilSpool)
	require.True(t, os.IsNotExist(err), "nothing written where the search asked: %v", err)
	require.Empty(t, spoolFiles(t, adminSpool), "a URL that cannot work is refused before anything is spooled (TestBadURLBeforeAnything)")
	require.Contains(t, r.stderr, "2 results of this run not delivered", "and the log counts what this run leaves undelivered")
	for _, key := range []string{"spool_dir", "allow_http", "ca_file"} {
		require.Contains(t, warnLines(r.stderr), "WARN t1102_forward: "+key+" ", "a WARN names %s", key)
	}

	// The same settings as the administrator's: no warning.
	p["configuration"] = map[string]string{"destination": "webhook", "url": plain.URL + "/hook", "spool_dir": adminSpool, "allow_http": "0", "ca_file": ""}
	r = executeIn(t, home, p, nil)
	require.Equal(t, forward.ExitUsage, r.code, r.stderr)
	require.Empty(t, warnLines(r.stderr), "the payload's values equal the admin's")
}

func warnLines(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "WARN ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAdminSettingsPrecedence: etc/system/local over the app's local over
// the app's default, the first file that sets a key deciding it.
func TestAdminSettingsPrecedence(t *testing.T) {
	const def = "[t1102_forward]\nparam.spool_dir =\nparam.ca_file =\nparam.allow_http = 0\nparam.url =\n"
	for _, tt := range []struct {
		name, reason         string
		system, local, deflt string // file contents; "" = no file
		want                 map[string]string
		err                  string
	}{
		{"default only", "the shipped defaults", "", "", def,
			map[string]string{"spool_dir": "", "ca_file": "", "allow_http": "0"}, ""},
		{"app local over default", "an admin's local/alert_actions.conf", "", "[t1102_forward]\nparam.allow_http = 1\n", def,
			map[string]string{"spool_dir": "", "ca_file": "", "allow_http": "1"}, ""},
		{"system local over app local", "etc/system/local comes first in the global context",
			"[t1102_forward]\nparam.spool_dir = /var/sys\n", "[t1102_forward]\nparam.spool_dir = /var/app\nparam.ca_file = /etc/ca.pem\n", def,
			map[string]string{"spool_dir": "/var/sys", "ca_file": "/etc/ca.pem", "allow_http": "0"}, ""},
		{"empty value clears", "an admin can set a key back to empty", "[t1102_forward]\nparam.ca_file =\n", "[t1102_forward]\nparam.ca_file = /etc/ca.pem\n", def,
			map[string]string{"spool_dir": "", "ca_file": "", "allow_http": "0"}, ""},
		{"other stanzas ignored", "only [t1102_forward] counts", "[email]\nparam.allow_http = 1\n[t1102_forward]\n# a comment\nparam.spool_dir = /a \\\nb\n", "", def,
			map[string]string{"spool_dir": "/a \nb", "ca_file": "", "allow_http": "0"}, ""},
		{"no default stanza", "the app's default must declare the action", "", "", "[other]\nx = 1\n", nil, "has no [t1102_forward] stanza"},
		{"broken stanza line", "an error names the file and line", "[t1102_forward\n", "", def, nil, "alert_actions.conf:1: syntax error: stanza \"[t1102_forward\" not closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			home, app := t.TempDir(), t.TempDir()
			for path, data := range map[string]string{
				filepath.Join(home, "etc", "system", "local", "alert_actions.conf"): tt.system,
				filepath.Join(app, "local", "alert_actions.conf"):                   tt.local,
				filepath.Join(app, "default", "alert_actions.conf"):                 tt.deflt,
			} {
				if data != "" {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
				}
			}
			got, err := forward.AdminSettings(home, app)
			if tt.err != "" {
				require.ErrorIs(t, err, forward.ErrAdminConf)
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	_, err := forward.AdminSettings("", t.TempDir())
	require.ErrorContains(t, err, "SPLUNK_HOME is not set", "without SPLUNK_HOME the administrator's settings are unknown: refuse")
}

// TestREADMECredentialExample: the storage/passwords entry the README's
// curl creates is the one t1102_forward reads with the credential the
// README then sets (splunkd names an entry <realm>:<name>:).
func TestREADMECredentialExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	post := regexp.MustCompile(`curl -k -u admin https://localhost:8089(/servicesNS/nobody/t1102_detection/storage/passwords) \\\n\s+-d name=(\S+) -d realm=(\S+) --data-urlencode "password=\$TOKEN"`).FindSubmatch(readme)
	require.NotNil(t, post, "the README's curl example")
	cred := regexp.MustCompile(`action\.t1102_forward\.param\.credential = (\S+)`).FindSubmatch(readme)
	require.NotNil(t, cred, "the README's credential setting")
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.Write([]byte(`{"entry":[{"content":{"clear_password":"x"}}]}`))
	}))
	defer srv.Close()
	_, err = forward.Secret(context.Background(), srv.URL, "t1102_detection", string(cred[1]), splunkapp.Secret(sessionKey))
	require.NoError(t, err)
	want := string(post[1]) + "/" + url.PathEscape(string(post[3])+":"+string(post[2])+":")
	require.Equal(t, want, got, "GET the entry the POST created")
}
