// Package testbin builds the helper commands and the real executables that
// tests run as processes.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Build compiles each package (a path relative to the calling test's
// folder, as go test runs it) into dir, under the package's last path
// element, and returns the executables' paths in the same order.
//
// One go build builds them all, in parallel, with the flags of make build
// and make release (CGO off, -trimpath): the executables are those the app
// ships, and after make build their packages come from the build cache
// whatever the test's own flags (-race, CGO_ENABLED=1), leaving the links.
func Build(dir string, pkgs ...string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out := make([]string, len(pkgs))
	seen := map[string]bool{}
	for i, pkg := range pkgs {
		name := filepath.Base(pkg)
		if runtime.GOOS == "windows" {
			name += ".exe"
		}
		if seen[name] {
			return nil, fmt.Errorf("testbin: two packages named %s", name)
		}
		seen[name] = true
		out[i] = filepath.Join(dir, name)
	}
	if len(pkgs) == 0 {
		return out, nil
	}
	args := append([]string{"build", "-trimpath", "-o", dir + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("building %v: %w", pkgs, err)
	}
	return out, nil
}

// Main is the body of a TestMain: it builds pkgs into a temporary folder,
// hands the folder and the executables' paths (in the order of pkgs) to
// setup, runs the tests, removes the folder and returns the exit status.
// A failed build or setup is status 1, with no test run.
func Main(m *testing.M, setup func(dir string, bins []string) error, pkgs ...string) int {
	dir, err := os.MkdirTemp("", "t1102-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err := Build(dir, pkgs...)
	if err == nil {
		err = setup(dir, bins)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}
