package correlate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/correlate"
	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

// synthEvents is n Sysmon-like events from processes processes: the emulator's
// synthetic events with process identities drawn from a pool, and one in
// ten network events turned into the DNS query that named it.
func synthEvents(n, processes int) *splunkd.Table {
	t := splunkd.TableOf(synth.Sysmon(n, 3))
	col := func(name string) int { return t.Column(name) }
	t.Fields = append(t.Fields, "QueryName", "QueryResults")
	code, guid, host, dhost, dip := col("EventCode"), col("ProcessGuid"), col("host"), col("DestinationHostname"), col("DestinationIp")
	for i := range t.Rows {
		row := append(t.Rows[i], nil, nil)
		p := (i * 7919) % processes
		row[guid] = splunkd.Value{fmt.Sprintf("{4a5c%04x-0000-0000-0000-%012x}", p%65536, p)}
		row[host] = splunkd.Value{fmt.Sprintf("WKS-%03d", p%500)}
		if first(row[code]) == "3" && i%10 == 0 && len(row[dhost]) > 0 {
			row[code] = splunkd.Value{"22"}
			row[len(row)-2] = row[dhost]
			row[len(row)-1] = splunkd.Value{"::ffff:" + first(row[dip]) + ";"}
			row[dhost] = nil
		}
		t.Rows[i] = row
	}
	return t
}

func peaks(res *splunkd.Result) (mapPeak, reducePeak int64) {
	for _, p := range res.Processes {
		if strings.HasPrefix(p.Name, "map") {
			mapPeak = max(mapPeak, p.PeakRSS)
		} else if p.Role != "probe" {
			reducePeak = max(reducePeak, p.PeakRSS)
		}
	}
	return
}

// BenchmarkMapReduce: 1,000,000 events from 20,000 processes through the
// map phase on 3 simulated indexers and the reduce, with the emulator.
func BenchmarkMapReduce(b *testing.B) {
	input := synthEvents(1_000_000, 20_000)
	var mapPeak, reducePeak int64
	var rows int
	for b.Loop() {
		res, err := splunkd.Run(context.Background(), splunkd.Search{
			Argv: argv, Args: []string{"all=true"}, Input: input, Indexers: 3, ChunkRows: 10_000, Probes: -1, Timeout: 5 * time.Minute,
		})
		if err != nil {
			b.Fatal(err)
		}
		m, r := peaks(res)
		mapPeak, reducePeak, rows = max(mapPeak, m), max(reducePeak, r), res.Rows
	}
	b.ReportMetric(float64(b.N)*1_000_000/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(mapPeak)/(1<<20), "map-peak-MiB")
	b.ReportMetric(float64(reducePeak)/(1<<20), "reduce-peak-MiB")
	b.ReportMetric(float64(rows), "rows")
}

// BenchmarkMemoryBoundedByCaps: once max_groups and max_times are reached
// (5 and 20 events per process, 3 kept), four times as many events take
// the same memory, in the map processes and in the reduce: 100,000 then
// 400,000 events, each figure below 1.5 (the run fails past it). It
// reports the ratios of the peaks, 400,000 over 100,000 events. A
// measurement of peak memory, in make bench rather than make test (a
// minute with the race detector, and memory figures are noisy when the
// machine is busy).
func BenchmarkMemoryBoundedByCaps(b *testing.B) {
	run := func(n int) (int64, int64, []splunkd.Message) {
		res, err := splunkd.Run(context.Background(), splunkd.Search{
			Argv: argv, Args: []string{"all=true", "max_groups=2000", "max_times=3"}, Input: synthEvents(n, 20_000),
			Indexers: 2, ChunkRows: 10_000, Probes: -1, Timeout: 5 * time.Minute,
		})
		require.NoError(b, err)
		m, r := peaks(res)
		return m, r, res.Messages
	}
	var mapRatio, reduceRatio float64
	for b.Loop() {
		m1, r1, _ := run(100_000)
		m4, r4, msgs := run(400_000)
		b.Logf("map peak %d → %d KiB, reduce peak %d → %d KiB for 100,000 → 400,000 events", m1>>10, m4>>10, r1>>10, r4>>10)
		if m1 == 0 {
			b.Skip("no RSS figures on this platform")
		}
		mapRatio, reduceRatio = float64(m4)/float64(m1), float64(r4)/float64(r1)
		require.Less(b, mapRatio, 1.5, "map memory must not follow the number of events")
		require.Less(b, reduceRatio, 1.5, "reduce memory must not follow the number of events")
		var warned []string
		for _, m := range msgs {
			if m.Level == "WARN" {
				warned = append(warned, m.Text)
			}
		}
		require.NotEmpty(b, warned, "reaching a cap is reported")
		require.Contains(b, strings.Join(warned, "\n"), "max_groups=2000")
	}
	b.ReportMetric(mapRatio, "map-4x/1x")
	b.ReportMetric(reduceRatio, "reduce-4x/1x")
}

// BenchmarkStateSearches: the steps of the hourly alert and the baseline
// that read and write the state, over a day of state for 10,000 hosts (six
// activities each: 60,000 rows) and its fleet baseline, through the real
// binary and the emulator: merge (input=state output=state: the alert's
// second step), judge (input=state: its third) and fleet (input=state
// output=fleet: the baseline search). Reports the state's size as a lookup
// (CSV bytes) and each step's peak memory.
func BenchmarkStateSearches(b *testing.B) {
	const hosts = 10_000
	now := float64(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC).Unix())
	state, fleet := correlate.StateTable(hosts, now)
	withFleet := &splunkd.Table{Fields: append(append([]string(nil), state.Fields...), fleet.Fields...)}
	for _, r := range state.Rows {
		withFleet.Rows = append(withFleet.Rows, append(append([]splunkd.Value(nil), r...), make([]splunkd.Value, len(fleet.Fields))...))
	}
	for _, r := range fleet.Rows {
		withFleet.Rows = append(withFleet.Rows, append(make([]splunkd.Value, len(state.Fields)), r...))
	}
	stateMiB := float64(csvBytes(state)) / (1 << 20)
	for _, step := range []struct {
		name  string
		args  []string
		input *splunkd.Table
	}{
		{"merge", []string{"input=state", "output=state"}, state},
		{"judge", []string{"input=state", "all=true"}, withFleet},
		{"fleet", []string{"input=state", "output=fleet"}, withFleet},
	} {
		b.Run(step.name, func(b *testing.B) {
			var peak int64
			var out *splunkd.Table
			for b.Loop() {
				res, err := splunkd.Run(context.Background(), splunkd.Search{
					Argv: argv, Args: step.args, Input: step.input, Collect: true, Probes: -1, Timeout: 5 * time.Minute,
					Info: splunkd.SearchInfo{LatestTime: fmt.Sprint(int64(now))},
				})
				if err != nil {
					b.Fatal(err)
				}
				_, peak = peaks(res)
				out = res.Table
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
			b.ReportMetric(float64(len(step.input.Rows)), "rows-in")
			b.ReportMetric(float64(len(out.Rows)), "rows-out")
			b.ReportMetric(float64(csvBytes(out))/(1<<20), "out-MiB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
			b.ReportMetric(stateMiB, "state-in-MiB")
		})
	}
}

// csvBytes is about the size of a table as a CSV lookup file.
func csvBytes(t *splunkd.Table) int {
	n := 0
	for _, r := range t.Rows {
		for _, v := range r {
			for _, s := range v {
				n += len(s) + 1
			}
		}
	}
	return n
}
