// Command mkpackage writes the Splunk app archive: dist/<id>-<version>.tgz
// from the source tree and the cross-compiled binaries (make package), and
// prints its path.
//
// Usage:
//
//	mkpackage [-root .] [-build build] [-out dist]
//
// Exit status: 0 success (and -h), 1 failure, 64 usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/t1102app/t1102/src/appkg"
	"github.com/t1102app/t1102/src/internal/exit"
)

func main() {
	o, err := parse(os.Args[1:], os.Stderr)
	if err == nil {
		err = run(context.Background(), o)
	}
	os.Exit(exit.Report(os.Stderr, "ERROR mkpackage: ", err))
}

// options are mkpackage's flags.
type options struct {
	Root   string    // the project's source tree
	Build  string    // where make release put <platform>/bin/
	Out    string    // folder for the archive
	Stdout io.Writer // the archive's path is printed here
}

// parse reads the command line.
func parse(args []string, stderr io.Writer) (options, error) {
	o := options{Stdout: os.Stdout}
	fs := flag.NewFlagSet("mkpackage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Root, "root", ".", "the project's source tree")
	fs.StringVar(&o.Build, "build", "build", "where make release put <platform>/bin/")
	fs.StringVar(&o.Out, "out", "dist", "folder for the archive")
	if err := fs.Parse(args); err != nil {
		return o, exit.Flag(err, exit.Usage)
	}
	if fs.NArg() > 0 {
		return o, exit.Errorf(exit.Usage, "unexpected argument %q; see mkpackage -h", fs.Arg(0))
	}
	return o, nil
}

// run writes the archive, through a temporary file renamed into place.
func run(_ context.Context, o options) error {
	id, err := appkg.AppConf(o.Root, "package", "id")
	if err != nil {
		return err
	}
	version, err := appkg.AppConf(o.Root, "launcher", "version")
	if err != nil {
		return err
	}
	files, err := appkg.Collect(o.Root, o.Build)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(o.Out, fmt.Sprintf("%s-%s.tgz", id, version))
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := appkg.Write(f, id, files); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Fprintln(o.Stdout, path)
	return nil
}
