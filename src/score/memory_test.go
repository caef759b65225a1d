package score_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

// peakPerBody runs t1102score over one chunk of rows and returns its peak
// RSS divided by the bytes sent (0 where RSS cannot be read).
func peakPerBody(t testing.TB, rows int, args ...string) (ratio float64, body, peak int64) {
	t.Helper()
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: scoreArgv, Args: args, Input: splunkd.TableOf(synth.Sysmon(rows, 11)), ChunkRows: rows, Probes: -1,
	})
	require.NoError(t, err)
	p := res.Processes[0]
	if p.PeakRSS == 0 {
		return 0, p.BytesIn, 0
	}
	return float64(p.PeakRSS) / float64(p.BytesIn), p.BytesIn, p.PeakRSS
}

// BenchmarkMemoryPerChunk: t1102score's peak RSS over the bytes of one
// 200,000-row chunk (about 60 MB), annotating every row and with
// filter=true: the figure make bench reports (issue 16: memory per
// process a small multiple of the chunk). A run past the bound fails. A
// measurement of peak memory, in make bench rather than make test (half a
// minute, and noisy when the machine is busy).
func BenchmarkMemoryPerChunk(b *testing.B) {
	for _, mode := range []struct {
		name, reason string
		args         []string
		max          float64 // peak RSS / body: the body, its parsed table, the reply built and encoded, GC headroom
	}{
		{"annotate", "every row copied and annotated: the largest reply (18.3× with GOGC=400 unbounded)", nil, 11},
		{"filter", "filter=true: few rows answered (10.2× unbounded)", []string{"filter=true"}, 8},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var ratio float64
			var body, peak int64
			for b.Loop() {
				ratio, body, peak = peakPerBody(b, 200_000, mode.args...)
				if peak == 0 {
					b.Skip("no RSS figures on this platform")
				}
				b.Logf("%s: peak RSS %d MiB for %d MiB sent: %.1f× the body", mode.name, peak>>20, body>>20, ratio)
				require.Less(b, ratio, mode.max, mode.reason)
			}
			b.ReportMetric(ratio, "peak/body")
			b.ReportMetric(float64(body)/(1<<20), "body-MiB")
		})
	}
}

// BenchmarkMemoryFlatInChunks: ten times as many chunks, the same peak
// memory: 20,000 then 200,000 rows in chunks of 2,000 (10 and 100 chunks),
// the second peak below 1.5 times the first (the run fails past it). It
// reports their ratio. A measurement of peak memory, in make bench rather
// than make test.
func BenchmarkMemoryFlatInChunks(b *testing.B) {
	peak := func(rows int) int64 {
		res, err := splunkd.Run(context.Background(), splunkd.Search{
			Argv: scoreArgv, Input: splunkd.TableOf(synth.Sysmon(rows, 7)), ChunkRows: 2000, Probes: -1,
		})
		require.NoError(b, err)
		return res.Processes[0].PeakRSS
	}
	var ratio float64
	for b.Loop() {
		few, many := peak(20_000), peak(200_000) // 10 and 100 chunks
		b.Logf("peak RSS: %d KiB for 10 chunks, %d KiB for 100 chunks", few>>10, many>>10)
		if few == 0 {
			b.Skip("no RSS figures on this platform")
		}
		ratio = float64(many) / float64(few)
		require.Less(b, ratio, 1.5, "memory must not grow with the number of chunks")
	}
	b.ReportMetric(ratio, "100/10-chunks")
}
