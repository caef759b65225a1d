package splunkd

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// msg frames one message with byte-counted lengths.
func msg(meta, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}

const testGetinfo = `{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"searchinfo":{"args":["x=1","y"],"raw_args":["x=\"1\"","y"],"sid":"1.2","command":"upper"}}`

// testStream is a hand-made 8.2.1-shaped stream: getinfo, two data
// chunks with _chunked_idx, a header-only final chunk.
var testStream = msg(testGetinfo, "") +
	msg(`{"action":"execute","finished":false}`, "name,\"_chunked_idx\",\"__mv_name\",\"__mv__chunked_idx\"\nalice,0,,\n\"ทt\",1,,\n") +
	msg(`{"action":"execute","finished":false}`, "name,\"_chunked_idx\",\"__mv_name\",\"__mv__chunked_idx\"\nbob,0,,\n") +
	msg(`{"action":"execute","finished":true}`, "name,\"_chunked_idx\",\"__mv_name\",\"__mv__chunked_idx\"\n")

func TestSplitStream(t *testing.T) {
	g := msg(testGetinfo, "")
	tests := []struct {
		name    string
		stream  string
		n       int
		want    error
		message int
		offset  int64
		reason  string
	}{
		{"hand-made", testStream, 4, nil, 0, 0, "four messages, multibyte body counted in bytes"},
		{"trailing newline", g + "\n", 1, nil, 0, 0, "a stray newline after the last message is tolerated"},
		{"whitespace between", g + " \r\n" + g, 2, nil, 0, 0, "whitespace between messages is tolerated"},
		{"body past end", g + "chunked 1.0,2,150\n{}", 0, ErrTruncated, 1, int64(len(g)), "a declared length past the end names the message and offset"},
		{"meta past end", "chunked 1.0,99,0\n{}", 0, ErrTruncated, 0, 0, "metadata lengths too"},
		{"header cut", g + "chunked 1.0,2", 0, ErrTruncated, 1, int64(len(g)), "a stream ending inside a header"},
		{"protocol v1", "splunkVersion:8.0.3\nallowStream:1\n\n_time\n1\n", 0, ErrBadHeader, 0, 0, "a v1 Intersplunk stream is not chunked"},
		{"leading zero", "chunked 1.0,02,0\n{}", 0, ErrBadHeader, 0, int64(len("chunked 1.0,")), "lengths have no leading zeros"},
		{"spaces", "chunked 1.0, 2,0\n{}", 0, ErrBadHeader, 0, int64(len("chunked 1.0,")), "exact header form"},
		{"not json", msg("nope", ""), 0, ErrBadJSON, 0, int64(len("chunked 1.0,4,0\n")), "metadata is a JSON object"},
		{"empty", "", 0, ErrTruncated, 0, 0, "an empty stream has no messages"},
		{"garbage between", g + "x" + g, 0, ErrBadHeader, 1, int64(len(g)), "only whitespace may sit between messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := SplitStream([]byte(tt.stream))
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want, tt.reason)
				var se *StreamError
				require.True(t, errors.As(err, &se))
				require.Equal(t, tt.message, se.Message, tt.reason)
				require.Equal(t, tt.offset, se.Offset, tt.reason)
				return
			}
			require.NoError(t, err, tt.reason)
			require.Len(t, msgs, tt.n, tt.reason)
		})
	}
	msgs, err := SplitStream([]byte(testStream))
	require.NoError(t, err)
	require.Equal(t, "getinfo", msgs[0].Action())
	fin, ok := msgs[3].Finished()
	require.True(t, fin && ok)
	require.Contains(t, string(msgs[1].Body), "ทt")
}

func TestSplitStreamV1Message(t *testing.T) {
	_, err := SplitStream([]byte("infoPath:/opt/splunk/x.csv\nsplunkVersion:8.0.3\n\n"))
	require.ErrorContains(t, err, "protocol v1", "the error says what the stream is")
}

func TestReplayEcho(t *testing.T) {
	checkNoLeak(t)
	for _, noArgs := range []bool{false, true} {
		tr, err := Replay(context.Background(), []string{echoBin}, []byte(testStream), ReplayOptions{NoArgs: noArgs, Timeout: 5 * time.Second})
		require.NoError(t, err)
		require.Len(t, tr.Replies, 4)
		require.Equal(t, 0, tr.ExitCode)
		require.Equal(t, `{"type":"streaming"}`, string(tr.Replies[0].RawMeta))
		require.Equal(t, tr.Requests[1].Body, tr.Replies[1].Body, "echo")
		si := tr.Requests[0].Meta["searchinfo"].(map[string]any)
		if noArgs {
			require.Equal(t, []any{}, si["args"])
			require.Equal(t, []any{}, si["raw_args"])
			require.True(t, strings.HasPrefix(string(tr.Requests[0].RawMeta), `{"action":"getinfo","preview":false,`), "key order kept")
			require.Contains(t, string(tr.Requests[0].RawMeta), `"searchinfo":{"args":[],"raw_args":[],"sid":"1.2"`)
		} else {
			require.Equal(t, testGetinfo, string(tr.Requests[0].RawMeta))
		}
	}
}

