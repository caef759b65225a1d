// Command t1102_forward is the app's custom alert action: splunkd runs it
// as "t1102_forward --execute" with the alert's JSON payload on stdin (see
// package forward; exit statuses there). -h or -help prints the usage on
// stderr, exit status 0.
package main

import (
	"context"
	"io"
	"os"

	"github.com/t1102app/t1102/src/forward"
	"github.com/t1102app/t1102/src/internal/exit"
)

const usage = `usage: t1102_forward --execute < payload.json

The T1102.003 app's custom alert action. splunkd runs it with --execute and
the alert's JSON payload on stdin (alert_actions.conf payload_format = json);
it forwards the alert's results to a Splunk HTTP Event Collector, a JSON
webhook or Splunk Cloud Services, and logs on stderr (splunkd's log).

Exit status: 0 delivered, 2 usage or settings, 3 credential, 4 refused by
the receiver, 5 receiver unavailable (events spooled), 6 results unreadable,
7 spool failure.
`

func main() {
	err := run(context.Background(), os.Args[1:], forward.Options{Payload: os.Stdin, Log: os.Stderr, Getenv: os.Getenv})
	os.Exit(exit.Report(os.Stderr, "ERROR t1102_forward: ", err))
}

// run checks the command line and runs the action.
func run(ctx context.Context, args []string, o forward.Options) error {
	if exit.AsksHelp(args) {
		io.WriteString(o.Log, usage)
		return exit.ErrHelp
	}
	if len(args) == 0 || args[0] != "--execute" {
		return exit.Errorf(forward.ExitUsage, "this is a Splunk alert action: splunkd runs it as \"t1102_forward --execute\" with the alert's JSON payload on stdin (alert_actions.conf payload_format = json)")
	}
	return forward.Run(ctx, o)
}
