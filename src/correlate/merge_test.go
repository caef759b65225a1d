package correlate

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMergeRawIsMergeInfo: merging a partial row's bytes in place keeps
// what merging its converted strings keeps, in any order of rows, with
// values past the byte bound cut alike.
func TestMergeRawIsMergeInfo(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pool := []string{"", "a", "b", "C:\\x.exe", "c:\\x.exe", strings.Repeat("é", maxTextBytes), strings.Repeat("z", maxTextBytes+3)}
	for round := 0; round < 2000; round++ {
		var a, b group
		for k := 0; k < 1+rng.Intn(4); k++ {
			p1 := rng.Intn(3) == 0
			var strs [nInfo]string
			var raw [nInfo][]byte
			for i := range strs {
				strs[i] = pool[rng.Intn(len(pool))]
				raw[i] = []byte(strs[i])
			}
			a.mergeInfo(p1, strs)
			b.mergeRaw(p1, raw)
		}
		require.Equal(t, a, b, "round %d", round)
	}
}
