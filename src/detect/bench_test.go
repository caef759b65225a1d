package detect

import (
	"testing"

	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

// BenchmarkScorerSynthetic: the scorer alone on the rows of the throughput
// benchmark (synth.Sysmon: every row carries a CommandLine,
// network events too, so every row's command line is read).
func BenchmarkScorerSynthetic(b *testing.B) {
	d := shipped(b, WebServicesFile)
	s := d.NewScorer()
	tab := splunkd.TableOf(synth.Sysmon(20000, 1))
	col := map[string]int{}
	for i, f := range tab.Fields {
		col[f] = i
	}
	get := func(r []splunkd.Value, f string) []byte {
		if v := r[col[f]]; len(v) > 0 {
			return []byte(v[0])
		}
		return nil
	}
	evs := make([]Event, len(tab.Rows))
	for i, r := range tab.Rows {
		evs[i] = Event{EventCode: get(r, "EventCode"), Image: get(r, "Image"), CommandLine: get(r, "CommandLine"), ParentImage: get(r, "ParentImage"),
			DestinationHostname: get(r, "DestinationHostname"), User: get(r, "User"), Host: get(r, "host")}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Score(&evs[i%len(evs)])
	}
}
