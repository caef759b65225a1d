// Package testbin builds the helper commands tests run as processes.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Build compiles each package (a path relative to the calling test's
// folder, as go test runs it) into dir, under the package's last path
// element, and returns the executables' paths in the same order.
func Build(dir string, pkgs ...string) ([]string, error) {
	out := make([]string, len(pkgs))
	for i, pkg := range pkgs {
		out[i] = filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", out[i], pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building %s: %w", pkg, err)
		}
	}
	return out, nil
}

// Main is the body of a TestMain: it builds pkgs into a temporary folder,
// hands their paths to use, runs the tests, removes the folder and returns
// the exit status.
func Main(m *testing.M, use func(bins []string), pkgs ...string) int {
	dir, err := os.MkdirTemp("", "t1102-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err := Build(dir, pkgs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	use(bins)
	return m.Run()
}
