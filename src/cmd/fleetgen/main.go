// Command fleetgen writes the Sysmon events of the simulated fleet
// described by a CSV of actors (testdata/fleet/actors.csv: who runs what,
// ordinary pollers and implants with their labels) for splunkdemu
// backtest and make demo.
//
// Usage:
//
//	fleetgen -actors testdata/fleet/actors.csv -from 2026-11-02T00:00:00Z -days 3 [-seed 1] -out fleet.csv
//
// Exit status: 0 success, 1 a file could not be read or written, 64 usage.
// The generator is package fleet (src/internal/fleet).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/t1102app/t1102/src/internal/fleet"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("fleetgen", flag.ContinueOnError)
	actors := fs.String("actors", "testdata/fleet/actors.csv", "the fleet's actors (`csv`)")
	from := fs.String("from", "2026-11-02T00:00:00Z", "start of the dense days (RFC 3339); the actors' history comes before it")
	days := fs.Int("days", 3, "days of events from -from")
	seed := fs.Int64("seed", 1, "random seed (the same seed, the same events)")
	out := fs.String("out", "", "events file to write (`csv`; required)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 64
	}
	start, err := time.Parse(time.RFC3339, *from)
	if err != nil || *out == "" || *days <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "fleetgen: want -from <RFC 3339>, -days > 0 and -out <file>; see fleetgen -h")
		return 64
	}
	as, err := fleet.Load(*actors)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR fleetgen:", err)
		return 1
	}
	fl := fleet.Generate(as, start, *days, *seed)
	f, err := os.Create(*out)
	if err == nil {
		err = fleet.WriteCSV(f, fl.Events)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR fleetgen:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "fleetgen: %d events of %d actors on %d hosts written to %s\n", len(fl.Events.Rows), len(as), len(fleet.Hosts()), *out)
	return 0
}
