package correlate

import (
	"fmt"
	"testing"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

// BenchmarkMapPhase folds chunks of 10,000 Sysmon-like events from 2,000
// processes in the map phase, in process, without emitting: the per-row
// cost (ns and allocations per event) of the indexers' side.
func BenchmarkMapPhase(b *testing.B) {
	const n = 10_000
	src := splunkd.TableOf(synth.Sysmon(n, 3))
	guid, host := src.Column("ProcessGuid"), src.Column("host")
	for i := range src.Rows {
		p := (i * 7919) % 2000
		src.Rows[i][guid] = splunkd.Value{fmt.Sprintf("{4A5C%04X-0000-0000-0000-%012X}", p, p)}
		src.Rows[i][host] = splunkd.Value{fmt.Sprintf("WKS-%03d", p%500)}
	}
	body := splunkd.AppendCSV(nil, src, false)
	var c chunked.Chunk
	if err := c.In.Parse(body); err != nil {
		b.Fatal(err)
	}
	m := &mapper{limits: DefaultLimits}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Process(&c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { m.Process(&c) }))/n, "allocs/event")
}