func TestReplayViolations(t *testing.T) {
	checkNoLeak(t)
	tests := []struct {
		name, mode string
		want       error
		message    int
		reason     string
	}{
		{"wrong finished", "wrong-finished", ErrFinished, 1, "finished is echoed on execute replies"},
		{"dropped idx", "drop-idx", ErrChunkedIdx, 1, "_chunked_idx kept when the request had it"},
		{"invented idx", "invent-idx", ErrChunkedIdx, 1, "only indexes that were sent"},
		{"exit 1", "exit1", ErrExitStatus, 3, "clean exit 0 after EOF"},
		{"double", "double", ErrExtraReply, 0, "one reply per request"},
		{"bad header", "space-header", ErrBadHeader, 0, "exact header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Replay(context.Background(), fake(tt.mode), []byte(testStream), ReplayOptions{Timeout: time.Second})
			require.ErrorIs(t, err, tt.want, tt.reason)
			var v *Violation
			require.True(t, errors.As(err, &v))
			require.Equal(t, tt.message, v.Message, tt.reason)
			require.NotNil(t, tr)
		})
	}
	_, err := Replay(context.Background(), fake("error1"), []byte(testStream), ReplayOptions{Timeout: time.Second})
	var ce *CommandError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, "boom", ce.Text)
}

// sharedDir returns /work/shared (the repository's sibling "shared"), or
// skips the test.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "scpv2", "recordings")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("recordings not available: %s is absent (the shared reference folder sits beside the repository on the team's machines)", dir)
	}
	return dir
}

func readRecording(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		data, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	return data
}

// recordings lists every splunkd→command recording with its expected
// message count, or the error SplitStream must report.
var recordings = []struct {
	path    string
	n       int
	want    error
	message int
	reason  string
}{
	{"splunk-sdk-python/scpv2/Splunk-6.3/countmatches.input.gz", 2, nil, 0, "getinfo + one execute with multibyte tweets"},
	{"splunk-sdk-python/scpv2/Splunk-6.3/sum.map.input.gz", 2, nil, 0, "map phase: 50 000 rows, 16 MB body"},
	{"splunk-sdk-python/scpv2/Splunk-6.3/sum.reduce.input.gz", 2, nil, 0, "reduce phase"},
	{"splunk-sdk-python/scpv2/Splunk-6.3/generatehello.input.gz", 0, ErrTruncated, 1, "synthetic, hand-edited chunk: declares a 150-byte body that is absent"},
	{"splunk-sdk-python/scpv2/Splunk-6.3/pypygeneratetext.input.gz", 1, nil, 0, "getinfo only plus a stray newline"},
	{"splunk-sdk-python/unit-data/multibyte_input.gz", 10, nil, 0, "8.0.3: getinfo + 9 execute chunks with Thai UTF-8"},
	{"splunk-sdk-python/unit-data/v1_search_input.gz", 0, ErrBadHeader, 0, "protocol v1, not chunked"},
	{"ndietrich-scp2/extracted/accumages_stateful.splunk-to-command.bin", 4, nil, 0, "stateful: data, header-only, header-only final"},
	{"ndietrich-scp2/extracted/averageage_reporting.splunk-to-command.bin", 2, nil, 0, "reporting"},
	{"ndietrich-scp2/extracted/doubleage_streaming.splunk-to-command.bin", 3, nil, 0, "streaming with _chunked_idx"},
	{"ndietrich-scp2/extracted/events.splunk-to-command.bin", 2, nil, 0, "events with multivalue _si"},
	{"ndietrich-scp2/extracted/generateevents_generating_stateful.splunk-to-command.bin", 2, nil, 0, "generating: header-only execute"},
	{"ndietrich-scp2/extracted/reporting.splunk-to-command.bin", 2, nil, 0, "reporting"},
	{"ndietrich-scp2/extracted/sortages_events.splunk-to-command.bin", 2, nil, 0, "events"},
	{"ndietrich-scp2/extracted/stateful.splunk-to-command.bin", 4, nil, 0, "stateful"},
	{"ndietrich-scp2/extracted/streaming.splunk-to-command.bin", 3, nil, 0, "streaming"},
}

func TestSplitStreamRecordings(t *testing.T) {
	dir := sharedDir(t)
	for _, rec := range recordings {
		t.Run(filepath.Base(rec.path), func(t *testing.T) {
			msgs, err := SplitStream(readRecording(t, filepath.Join(dir, rec.path)))
			if rec.want != nil {
				require.ErrorIs(t, err, rec.want, rec.reason)
				var se *StreamError
				require.True(t, errors.As(err, &se))
				require.Equal(t, rec.message, se.Message, rec.reason)
				t.Log(err)
				return
			}
			require.NoError(t, err, rec.reason)
			require.Len(t, msgs, rec.n, rec.reason)
			require.Equal(t, "getinfo", msgs[0].Action())
			for _, m := range msgs[1:] {
				require.Equal(t, "execute", m.Action())
			}
		})
	}
}

func TestReplayRecordingsEcho(t *testing.T) {
	dir := sharedDir(t)
	checkNoLeak(t)
	for _, rec := range recordings {
		for _, noArgs := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/noargs=%v", filepath.Base(rec.path), noArgs), func(t *testing.T) {
				tr, err := Replay(context.Background(), []string{echoBin}, readRecording(t, filepath.Join(dir, rec.path)),
					ReplayOptions{NoArgs: noArgs, Timeout: 20 * time.Second})
				if rec.want != nil {
					require.ErrorIs(t, err, rec.want, rec.reason)
					require.Nil(t, tr, "nothing is started for a malformed recording")
					return
				}
				require.NoError(t, err, rec.reason)
				require.Len(t, tr.Replies, rec.n)
				require.Equal(t, 0, tr.ExitCode)
				for i := 1; i < rec.n; i++ {
					require.Equal(t, tr.Requests[i].Body, tr.Replies[i].Body)
				}
			})
		}
	}
}
