// Command t1102score is the T1102.003 scoring search command, run by splunkd
// through the chunked protocol (commands.conf chunked = true). splunkd passes
// no arguments; flags exist for commands.conf command.arg.N (see package cli).
package main

import (
	"os"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/cli"
	"github.com/t1102app/t1102/src/score"
)

// version is set at build time (Makefile: -X main.version=...).
var version = "dev"

func main() {
	chunked.GrowPipes(os.Stdin, os.Stdout)
	os.Exit(cli.Main(score.Name, version, os.Args[1:], os.Stdin, os.Stdout, os.Stderr,
		func(appDir string) chunked.Command { return score.Command{AppDir: appDir} }))
}
