package forward_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/forward"
)

// mounted returns the command prefix that runs a program with a tmpfs of
// the given mount options at dir, in a mount namespace of its own (the
// test's machine never sees it). Skips where that is not permitted.
func mounted(t *testing.T, dir, opts string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small or read-only tmpfs for the spool needs root (unshare -m)")
	}
	if err := exec.Command("unshare", "-m", "sh", "-c", `mount -t tmpfs -o size=64k tmpfs "$0"`, t.TempDir()).Run(); err != nil {
		t.Skipf("unshare -m and mount are not permitted here: %v", err)
	}
	return []string{"unshare", "-m", "sh", "-c", `mount -t tmpfs -o "$0" tmpfs "$1" && shift && exec "$@"`, opts, dir}
}

// TestSpoolFailsReceiverUp: when the spool cannot take the results (a
// read-only or full filesystem) and the receiver is up, every result is
// delivered directly, and the log says the spool failed.
func TestSpoolFailsReceiverUp(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		opts         string
		n            int
	}{
		{"read-only", "nothing can be spooled, not even the folder", "size=64k,ro", 50},
		{"full", "2,000 results do not fit in 64 KiB: the first batches are spooled, the rest are not", "size=64k", 2000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &counting{}
			srv := httptest.NewTLSServer(c)
			defer srv.Close()
			dir := t.TempDir()
			spool := filepath.Join(dir, "spool")
			require.NoError(t, os.Mkdir(spool, 0o700))
			wrap := mounted(t, spool, tt.opts)
			conf := webhookConf(t, srv, "/hook", spool)
			conf["max_time"] = "30"
			p := payload("https://127.0.0.1:1", resultsNamed(t, dir, "h", tt.n), conf)
			r := executeWith(t, splunkHome(t, p), p, wrap, nil)
			distinct, twice := c.got()
			require.Equal(t, tt.n, distinct, "%s: every result delivered: %s", tt.reason, r.stderr)
			require.Zero(t, twice)
			require.Equal(t, forward.ExitSpool, r.code, "the broken spool is the administrator's to fix: %s", r.stderr)
			m := regexp.MustCompile(`(?m)^ERROR t1102_forward: spool .*: (\d+) results of this run not spooled: (\d+) delivered directly, 0 lost`).FindStringSubmatch(r.stderr)
			require.NotNil(t, m, "the log says the spool failed and that nothing was lost: %s", r.stderr)
			require.Equal(t, m[1], m[2], "everything not spooled was delivered directly")
			require.NotEqual(t, "0", m[1])
		})
	}
}

// TestSpoolFailsReceiverDown: what the spool could not take and the
// receiver did not take is lost, and the log says how many.
func TestSpoolFailsReceiverDown(t *testing.T) {
	c := &counting{busy: true}
	srv := httptest.NewTLSServer(c)
	defer srv.Close()
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	require.NoError(t, os.Mkdir(spool, 0o700))
	wrap := mounted(t, spool, "size=64k,ro")
	conf := webhookConf(t, srv, "/hook", spool)
	conf["max_time"] = "1"
	p := payload("https://127.0.0.1:1", resultsNamed(t, dir, "h", 40), conf)
	r := executeWith(t, splunkHome(t, p), p, wrap, nil)
	require.Equal(t, forward.ExitSpool, r.code, r.stderr)
	require.Regexp(t, `(?m)^ERROR t1102_forward: spool .*: 40 results of this run not spooled: 0 delivered directly, 40 lost`, r.stderr)
}
