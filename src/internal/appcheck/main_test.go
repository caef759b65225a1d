package appcheck

import (
	"os"
	"testing"

	"github.com/t1102app/t1102/src/internal/testbin"
)

// appBins are the app's search commands (commands.conf stanza → built
// executable), built once by TestMain, for the tests that run searches.
var appBins map[string]string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, func(_ string, b []string) error {
		appBins = map[string]string{"t1102correlate": b[0], "t1102score": b[1]}
		return nil
	}, "../../cmd/t1102correlate", "../../cmd/t1102score"))
}
