package forward_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/forward"
)

// TestReceiverBodyIsRedacted: a receiver's answer is quoted in the log,
// but never the token it may echo, whole or in part.
func TestReceiverBodyIsRedacted(t *testing.T) {
	pw := passwords(t)
	defer pw.Close()
	for _, tt := range []struct {
		name, reason string
		dest         string
		body         func(r *http.Request) string
	}{
		{"hec echoes the header", "the Authorization value quoted back", "hec", func(r *http.Request) string {
			return `{"text":"Invalid token","code":4,"got":"` + r.Header.Get("Authorization") + `"}`
		}},
		{"webhook dumps its request", "every header, as a debugging proxy does", "webhook", func(r *http.Request) string {
			var b strings.Builder
			r.Header.Write(&b)
			return "forbidden\n" + b.String()
		}},
		{"token across the cut", "a long body cut where the token starts: no prefix of it may show", "webhook", func(r *http.Request) string {
			return strings.Repeat("x", 282) + " " + r.Header.Get("Authorization")
		}},
		{"token bare, json-escaped", "the token alone, without its scheme word", "hec", func(r *http.Request) string {
			_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			b, _ := json.Marshal(map[string]string{"token": tok})
			return string(b)
		}},
		{"scs message", "the SDK's error message carries the body", "scs", func(r *http.Request) string {
			return `{"code":"forbidden","message":"token ` + r.Header.Get("Authorization") + ` not allowed"}`
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, tt.body(r))
			}))
			defer srv.Close()
			dir := t.TempDir()
			conf := map[string]string{"destination": tt.dest, "url": srv.URL + "/x", "credential": "t1102:hec", "tenant": "acme",
				"ca_file": caFile(t, srv), "spool_dir": filepath.Join(dir, "s"), "max_time": "2"}
			if tt.dest != "webhook" {
				conf["url"] = srv.URL
			}
			r := execute(t, payload(pw.URL, results(t, dir, 1), conf), nil)
			require.Equal(t, forward.ExitRefused, r.code, r.stderr)
			require.Contains(t, r.stderr, "403", "the status still shows")
			for _, part := range []string{hecToken, hecToken[:8], hecToken[len(hecToken)-8:], "7f3a9c1e"} {
				require.NotContains(t, r.stderr, part, "%s: %s", tt.reason, r.stderr)
			}
		})
	}
}
