// Package cli runs the app's search commands as processes: it wires stdin,
// stdout and stderr to the protocol engine, reads the flags that
// commands.conf command.arg.N may pass, finds the app folder from the
// executable's path, and turns the outcome into an error for the exit
// status. Each command's main fills a [Main] and calls [Main.Run].
package cli

import (
	"context"
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
	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/splunkapp"
)

// Memory says how a command's memory grows, which sets its garbage
// collector.
type Memory int

const (
	// PerChunk: memory bounded by the chunk being handled (a streaming
	// command). The collector runs lazily, for throughput (GOGC=400), under
	// a soft memory limit of a multiple of the chunk: a 100 MB chunk must
	// not cost 2 GB (GOGC=400 lets the heap grow to five times what is
	// live).
	PerChunk Memory = iota
	// AcrossChunks: state kept across chunks (a reporting command): Go's
	// default collector (GOGC=100).
	AcrossChunks
)

// The soft memory limit of a PerChunk command: this multiple of the chunk
// being handled, never below the floor (small chunks keep the lazy
// collector's throughput).
const (
	memoryPerBody = 6
	memoryFloor   = 256 << 20
)

// Main is one search command process.
type Main struct {
	Name    string // the command's name in commands.conf and in messages
	Version string // printed by -version
	Memory  Memory
	// NewCommand builds the command for the app folder (empty if not
	// found).
	NewCommand func(appDir string) chunked.Command

	Stdin          io.Reader // splunkd's requests
	Stdout, Stderr io.Writer // the replies; the log (search.log)
}

// Run runs the command with the process's arguments (splunkd passes none,
// or the commands.conf command.arg.N flags; the search's own arguments
// come in the protocol's getinfo). It returns nil after a clean end of
// input, [exit.ErrHelp] after -h (the usage printed on Stderr, nothing
// read), or the error that ended the protocol, which splunkd was told
// (exit status 1). A flag it does not know is reported to splunkd in the
// getinfo reply, so that a misconfigured command.arg.N shows in Splunk.
func (m *Main) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(m.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxChunk := fs.Int64("max-chunk-bytes", chunked.DefaultMaxBody, "largest input chunk body accepted, in `bytes`")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this `file` (diagnostics)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	appDir := fs.String("app-dir", "", "the app `folder` holding lookups/ and default/t1102.conf (default: found from the executable's path)")
	var cmd chunked.Command
	switch err := fs.Parse(args); {
	case err == flag.ErrHelp:
		fmt.Fprintf(m.Stderr, "usage: %s [flags]\n\n"+
			"A chunked (SCP v2) custom search command: splunkd runs it and speaks the\n"+
			"protocol on stdin and stdout; the search's arguments come in getinfo.\n"+
			"The flags are for commands.conf command.arg.N:\n\n", m.Name)
		fs.SetOutput(m.Stderr)
		fs.PrintDefaults()
		return exit.ErrHelp
	case err != nil:
		// Misconfigured command.arg.N in commands.conf: say so in Splunk.
		cmd = failing{fmt.Errorf("%s: commands.conf command.arg: %w", m.Name, err)}
	case *showVersion:
		fmt.Fprintln(m.Stdout, m.Name, m.Version)
		return nil
	default:
		cmd = m.NewCommand(findAppDir(*appDir))
	}
	if *cpuProfile != "" {
		if f, err := os.Create(*cpuProfile); err == nil {
			defer f.Close()
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile() // runs before f.Close
			}
		} else {
			fmt.Fprintf(m.Stderr, "WARN cpuprofile: %v\n", err)
		}
	}
	opts := chunked.Options{
		Name:    m.Name,
		MaxBody: *maxChunk,
		Workers: runtime.GOMAXPROCS(0),
		Log:     m.Stderr,
	}
	switch m.Memory {
	case PerChunk:
		debug.SetGCPercent(400)
		opts.MemoryPerBody, opts.MemoryFloor = memoryPerBody, memoryFloor
	default:
		debug.SetGCPercent(100)
	}
	return chunked.Run(cmd, m.Stdin, m.Stdout, opts)
}

// findAppDir is dir, or else the app folder above the executable: splunkd
// runs <app>/<platform>/bin/<command> on search heads and indexers alike,
// and the catalogs sit in the same app. Empty if not found.
func findAppDir(dir string) string {
	if dir != "" {
		return dir
	}
	if exe, err := os.Executable(); err == nil {
		// splunkd runs <app>/<platform>/bin/<command> on search heads
		// and indexers alike; the catalogs sit in the same app.
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			dir, _ = splunkapp.FindAppDir(exe, detect.ConfFile)
		}
	}
	return dir
}

// failing is a command whose configuration failed before getinfo.
type failing struct{ err error }

func (f failing) Configure(*chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	return chunked.Config{}, nil, f.err
}
