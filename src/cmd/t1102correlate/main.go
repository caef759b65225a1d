// Command t1102correlate joins Sysmon process, network and DNS events per
// process and scores each process's use of web services, run by splunkd
// through the chunked protocol as a reporting command with a streaming map
// phase. Flags exist for commands.conf command.arg.N (see package cli).
package main

import (
	"os"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/cli"
	"github.com/t1102app/t1102/src/correlate"
)

// version is set at build time (Makefile: -X main.version=...).
var version = "dev"

func main() {
	chunked.GrowPipes(os.Stdin, os.Stdout)
	os.Exit(cli.MainGC(correlate.Name, version, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, 100,
		func(appDir string) chunked.Command { return correlate.Command{AppDir: appDir} }))
}
