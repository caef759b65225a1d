package forward_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/forward"
	"github.com/t1102app/t1102/src/splunkapp"
)

// webhook is a webhook receiver whose answer to each batch the test
// chooses.
type webhook struct {
	mu       sync.Mutex
	answer   func(r *http.Request, events []map[string]any) int
	requests map[string]int // by path
	hosts    []string       // of accepted events
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.requests == nil {
		h.requests = map[string]int{}
	}
	h.requests[r.URL.Path]++
	var events []map[string]any
	json.NewDecoder(r.Body).Decode(&events)
	code := h.answer(r, events)
	if code >= 300 && code < 400 {
		http.Redirect(w, r, "/login", code)
		return
	}
	if code/100 == 2 {
		for _, ev := range events {
			h.hosts = append(h.hosts, ev["host"].(string))
		}
	}
	w.WriteHeader(code)
	w.Write([]byte("receiver says\nERROR forged line"))
}

func webhookConf(t *testing.T, srv *httptest.Server, path, spool string) map[string]string {
	return map[string]string{"destination": "webhook", "url": srv.URL + path, "ca_file": caFile(t, srv), "spool_dir": spool, "max_time": "2"}
}

// TestRedirectIsNotDelivery: a receiver that redirects (to a login page
// answering 200) has not taken the events: they stay spooled, exit 4. The
// Cloud SDK builds its own client; it does not follow redirects either.
func TestRedirectIsNotDelivery(t *testing.T) {
	pw := passwords(t)
	defer pw.Close()
	for _, tt := range []struct {
		name, reason string
		code         int
		conf         func(srv *httptest.Server, spool string) map[string]string
	}{
		{"webhook", "Go's client would turn the POST into a GET", http.StatusFound, func(srv *httptest.Server, spool string) map[string]string {
			return webhookConf(t, srv, "/hook", spool)
		}},
		{"scs", "the SDK's own client, on the destination's transport", http.StatusTemporaryRedirect, func(srv *httptest.Server, spool string) map[string]string {
			return map[string]string{"destination": "scs", "url": srv.URL, "tenant": "acme", "credential": "t1102:hec",
				"ca_file": caFile(t, srv), "spool_dir": spool, "max_time": "2"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &webhook{answer: func(r *http.Request, _ []map[string]any) int {
				if r.URL.Path == "/login" {
					return http.StatusOK
				}
				return tt.code
			}}
			srv := httptest.NewTLSServer(h)
			defer srv.Close()
			dir := t.TempDir()
			spool := filepath.Join(dir, "s")
			r := execute(t, payload(pw.URL, results(t, dir, 3), tt.conf(srv, spool)), nil)
			require.Equal(t, 4, r.code, "%s: %s", tt.reason, r.stderr)
			require.Contains(t, r.stderr, "redirect")
			require.Zero(t, h.requests["/login"], "the redirect was not followed")
			require.Len(t, spoolFiles(t, spool), 3, "nothing counted as delivered")
		})
	}
}

// TestSecretInURLPath: webhook URLs carry their secret in the path; it
// reaches no log line and no spool folder name.
func TestSecretInURLPath(t *testing.T) {
	const secret = "XyZ-path-secret-123"
	h := &webhook{answer: func(*http.Request, []map[string]any) int { return http.StatusServiceUnavailable }}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	dir := t.TempDir()
	spool := filepath.Join(dir, "s")
	r := execute(t, payload("https://127.0.0.1:1", results(t, dir, 2), webhookConf(t, srv, "/api/webhooks/42/"+secret, spool)), nil)
	require.Equal(t, 5, r.code, r.stderr)
	require.Contains(t, r.stderr, "WARN ", "retries are logged")
	require.NotContains(t, r.stderr, secret)
	require.NotContains(t, r.stderr, "\nERROR forged line", "a receiver's text cannot start a log line")
	filepath.Walk(spool, func(p string, _ os.FileInfo, _ error) error {
		require.NotContains(t, p, secret)
		return nil
	})
	require.Len(t, spoolFiles(t, spool), 2)
}

// TestRejectedBatchIsSetAside: a batch the receiver rejects for its
// content is set aside as .refused and the batches after it are delivered;
// it is not sent again.
func TestRejectedBatchIsSetAside(t *testing.T) {
	h := &webhook{answer: func(_ *http.Request, events []map[string]any) int {
		for _, ev := range events {
			if ev["host"] == "wks-1" {
				return http.StatusBadRequest
			}
		}
		return http.StatusOK
	}}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	dir := t.TempDir()
	spool := filepath.Join(dir, "s")
	conf := webhookConf(t, srv, "/hook", spool)
	conf["batch_size"] = "1"
	r := execute(t, payload("https://127.0.0.1:1", results(t, dir, 3), conf), nil)
	require.Equal(t, 4, r.code, r.stderr)
	require.Contains(t, r.stderr, "1 events set aside")
	require.ElementsMatch(t, []string{"wks-0", "wks-2"}, h.hosts, "the batches after the rejected one are delivered")
	require.Empty(t, spoolFiles(t, spool))
	refused, _ := filepath.Glob(filepath.Join(spool, "*", "*.refused"))
	require.Len(t, refused, 1, "kept for the admin")
	b, err := os.ReadFile(refused[0])
	require.NoError(t, err)
	require.Contains(t, string(b), `"wks-1"`)

	before := h.requests["/hook"]
	r = execute(t, payload("https://127.0.0.1:1", "", conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, before, h.requests["/hook"], "a refused batch is not sent again")
}

// TestDamagedSpoolFile: an unreadable batch file is set aside as .bad, with
// a WARN, and the rest is delivered.
func TestDamagedSpoolFile(t *testing.T) {
	h := &webhook{answer: func(*http.Request, []map[string]any) int { return http.StatusOK }}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	dir := t.TempDir()
	spool := filepath.Join(dir, "s")
	conf := webhookConf(t, srv, "/hook", spool)
	r := execute(t, payload("https://127.0.0.1:1", results(t, dir, 1), conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	folders, _ := filepath.Glob(filepath.Join(spool, "*"))
	require.Len(t, folders, 1)
	require.NoError(t, os.WriteFile(filepath.Join(folders[0], "0damaged.jsonl"), []byte("{not json\n"), 0o600))

	r = execute(t, payload("https://127.0.0.1:1", results(t, dir, 2), conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "WARN t1102_forward: damaged spool file set aside")
	require.FileExists(t, filepath.Join(folders[0], "0damaged.jsonl.bad"))
	require.Len(t, h.hosts, 3)
	require.True(t, strings.HasPrefix(r.stderr, "WARN "), r.stderr)
}

// TestConcurrentRuns: alerts firing together share the spool; one run
// sends at a time, so every event arrives once and none is left.
func TestConcurrentRuns(t *testing.T) {
	h := &webhook{answer: func(*http.Request, []map[string]any) int {
		time.Sleep(100 * time.Millisecond) // a slow receiver: the runs overlap
		return http.StatusOK
	}}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	dir := t.TempDir()
	spool := filepath.Join(dir, "s")
	conf := webhookConf(t, srv, "/hook", spool)
	conf["batch_size"] = "2"
	conf["max_time"] = "30"
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		file := resultsNamed(t, dir, fmt.Sprintf("run%d-", i), 5)
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = execute(t, payload("https://127.0.0.1:1", file, conf), nil).code
		}()
	}
	wg.Wait()
	require.Equal(t, []int{0, 0, 0, 0}, codes)
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Len(t, h.hosts, 20, "every event once: %v", h.hosts)
	seen := map[string]bool{}
	for _, host := range h.hosts {
		require.False(t, seen[host], "%s sent twice", host)
		seen[host] = true
	}
	require.Empty(t, spoolFiles(t, spool))
	_, err := os.Stat(filepath.Join(spool, "lock"))
	require.True(t, os.IsNotExist(err), "no lock left behind")
}

// TestSecretEntityName: the credential parameter is "realm:name"; a colon
// inside the name is escaped in the entity, as splunkd names it.
func TestSecretEntityName(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		fmt.Fprint(w, `{"entry":[{"content":{"clear_password":"pw"}}]}`)
	}))
	defer srv.Close()
	for _, tt := range []struct{ name, credential, path string }{
		{"realm and name", "t1102:hec", "/servicesNS/nobody/app/storage/passwords/t1102:hec:"},
		{"no realm", "hec", "/servicesNS/nobody/app/storage/passwords/:hec:"},
		{"colon in name", "t1102:svc:acct", `/servicesNS/nobody/app/storage/passwords/t1102:svc\:acct:`},
	} {
		pw, err := forward.Secret(t.Context(), srv.URL, "app", tt.credential, splunkapp.Secret(sessionKey))
		require.NoError(t, err, tt.name)
		require.Equal(t, "pw", pw.Reveal(), tt.name)
		require.Equal(t, tt.path, got, tt.name)
	}
}
