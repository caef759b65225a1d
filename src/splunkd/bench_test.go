package splunkd

import (
	"context"
	"testing"
	"time"

	"github.com/t1102app/t1102/src/internal/synth"
)

// BenchmarkEchoThroughput pushes 100,000 Sysmon-like rows of 12 fields in
// 10,000-row chunks through echocmd: the cost of the emulator (encoding,
// framing, pipes, strict encoding/csv validation) plus a do-nothing
// command. The table is built outside the timer; Run encodes each row once.
func BenchmarkEchoThroughput(b *testing.B) {
	const rows = 100_000
	input := TableOf(synth.Sysmon(rows, 1))
	s := Search{Argv: []string{echoBin}, Input: input, ChunkRows: 10_000, Probes: -1, Timeout: time.Minute}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var bytesIn int64
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != rows {
			b.Fatalf("rows = %d, want %d", res.Rows, rows)
		}
		bytesIn = res.Processes[0].BytesIn
	}
	elapsed := time.Since(start)
	b.SetBytes(bytesIn)
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
}
