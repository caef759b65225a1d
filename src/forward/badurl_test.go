package forward_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/forward"
)

// TestBadURLBeforeAnything: a URL or administrator's setting that cannot
// work is refused before the token is fetched and before anything is
// spooled: a spool for a URL no corrected run reads strands its events.
// The log says how many results were not delivered.
func TestBadURLBeforeAnything(t *testing.T) {
	var pwRequests atomic.Int32
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pwRequests.Add(1) // any request is one too many
		w.WriteHeader(http.StatusNotFound)
	}))
	defer counted.Close()
	for _, tt := range []struct {
		name, reason string
		conf         map[string]string
		says         string
	}{
		{"ftp", "only https (and http when allowed)", map[string]string{"destination": "hec", "url": "ftp://hec.example:21", "credential": "t1102:hec"}, `url scheme "ftp"`},
		{"http not allowed", "plain http needs the administrator's allow_http", map[string]string{"destination": "hec", "url": "http://hec.example:8088", "credential": "t1102:hec"}, "allow_http"},
		{"no host", "a URL without a host", map[string]string{"destination": "webhook", "url": "https:///hook", "credential": "t1102:hec"}, "url"},
		{"missing ca_file", "the administrator's CA bundle must be readable", map[string]string{"destination": "hec", "url": "https://hec.example:8088", "credential": "t1102:hec", "ca_file": "/nonexistent/ca.pem"}, "ca_file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			spool := filepath.Join(dir, "s")
			tt.conf["spool_dir"] = spool
			r := execute(t, payload(counted.URL, results(t, dir, 4), tt.conf), nil)
			require.Equal(t, forward.ExitUsage, r.code, r.stderr)
			require.Contains(t, r.stderr, tt.says)
			require.Regexp(t, regexp.MustCompile(`(?m)^ERROR t1102_forward: .*4 results of this run not delivered`), r.stderr, "the loss is counted")
			require.Zero(t, pwRequests.Load(), "%s: no token fetched", tt.reason)
			_, err := os.Stat(spool)
			require.True(t, os.IsNotExist(err), "%s: nothing spooled: %v", tt.reason, err)
		})
	}
}
