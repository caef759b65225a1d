package emucli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/internal/testbin"

	"github.com/t1102app/t1102/src/splunkd"
)

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = exit.Report(&errb, "", (&Main{Stdout: &out, Stderr: &errb}).Run(context.Background(), args))
	return code, out.String(), errb.String()
}

func TestMainTable(t *testing.T) {
	code, out, errs := runMain(t, "-input", td+"/events.csv", "-fields", "host,tags,DestinationHostname", "--", echoBin)
	require.Equal(t, ExitOK, code, errs)
	want := "" +
		"host          tags      DestinationHostname\n" +
		"------------  --------  -------------------\n" +
		"WKS-0142      web       api.telegram.org\n" +
		"              c2\n" +
		"WKS-0077                discord.com\n" +
		"LAPTOP-9F3K2  say \"hi\"\n"
	require.Equal(t, want, out, "aligned columns, multivalues on separate lines, -fields selects and orders")
}

func TestMainOutputsRoundTrip(t *testing.T) {
	in, err := os.Open(td + "/events.jsonl")
	require.NoError(t, err)
	want, err := splunkd.ReadTable(in, "jsonl")
	in.Close()
	require.NoError(t, err)
	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			code, out, errs := runMain(t, "-input", td+"/events.jsonl", "-output", format, "-indexers", "1", "-chunk-rows", "1", "--", echoBin)
			require.Equal(t, ExitOK, code, errs)
			readFormat := map[string]string{"csv": "csv", "json": "jsonl"}[format]
			got, err := splunkd.ReadTable(strings.NewReader(out), readFormat)
			require.NoError(t, err, out)
			require.Equal(t, want.Canonical(), got.Canonical())
		})
	}
}

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		reason string
	}{
		{"ok", []string{"--", echoBin}, ExitOK, "", "no input is fine"},
		{"command error", []string{"-input", td + "/events.csv", "-command-arg=-mode", "-command-arg=error1", "--", fakeBin}, ExitCommandError, "boom", "the command's error text is printed"},
		{"inspector", []string{"-command-arg=-mode", "-command-arg=error1", "-input", td + "/events.csv", "--", fakeBin}, ExitCommandError, "ERROR: boom", "inspector messages as LEVEL: text"},
		{"violation", []string{"-timeout", "1s", "-command-arg=-mode", "-command-arg=space-header", "--", fakeBin}, ExitViolation, "process probe1, message 0, stdout byte offset 12", "violations name process, message and offset"},
		{"bad register", []string{"-register", "x", "--", echoBin}, ExitUsage, "want name=path", "usage error"},
		{"no command", nil, ExitUsage, "missing command", "usage error"},
		{"bad flag", []string{"-nope", "--", echoBin}, ExitUsage, "flag provided but not defined", "usage error"},
		{"bad output", []string{"-output", "xml", "--", echoBin}, ExitUsage, "want table, csv or json", "usage error"},
		{"missing input", []string{"-input", td + "/none.csv", "--", echoBin}, ExitUsage, "none.csv", "unreadable input is a usage error"},
		{"unknown extension", []string{"-input", td + "/events.txt", "--", echoBin}, ExitUsage, "-format", "format from the extension"},
		{"missing executable", []string{"--", "/nonexistent/cmd"}, ExitCommandError, "/nonexistent/cmd", "the command cannot run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runMain(t, tt.args...)
			require.Equal(t, tt.code, code, errs)
			require.Contains(t, errs, tt.stderr, tt.reason)
		})
	}
}

func TestMainSearchArgs(t *testing.T) {
	code, _, errs := runMain(t, "-probes", "0", "-command-arg=-mode", "-command-arg=dump-getinfo", "--", fakeBin, `pattern="\w+"`, "window=60")
	require.Equal(t, ExitOK, code, errs)
	require.Contains(t, errs, `"args":["pattern=\\w+","window=60"],"raw_args":["pattern=\"\\w+\"","window=60"]`,
		"everything after the executable is search args, tokenised like SPL")
	require.Contains(t, errs, `"command":"fakecmd"`)
}

func TestMainReplay(t *testing.T) {
	// A hand-made 8.2.1-shaped stream: getinfo, two data chunks with
	// _chunked_idx, a header-only final chunk.
	path := filepath.Join("testdata", "stream.bin")
	code, out, errs := runMain(t, "-replay", path, "-no-args", "--", echoBin)
	require.Equal(t, ExitOK, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	require.Equal(t, `0 getinfo command=upper args=[] -> {"type":"streaming"} rows=0 (0 B)`, lines[0])
	require.True(t, strings.HasPrefix(lines[1], `1 execute finished=false rows=2 (`), lines[1])
	require.Contains(t, lines[1], `-> {"finished":false} rows=2`)
	require.Equal(t, "exit status 0", lines[4])

	bad := filepath.Join(t.TempDir(), "bad.bin")
	require.NoError(t, os.WriteFile(bad, []byte("chunked 1.0,2,10\n{}"), 0o644))
	code, _, errs = runMain(t, "-replay", bad, "--", echoBin)
	require.Equal(t, ExitUsage, code)
	require.Contains(t, errs, "message 0 at offset 0")

	code, _, errs = runMain(t, "-replay", path, "--", fakeBin, "-mode", "wrong-finished")
	require.Equal(t, ExitViolation, code, "argv after the executable in replay mode")
	require.Contains(t, errs, "finished")
}

// td holds the emulator's own test inputs, shared with package splunkd.
var td = filepath.Join("..", "..", "splunkd", "testdata")

// Paths of the emulator's helper commands (package splunkd's test
// commands) and of the backtest's test double, built once by TestMain.
var (
	echoBin    string
	fakeBin    string
	btcountBin string
)

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(_ string, b []string) error { echoBin, fakeBin, btcountBin = b[0], b[1], b[2]; return nil },
		"../../splunkd/internal/echocmd", "../../splunkd/internal/fakecmd", "../../backtest/internal/btcount"))
}
