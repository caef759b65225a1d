package splunkd

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/t1102app/t1102/src/internal/testbin"
)

// Paths of the helper commands built once by TestMain.
var (
	echoBin string
	fakeBin string
)

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(_ string, b []string) error { echoBin, fakeBin = b[0], b[1]; return nil }, "./internal/echocmd", "./internal/fakecmd"))
}

// fake returns the argv of fakecmd in a mode.
func fake(mode string) []string { return []string{fakeBin, "-mode", mode} }

// checkNoLeak fails if goroutines started during the test outlive it (a
// goleak-style check by counting).
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("goroutines leaked: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// repoRoot finds the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}
