package backtest

import (
	"os"
	"testing"

	"github.com/t1102app/t1102/src/internal/testbin"
)

// btcountBin is the test double command (internal/btcount), built once.
var btcountBin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(b []string) { btcountBin = b[0] }, "./internal/btcount"))
}
