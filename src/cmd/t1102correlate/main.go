// Command t1102correlate joins Sysmon process, network and DNS events per
// process and scores each process's use of web services, run by splunkd
// through the chunked protocol as a reporting command with a streaming map
// phase. splunkd passes no arguments; flags exist for commands.conf
// command.arg.N, and -h prints them (see package cli).
package main

import (
	"context"
	"os"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/cli"
	"github.com/t1102app/t1102/src/correlate"
	"github.com/t1102app/t1102/src/internal/exit"
)

// version is set at build time (Makefile: -X main.version=...).
var version = "dev"

func main() {
	chunked.GrowPipes(os.Stdin, os.Stdout)
	m := &cli.Main{
		// The reduce keeps its state across chunks.
		Name: correlate.Name, Version: version, Memory: cli.AcrossChunks,
		NewCommand: func(appDir string) chunked.Command { return correlate.Command{AppDir: appDir} },
		Stdin:      os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	}
	os.Exit(exit.Report(os.Stderr, "ERROR ", m.Run(context.Background(), os.Args[1:])))
}
