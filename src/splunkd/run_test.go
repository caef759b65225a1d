package splunkd

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/t1102app/t1102/src/internal/synth"
)

// people is a small input with awkward values.
func people() *Table {
	return &Table{
		Fields: []string{"name", "age", "note", "_si"},
		Rows: [][]Value{
			{{"alice"}, {"30"}, {`says "hi", twice`}, {"idx1", "main"}},
			{{"bob"}, {"40"}, nil, {"idx2"}},
			{{"drop"}, {"1"}, {"x"}, nil},
			{{"ทt"}, {"5"}, {"$money$"}, {"a$b", "c"}},
			{{"eve"}, {"22"}, {"line1\nline2"}, nil},
		},
	}
}

// rowSet renders rows as sorted strings, to compare outputs whose order
// depends on indexers.
func rowSet(t *Table, fields ...string) []string {
	var out []string
	for i := range t.Rows {
		var parts []string
		for _, f := range fields {
			parts = append(parts, f+"="+strings.Join(t.Get(i, f), "|"))
		}
		out = append(out, strings.Join(parts, " "))
	}
	slices.Sort(out)
	return out
}

func TestRunEchoAccepted(t *testing.T) {
	checkNoLeak(t)
	tests := []struct {
		name   string
		s      Search
		reason string
	}{
		{"defaults", Search{}, "one chunk, last data chunk finished:true"},
		{"chunk of one", Search{ChunkRows: 1}, "splunkd may send one-row chunks"},
		{"chunk of two", Search{ChunkRows: 2}, "a short last chunk"},
		{"final header only", Search{ChunkRows: 2, FinalHeaderOnly: true}, "Splunk 8.2.1 ends with a header-only finished:true chunk"},
		{"crlf", Search{CRLF: true}, "commands must accept CRLF bodies"},
		{"indexers", Search{Indexers: 3, ChunkRows: 1}, "one streaming process per indexer"},
		{"no probes", Search{Probes: -1}, "probes can be turned off"},
		{"three probes", Search{Probes: 3}, "every probe gets getinfo and EOF"},
		{"required", Search{Argv: []string{echoBin, "-required", "age,name"}, ChunkRows: 2}, "required_fields: only those plus _chunked_idx are sent and merged back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			if s.Argv == nil {
				s.Argv = []string{echoBin}
			}
			s.Input, s.Collect, s.Timeout = people(), true, 10*time.Second
			res, err := Run(context.Background(), s)
			require.NoError(t, err, tt.reason)
			require.Equal(t, 5, res.Rows)
			all := []string{"name", "age", "note", "_si"}
			require.ElementsMatch(t, all, res.Table.Fields, tt.reason)
			require.Equal(t, rowSet(people(), all...), rowSet(res.Table, all...), tt.reason)
			if s.Indexers <= 1 {
				require.Equal(t, normalize(people()).Rows[3][3], res.Table.Get(3, "_si"), "row order kept with one indexer")
			}
			for _, p := range res.Processes {
				require.Equal(t, 0, p.ExitCode, p.Name)
			}
		})
	}
}

func TestRunProcesses(t *testing.T) {
	res, err := Run(context.Background(), Search{Argv: []string{echoBin}, Input: people(), Indexers: 2, Probes: 2, ChunkRows: 2})
	require.NoError(t, err)
	var names []string
	for _, p := range res.Processes {
		names = append(names, p.Name+"/"+p.Role)
		require.Positive(t, p.Pid)
		require.Positive(t, p.BytesIn)
		require.Positive(t, p.BytesOut)
		if runtime.GOOS == "linux" {
			require.Positive(t, p.MaxRSS, "max RSS comes from rusage on Linux")
		}
	}
	require.Equal(t, []string{"probe1/probe", "probe2/probe", "main/main", "indexer1/indexer"}, names)
	// 5 rows round-robin: indexer 0 gets 3 rows (2 chunks), indexer 1 gets 2 (1 chunk).
	require.Equal(t, 3, res.Processes[2].RowsIn)
	require.Equal(t, 3, res.Processes[2].Chunks, "getinfo + 2 execute")
	require.Equal(t, 2, res.Processes[3].Chunks, "getinfo + 1 execute")
	require.Equal(t, 5, res.Rows)
	require.Nil(t, res.Table, "Collect is off")
}

