package emucli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/backtest"
)

const backtestUsage = `usage:
  splunkdemu backtest -app <dir> -events a.csv[,b.csv] -from <RFC3339> -to <RFC3339>
                      [-search name]... [-first name]... [-indexers N] [-fields f1,f2] [-source src]
                      [-state dir] [-output table|csv]

Replays the app's scheduled searches (savedsearches.conf, enableSched = 1,
shipped disabled or not) minute by minute from -from to -to, as splunkd's
scheduler would: cron_schedule, dispatch.earliest_time/latest_time relative
to each scheduled time, the app's macros, lookups and summary indexes kept
across runs, custom commands run as their executables through the emulator.
-first runs a saved search once at -from before the schedule (a backfill).
Prints one line per alert raised (trigger time, search, result fields), then
runs, results, alerts and suppressed alerts per search (on stderr with
-output csv).

Exit status: 0 success, 1 a search failed, 64 usage.

flags:
`

// mainBacktest is "splunkdemu backtest".
func mainBacktest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("splunkdemu backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, backtestUsage)
		fs.PrintDefaults()
	}
	appDir := fs.String("app", "", "the app folder (default/, local/, lookups/, bin/); required")
	events := fs.String("events", "", "comma-separated CSV events files (_time RFC 3339 or epoch seconds); required")
	fromFlag := fs.String("from", "", "first scheduled minute, RFC 3339; required")
	toFlag := fs.String("to", "", "end of the backtest (exclusive), RFC 3339; required")
	indexers := fs.Int("indexers", 1, "simulated search peers the custom commands run on")
	fieldsFlag := fs.String("fields", "", "comma-separated result fields to print per alert (default all but internal ones)")
	source := fs.String("source", backtest.DefaultSource, "source of events that have none")
	stateDir := fs.String("state", "", "working folder for lookups (copied from the app's at first) and summary indexes, kept after the run (default a temporary one)")
	inApp := fs.Bool("lookups-in-app", false, "read and write lookups in the app's own lookups folder (outputlookup then changes the app)")
	output := fs.String("output", "table", "alert output format: table or csv")
	tz := fs.String("tz", "UTC", "the search head's time zone (IANA name), for cron and snapping time modifiers")
	timeout := fs.Duration("timeout", 30*time.Second, "per-reply and per-exit timeout of custom commands")
	var searches, commands, first stringList
	fs.Var(&searches, "search", "`name` of a saved search to run (repeatable; default every scheduled one)")
	fs.Var(&first, "first", "`name` of a saved search, scheduled or not, to run once at -from before the schedule, such as a backfill (repeatable)")
	fs.Var(&commands, "command", "`name=path`: executable of a custom command instead of the app's bin/ one (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "splunkdemu backtest: "+format+"\n", a...)
		return ExitUsage
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	if *appDir == "" || *events == "" || *fromFlag == "" || *toFlag == "" {
		return usage("-app, -events, -from and -to are required (-h for help)")
	}
	from, err := time.Parse(time.RFC3339, *fromFlag)
	if err != nil {
		return usage("-from: %v", err)
	}
	to, err := time.Parse(time.RFC3339, *toFlag)
	if err != nil {
		return usage("-to: %v", err)
	}
	if *output != "table" && *output != "csv" {
		return usage("-output %q: want table or csv", *output)
	}
	if *indexers < 1 {
		return usage("-indexers must be at least 1")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return usage("-tz: %v", err)
	}
	cmds := map[string][]string{}
	for _, c := range commands {
		n, path, ok := strings.Cut(c, "=")
		if !ok || n == "" || path == "" {
			return usage("-command %q: want name=path", c)
		}
		cmds[n] = []string{path}
	}
	var fields []string
	if *fieldsFlag != "" {
		fields = strings.Split(*fieldsFlag, ",")
	}

	app, err := backtest.LoadApp(*appDir)
	if err != nil {
		return usage("%v", err)
	}
	ev, err := backtest.ReadEvents(strings.Split(*events, ","), *source)
	if err != nil {
		return usage("%v", err)
	}
	state, err := backtest.OpenState(*stateDir, app, *inApp)
	if err != nil {
		return usage("%v", err)
	}
	eng := &backtest.Engine{App: app, State: state, Events: ev, Indexers: *indexers, Commands: cmds, Location: loc, Timeout: *timeout}
	rep, err := backtest.Run(ctx, eng, backtest.Options{From: from, To: to, Searches: searches, First: first, Location: loc})
	closeErr := state.Close()
	for _, m := range eng.Messages {
		fmt.Fprintln(stderr, m)
	}
	if err != nil {
		fmt.Fprintln(stderr, "splunkdemu backtest:", err)
		if errors.Is(err, backtest.ErrConf) {
			return ExitUsage
		}
		return ExitCommandError
	}
	if closeErr != nil {
		fmt.Fprintln(stderr, "splunkdemu backtest: saving the state:", closeErr)
		return ExitCommandError
	}
	if err := backtest.WriteAlerts(stdout, rep, fields, *output); err != nil {
		fmt.Fprintln(stderr, "splunkdemu backtest:", err)
		return ExitCommandError
	}
	summary := stdout
	if *output == "csv" {
		summary = stderr
	} else {
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(summary, "summary (%s to %s):\n", from.Format(time.RFC3339), to.Format(time.RFC3339))
	if err := backtest.WriteSummary(summary, rep); err != nil {
		fmt.Fprintln(stderr, "splunkdemu backtest:", err)
		return ExitCommandError
	}
	return ExitOK
}
