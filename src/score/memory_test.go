package score_test

import (
	"context"
	"strings"
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

// TestMemoryPerChunk: one large chunk costs a small multiple of its size.
func TestMemoryPerChunk(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a 60 MB chunk")
	}
	tests := []struct {
		name, reason string
		args         []string
		max          float64 // peak RSS / body: the body, its parsed table, the reply built and encoded, GC headroom
	}{
		{"annotate", "every row copied and annotated: the largest reply (18.3× with GOGC=400 unbounded)", nil, 11},
		{"filter", "filter=true: few rows answered (10.2× unbounded)", []string{"filter=true"}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ratio, body, peak := peakPerBody(t, 200_000, tt.args...)
			if peak == 0 {
				t.Skip("no RSS figures on this platform")
			}
			t.Logf("%s: peak RSS %d MiB for %d MiB sent: %.1f× the body", strings.Join(tt.args, " "), peak>>20, body>>20, ratio)
			require.Less(t, ratio, tt.max, tt.reason)
		})
	}
}

// BenchmarkMemoryPerChunk: t1102score's peak RSS over the bytes of one
// 200,000-row chunk (about 60 MB), annotating every row and with
// filter=true: the figure make bench reports (issue 16: memory per
// process a small multiple of the chunk).
func BenchmarkMemoryPerChunk(b *testing.B) {
	for _, mode := range []struct {
		name string
		args []string
	}{{"annotate", nil}, {"filter", []string{"filter=true"}}} {
		b.Run(mode.name, func(b *testing.B) {
			var ratio float64
			var body int64
			for b.Loop() {
				ratio, body, _ = peakPerBody(b, 200_000, mode.args...)
			}
			b.ReportMetric(ratio, "peak/body")
			b.ReportMetric(float64(body)/(1<<20), "body-MiB")
		})
	}
}
