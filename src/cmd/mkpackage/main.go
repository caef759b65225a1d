// Command mkpackage writes the Splunk app archive: dist/<id>-<version>.tgz
// from the source tree and the cross-compiled binaries (make package).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/t1102app/t1102/src/appkg"
)

func main() {
	root := flag.String("root", ".", "the project's source tree")
	build := flag.String("build", "build", "where make release put <platform>/bin/")
	out := flag.String("out", "dist", "folder for the archive")
	flag.Parse()
	if err := run(*root, *build, *out); err != nil {
		fmt.Fprintf(os.Stderr, "ERROR mkpackage: %v\n", err)
		os.Exit(1)
	}
}

func run(root, build, out string) error {
	id, err := appkg.AppConf(root, "package", "id")
	if err != nil {
		return err
	}
	version, err := appkg.AppConf(root, "launcher", "version")
	if err != nil {
		return err
	}
	files, err := appkg.Collect(root, build)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, fmt.Sprintf("%s-%s.tgz", id, version))
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
	fmt.Println(path)
	return nil
}
