package testsummary

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/internal/exit"
)

// stream is go test -json's output for a package with a pass, a skip and a
// skipped subtest, a failing package, a package that does not build and
// one without tests (recorded from go1.26 on a throwaway module).
const stream = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"    a_test.go:3: chatter of a passing test\n"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"m/a","Test":"TestOK","Elapsed":0}
{"Action":"run","Package":"m/a","Test":"TestSkip"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"    a_test.go:4: needs ../shared\n"}
{"Action":"output","Package":"m/a","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}
{"Action":"skip","Package":"m/a","Test":"TestSkip","Elapsed":0}
{"Action":"run","Package":"m/a","Test":"TestSub"}
{"Action":"run","Package":"m/a","Test":"TestSub/x"}
{"Action":"output","Package":"m/a","Test":"TestSub/x","Output":"    a_test.go:5: sub skip 1\n"}
{"Action":"skip","Package":"m/a","Test":"TestSub/x","Elapsed":0}
{"Action":"pass","Package":"m/a","Test":"TestSub","Elapsed":0}
{"Action":"output","Package":"m/a","Output":"PASS\n"}
{"Action":"output","Package":"m/a","Output":"ok  \tm/a\t0.005s\n"}
{"Action":"pass","Package":"m/a","Elapsed":0.006}
{"ImportPath":"m/c [m/c.test]","Action":"build-output","Output":"# m/c [m/c.test]\n"}
{"ImportPath":"m/c [m/c.test]","Action":"build-output","Output":"c/c_test.go:3:27: undefined: undefined\n"}
{"ImportPath":"m/c [m/c.test]","Action":"build-fail"}
{"Action":"output","Package":"m/c","Output":"FAIL\tm/c [build failed]\n"}
{"Action":"fail","Package":"m/c","Elapsed":0,"FailedBuild":"m/c [m/c.test]"}
{"Action":"run","Package":"m/b","Test":"TestBad"}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"    b_test.go:3: boom\n"}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBad","Elapsed":0}
{"Action":"output","Package":"m/b","Output":"FAIL\n"}
{"Action":"output","Package":"m/b","Output":"FAIL\tm/b\t0.006s\n"}
{"Action":"fail","Package":"m/b","Elapsed":0.007}
{"Action":"output","Package":"m/d","Output":"?   \tm/d\t[no test files]\n"}
{"Action":"skip","Package":"m/d","Elapsed":0}
go: a line that is not an event
`

func TestSummarize(t *testing.T) {
	var out bytes.Buffer
	s, err := Summarize(strings.NewReader(stream), &out)
	require.NoError(t, err)
	require.Equal(t, 2, s.Passed, "TestOK and TestSub")
	require.Equal(t, 1, s.Failed)
	require.Equal(t, 2, s.Skipped, "a subtest's skip counts")
	require.Equal(t, []string{"m/c", "m/b"}, s.FailedPackages)
	require.Equal(t, []string{"m/c [m/c.test]"}, s.FailedBuilds)
	require.False(t, s.OK())
	got := out.String()
	for _, tt := range []struct{ name, reason, want string }{
		{"ok line", "go test's package line", "ok  \tm/a\t0.005s\n"},
		{"no test files", "go test's package line", "?   \tm/d\t[no test files]\n"},
		{"build error", "the compiler's message", "c/c_test.go:3:27: undefined: undefined\nFAIL\tm/c [build failed]\n"},
		{"failure output", "what the failing test logged, as go test shows it", "    b_test.go:3: boom\n--- FAIL: TestBad (0.00s)\nFAIL\nFAIL\tm/b\t0.006s\n"},
		{"skip reasons", "every skip with its message", "SKIP m/a TestSkip: a_test.go:4: needs ../shared\nSKIP m/a TestSub/x: a_test.go:5: sub skip 1\n"},
		{"count line", "last, with the failed packages and builds", "FAIL: 2 passed, 1 failed, 2 skipped (tests and subtests); 2 packages failed; builds failed: 1 (m/c [m/c.test])\n"},
		{"other lines", "text that is not an event is kept", "go: a line that is not an event\n"},
	} {
		require.Contains(t, got, tt.want, "%s: %s", tt.name, tt.reason)
	}
	require.NotContains(t, got, "chatter of a passing test", "a passing test's log stays quiet, as without -json")
	require.NotContains(t, got, "=== RUN")
	require.True(t, strings.HasSuffix(got, "(m/c [m/c.test])\n"), "the count is the last line")
}

// TestRunExitStatus runs real go test on throwaway modules: a failing
// test and a build error each give exit status 1 and keep go test's
// output; a passing module gives 0 with its skip listed.
func TestRunExitStatus(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	// make build's settings: on a cold build cache (make test after make
	// build), the throwaway tests compile little but the testing package.
	t.Setenv("CGO_ENABLED", "0")
	t.Setenv("GOFLAGS", "-trimpath")
	for _, tt := range []struct {
		name, reason string
		src          string // the package's test file
		code         int
		says         []string
	}{
		{"pass and skip", "a skip is reported, not a failure", "package p\nimport \"testing\"\nfunc TestA(t *testing.T) {}\nfunc TestB(t *testing.T) { t.Skip(\"no data here\") }\n", 0,
			[]string{"ok  \tm/p", "SKIP m/p TestB: p_test.go:4: no data here", "PASS: 1 passed, 0 failed, 1 skipped"}},
		{"failure", "a failing test fails the run", "package p\nimport \"testing\"\nfunc TestA(t *testing.T) { t.Fatal(\"wrong answer\") }\n", 1,
			[]string{"p_test.go:3: wrong answer", "--- FAIL: TestA", "FAIL\tm/p", "FAIL: 0 passed, 1 failed, 0 skipped"}},
		{"build error", "a package that does not compile fails the run", "package p\nimport \"testing\"\nfunc TestA(t *testing.T) { nothing() }\n", 1,
			[]string{"undefined: nothing", "[build failed]", "builds failed: 1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module m\n\ngo 1.24\n"), 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "p"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "p", "p_test.go"), []byte(tt.src), 0o644))
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), Options{Go: goBin, Args: []string{"./..."}, Stdout: &stdout, Stderr: &stderr})
			code := exit.Report(&stderr, "ERROR ", err)
			require.Equal(t, tt.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			for _, s := range tt.says {
				require.Contains(t, stdout.String()+stderr.String(), s)
			}
		})
	}
}
