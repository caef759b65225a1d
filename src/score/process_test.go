package score_test

// Tests of the real t1102score executable, driven as a process by the
// splunkd emulator, by recorded splunkd traffic and by malformed input.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/internal/testbin"
	"github.com/t1102app/t1102/src/splunkd"
)

var (
	scoreBin string // the real command, built by TestMain
	echoBin  string // a command that sends each body back untouched
)

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(_ string, b []string) error {
		scoreBin, echoBin = b[0], b[1]
		var err error
		repo, err = filepath.Abs(filepath.Join("..", ".."))
		scoreArgv = []string{scoreBin, "-app-dir", repo}
		return err
	}, "../cmd/t1102score", "../splunkd/internal/echocmd"))
}

// repo is the source tree, laid out like the app; scoreArgv runs the
// binary (built outside it) with its catalogs, as command.arg would.
var (
	repo      string
	scoreArgv []string
)

func atomicEvents(t testing.TB) *splunkd.Table {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	defer f.Close()
	tab, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	return tab
}

// TestThroughEmulator: however splunkd chunks, spreads and ends the input,
// the command's output is the same and every protocol rule holds.
func TestThroughEmulator(t *testing.T) {
	events := atomicEvents(t)
	run := func(t *testing.T, s splunkd.Search) *splunkd.Result {
		t.Helper()
		s.Argv, s.Input, s.Collect = scoreArgv, events, true
		res, err := splunkd.Run(context.Background(), s)
		require.NoError(t, err)
		for _, p := range res.Processes {
			require.Zero(t, p.ExitCode, "%s exits 0", p.Name)
		}
		return res
	}
	for _, filter := range []string{"false", "true"} {
		base := run(t, splunkd.Search{Args: []string{"filter=" + filter}})
		want := base.Table.Canonical()
		require.NotEmpty(t, want)
		require.Equal(t, "streaming", base.Config.Type)
		variants := []struct {
			name   string
			reason string
			s      splunkd.Search
		}{
			{"one row per chunk", "splunkd's batch sizes vary down to one row", splunkd.Search{ChunkRows: 1}},
			{"three rows per chunk", "rows of one process split over chunks", splunkd.Search{ChunkRows: 3}},
			{"header-only end", "Splunk 8.2.1 ends with a header-only finished chunk", splunkd.Search{ChunkRows: 4, FinalHeaderOnly: true}},
			{"crlf", "the Python SDK's line ends", splunkd.Search{CRLF: true}},
			{"three indexers", "streaming commands run on every search peer", splunkd.Search{Indexers: 3, ChunkRows: 2}},
			{"seven indexers", "more peers than some have rows", splunkd.Search{Indexers: 7}},
			{"probes", "the search optimizer's probe processes", splunkd.Search{Probes: 3}},
		}
		for _, v := range variants {
			t.Run("filter="+filter+"/"+v.name, func(t *testing.T) {
				require.NotEmpty(t, v.reason)
				v.s.Args = []string{"filter=" + filter}
				require.Equal(t, want, run(t, v.s).Table.Canonical())
			})
		}
	}
}

// TestFilterThroughEmulator checks what reaches the user: the rows the SPL
// keeps, merged back with the fields splunkd did not send.
func TestFilterThroughEmulator(t *testing.T) {
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: scoreArgv, Args: []string{"filter=true"}, Input: atomicEvents(t), Collect: true,
	})
	require.NoError(t, err)
	tab := res.Table
	var got []string
	for i := range tab.Rows {
		got = append(got, strings.Join([]string{first(tab.Get(i, "EventCode")), first(tab.Get(i, "t1102_seen_in")),
			first(tab.Get(i, "t1102_host")), first(tab.Get(i, "is_legit_webservice")), first(tab.Get(i, "ProcessId"))}, " "))
	}
	// One event is judged on its own: the process creations carry the
	// command line's evidence and alert; the DNS query and connection of
	// the same processes (no command line on Sysmon 3 and 22) are a
	// script engine reaching a service, 35 at most, under the threshold.
	// Python's query of raw.githubusercontent.com alerts on its own
	// (script engine, C&C-tagged raw host). t1102correlate joins them.
	// The script blocks (4104) and the task created (4698) are judged on
	// their own too: the text PowerShell ran, the task's action.
	require.Equal(t, []string{
		"1 CommandLine pastebin.com pastebin 6120",
		"4104 ScriptBlockText pastebin.com pastebin ",
		"1 CommandLine raw.githubusercontent.com github 7344",
		"22 QueryName raw.githubusercontent.com github 7344",
		"1 CommandLine api.telegram.org telegram 8012",
		"4698 EncodedCommand github.com github ",
		"1 EncodedCommand github.com github 5520",
		"4104 ScriptBlockText github.com github ",
	}, got)
}

