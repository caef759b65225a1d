package backtest

import (
	"os"
	"testing"

	"github.com/t1102app/t1102/src/internal/testbin"
)

// The executables the tests run, built once by TestMain: the test double
// command (internal/btcount) and the app's commands.
var (
	btcountBin string
	appBins    map[string][]string // command name → argv, for Engine.Commands
)

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(_ string, b []string) error {
		btcountBin = b[0]
		appBins = map[string][]string{"t1102correlate": {b[1]}, "t1102score": {b[2]}}
		return nil
	}, "./internal/btcount", "../cmd/t1102correlate", "../cmd/t1102score"))
}
