package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/internal/exit"
)

// never is a command that must not be configured.
type never struct{ t *testing.T }

func (n never) Configure(*chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	n.t.Fatal("configured")
	return chunked.Config{}, nil, nil
}

func runMain(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Name: "cmd", Version: "v1", Memory: AcrossChunks,
		NewCommand: func(string) chunked.Command { return never{t} },
		Stdin:      strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	code = exit.Report(&errb, "ERROR ", m.Run(context.Background(), args))
	return code, out.String(), errb.String()
}

// TestHelpAndVersion: -h prints the flags on stderr and reads nothing
// (status 0); -version prints on stdout.
func TestHelpAndVersion(t *testing.T) {
	for _, h := range []string{"-h", "-help"} {
		code, out, errs := runMain(t, "not the protocol", h)
		require.Equal(t, 0, code)
		require.Empty(t, out, "stdout is the protocol's")
		require.Contains(t, errs, "usage: cmd [flags]")
		require.Contains(t, errs, "-app-dir")
	}
	code, out, errs := runMain(t, "", "-version")
	require.Equal(t, 0, code, errs)
	require.Equal(t, "cmd v1\n", out)
}

// TestNoInput: started with nothing to read (no arguments, as splunkd
// runs it), the command ends cleanly.
func TestNoInput(t *testing.T) {
	code, out, errs := runMain(t, "")
	require.Equal(t, 0, code, errs)
	require.Empty(t, out)
}

// TestBadFlag: an unknown flag (a wrong commands.conf command.arg.N) is
// told to splunkd in the getinfo reply and logged, status 1.
func TestBadFlag(t *testing.T) {
	getinfo := `{"action":"getinfo","preview":false,"searchinfo":{"args":[],"command":"cmd"}}`
	in := "chunked 1.0," + strconv.Itoa(len(getinfo)) + ",0\n" + getinfo
	code, out, errs := runMain(t, in, "-nope")
	require.Equal(t, 1, code)
	require.Contains(t, out, "commands.conf command.arg", "splunkd is told")
	require.True(t, strings.HasPrefix(errs, "ERROR "), errs)
	require.Contains(t, errs, "flag provided but not defined: -nope")
}