func TestRunMergeBack(t *testing.T) {
	for _, mode := range []string{"upper", "stateful-upper"} {
		t.Run(mode, func(t *testing.T) {
			res, err := Run(context.Background(), Search{Argv: fake(mode), Input: people(), Collect: true, ChunkRows: 2, FinalHeaderOnly: true})
			require.NoError(t, err)
			// Output fields first, then the withheld ones.
			require.Equal(t, []string{"name", "len", "tags", "age", "note", "_si"}, res.Table.Fields)
			require.Equal(t, 4, res.Rows, "the row named drop was filtered out")
			require.Equal(t, []string{
				"name=ALICE len=5 age=30 _si=idx1|main",
				"name=BOB len=3 age=40 _si=idx2",
				"name=EVE len=3 age=22 _si=",
				"name=ทT len=2 age=5 _si=a$b|c",
			}, rowSet(res.Table, "name", "len", "age", "_si"))
			require.Equal(t, Value{"x", "y$z"}, res.Table.Get(0, "tags"), "multivalue decoded from __mv_tags")
			require.Nil(t, res.Table.Get(1, "tags"))
		})
	}
}

func TestRunMapReduce(t *testing.T) {
	checkNoLeak(t)
	in := &Table{Fields: []string{"value", "other"}}
	for i := range 100 {
		in.Rows = append(in.Rows, []Value{{strconv.Itoa(i)}, {"o"}})
	}
	res, err := Run(context.Background(), Search{
		Argv: fake("sum"), Name: "sumcmd", Input: in, Indexers: 3, ChunkRows: 7, Collect: true,
		Registry: map[string][]string{"sumcmd": fake("sum")},
	})
	require.NoError(t, err)
	require.Equal(t, "reporting", res.Config.Type)
	require.Equal(t, []string{"total"}, res.Table.Fields)
	require.Equal(t, Value{"4950"}, res.Table.Get(0, "total"), "0+1+...+99 summed over 3 map processes and one reduce")
	var roles []string
	for _, p := range res.Processes {
		roles = append(roles, p.Name+"/"+p.Role)
	}
	require.Equal(t, []string{"probe1/probe", "main/reduce", "map0/map", "map1/map", "map2/map"}, roles)
	require.Equal(t, 3, res.Processes[1].RowsIn, "the reduce got one partial row per map")
	require.Equal(t, 34, res.Processes[2].RowsIn, "round-robin: map0 got rows 0, 3, ... 99")
}

func TestRunGenerating(t *testing.T) {
	res, err := Run(context.Background(), Search{Argv: fake("gen"), Collect: true})
	require.NoError(t, err)
	require.Equal(t, 15, res.Rows, "3 rounds of 5 rows: splunkd repeats execute while the reply says finished:false")
	require.Equal(t, Value{"14"}, res.Table.Get(14, "n"))
	require.Equal(t, 4, res.Processes[1].Chunks)
}

func TestRunEventsAndReporting(t *testing.T) {
	res, err := Run(context.Background(), Search{Argv: fake("events"), Input: people(), Collect: true, ChunkRows: 1})
	require.NoError(t, err)
	require.Equal(t, 2, res.Processes[1].Chunks, "events commands get one chunk, whatever ChunkRows")
	require.Equal(t, []string{"name", "age", "note", "_si"}, res.Table.Fields, "events commands get all fields despite required_fields")
	require.Equal(t, Value{"eve"}, res.Table.Get(0, "name"), "events commands may reorder")

	res, err = Run(context.Background(), Search{Argv: fake("report"), Input: &Table{Fields: []string{"value", "x"},
		Rows: [][]Value{{{"1"}, {"a"}}, {{"2"}, nil}, {{"39"}, {"c"}}}}, Collect: true, ChunkRows: 1})
	require.NoError(t, err)
	require.Equal(t, []string{"count", "sum"}, res.Table.Fields)
	require.Equal(t, Value{"42"}, res.Table.Get(0, "sum"))
}

func TestRunGetinfoShape(t *testing.T) {
	s := Search{
		Argv: fake("dump-getinfo"), Name: "t1102score", Args: []string{"window=60", "pattern=\\w+"},
		RawArgs: []string{"window=60", `pattern="\w+"`}, Probes: -1,
		Info: SearchInfo{SID: "1700000000.7", DispatchDir: `C:\dispatch\1700000000.7`, Search: `search index=main | t1102score window=60 pattern="\w+"`},
	}
	res, err := Run(context.Background(), s)
	require.NoError(t, err)
	require.Len(t, res.Messages, 1)
	want := `{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"searchinfo":{` +
		`"args":["window=60","pattern=\\w+"],"raw_args":["window=60","pattern=\"\\w+\""],` +
		`"dispatch_dir":"C:\\dispatch\\1700000000.7","sid":"1700000000.7","app":"search","owner":"admin","username":"admin",` +
		`"session_key":"emulatedSessionKey^0000000000000000","splunkd_uri":"https://127.0.0.1:8089","splunk_version":"9.2.1",` +
		`"search":"search%20index%3Dmain%20%7C%20t1102score%20window%3D60%20pattern%3D%22%5Cw%2B%22",` +
		`"command":"t1102score","maxresultrows":50000,"earliest_time":"0","latest_time":"0"}}`
	require.Equal(t, want, res.Messages[0].Text, "splunkd 8.x key order, compact JSON, percent-encoded search")
	require.Equal(t, Message{Level: "INFO", Text: want, Process: "main"}, res.Messages[0])
}

