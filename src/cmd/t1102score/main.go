// Command t1102score is the T1102.003 scoring search command, run by splunkd
// through the chunked protocol (commands.conf chunked = true). splunkd passes
// no arguments; the flags exist for commands.conf command.arg.N.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/score"
)

// version is set at build time (Makefile: -X main.version=...).
var version = "dev"

func main() {
	chunked.GrowPipes(os.Stdin, os.Stdout)
	debug.SetGCPercent(400)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(score.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxChunk := fs.Int64("max-chunk-bytes", chunked.DefaultMaxBody, "largest input chunk body accepted, in bytes")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (diagnostics)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	appDir := fs.String("app-dir", "", "the app folder holding lookups/ and default/t1102.conf (default: found from the executable's path)")
	var cmd chunked.Command
	if err := fs.Parse(args); err != nil {
		// Misconfigured command.arg.N in commands.conf: say so in Splunk.
		cmd = failing{fmt.Errorf("%s: commands.conf command.arg: %w", score.Name, err)}
	} else if *showVersion {
		fmt.Fprintln(stdout, score.Name, version)
		return 0
	} else {
		dir := *appDir
		if dir == "" {
			// splunkd runs <app>/<platform>/bin/t1102score on search heads
			// and indexers alike; the catalogs sit in the same app.
			if exe, err := os.Executable(); err == nil {
				if exe, err = filepath.EvalSymlinks(exe); err == nil {
					dir, _ = detect.FindAppDir(exe)
				}
			}
		}
		cmd = score.Command{AppDir: dir}
	}
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			defer f.Close()
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile() // runs before f.Close
			}
		} else {
			fmt.Fprintf(stderr, "WARN cpuprofile: %v\n", err)
		}
	}
	err := chunked.Run(cmd, stdin, stdout, chunked.Options{
		Name:    score.Name,
		MaxBody: *maxChunk,
		Workers: runtime.GOMAXPROCS(0),
		Log:     stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	return 0
}

// failing is a command whose configuration failed before getinfo.
type failing struct{ err error }

func (f failing) Configure(*chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	return chunked.Config{}, nil, f.err
}
