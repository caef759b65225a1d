package emucli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/backtest"
	"github.com/t1102app/t1102/src/internal/exit"
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

// backtestOptions are splunkdemu backtest's flags, read and checked.
type backtestOptions struct {
	app      *backtest.App
	events   []string // events files
	source   string   // source of events that have none
	stateDir string
	inApp    bool
	fields   []string // result fields per alert (nil: all)
	output   string   // table or csv
	engine   backtest.Engine
	run      backtest.Options
}

// backtestUsageError is a usage error of splunkdemu backtest.
func backtestUsageError(format string, a ...any) error {
	return exit.Errorf(ExitUsage, "splunkdemu backtest: "+format, a...)
}

// backtestFlags reads the command line of "splunkdemu backtest" and the
// app it names.
func (m *Main) backtestFlags(args []string) (backtestOptions, error) {
	var o backtestOptions
	fs := flag.NewFlagSet("splunkdemu backtest", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, backtestUsage)
		fs.PrintDefaults()
	}
	appDir := fs.String("app", "", "the app folder (default/, local/, lookups/, bin/); required")
	events := fs.String("events", "", "comma-separated CSV events files (_time RFC 3339 or epoch seconds); required")
	fromFlag := fs.String("from", "", "first scheduled minute, RFC 3339; required")
	toFlag := fs.String("to", "", "end of the backtest (exclusive), RFC 3339; required")
	indexers := fs.Int("indexers", 1, "simulated search peers the custom commands run on")
	fieldsFlag := fs.String("fields", "", "comma-separated result fields to print per alert (default all but internal ones)")
	fs.StringVar(&o.source, "source", backtest.DefaultSource, "source of events that have none")
	fs.StringVar(&o.stateDir, "state", "", "working folder for lookups (copied from the app's at first) and summary indexes, kept after the run (default a temporary one)")
	fs.BoolVar(&o.inApp, "lookups-in-app", false, "read and write lookups in the app's own lookups folder (outputlookup then changes the app)")
	fs.StringVar(&o.output, "output", "table", "alert output format: table or csv")
	tz := fs.String("tz", "UTC", "the search head's time zone (IANA name), for cron and snapping time modifiers")
	timeout := fs.Duration("timeout", 30*time.Second, "per-reply and per-exit timeout of custom commands")
	var searches, commands, first stringList
	fs.Var(&searches, "search", "`name` of a saved search to run (repeatable; default every scheduled one)")
	fs.Var(&first, "first", "`name` of a saved search, scheduled or not, to run once at -from before the schedule, such as a backfill (repeatable)")
	fs.Var(&commands, "command", "`name=path`: executable of a custom command instead of the app's bin/ one (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, exit.Flag(err, ExitUsage)
	}
	if fs.NArg() > 0 {
		return o, backtestUsageError("unexpected argument %q", fs.Arg(0))
	}
	if *appDir == "" || *events == "" || *fromFlag == "" || *toFlag == "" {
		return o, backtestUsageError("-app, -events, -from and -to are required (-h for help)")
	}
	from, err := time.Parse(time.RFC3339, *fromFlag)
	if err != nil {
		return o, backtestUsageError("-from: %v", err)
	}
	to, err := time.Parse(time.RFC3339, *toFlag)
	if err != nil {
		return o, backtestUsageError("-to: %v", err)
	}
	if o.output != "table" && o.output != "csv" {
		return o, backtestUsageError("-output %q: want table or csv", o.output)
	}
	if *indexers < 1 {
		return o, backtestUsageError("-indexers must be at least 1")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return o, backtestUsageError("-tz: %v", err)
	}
	cmds := map[string][]string{}
	for _, c := range commands {
		n, path, ok := strings.Cut(c, "=")
		if !ok || n == "" || path == "" {
			return o, backtestUsageError("-command %q: want name=path", c)
		}
		cmds[n] = []string{path}
	}
	if *fieldsFlag != "" {
		o.fields = strings.Split(*fieldsFlag, ",")
	}
	o.events = strings.Split(*events, ",")
	o.engine = backtest.Engine{Indexers: *indexers, Commands: cmds, Location: loc, Timeout: *timeout}
	o.run = backtest.Options{From: from, To: to, Searches: searches, First: first, Location: loc}
	if o.app, err = backtest.LoadApp(*appDir); err != nil {
		return o, backtestUsageError("%v", err)
	}
	return o, nil
}

// backtest is "splunkdemu backtest": the app's schedule over the events,
// the alerts raised and a summary.
func (m *Main) backtest(ctx context.Context, o backtestOptions) error {
	ev, err := backtest.ReadEvents(o.events, o.source)
	if err != nil {
		return backtestUsageError("%v", err)
	}
	state, err := backtest.OpenState(o.stateDir, o.app, o.inApp)
	if err != nil {
		return backtestUsageError("%v", err)
	}
	eng := &o.engine
	eng.App, eng.State, eng.Events = o.app, state, ev
	rep, err := backtest.Run(ctx, eng, o.run)
	closeErr := state.Close()
	for _, msg := range eng.Messages {
		fmt.Fprintln(m.Stderr, msg)
	}
	if err != nil {
		if errors.Is(err, backtest.ErrConf) {
			return exit.Errorf(ExitUsage, "splunkdemu backtest: %w", err)
		}
		return exit.Errorf(ExitCommandError, "splunkdemu backtest: %w", err)
	}
	if closeErr != nil {
		return exit.Errorf(ExitCommandError, "splunkdemu backtest: saving the state: %w", closeErr)
	}
	if err := backtest.WriteAlerts(m.Stdout, rep, o.fields, o.output); err != nil {
		return exit.Errorf(ExitCommandError, "splunkdemu backtest: %w", err)
	}
	summary := m.Stdout
	if o.output == "csv" {
		summary = m.Stderr
	} else {
		fmt.Fprintln(m.Stdout)
	}
	fmt.Fprintf(summary, "summary (%s to %s):\n", o.run.From.Format(time.RFC3339), o.run.To.Format(time.RFC3339))
	if err := backtest.WriteSummary(summary, rep); err != nil {
		return exit.Errorf(ExitCommandError, "splunkdemu backtest: %w", err)
	}
	return nil
}