func TestArgumentErrorThroughEmulator(t *testing.T) {
	_, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: scoreArgv, Args: []string{"filter=maybe"}, Input: atomicEvents(t),
	})
	var ce *splunkd.CommandError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, ce.Text, `"maybe" is not a boolean`)
	require.NotZero(t, ce.ExitCode)
}

func sharedDir(t *testing.T) string {
	dir := filepath.Join("..", "..", "..", "shared", "scpv2", "recordings")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("recordings not found at %s (../shared sits beside a full checkout; a fresh clone has none): %v", dir, err)
	}
	return dir
}

func readRecording(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		b, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	return b
}

// TestReplayRecordings feeds every recorded splunkd→command stream to
// t1102score, the recording's arguments replaced by none: one well-formed
// reply per message and a clean exit. The two streams that are not valid
// SCP v2 (a hand-edited, truncated one and a protocol v1 one) must end in an
// error reply that says where, and a non-zero exit.
func TestReplayRecordings(t *testing.T) {
	dir := sharedDir(t)
	var files []string
	require.NoError(t, filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		name := info.Name()
		if strings.Contains(name, ".input") || strings.Contains(name, "splunk-to-command") ||
			strings.HasPrefix(name, "multibyte_input") || strings.HasPrefix(name, "v1_search_input") {
			files = append(files, path)
		}
		return nil
	}))
	require.GreaterOrEqual(t, len(files), 16, "every recording is found")
	broken := map[string]string{
		"generatehello.input.gz": "input ended inside a chunk", // header says 150 body bytes, none follow
		"v1_search_input.gz":     "malformed chunk header",     // Intersplunk, not chunked
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			stream := readRecording(t, path)
			if want, ok := broken[name]; ok {
				if bytes.HasPrefix(stream, []byte("chunked")) {
					stream = noArgs(t, stream)
				}
				out, code := runRaw(t, stream)
				replies := readAll(t, out)
				require.NotEmpty(t, replies)
				requireErrorReply(t, replies[len(replies)-1], want)
				require.Equal(t, 1, code)
				return
			}
			tr, err := splunkd.Replay(context.Background(), scoreArgv, stream, splunkd.ReplayOptions{NoArgs: true, Timeout: time.Minute})
			require.NoError(t, err)
			require.Equal(t, len(tr.Requests), len(tr.Replies), "one reply per message")
			require.Zero(t, tr.ExitCode, tr.Stderr)
			require.Equal(t, "streaming", tr.Replies[0].Meta["type"])
			// filter=false keeps every row and adds the eight fields.
			for i := 1; i < len(tr.Requests); i++ {
				var in, out chunked.Table
				require.NoError(t, in.Parse(tr.Requests[i].Body))
				require.NoError(t, out.Parse(tr.Replies[i].Body))
				require.Equal(t, in.Len(), out.Len(), "message %d: rows in, rows out", i)
				if in.Len() > 0 {
					require.GreaterOrEqual(t, out.Index("suspicion_score"), 0)
					for _, f := range in.Fields() {
						require.GreaterOrEqual(t, out.Index(f), 0, "input field %s kept", f)
					}
				}
			}
		})
	}
}

// runRaw runs the command on raw stdin bytes and returns stdout and the
// exit status; a command that does not exit within 5 s fails the test.
func runRaw(t *testing.T, stdin []byte, argv ...string) ([]byte, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, scoreBin, append([]string{"-app-dir", repo}, argv...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "the command must not hang")
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	if code != 0 {
		require.Contains(t, errb.String(), "ERROR ", "stderr says why, with a level word first")
	}
	return out.Bytes(), code
}

