// Command t1102score is the T1102.003 scoring search command, run by splunkd
// through the chunked protocol (commands.conf chunked = true). splunkd passes
// no arguments; flags exist for commands.conf command.arg.N, and -h prints
// them (see package cli).
package main

import (
	"context"
	"os"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/cli"
	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/score"
)

// version is set at build time (Makefile: -X main.version=...).
var version = "dev"

func main() {
	chunked.GrowPipes(os.Stdin, os.Stdout)
	m := &cli.Main{
		Name: score.Name, Version: version, Memory: cli.PerChunk,
		NewCommand: func(appDir string) chunked.Command { return score.Command{AppDir: appDir} },
		Stdin:      os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}
	os.Exit(exit.Report(os.Stderr, "ERROR ", m.Run(context.Background(), os.Args[1:])))
}
