package forward_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/internal/testbin"
)

const (
	hecToken   = "hec-token-7f3a9c1e-do-not-print"
	sessionKey = "session-key-should-stay-secret"
)

// bin is the real executable, built into an app folder laid out as
// splunkd runs it (<app>/<platform>/bin/t1102_forward) beside the app's
// shipped default/alert_actions.conf.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(dir string, b []string) error {
		app := filepath.Join(dir, "t1102_detection")
		bin = filepath.Join(app, "linux_x86_64", "bin", "t1102_forward")
		conf, err := os.ReadFile(filepath.Join("..", "..", "default", "alert_actions.conf"))
		if err == nil {
			err = os.MkdirAll(filepath.Dir(bin), 0o755)
		}
		if err == nil {
			err = os.Rename(b[0], bin)
		}
		if err == nil {
			err = os.MkdirAll(filepath.Join(app, "default"), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(app, "default", "alert_actions.conf"), conf, 0o644)
		}
		return err
	}, "../cmd/t1102_forward"))
}

// hec is a stand-in for Splunk's HTTP Event Collector: its documented
// answers for success, server busy and an invalid token.
type hec struct {
	mu       sync.Mutex
	mode     string // ok, busy, badtoken, hang
	requests int
	ids      []string
	events   []map[string]any
	got      chan struct{}
}

func (h *hec) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.requests++
	mode := h.mode
	h.mu.Unlock()
	if r.URL.Path != "/services/collector/event" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Splunk "+hecToken || mode == "badtoken" {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"text":"Invalid token","code":4}`)
		return
	}
	if mode == "busy" {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"text":"Server is busy","code":9}`)
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"text":"Invalid data format","code":6}`)
		return
	}
	dec := json.NewDecoder(zr)
	var batch []map[string]any
	for dec.More() {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"text":"Invalid data format","code":6}`)
			return
		}
		batch = append(batch, obj)
	}
	if mode == "hang" {
		if h.got != nil {
			close(h.got)
			h.got = nil
		}
		<-r.Context().Done() // never acknowledged: the sender is killed meanwhile
		return
	}
	h.mu.Lock()
	for _, obj := range batch {
		ev := obj["event"].(map[string]any)
		h.ids = append(h.ids, ev["id"].(string))
		h.events = append(h.events, obj)
	}
	h.mu.Unlock()
	io.WriteString(w, `{"text":"Success","code":0}`)
}

// passwords stands in for splunkd's storage/passwords endpoint.
func passwords(t *testing.T) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Splunk "+sessionKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/storage/passwords/t1102:hec:") {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"entry":[{"name":"t1102:hec:","content":{"clear_password":%q,"realm":"t1102","username":"hec"}}]}`, hecToken)
	}))
}

// results writes a gzipped results file of n rows, with a multivalue field.
func results(t *testing.T, dir string, n int) string {
	return resultsNamed(t, dir, "wks-", n)
}

// resultsNamed is results with hosts named prefix0, prefix1…
func resultsNamed(t *testing.T, dir, prefix string, n int) string {
	var b bytes.Buffer
	b.WriteString("host,Image,is_legit_webservice,t1102_reasons,risk_score,last_seen,__mv_t1102_reasons\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s%d,\"C:\\Windows\\System32\\curl.exe\",telegram,\"downloader curl.exe\ntelegram in CommandLine\",%d,%d,$downloader curl.exe$;$telegram in CommandLine$\n", prefix, i, 40+i%50, 1700000000+i)
	}
	path := filepath.Join(dir, fmt.Sprintf("results-%s%d.csv.gz", prefix, n))
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b.Bytes())
	zw.Close()
	require.NoError(t, os.WriteFile(path, z.Bytes(), 0o600))
	return path
}

// caFile writes a TLS server's certificate as a PEM bundle.
func caFile(t *testing.T, srv *httptest.Server) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	require.NoError(t, os.WriteFile(path, pemBytes, 0o600))
	return path
}

type run struct {
	code   int
	stderr string
}

