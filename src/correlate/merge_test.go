package correlate

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// TestMergeOrderIndependent: the same records of a process, merged in any
// order, leave the same process fields; a process creation's values win
// over any other record's; values past the byte bound are cut.
func TestMergeOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pool := []string{"", "a", "b", "C:\\x.exe", "c:\\x.exe", strings.Repeat("é", maxTextBytes), strings.Repeat("z", maxTextBytes+3),
		strings.Repeat("𝄞", maxCmdUnits/2+1), strings.Repeat("y", maxCmdUnits+1)}
	type record struct {
		p1   bool
		vals [nInfo][]byte
	}
	for round := 0; round < 2000; round++ {
		recs := make([]record, 1+rng.Intn(4))
		for k := range recs {
			recs[k].p1 = rng.Intn(3) == 0
			for i := range recs[k].vals {
				recs[k].vals[i] = []byte(pool[rng.Intn(len(pool))])
			}
		}
		var a, b group
		for _, r := range recs {
			a.mergeRaw(r.p1, r.vals)
		}
		for _, k := range rng.Perm(len(recs)) {
			b.mergeRaw(recs[k].p1, recs[k].vals)
		}
		require.Equal(t, a, b, "round %d: order does not matter", round)
		for i, v := range a.fields() {
			if i == iCmd {
				// Command lines: Windows' bound, in UTF-16 units (𝄞 is two).
				require.LessOrEqual(t, len(utf16.Encode([]rune(*v))), maxCmdUnits, "round %d: command line cut to Windows' bound", round)
				continue
			}
			require.LessOrEqual(t, len(*v), maxTextBytes, "round %d: cut to the bound", round)
		}
	}
	var g group
	g.mergeRaw(false, [nInfo][]byte{iImage: []byte("a.exe")})
	g.mergeRaw(true, [nInfo][]byte{iImage: []byte("z.exe")})
	g.mergeRaw(false, [nInfo][]byte{iImage: []byte("b.exe")})
	require.Equal(t, "z.exe", g.image, "the process creation's image, though others are smaller")
}
