package emucli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// The backtest fixture of package backtest: a tiny app, its events.
const (
	btApp    = "../../backtest/testdata/app"
	btEvents = "../../backtest/testdata/events.csv"
)

func TestBacktestCommandLine(t *testing.T) {
	code, out, errs := runMain(t, "backtest", "-app", btApp, "-events", btEvents, "-source", "bt:proc",
		"-from", "2026-11-20T00:00:00Z", "-to", "2026-11-21T00:00:00Z", "-indexers", "2",
		"-command", "btcount="+btcountBin, "-search", "bt_hourly", "-search", "bt_alert", "-fields", "host,count")
	require.Equal(t, ExitOK, code, errs)
	want := "" +
		"trigger_time          search    results  host   count\n" +
		"--------------------  --------  -------  -----  -----\n" +
		"2026-11-20T10:05:00Z  bt_alert  1        wks-1  6\n" +
		"2026-11-20T16:05:00Z  bt_alert  1        wks-3  7\n" +
		"\n" +
		"summary (2026-11-20T00:00:00Z to 2026-11-21T00:00:00Z):\n"
	require.True(t, strings.HasPrefix(out, want), "one line per alert, then the summary:\n%s", out)
	require.Regexp(t, `(?m)^bt_alert\s+24\s+4\s+4\s+2\s+2$`, out, "runs, results, triggered, alerts, suppressed")
	require.Regexp(t, `(?m)^bt_hourly\s+24\s+`, out)
	require.NotContains(t, out, "bt_known", "-search selects")
}

func TestBacktestCSV(t *testing.T) {
	code, out, errs := runMain(t, "backtest", "-app", btApp, "-events", btEvents, "-source", "bt:proc",
		"-from", "2026-11-20T00:00:00Z", "-to", "2026-11-20T07:00:00Z", "-command", "btcount="+btcountBin, "-output", "csv")
	require.Equal(t, ExitOK, code, errs)
	tb, err := splunkd.ReadTable(strings.NewReader(out), "csv")
	require.NoError(t, err, out)
	require.Equal(t, []string{"count=9|host=wks-0|results=1|search=bt_known|status=known|trigger_time=2026-11-20T06:00:00Z"}, tb.Canonical(),
		"the app's lookup, as shipped, through bt_known's digest alert")
	require.Contains(t, errs, "summary (", "with -output csv the summary goes to stderr")
}

func TestBacktestUsage(t *testing.T) {
	ok := []string{"-app", btApp, "-events", btEvents, "-from", "2026-11-20T00:00:00Z", "-to", "2026-11-20T01:00:00Z", "-command", "btcount=" + btcountBin}
	with := func(extra ...string) []string { return append(append([]string{"backtest"}, ok...), extra...) }
	cases := []struct {
		name, reason string
		args         []string
		code         int
		stderr       string
	}{
		{"missing flags", "-app, -events, -from and -to are required", []string{"backtest", "-app", btApp}, ExitUsage, "required"},
		{"bad time", "-from is RFC 3339", with("-from", "yesterday"), ExitUsage, "-from"},
		{"bad output", "table or csv", with("-output", "json"), ExitUsage, "-output"},
		{"unknown search", "a name that is not a scheduled search", with("-search", "nope"), ExitUsage, `no saved search "nope"`},
		{"missing events file", "the events must be readable", []string{"backtest", "-app", btApp, "-events", "nope.csv", "-from", "2026-11-20T00:00:00Z", "-to", "2026-11-20T01:00:00Z"}, ExitUsage, "nope.csv"},
		{"failing command", "a search that fails names itself and exits 1", with("-command", "btcount=/nonexistent/btcount", "-search", "bt_hourly"), ExitCommandError, `search "bt_hourly" (run scheduled at 2026-11-20T00:00:00Z), segment 2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := runMain(t, c.args...)
			require.Equal(t, c.code, code, "%s: %s", c.reason, errs)
			require.Contains(t, errs, c.stderr)
		})
	}
}