// adminKeys are the parameters the binary takes from alert_actions.conf
// only.
var adminKeys = []string{"spool_dir", "ca_file", "allow_http"}

// splunkHome makes a SPLUNK_HOME whose etc/system/local/alert_actions.conf
// holds the administrator's settings: the admin keys of payload's
// configuration (the payload carries them too, as splunkd merges
// alert_actions.conf into every alert's configuration).
func splunkHome(t *testing.T, payload map[string]any) string {
	t.Helper()
	home := t.TempDir()
	conf, _ := payload["configuration"].(map[string]string)
	var b strings.Builder
	b.WriteString("[t1102_forward]\n")
	for _, k := range adminKeys {
		if v, ok := conf[k]; ok {
			fmt.Fprintf(&b, "param.%s = %s\n", k, v)
		}
	}
	local := filepath.Join(home, "etc", "system", "local")
	require.NoError(t, os.MkdirAll(local, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(local, "alert_actions.conf"), []byte(b.String()), 0o644))
	return home
}

// execute runs the alert action with payload, its administrator's
// settings those of the payload (see splunkHome).
func execute(t *testing.T, payload map[string]any, kill <-chan struct{}) run {
	t.Helper()
	return executeIn(t, splunkHome(t, payload), payload, kill)
}

// executeIn runs the alert action with SPLUNK_HOME home; kill, when it
// closes, kills it.
func executeIn(t *testing.T, home string, payload map[string]any, kill <-chan struct{}) run {
	t.Helper()
	return executeWith(t, home, payload, nil, kill)
}

// executeWith runs the alert action with SPLUNK_HOME home, its command
// line prefixed by wrap (a program that runs the rest of its arguments;
// none when empty), killed when kill closes or after a minute. The token
// and the session key must never reach its log.
func executeWith(t *testing.T, home string, payload map[string]any, wrap []string, kill <-chan struct{}) run {
	t.Helper()
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	args := append(append([]string(nil), wrap...), bin, "--execute")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "SPLUNK_HOME="+home)
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-kill:
		cmd.Process.Kill()
		<-done
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("t1102_forward did not finish")
	}
	out := run{code: cmd.ProcessState.ExitCode(), stderr: stderr.String()}
	require.NotContains(t, out.stderr, hecToken, "the token never reaches a log line")
	require.NotContains(t, out.stderr, sessionKey)
	return out
}

func payload(srvURI, resultsFile string, conf map[string]string) map[string]any {
	return map[string]any{
		"app": "t1102_detection", "owner": "admin", "server_uri": srvURI, "server_host": "sh1", "session_key": sessionKey,
		"sid": "scheduler__admin__t1102_detection__RMD5abc_at_1700000000_1", "search_name": "T1102.003 - Web Service One-Way C2",
		"results_link": "https://sh1:8000/app/t1102_detection/@go?sid=x", "results_file": resultsFile, "configuration": conf,
	}
}

func spoolFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".jsonl") {
			b, _ := os.ReadFile(p)
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if line != "" {
					out = append(out, line) // one event per line
				}
			}
		}
		return nil
	})
	return out
}