func TestRunViolations(t *testing.T) {
	checkNoLeak(t)
	big := TableOf(synth.Sysmon(3000, 3)) // > 64 KiB per request
	tests := []struct {
		name    string
		mode    string
		s       Search
		want    error
		process string
		message int
		reason  string
	}{
		{"space header", "space-header", Search{}, ErrBadHeader, "probe1", 0, "headers are exactly chunked 1.0,M,B\\n, no spaces"},
		{"crlf header", "crlf-header", Search{}, ErrBadHeader, "probe1", 0, "the header ends with LF only"},
		{"garbage before header", "garbage", Search{}, ErrBadHeader, "probe1", 0, "nothing may precede a header"},
		{"garbage then silence", "garbage-hang", Search{}, ErrBadHeader, "probe1", 0, "a bad first byte fails fast, without waiting for a newline"},
		{"requires_preop", "requires-preop", Search{}, ErrUnknownKey, "probe1", 0, "ChunkedExternProcessor rejects requires_preop"},
		{"empty metadata", "empty-meta", Search{}, ErrBadJSON, "probe1", 0, "metadata is at least {}"},
		{"null metadata", "null-meta", Search{}, ErrBadJSON, "probe1", 0, "metadata is an object, not null"},
		{"bad type", "bad-type", Search{}, ErrBadMeta, "probe1", 0, "type is one of four"},
		{"getinfo body", "getinfo-body", Search{}, ErrUnexpectedBody, "probe1", 0, "getinfo replies are metadata only"},
		{"bad inspector level", "bad-level", Search{}, ErrBadMeta, "probe1", 0, "levels are DEBUG INFO WARN ERROR FATAL"},
		{"exit without reply", "no-reply-exit", Search{}, ErrNoReply, "probe1", 0, "every getinfo gets a reply"},
		{"huge declared length", "huge", Search{}, ErrTooLarge, "probe1", 0, "a declared size over the cap fails before any allocation"},
		{"lying length", "lying", Search{}, ErrTruncated, "probe1", 0, "declared bytes must arrive"},
		{"two replies", "double", Search{}, ErrExtraReply, "probe1", 0, "exactly one reply per request"},
		{"character-counted length", "charcount", Search{}, ErrExtraReply, "probe1", 0, "lengths count bytes, not characters"},
		{"character-counted body", "charcount-body", Search{}, ErrExtraReply, "main", 1, "body lengths count bytes too"},
		{"no reply", "hang", Search{}, ErrTimeout, "main", 1, "a command that does not answer is killed"},
		{"missing finished", "no-finished", Search{}, ErrFinished, "main", 1, "every execute reply has finished"},
		{"wrong finished", "wrong-finished", Search{ChunkRows: 2}, ErrFinished, "main", 1, "finished echoes the request"},
		{"partial", "partial", Search{}, ErrUnknownKey, "main", 1, "partial is not implemented by splunkd"},
		{"dropped _chunked_idx", "drop-idx", Search{}, ErrChunkedIdx, "main", 1, "output rows keep _chunked_idx"},
		{"invented _chunked_idx", "invent-idx", Search{}, ErrChunkedIdx, "main", 1, "only sent indexes"},
		{"repeated _chunked_idx", "repeat-idx", Search{}, ErrChunkedIdx, "main", 1, "an index at most once"},
		{"bad csv", "bad-csv", Search{}, ErrBadCSV, "main", 1, "bodies parse with strict encoding/csv"},
		{"ragged csv", "ragged", Search{}, ErrBadCSV, "main", 1, "rows as wide as the header"},
		{"duplicate column", "dup-col", Search{}, ErrBadCSV, "main", 1, "column names are unique"},
		{"bad multivalue", "bad-mv", Search{}, ErrMultivalue, "main", 1, "__mv_ cells are $-encoded lists"},
		{"multivalue mismatch", "mv-mismatch", Search{}, ErrMultivalue, "main", 1, "plain cell = values joined by newlines"},
		{"bad utf8", "bad-utf8", Search{}, ErrBadUTF8, "main", 1, "bodies are UTF-8"},
		{"truncated body", "truncated", Search{}, ErrTruncated, "main", 1, "declared body bytes must arrive"},
		{"exit 1 after success", "exit1", Search{}, ErrExitStatus, "probe1", 0, "exit 0 on EOF"},
		{"exit 3 with stderr", "stderr-exit3", Search{Probes: -1}, ErrExitStatus, "main", 1, "stderr is captured into the violation"},
		{"exit 0 after error", "error0", Search{}, ErrExitStatus, "main", 1, "an error reply is followed by a non-zero exit"},
		{"probe does not exit", "probe-hang", Search{}, ErrTimeout, "probe1", 0, "probes must exit after EOF"},
		{"output after EOF", "extra-after", Search{}, ErrExtraReply, "probe1", 0, "no unsolicited chunks"},
		{"stops reading stdin", "stop-reading", Search{Input: big, Probes: -1}, ErrTimeout, "main", 1, "back-pressure: a command that stops reading is killed"},
		{"generating never finishes", "gen-forever", Search{MaxRounds: 20}, ErrFinished, "main", 20, "rounds are capped"},
		{"preop not reporting", "bad-preop", Search{}, ErrBadConfig, "main", 0, "streaming_preop is for reporting commands"},
		{"map phase wrong type", "sum-badmap", Search{Name: "sumcmd"}, ErrBadConfig, "map0", 0, "the map phase is streaming or stateful"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			s.Argv = fake(tt.mode)
			if s.Input == nil {
				s.Input = people()
			}
			if s.Timeout == 0 {
				s.Timeout = 400 * time.Millisecond
			}
			start := time.Now()
			res, err := Run(context.Background(), s)
			require.ErrorIs(t, err, tt.want, tt.reason)
			var v *Violation
			require.True(t, errors.As(err, &v), "a *Violation: %v", err)
			require.Equal(t, tt.process, v.Process, tt.reason)
			require.Equal(t, tt.message, v.Message, tt.reason)
			require.NotEmpty(t, v.Rule)
			require.NotNil(t, res)
			require.Less(t, time.Since(start), 5*time.Second, "never hang")
			for _, p := range res.Processes {
				require.True(t, p.ExitCode != -2, p.Name)
			}
			if tt.mode == "stderr-exit3" {
				require.Contains(t, v.Stderr, "something went wrong")
			}
		})
	}
}

