// Command fleetgen writes the Sysmon events of the simulated fleet
// described by a CSV of actors (testdata/fleet/actors.csv: who runs what,
// ordinary pollers and implants with their labels) for splunkdemu
// backtest and make demo.
//
// Usage:
//
//	fleetgen -actors testdata/fleet/actors.csv -from 2026-11-02T00:00:00Z -days 3 [-seed 1] -out fleet.csv
//
// Exit status: 0 success (and -h), 1 a file could not be read or written,
// 64 usage. The generator is package fleet (src/internal/fleet).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/internal/fleet"
)

func main() {
	o, err := parse(os.Args[1:], os.Stderr)
	if err == nil {
		err = run(context.Background(), o)
	}
	os.Exit(exit.Report(os.Stderr, "ERROR fleetgen: ", err))
}

// options are fleetgen's flags.
type options struct {
	Actors string    // the fleet's actors (CSV)
	From   time.Time // start of the dense days
	Days   int       // days of events from From
	Seed   int64     // random seed
	Out    string    // events file to write
	Log    io.Writer // where the count of events written goes
}

// parse reads the command line.
func parse(args []string, stderr io.Writer) (options, error) {
	o := options{Log: stderr}
	fs := flag.NewFlagSet("fleetgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Actors, "actors", "testdata/fleet/actors.csv", "the fleet's actors (`csv`)")
	from := fs.String("from", "2026-11-02T00:00:00Z", "start of the dense days (RFC 3339); the actors' history comes before it")
	fs.IntVar(&o.Days, "days", 3, "days of events from -from")
	fs.Int64Var(&o.Seed, "seed", 1, "random seed (the same seed, the same events)")
	fs.StringVar(&o.Out, "out", "", "events file to write (`csv`; required)")
	if err := fs.Parse(args); err != nil {
		return o, exit.Flag(err, exit.Usage)
	}
	var err error
	o.From, err = time.Parse(time.RFC3339, *from)
	if err != nil || o.Out == "" || o.Days <= 0 || fs.NArg() > 0 {
		return o, exit.Errorf(exit.Usage, "want -from <RFC 3339>, -days > 0 and -out <file>; see fleetgen -h")
	}
	return o, nil
}

// run writes the fleet's events.
func run(_ context.Context, o options) error {
	as, err := fleet.Load(o.Actors)
	if err != nil {
		return err
	}
	fl := fleet.Generate(as, o.From, o.Days, o.Seed)
	f, err := os.Create(o.Out)
	if err == nil {
		err = fleet.WriteCSV(f, fl.Events)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "fleetgen: %d events of %d actors on %d hosts written to %s\n", len(fl.Events.Rows), len(as), len(fleet.Hosts()), o.Out)
	return nil
}