type replyMeta struct {
	Finished  *bool  `json:"finished"`
	Error     string `json:"error"`
	Inspector struct {
		Messages [][2]string `json:"messages"`
	} `json:"inspector"`
}

// readAll parses the command's stdout strictly and returns each reply's
// metadata.
func readAll(t *testing.T, out []byte) []replyMeta {
	t.Helper()
	r := chunked.NewReader(bytes.NewReader(out))
	var metas []replyMeta
	for {
		m, err := r.Next()
		if err == io.EOF {
			return metas
		}
		require.NoError(t, err, "the command's output is always well-formed")
		var rm replyMeta
		require.NoError(t, json.Unmarshal(m.Meta, &rm))
		metas = append(metas, rm)
	}
}

// requireErrorReply checks a fatal error reply: finished, the error text,
// and the same text as an inspector ERROR.
func requireErrorReply(t *testing.T, rm replyMeta, says string) {
	t.Helper()
	require.NotNil(t, rm.Finished)
	require.True(t, *rm.Finished)
	require.Contains(t, rm.Error, says)
	require.NotEmpty(t, rm.Inspector.Messages)
	require.Equal(t, [2]string{"ERROR", rm.Error}, rm.Inspector.Messages[len(rm.Inspector.Messages)-1])
}

// noArgs replaces the arguments of a stream's getinfo by none, leaving the
// rest of the stream byte for byte (it may be broken on purpose).
func noArgs(t *testing.T, stream []byte) []byte {
	t.Helper()
	r := chunked.NewReader(bytes.NewReader(stream))
	m, err := r.Next()
	require.NoError(t, err)
	var meta map[string]any
	require.NoError(t, json.Unmarshal(m.Meta, &meta))
	si := meta["searchinfo"].(map[string]any)
	si["args"], si["raw_args"] = []string{}, []string{}
	b, err := json.Marshal(meta)
	require.NoError(t, err)
	return append([]byte(frame(string(b), "")), stream[r.Offset():]...)
}

func frame(meta, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}

const getinfoMsg = `{"action":"getinfo","preview":false,"searchinfo":{"args":[],"session_key":"do-not-leak-0xC0FFEE","command":"t1102score"}}`

// TestBadInput: every kind of broken input ends in an error reply that says
// where, a non-zero exit and bounded memory, never a hang or a crash.
func TestBadInput(t *testing.T) {
	gi := frame(getinfoMsg, "")
	tests := []struct {
		name   string
		reason string
		input  string
		argv   []string
		says   string
	}{
		{"bad header", "malformed framing", gi + "chunked 1.0,abc,0\n", nil, fmt.Sprintf("chunk 1, byte %d: malformed chunk header", len(gi))},
		{"not json", "metadata that is not JSON", gi + frame("{oops", ""), nil, "metadata is not a JSON object"},
		{"csv error", "a CSV error names chunk, row and field", gi + frame(`{"action":"execute","finished":true}`, "EventCode,Image\n3,\"x\"y\n"), nil, `row 1, field "Image": bad quoting`},
		{"over the cap", "a declared length over the cap is refused before reading", gi + "chunked 1.0,36,999999999999\n", nil, "body of 999999999999 bytes, limit 1073741824"},
		{"cap from commands.conf", "command.arg lowers the cap", gi + "chunked 1.0,36,5000\n", []string{"-max-chunk-bytes", "4096"}, "limit 4096"},
		{"declared but absent", "900 MB announced, 10 bytes sent, then EOF", gi + "chunked 1.0,36,900000000\n{\"action\":\"execute\",\"finished\":true}EventCode\n", nil, "input ended inside a chunk"},
		{"bad argument", "an unknown argument", frame(strings.Replace(getinfoMsg, `"args":[]`, `"args":["bogus=1"]`, 1), ""), nil, `unknown argument "bogus"`},
		{"bad flag", "a misconfigured command.arg is shown in Splunk", gi, []string{"-nope"}, "commands.conf command.arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			start := time.Now()
			out, code := runRaw(t, []byte(tt.input), tt.argv...)
			t.Logf("exit %d after %v", code, time.Since(start).Round(time.Millisecond))
			require.Equal(t, 1, code)
			metas := readAll(t, out)
			require.NotEmpty(t, metas)
			requireErrorReply(t, metas[len(metas)-1], tt.says)
			require.NotContains(t, string(out), "C0FFEE", "the session key never leaks")
		})
	}
}

