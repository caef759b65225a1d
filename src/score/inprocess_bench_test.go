package score

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/fieldmap"
	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

// BenchmarkInProcess runs the command's engine and logic without processes
// or pipes: 100,000 Sysmon-like rows (the five required fields plus
// _chunked_idx, as splunkd sends them) in chunks of 10,000.
func BenchmarkInProcess(b *testing.B) {
	full := splunkd.TableOf(synth.Sysmon(100_000, 1))
	var keep []string
	m := fieldmap.Sysmon()
	for _, f := range inputs {
		if full.Column(m.Name(f)) >= 0 {
			keep = append(keep, m.Name(f))
		}
	}
	keep = append(keep, "_chunked_idx")
	var in strings.Builder
	in.WriteString(getinfo(benchArgs...))
	for c := 0; c < 10; c++ {
		t := &splunkd.Table{Fields: keep}
		for i := c * 10_000; i < (c+1)*10_000; i++ {
			row := make([]splunkd.Value, len(keep))
			for j, f := range keep {
				if f == "_chunked_idx" {
					row[j] = splunkd.Value{itoa(i - c*10_000)}
				} else {
					row[j] = full.Rows[i][full.Column(f)]
				}
			}
			t.Rows = append(t.Rows, row)
		}
		meta := `{"action":"execute","finished":false}`
		if c == 9 {
			meta = `{"action":"execute","finished":true}`
		}
		in.WriteString(frame(meta, string(splunkd.AppendCSV(nil, t, false))))
	}
	input := in.String()
	if path := os.Getenv("T1102_DUMP_STREAM"); path != "" {
		// For profiling the real binary on the same bytes.
		if err := os.WriteFile(path, []byte(input), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if err := chunked.Run(Command{AppDir: filepath.Join("..", "..")}, strings.NewReader(input), io.Discard, chunked.Options{Workers: runtime.GOMAXPROCS(0)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*100_000/b.Elapsed().Seconds(), "rows/s")
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// benchArgs are BenchmarkInProcess's search arguments (T1102_BENCH_ARGS,
// space-separated, for profiling one logic or another).
var benchArgs = strings.Fields(os.Getenv("T1102_BENCH_ARGS"))
