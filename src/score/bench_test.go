package score_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

const (
	benchRows  = 100_000
	benchChunk = 10_000
	required   = "EventCode,Image,ParentImage,OriginalFileName,Description,Product,CommandLine,DestinationHostname,QueryName,User,host"
)

// BenchmarkThroughput compares the real t1102score with a command that
// sends each body back untouched (echocmd, declaring the same
// required_fields so both receive the same bytes), over 100,000
// Sysmon-like rows of 12 fields in chunks of 10,000, through real processes
// and pipes. Each iteration runs both, alternately, so machine noise hits
// both alike; the ratio score/echo of rows per second is the figure that
// matters (the target is at least 0.5).
//
//   - emulator: the strict splunkd emulator drives both. Its own work
//     (encoding the input, decoding and checking every reply with
//     encoding/csv, merging by _chunked_idx) is in the figures and weighs
//     more on t1102score, whose replies carry eight more fields.
//   - driver: a lean splunkd stand-in writes pre-encoded chunks (the five
//     fields plus _chunked_idx, in splunkd's quoting) and only frames and
//     counts the replies, so the figures are the commands' own.
//
// cpu-ratio compares the child processes' user+system CPU time.
func BenchmarkThroughput(b *testing.B) {
	input := splunkd.TableOf(synth.Sysmon(benchRows, 1))
	b.Run("emulator", func(b *testing.B) { benchEmulator(b, input, nil, required) })
	b.Run("emulator-filter", func(b *testing.B) { benchEmulator(b, input, []string{"filter=true"}, required) })
	b.Run("emulator-legacy", func(b *testing.B) { benchEmulator(b, input, []string{"logic=legacy"}, legacyRequired) })
	b.Run("driver", func(b *testing.B) { benchDriver(b, input, nil, required) })
	b.Run("driver-filter", func(b *testing.B) {
		// As the saved search runs it: only the rows worth an alert come back.
		benchDriver(b, input, []string{"filter=true"}, required)
	})
	b.Run("driver-legacy", func(b *testing.B) {
		// The original logic (five fields, eight outputs) on the same engine.
		benchDriver(b, input, []string{"logic=legacy"}, legacyRequired)
	})
	if corpus := corpusTable(b); corpus != nil {
		// The real corpus: few rows name a service, as in production.
		b.Run("driver-corpus", func(b *testing.B) { benchDriver(b, corpus, nil, required) })
	}
}

func benchEmulator(b *testing.B, input *splunkd.Table, args []string, required string) {
	searches := map[string]splunkd.Search{
		"score": {Argv: scoreArgv, Args: args, Input: input, ChunkRows: benchChunk, Probes: -1, Timeout: time.Minute},
		"echo":  {Argv: []string{echoBin, "-required", required}, Name: "echo", Input: input, ChunkRows: benchChunk, Probes: -1, Timeout: time.Minute},
	}
	m := newMeter()
	for b.Loop() {
		for _, name := range []string{"echo", "score"} {
			start := time.Now()
			res, err := splunkd.Run(context.Background(), searches[name])
			if err != nil {
				b.Fatal(err)
			}
			if res.Rows != benchRows && (name == "echo" || !filtered(args)) {
				b.Fatalf("%s: %d rows, want %d", name, res.Rows, benchRows)
			}
			m.add(name, time.Since(start), res.Processes[0].CPU, res.Processes[0].PeakRSS)
		}
	}
	m.report(b)
}

// legacyRequired are the fields of logic=legacy.
const legacyRequired = "EventCode,DestinationHostname,Image,CommandLine,ParentImage"

func benchDriver(b *testing.B, input *splunkd.Table, args []string, required string) {
	stream := preEncode(b, input, required, args)
	rowsIn := len(input.Rows)
	{
		argv := map[string][]string{"score": scoreArgv, "echo": {echoBin, "-required", required}}
		m := newMeter()
		for b.Loop() {
			for _, name := range []string{"echo", "score"} {
				start := time.Now()
				rows, cpu, err := drive(argv[name], stream)
				if err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				if rows != rowsIn && (name == "echo" || !filtered(args)) {
					b.Fatalf("%s: %d rows, want %d", name, rows, rowsIn)
				}
				m.add(name, time.Since(start), cpu, 0)
			}
		}
		m.rows = rowsIn
		m.report(b)
	}
}