func TestRunViolationOffsets(t *testing.T) {
	tests := []struct {
		name   string
		mode   string
		offset int64
		reason string
	}{
		{"space header", "space-header", int64(len("chunked 1.0,")), "the first space after the comma"},
		{"crlf header", "crlf-header", int64(len("chunked 1.0,20,0")), "the \\r"},
		{"garbage", "garbage", 0, "the first byte"},
		{"double", "double", int64(len("chunked 1.0,20,0\n{\"type\":\"streaming\"}")), "where the second reply starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), Search{Argv: fake(tt.mode), Timeout: time.Second})
			var v *Violation
			require.True(t, errors.As(err, &v), "%v", err)
			require.Equal(t, tt.offset, v.Offset, tt.reason)
		})
	}
}

func TestRunCommandError(t *testing.T) {
	checkNoLeak(t)
	tests := []struct {
		name, mode, text string
		messages         int
		reason           string
	}{
		{"execute error", "error1", "boom", 1, "error reply then exit 1 is the proper way to fail"},
		{"getinfo error", "getinfo-error", "bad argument: x", 1, "bad arguments are reported in the getinfo reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(context.Background(), Search{Argv: fake(tt.mode), Input: people(), Timeout: time.Second, Probes: -1})
			var ce *CommandError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Equal(t, tt.text, ce.Text, tt.reason)
			require.Equal(t, 1, ce.ExitCode)
			require.Len(t, ce.Messages, tt.messages)
			require.Equal(t, "ERROR", ce.Messages[0].Level)
			require.Equal(t, ce.Messages, res.Messages)
		})
	}
}

func TestRunHugeLengthDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name, mode string
		want       error
		reason     string
	}{
		{"over the cap", "huge", ErrTooLarge, "1 TiB declared: rejected from the header alone"},
		{"under the cap", "lying", ErrTruncated, "900 MB declared, 10 bytes sent: buffers grow only as bytes arrive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Run(context.Background(), Search{Argv: fake(tt.mode), Probes: -1, Timeout: time.Second})
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, tt.want, tt.reason)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), tt.reason)
		})
	}
}

func TestRunContextCancel(t *testing.T) {
	checkNoLeak(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Search{Argv: fake("hang"), Input: people(), Timeout: time.Minute})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestRunStartError(t *testing.T) {
	_, err := Run(context.Background(), Search{Argv: []string{"/nonexistent/command"}})
	require.Error(t, err)
	var v *Violation
	require.False(t, errors.As(err, &v), "a missing executable is not a protocol violation")
	_, err = Run(context.Background(), Search{})
	require.Error(t, err)
}