func TestHECDeliveryRetryAndSpool(t *testing.T) {
	h := &hec{mode: "busy"}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	pw := passwords(t)
	defer pw.Close()
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	conf := map[string]string{"destination": "hec", "url": srv.URL, "credential": "t1102:hec", "ca_file": caFile(t, srv),
		"index": "security", "spool_dir": spool, "max_time": "2", "batch_size": "2"}

	// Receiver busy: non-zero exit, everything spooled, nothing lost.
	r := execute(t, payload(pw.URL, results(t, dir, 5), conf), nil)
	require.Equal(t, 5, r.code, r.stderr)
	require.Contains(t, r.stderr, "503")
	files := spoolFiles(t, spool)
	require.Len(t, files, 5)
	for _, line := range files {
		require.NotContains(t, line, hecToken, "the spool holds events, not credentials")
	}

	// Receiver back: the same results again plus the spool: each id once.
	h.mu.Lock()
	h.mode = "ok"
	h.mu.Unlock()
	r = execute(t, payload(pw.URL, results(t, dir, 5), conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, spoolFiles(t, spool), "the spool is drained")
	require.Len(t, h.ids, 5, "the same results are the same five events")
	seen := map[string]bool{}
	for _, id := range h.ids {
		require.False(t, seen[id], "id %s delivered twice", id)
		seen[id] = true
	}
	ev := h.events[0]
	require.Equal(t, "security", ev["index"])
	require.Equal(t, "t1102:detection", ev["sourcetype"])
	inner := ev["event"].(map[string]any)
	require.Equal(t, "T1102.003 - Web Service One-Way C2", inner["search_name"])
	require.Contains(t, inner["sid"], "scheduler__")
	require.Equal(t, "T1102.003", inner["mitre"].(map[string]any)["technique_id"])
	fields := inner["fields"].(map[string]any)
	require.Equal(t, []any{"downloader curl.exe", "telegram in CommandLine"}, fields["t1102_reasons"], "multivalue fields arrive as lists")
	require.Equal(t, "telegram", fields["is_legit_webservice"])

	// Sent again later: acknowledged events are not sent twice by the spool,
	// and the receiver can drop repeats of a result by its id.
	r = execute(t, payload(pw.URL, results(t, dir, 5), conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, h.ids, 10)
	require.ElementsMatch(t, h.ids[:5], h.ids[5:], "the same result has the same id")
}

func TestHECInvalidTokenIsNotRetried(t *testing.T) {
	h := &hec{mode: "badtoken"}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	pw := passwords(t)
	defer pw.Close()
	dir := t.TempDir()
	conf := map[string]string{"destination": "hec", "url": srv.URL, "credential": "t1102:hec", "ca_file": caFile(t, srv), "spool_dir": filepath.Join(dir, "s"), "max_time": "20"}
	r := execute(t, payload(pw.URL, results(t, dir, 3), conf), nil)
	require.Equal(t, 4, r.code, r.stderr)
	require.Contains(t, r.stderr, "Invalid token")
	require.Equal(t, 1, h.requests, "a 4xx is not retried")
	require.Len(t, spoolFiles(t, filepath.Join(dir, "s")), 3, "refused events stay in the spool")
}

func TestKilledMidSendIsRedelivered(t *testing.T) {
	h := &hec{mode: "hang", got: make(chan struct{})}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	pw := passwords(t)
	defer pw.Close()
	dir := t.TempDir()
	conf := map[string]string{"destination": "hec", "url": srv.URL, "credential": "t1102:hec", "ca_file": caFile(t, srv), "spool_dir": filepath.Join(dir, "s")}
	first := execute(t, payload(pw.URL, results(t, dir, 4), conf), h.got) // killed once the request arrived
	require.Equal(t, -1, first.code, "killed mid-send, not exited: %s", first.stderr)
	require.Len(t, spoolFiles(t, filepath.Join(dir, "s")), 4)
	h.mu.Lock()
	h.mode = "ok"
	h.mu.Unlock()
	r := execute(t, payload(pw.URL, "", conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, h.ids, 4, "redelivered from the spool")
}

func TestRefusals(t *testing.T) {
	pw := passwords(t)
	defer pw.Close()
	dir := t.TempDir()
	for _, tt := range []struct {
		name, reason string
		conf         map[string]string
		args         []string
		code         int
		says         string
	}{
		{"no execute", "splunkd always passes --execute", map[string]string{}, []string{}, 2, "alert action"},
		{"plain http", "TLS unless explicitly allowed", map[string]string{"destination": "webhook", "url": "http://127.0.0.1:1/x", "spool_dir": dir}, nil, 2, "allow_http"},
		{"bad destination", "hec or webhook", map[string]string{"destination": "email", "url": "https://x"}, nil, 2, "destination"},
		{"hec without credential", "the token comes from storage/passwords only", map[string]string{"destination": "hec", "url": "https://x"}, nil, 2, "credential"},
		{"unknown credential", "a missing secret is its own failure", map[string]string{"destination": "hec", "url": "https://127.0.0.1:1", "credential": "nope", "spool_dir": dir}, nil, 3, "storage/passwords"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			p := payload(pw.URL, "", tt.conf)
			b, _ := json.Marshal(p)
			args := tt.args
			if args == nil {
				args = []string{"--execute"}
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "SPLUNK_HOME="+splunkHome(t, p))
			cmd.Stdin = bytes.NewReader(b)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			cmd.Run()
			require.Equal(t, tt.code, cmd.ProcessState.ExitCode(), stderr.String())
			require.Contains(t, stderr.String(), tt.says)
			require.True(t, strings.HasPrefix(stderr.String(), "ERROR "), "a level word first")
			require.NotContains(t, stderr.String(), sessionKey)
		})
	}
}

func TestWebhookAndTenThousand(t *testing.T) {
	var mu sync.Mutex
	var batches, events int
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+hecToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var got []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		batches++
		events += len(got)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	pw := passwords(t)
	defer pw.Close()
	dir := t.TempDir()
	conf := map[string]string{"destination": "webhook", "url": srv.URL + "/hook", "credential": "t1102:hec", "ca_file": caFile(t, srv),
		"spool_dir": filepath.Join(dir, "s"), "batch_size": "500"}
	start := time.Now()
	r := execute(t, payload(pw.URL, results(t, dir, 10000), conf), nil)
	took := time.Since(start)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 10000, events)
	require.Equal(t, 20, batches)
	t.Logf("10,000 results delivered in %v in %d batches of 500", took.Round(time.Millisecond), batches)
}

// TestSplunkCloudServices: the SDK's ingest call, pointed at a local
// stand-in of the ingest API through its host override.
func TestSplunkCloudServices(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	var path string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		path = r.URL.Path
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+hecToken {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":"unauthorized","message":"bad token"}`)
			return
		}
		var got []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":"bad_request","message":"not JSON"}`)
			return
		}
		mu.Lock()
		for _, ev := range got {
			ids = append(ids, ev["id"].(string))
		}
		mu.Unlock()
		io.WriteString(w, `{"code":"SUCCESS","message":"Success"}`)
	}))
	defer srv.Close()
	pw := passwords(t)
	defer pw.Close()
	dir := t.TempDir()
	conf := map[string]string{"destination": "scs", "url": srv.URL, "tenant": "acme", "credential": "t1102:hec",
		"ca_file": caFile(t, srv), "spool_dir": filepath.Join(dir, "s"), "batch_size": "3"}
	r := execute(t, payload(pw.URL, results(t, dir, 7), conf), nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "/acme/ingest/v1beta2/events", path)
	require.Len(t, ids, 7)
}