type meter struct {
	wall, cpu map[string]time.Duration
	peak      int64
	n         int
	rows      int // rows per run
}

func newMeter() *meter {
	return &meter{wall: map[string]time.Duration{}, cpu: map[string]time.Duration{}, rows: benchRows}
}

func (m *meter) add(name string, wall, cpu time.Duration, peak int64) {
	m.wall[name] += wall
	m.cpu[name] += cpu
	if name == "score" {
		m.n++
		m.peak = max(m.peak, peak)
	}
}

func (m *meter) report(b *testing.B) {
	n := float64(m.n * m.rows)
	b.ReportMetric(n/m.wall["score"].Seconds(), "score-rows/s")
	b.ReportMetric(n/m.wall["echo"].Seconds(), "echo-rows/s")
	b.ReportMetric(m.wall["echo"].Seconds()/m.wall["score"].Seconds(), "ratio")
	b.ReportMetric(m.cpu["echo"].Seconds()/m.cpu["score"].Seconds(), "cpu-ratio")
	if m.peak > 0 {
		b.ReportMetric(float64(m.peak)/(1<<20), "score-peak-MiB")
	}
	b.ReportMetric(0, "ns/op") // per-op time mixes two commands: see the rates
}

// preEncode renders what splunkd sends a streaming command with
// required_fields: getinfo, then chunks of the required fields plus
// _chunked_idx, in splunkd's quoting, the last one finished.
func preEncode(b *testing.B, full *splunkd.Table, required string, args []string) [][]byte {
	var keep [][]byte
	for _, f := range bytes.Split([]byte(required), []byte(",")) {
		if full.Column(string(f)) >= 0 { // splunkd sends the required fields that exist
			keep = append(keep, f)
		}
	}
	keep = append(keep, []byte("_chunked_idx"))
	var msgs [][]byte
	a, _ := json.Marshal(append([]string{}, args...))
	msgs = append(msgs, []byte(frame(`{"action":"getinfo","preview":false,"searchinfo":{"args":`+string(a)+`,"command":"t1102score"}}`, "")))
	for c := 0; c*benchChunk < len(full.Rows); c++ {
		t := &splunkd.Table{}
		for _, f := range keep {
			t.Fields = append(t.Fields, string(f))
		}
		for i := c * benchChunk; i < min((c+1)*benchChunk, len(full.Rows)); i++ {
			row := make([]splunkd.Value, len(keep))
			for j, f := range keep {
				if string(f) == "_chunked_idx" {
					row[j] = splunkd.Value{strconv.Itoa(i - c*benchChunk)}
				} else {
					row[j] = full.Rows[i][full.Column(string(f))]
				}
			}
			t.Rows = append(t.Rows, row)
		}
		last := (c+1)*benchChunk >= len(full.Rows)
		msgs = append(msgs, []byte(frame(fmt.Sprintf(`{"action":"execute","finished":%t}`, last), string(splunkd.AppendCSV(nil, t, false)))))
	}
	return msgs
}

// drive plays the messages to a command, one reply per message, and
// returns the rows it answered and its CPU time.
func drive(argv []string, msgs [][]byte) (int, time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer cmd.Process.Kill()
	r := chunked.NewReader(stdout)
	var t chunked.Table
	rows := 0
	for i, m := range msgs {
		if _, err := stdin.Write(m); err != nil {
			return 0, 0, err
		}
		reply, err := r.Next()
		if err != nil {
			return 0, 0, fmt.Errorf("reply %d: %w", i, err)
		}
		if i > 0 {
			if err := t.Parse(reply.Body); err != nil {
				return 0, 0, fmt.Errorf("reply %d: %w", i, err)
			}
			rows += t.Len()
		}
	}
	stdin.Close()
	if _, err := r.Next(); err != io.EOF {
		return 0, 0, fmt.Errorf("after the last reply: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, err
	}
	return rows, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// corpusTable is the real Sysmon corpus, or nil (with a note) without
// ../shared.
func corpusTable(b *testing.B) *splunkd.Table {
	dir := filepath.Join("..", "..", "..", "shared", "sysmon")
	if _, err := os.Stat(dir); err != nil {
		b.Logf("no corpus benchmark: %s not found", dir)
		return nil
	}
	return loadCorpus(b, dir)
}

func filtered(args []string) bool {
	for _, a := range args {
		if a == "filter=true" {
			return true
		}
	}
	return false
}