// TestMemoryBoundedByInput: a length announced but not sent costs only
// what was sent. The peak is read from /proc while the command waits for
// the rest of the body (rusage of a child would count the test's pages).
func TestMemoryBoundedByInput(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this platform")
	}
	cmd := exec.Command(scoreBin, "-app-dir", repo)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	sent, err := io.WriteString(stdin, frame(getinfoMsg, "")+"chunked 1.0,36,1000000000\n{\"action\":\"execute\",\"finished\":true}"+strings.Repeat("a", 8<<20))
	require.NoError(t, err)
	// The write returns with up to a pipe buffer still unread: wait until
	// the command has read everything (rchar of /proc/<pid>/io), so the
	// peak below is taken with the whole 8 MiB inside it.
	require.Eventually(t, func() bool {
		io, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", cmd.Process.Pid))
		if err != nil {
			return false
		}
		for _, line := range strings.Split(string(io), "\n") {
			if v, ok := strings.CutPrefix(line, "rchar:"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				return err == nil && n >= int64(sent)
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "the command reads the %d bytes sent", sent)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	require.NoError(t, err)
	var hwm int64
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			_, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &hwm)
			require.NoError(t, err)
		}
	}
	t.Logf("peak RSS %d MiB for a 1 GB declaration with 8 MiB sent", hwm>>10)
	require.Positive(t, hwm)
	require.Less(t, hwm<<10, int64(64<<20), "memory follows the bytes received, not the declaration")
	stdin.Close()
	err = cmd.Wait()
	require.Equal(t, 1, cmd.ProcessState.ExitCode(), "%v", err)
}

func first(v splunkd.Value) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// TestRenamedFieldMissingWarns: a <name>_field= argument naming a field
// the input does not have gets one inspector WARN per process, naming the
// argument and the field, however many chunks follow; a field that is
// there gets none.
func TestRenamedFieldMissingWarns(t *testing.T) {
	events := atomicEvents(t)
	for _, tt := range []struct {
		name, reason string
		args         []string
		indexers     int
		want         []string // the WARN texts expected, each once per process
	}{
		{"misspelt", "CommandLine spelt as Sysmon does not", []string{"commandline_field=Commandline"}, 1,
			[]string{`t1102score: commandline_field=Commandline: the input has no field "Commandline"`}},
		{"present", "a renamed field that exists is not reported", []string{"image_field=Image", "host_field=host"}, 1, nil},
		{"one of two", "each argument is judged on its own", []string{"image_field=Image", "user_field=account"}, 1,
			[]string{`t1102score: user_field=account: the input has no field "account"`}},
		{"per indexer", "each indexer's process says it once", []string{"queryname_field=dns_query"}, 3,
			[]string{`t1102score: queryname_field=dns_query: the input has no field "dns_query"`}},
		{"legacy", "logic=legacy reads the renamed fields too", []string{"logic=legacy", "destinationhostname_field=dst"}, 1,
			[]string{`t1102score: destinationhostname_field=dst: the input has no field "dst"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			res, err := splunkd.Run(context.Background(), splunkd.Search{Argv: scoreArgv, Args: tt.args, Input: events,
				ChunkRows: 2, Indexers: tt.indexers, Collect: true})
			require.NoError(t, err)
			require.Greater(t, len(events.Rows), 2*tt.indexers, "several chunks per process")
			var warns []string
			for _, m := range res.Messages {
				if m.Level == "WARN" {
					warns = append(warns, m.Text)
				}
			}
			require.Len(t, warns, len(tt.want)*tt.indexers, "once per process, not per chunk or row: %q", warns)
			for _, w := range warns {
				matched := false
				for _, want := range tt.want {
					matched = matched || strings.HasPrefix(w, want)
				}
				require.True(t, matched, "unexpected WARN %q", w)
			}
		})
	}
}