// TestSearchCommandsDoNotImportGlog: the Cloud SDK pulls in glog, which
// registers command-line flags at init; only the alert action may link it.
func TestSearchCommandsDoNotImportGlog(t *testing.T) {
	for _, cmd := range []string{"../cmd/t1102score", "../cmd/t1102correlate"} {
		out, err := exec.Command("go", "list", "-deps", cmd).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.NotContains(t, string(out), "github.com/golang/glog", cmd)
		require.NotContains(t, string(out), "splunk-cloud-sdk-go", cmd)
	}
}

// TestPayloadResultWithoutFile: with no results_file, the payload's result
// row is delivered.
func TestPayloadResultWithoutFile(t *testing.T) {
	h := &hec{mode: "ok"}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	pw := passwords(t)
	defer pw.Close()
	conf := map[string]string{"destination": "hec", "url": srv.URL, "credential": "t1102:hec", "ca_file": caFile(t, srv), "spool_dir": filepath.Join(t.TempDir(), "s")}
	p := payload(pw.URL, "", conf)
	p["result"] = map[string]any{"host": "wks-1", "t1102_reasons": []string{"a", "b"}}
	r := execute(t, p, nil)
	require.Equal(t, 0, r.code, r.stderr)
	require.Len(t, h.events, 1)
	require.Equal(t, []any{"a", "b"}, h.events[0]["event"].(map[string]any)["fields"].(map[string]any)["t1102_reasons"])
}
