// Package cli runs the app's search commands as processes: it wires stdin,
// stdout and stderr to the protocol engine, reads the flags that
// commands.conf command.arg.N may pass, finds the app folder from the
// executable's path, and turns the outcome into an exit status. Each
// command's main is a call to Main.
package cli

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
	"github.com/t1102app/t1102/src/splunkapp"
)

// Main runs one search command process and returns its exit status: 0
// after a clean end of input, 1 after an error (which splunkd was told).
// newCommand builds the command for the app folder (empty if not found).
func Main(name, version string, args []string, stdin io.Reader, stdout, stderr io.Writer, newCommand func(appDir string) chunked.Command) int {
	return MainGC(name, version, args, stdin, stdout, stderr, 400, newCommand)
}

// MainGC is Main with the garbage collector's target percentage: a command
// whose memory is bounded by its chunks collects less often (400); one that
// keeps state across chunks keeps Go's default (100).
func MainGC(name, version string, args []string, stdin io.Reader, stdout, stderr io.Writer, gcPercent int, newCommand func(appDir string) chunked.Command) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxChunk := fs.Int64("max-chunk-bytes", chunked.DefaultMaxBody, "largest input chunk body accepted, in bytes")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (diagnostics)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	appDir := fs.String("app-dir", "", "the app folder holding lookups/ and default/t1102.conf (default: found from the executable's path)")
	var cmd chunked.Command
	if err := fs.Parse(args); err != nil {
		// Misconfigured command.arg.N in commands.conf: say so in Splunk.
		cmd = failing{fmt.Errorf("%s: commands.conf command.arg: %w", name, err)}
	} else if *showVersion {
		fmt.Fprintln(stdout, name, version)
		return 0
	} else {
		dir := *appDir
		if dir == "" {
			// splunkd runs <app>/<platform>/bin/<command> on search heads
			// and indexers alike; the catalogs sit in the same app.
			if exe, err := os.Executable(); err == nil {
				if exe, err = filepath.EvalSymlinks(exe); err == nil {
					dir, _ = splunkapp.FindAppDir(exe, detect.ConfFile)
				}
			}
		}
		cmd = newCommand(dir)
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
	debug.SetGCPercent(gcPercent)
	opts := chunked.Options{
		Name:    name,
		MaxBody: *maxChunk,
		Workers: runtime.GOMAXPROCS(0),
		Log:     stderr,
	}
	if gcPercent > 100 {
		// A lazy collector, for throughput, but bounded by the chunk: a
		// 100 MB chunk must not cost 2 GB (GOGC=400 lets the heap grow to
		// five times what is live).
		opts.MemoryPerBody, opts.MemoryFloor = memoryPerBody, memoryFloor
	}
	err := chunked.Run(cmd, stdin, stdout, opts)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	return 0
}

// The soft memory limit of a command that collects lazily: this multiple
// of the chunk being handled, never below the floor (small chunks keep the
// lazy collector's throughput).
const (
	memoryPerBody = 6
	memoryFloor   = 256 << 20
)

// failing is a command whose configuration failed before getinfo.
type failing struct{ err error }

func (f failing) Configure(*chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	return chunked.Config{}, nil, f.err
}
