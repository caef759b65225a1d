package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// frame builds one message as splunkd writes it.
func frame(meta, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}

const getinfoMeta = `{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"searchinfo":{"args":[],"raw_args":[],"dispatch_dir":"/opt/splunk/var/run/splunk/dispatch/1.2","sid":"1.2","app":"search","owner":"admin","username":"admin","session_key":"s3cr3t-key","splunkd_uri":"https://127.0.0.1:8089","splunk_version":"9.2.1","search":"search%20index%3Dmain%20%7C%20cmd","command":"cmd","maxresultrows":50000,"earliest_time":"0","latest_time":"1627419600"}}`

func exec(finished bool, body string) string {
	return frame(fmt.Sprintf(`{"action":"execute","finished":%t}`, finished), body)
}

type reply struct {
	Meta map[string]any
	Body string
}

// replies parses everything the command wrote; a framing error fails the
// test, since the command must always write well-formed messages.
func replies(t *testing.T, out []byte) []reply {
	t.Helper()
	r := NewReader(bytes.NewReader(out))
	var got []reply
	for {
		m, err := r.Next()
		if err == io.EOF {
			return got
		}
		require.NoError(t, err)
		var meta map[string]any
		require.NoError(t, json.Unmarshal(m.Meta, &meta))
		got = append(got, reply{meta, string(m.Body)})
	}
}

// tagger is a streaming test command: it copies every row and adds n, the
// running row count.
type tagger struct {
	cfg   Config
	n     int
	col   int
	set   bool
	panic bool // panic in Row with a runtime error, as a bug would
	// seen is never made: with panic set, Row writes to it, a nil map.
	seen map[string]int
}

func (c *tagger) Configure(gi *GetInfo) (Config, Processor, error) {
	if len(gi.SearchInfo.Args) > 0 {
		return Config{}, nil, fmt.Errorf("cmd: %w: %q", ErrArgument, gi.SearchInfo.Args[0])
	}
	return c.cfg, PerRow(c), nil
}

func (c *tagger) Start(*Table) error { return nil }

func (c *tagger) Row(in Row, out *TableWriter) error {
	if c.panic {
		c.seen["boom"]++ // assignment to entry in nil map
	}
	out.Copy(in)
	if !c.set {
		c.col, c.set = out.Field("n"), true
	}
	c.n++
	out.SetInt(c.col, c.n)
	out.EndRow()
	return nil
}

func run(t *testing.T, cmd Command, input string, opts Options) ([]reply, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(cmd, strings.NewReader(input), &out, opts)
	return replies(t, out.Bytes()), err
}

func TestRunStreaming(t *testing.T) {
	input := frame(getinfoMeta, "") +
		exec(false, "a,\"_chunked_idx\",\"__mv_a\",\"__mv__chunked_idx\"\n1,0,,\n2,1,,\n") +
		exec(false, "a,\"_chunked_idx\",\"__mv_a\",\"__mv__chunked_idx\"\n") + // header only
		exec(false, "") + // no body at all
		exec(true, "a,\"_chunked_idx\"\r\n3,0\r\n") // CRLF, another header
	got, err := run(t, &tagger{cfg: Config{RequiredFields: []string{"a"}}}, input, Options{})
	require.NoError(t, err)
	require.Len(t, got, 5, "exactly one reply per message")
	require.Equal(t, map[string]any{"type": "streaming", "required_fields": []any{"a"}}, got[0].Meta)
	require.Equal(t, "a,_chunked_idx,__mv_a,__mv__chunked_idx,n\n1,0,,,1\n2,1,,,2\n", got[1].Body)
	for i, want := range []bool{false, false, false, true} {
		require.Equal(t, map[string]any{"finished": want}, got[i+1].Meta, "reply %d echoes finished", i+1)
	}
	require.Empty(t, got[2].Body)
	require.Empty(t, got[3].Body)
	require.Equal(t, "a,_chunked_idx,n\n3,0,3\n", got[4].Body)
}

func TestRunProbe(t *testing.T) {
	got, err := run(t, &tagger{}, frame(getinfoMeta, ""), Options{})
	require.NoError(t, err, "a probe (getinfo then EOF) ends cleanly")
	require.Len(t, got, 1)

	got, err = run(t, &tagger{}, "", Options{})
	require.NoError(t, err, "no message at all asks nothing")
	require.Empty(t, got)
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		cmd    Command
		input  string
		opts   Options
		err    error
		says   []string // substrings of the error the user sees
	}{
		{
			name:   "bad argument",
			reason: "Configure's error reaches the user in the getinfo reply",
			cmd:    &tagger{},
			input:  frame(strings.Replace(getinfoMeta, `"args":[]`, `"args":["bogus=1"]`, 1), ""),
			err:    ErrArgument,
			says:   []string{`"bogus=1"`},
		},
		{
			name:   "metadata not json",
			reason: "the reply names the message and its byte offset",
			cmd:    &tagger{},
			input:  frame("{not json", ""),
			err:    ErrMetadata,
			says:   []string{"chunk 0, byte 0"},
		},
		{
			name:   "metadata not an object",
			reason: "metadata must be a JSON object",
			cmd:    &tagger{},
			input:  frame(getinfoMeta, "") + frame(`[1,2]`, ""),
			err:    ErrMetadata,
			says:   []string{"chunk 1"},
		},
		{
			name:   "execute before getinfo",
			reason: "the first message must be getinfo",
			cmd:    &tagger{},
			input:  exec(true, "a\n1\n"),
			err:    ErrProtocol,
		},
		{
			name:   "unknown action",
			reason: "after getinfo only execute is known",
			cmd:    &tagger{},
			input:  frame(getinfoMeta, "") + frame(`{"action":"bogus"}`, ""),
			err:    ErrProtocol,
		},
		{
			name:   "bad framing",
			reason: "a malformed header stops the command with its offset",
			cmd:    &tagger{},
			input:  frame(getinfoMeta, "") + "chunked 1.0,x,0\n",
			err:    ErrHeader,
			says:   []string{"chunk 1, byte " + strconv.Itoa(len(frame(getinfoMeta, "")))},
		},
		{
			name:   "csv error",
			reason: "a CSV error names the chunk, row and field",
			cmd:    &tagger{},
			input:  frame(getinfoMeta, "") + exec(true, "a,b\n1,2\n3,\"x\"y\n"),
			err:    ErrQuote,
			says:   []string{"chunk 1", "row 2", `field "b"`},
		},
		{
			name:   "body over the cap",
			reason: "a declared length over the limit is refused before it is read",
			cmd:    &tagger{},
			input:  frame(getinfoMeta, "") + "chunked 1.0,36,5000\n{\"action\":\"execute\",\"finished\":true}",
			opts:   Options{MaxBody: 4096},
			err:    ErrTooLarge,
			says:   []string{"5000", "4096"},
		},
		{
			name:   "truncated body",
			reason: "input that ends inside a chunk is an error, not a clean end",
			cmd:    &tagger{},
			input:  frame(getinfoMeta, "") + "chunked 1.0,36,50\n{\"action\":\"execute\",\"finished\":true}a,b\n",
			err:    ErrTruncated,
		},
		{
			name:   "panic",
			reason: "a bug in a command becomes an error reply, never a crash",
			cmd:    &tagger{panic: true},
			input:  frame(getinfoMeta, "") + exec(true, "a\n1\n"),
			says:   []string{"internal error", "row 1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			var log bytes.Buffer
			tt.opts.Log = &log
			tt.opts.Name = "cmd"
			got, err := run(t, tt.cmd, tt.input, tt.opts)
			require.Error(t, err)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			}
			require.NotEmpty(t, got)
			last := got[len(got)-1]
			require.Equal(t, true, last.Meta["finished"], "the error reply ends the search")
			text, _ := last.Meta["error"].(string)
			require.Equal(t, err.Error(), text)
			for _, s := range tt.says {
				require.Contains(t, text, s)
			}
			msgs := last.Meta["inspector"].(map[string]any)["messages"].([]any)
			require.Equal(t, []any{"ERROR", text}, msgs[len(msgs)-1], "and shows as an inspector ERROR")
			require.NotContains(t, log.String()+text, "s3cr3t-key", "the session key never leaks")
		})
	}
}

type summer struct {
	sum   int
	chunk int
}

func (s *summer) Add(in *Table) error {
	s.chunk++
	c := in.Index("v")
	for i := 0; i < in.Len(); i++ {
		n, err := strconv.Atoi(string(in.Row(i).Get(c)))
		if err != nil {
			return fmt.Errorf("row %d: v: %w", i+1, err)
		}
		s.sum += n
	}
	return nil
}

func (s *summer) Finish(out *TableWriter) error {
	out.SetInt(out.Field("sum"), s.sum)
	out.SetInt(out.Field("chunks"), s.chunk)
	out.EndRow()
	return nil
}

type reporting struct{ s summer }

func (r *reporting) Configure(*GetInfo) (Config, Processor, error) {
	return Config{Type: Reporting, RequiredFields: []string{"v"}, StreamingPreop: "sum phase=map"}, Accumulate(&r.s), nil
}

func TestRunAccumulate(t *testing.T) {
	input := frame(getinfoMeta, "") + exec(false, "v\n1\n2\n") + exec(false, "v,w\n3,x\n") + exec(true, "v\n4\n")
	got, err := run(t, &reporting{}, input, Options{})
	require.NoError(t, err)
	require.Len(t, got, 4)
	require.Equal(t, "sum phase=map", got[0].Meta["streaming_preop"])
	require.Equal(t, "", got[1].Body, "no output before the last chunk")
	require.Equal(t, false, got[2].Meta["finished"])
	require.Equal(t, "sum,chunks\n10,3\n", got[3].Body)
}

type generator struct{ rounds int }

func (g *generator) Configure(*GetInfo) (Config, Processor, error) {
	return Config{Type: Stateful, Generating: true}, ProcessorFunc(func(c *Chunk) error {
		g.rounds++
		c.Out.SetInt(c.Out.Field("round"), g.rounds)
		c.Out.EndRow()
		c.Finished = g.rounds == 3
		return nil
	}), nil
}

func TestRunGenerating(t *testing.T) {
	input := frame(getinfoMeta, "") + exec(false, "") + exec(false, "") + exec(false, "")
	got, err := run(t, &generator{}, input, Options{})
	require.NoError(t, err)
	require.Len(t, got, 4)
	require.Equal(t, true, got[0].Meta["generating"])
	require.Equal(t, false, got[1].Meta["finished"], "a generating command drives finished itself")
	require.Equal(t, true, got[3].Meta["finished"])
	require.Equal(t, "round\n3\n", got[3].Body)
}

func TestRunInvalidUTF8Warns(t *testing.T) {
	input := frame(getinfoMeta, "") + exec(false, "a\n\xff\n") + exec(true, "a\n\xfe\n")
	got, err := run(t, &tagger{}, input, Options{})
	require.NoError(t, err)
	require.Equal(t, "a,n\n\uFFFD,1\n", got[1].Body)
	msgs := got[1].Meta["inspector"].(map[string]any)["messages"].([]any)
	require.Equal(t, "WARN", msgs[0].([]any)[0])
	require.Nil(t, got[2].Meta["inspector"], "warned once per process")
}

func TestRunWriteFailure(t *testing.T) {
	err := Run(&tagger{}, strings.NewReader(frame(getinfoMeta, "")), failWriter{}, Options{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "writing reply")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestSearchInfoDecoding(t *testing.T) {
	var gi GetInfo
	require.NoError(t, json.Unmarshal([]byte(getinfoMeta), &gi))
	si := gi.SearchInfo
	require.Equal(t, "search index=main | cmd", si.Search, "search is percent-decoded")
	require.Equal(t, "1627419600", si.LatestTime)
	require.Equal(t, 50000, si.MaxResultRows)
	require.Equal(t, "s3cr3t-key", si.SessionKey.Reveal())
	require.NotContains(t, fmt.Sprintf("%v %+v %#v %s", si, si, si, si.SessionKey), "s3cr3t-key",
		"no fmt verb prints the session key")
	b, err := json.Marshal(si)
	require.NoError(t, err)
	require.NotContains(t, string(b), "s3cr3t-key")

	// SDK-rewritten getinfo: numbers for times, missing 8.x keys, unknown keys.
	require.NoError(t, json.Unmarshal([]byte(`{"action": "getinfo", "searchinfo": {"latest_time": 1599172248.0, "earliest_time": null, "search": "a | b 100%", "splunkd_port": 8089}}`), &gi))
	require.Equal(t, "1599172248.0", gi.SearchInfo.LatestTime)
	require.Equal(t, "", gi.SearchInfo.EarliestTime)
	require.Equal(t, "a | b 100%", gi.SearchInfo.Search, "text that does not percent-decode is kept")
	require.Zero(t, gi.SearchInfo.MaxResultRows)

	require.Error(t, json.Unmarshal([]byte(`{"searchinfo": {"maxresultrows": "many"}}`), &gi))
}

func TestParseArgs(t *testing.T) {
	args, err := ParseArgs([]string{"filter=true", "pattern=a=b", "empty="})
	require.NoError(t, err)
	require.Equal(t, []Arg{{"filter", "true"}, {"pattern", "a=b"}, {"empty", ""}}, args)
	for _, c := range []struct {
		name, reason, err string
		args              []string
	}{
		{"leading =", "no name", "no name before '='", []string{"=x"}},
		{"spaces", `splunkd splits "a = b" into three words`, "without spaces", []string{"a", "=", "b"}},
		{"space after =", `"a= b" is two words`, "without spaces", []string{"a=", "b"}},
		{"bare word", "the commands take options only", `unexpected "word"`, []string{"word"}},
		{"twice", "which one would win is a guess", "a given twice", []string{"a=1", "b=2", "a=3"}},
	} {
		_, err = ParseArgs(c.args)
		require.ErrorIs(t, err, ErrArgument, c.name)
		require.ErrorContains(t, err, c.err, "%s: %s", c.name, c.reason)
	}

	for _, s := range []string{"true", "T", "1", "yes", "Y"} {
		v, err := ParseBool(s)
		require.NoError(t, err, s)
		require.True(t, v, s)
	}
	for _, s := range []string{"false", "f", "0", "NO", "n"} {
		v, err := ParseBool(s)
		require.NoError(t, err, s)
		require.False(t, v, s)
	}
	_, err = ParseBool("maybe")
	require.ErrorIs(t, err, ErrArgument)
}

// bigStream is getinfo and two chunks of n rows each.
func bigStream(n int) string {
	var b strings.Builder
	b.WriteString("a,\"_chunked_idx\",\"__mv_a\",\"__mv__chunked_idx\"\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\"v %d, quoted\",%d,,\n", i, i)
	}
	return frame(getinfoMeta, "") + exec(false, b.String()) + exec(true, b.String())
}

type parallelTagger struct{ h func() RowHandler }

func (p parallelTagger) Configure(*GetInfo) (Config, Processor, error) {
	return Config{}, PerRowParallel(p.h, 4), nil
}

// rowTagger tags each row with its own index: no state across rows.
type rowTagger struct {
	col    int
	set    bool
	failAt int
}

func (r *rowTagger) Start(*Table) error { return nil }

func (r *rowTagger) Row(in Row, out *TableWriter) error {
	if in.Index() == r.failAt-1 {
		return errors.New("bad row")
	}
	if in.Index()%3 == 0 {
		return nil // drop every third row
	}
	out.Copy(in)
	if !r.set {
		r.col, r.set = out.Field("i"), true
	}
	out.SetInt(r.col, in.Index())
	out.EndRow()
	return nil
}

func TestPerRowParallelMatchesPerRow(t *testing.T) {
	input := bigStream(5000)
	seq, err := run(t, parallelTagger{func() RowHandler { return &rowTagger{} }}, input, Options{})
	require.NoError(t, err)
	one := PerRowParallel(func() RowHandler { return &rowTagger{} }, 1)
	single, err := run(t, fixed{one}, input, Options{})
	require.NoError(t, err)
	require.Equal(t, single, seq, "four workers give the same replies as one")
	require.Len(t, strings.Split(strings.TrimSpace(seq[1].Body), "\n"), 1+5000-1667, "rows kept in order, every third dropped")

	_, err = run(t, parallelTagger{func() RowHandler { return &rowTagger{failAt: 4000} }}, input, Options{})
	require.ErrorContains(t, err, "row 4000: bad row", "an error in a worker names the row")
}

type fixed struct{ p Processor }

func (f fixed) Configure(*GetInfo) (Config, Processor, error) { return Config{}, f.p, nil }

type panicky struct{ rowTagger }

func (p *panicky) Row(in Row, out *TableWriter) error {
	if in.Index() == 3500 {
		panic("boom")
	}
	return p.rowTagger.Row(in, out)
}

func TestPerRowParallelPanic(t *testing.T) {
	got, err := run(t, parallelTagger{func() RowHandler { return &panicky{} }}, bigStream(5000), Options{})
	require.ErrorContains(t, err, "row 3501: internal error: boom")
	require.Equal(t, true, got[len(got)-1].Meta["finished"])
}

func TestRowsAfterParallelAreAnError(t *testing.T) {
	par := PerRowParallel(func() RowHandler { return &rowTagger{} }, 4)
	cmd := fixed{ProcessorFunc(func(c *Chunk) error {
		if err := par.Process(c); err != nil {
			return err
		}
		c.Out.SetString(c.Out.Field("summary"), "x") // would be lost silently
		c.Out.EndRow()
		return nil
	})}
	_, err := run(t, cmd, bigStream(5000), Options{})
	require.ErrorIs(t, err, ErrCommand)
}

// TestRunEndOfInput: the input ends with the execute message that says
// finished=true (§4.1), or, for a generating command, with its own
// finished=true reply (§4.2); a probe's stream ends after getinfo (§1.3).
func TestRunEndOfInput(t *testing.T) {
	g := frame(getinfoMeta, "")
	tests := []struct {
		name    string
		reason  string
		cmd     func() Command
		input   string
		err     error  // nil: a clean end
		replies int    // replies written
		last    string // body of the last non-error reply
		says    []string
	}{
		{"probe", "getinfo then EOF is splunkd's search-optimizer probe: clean (§1.3)",
			func() Command { return &reporting{} }, g, nil, 1, "", nil},
		{"nothing", "an empty stream asked nothing",
			func() Command { return &reporting{} }, "", nil, 0, "", nil},
		{"finished", "the normal end: one result set",
			func() Command { return &reporting{} }, g + exec(false, "v\n1\n") + exec(true, "v\n2\n"), nil, 3, "sum,chunks\n3,2\n", nil},
		{"chunk after finished", "a reduce must not answer twice with doubled counts: the extra chunk is refused, named",
			func() Command { return &reporting{} }, g + exec(true, "v\n1\n2\n") + exec(true, "v\n1\n2\n"), ErrAfterFinished, 3, "sum,chunks\n3,1\n",
			[]string{"chunk 2", "byte " + strconv.Itoa(len(g+exec(true, "v\n1\n2\n"))), "ended at chunk 1"}},
		{"finished=false after finished", "any message after the end is refused, whatever its flag",
			func() Command { return &tagger{} }, g + exec(true, "a\n1\n") + exec(false, "a\n2\n"), ErrAfterFinished, 3, "a,n\n1,1\n", []string{"chunk 2"}},
		{"no finished", "input that stops before finished=true would give a partial answer with exit 0",
			func() Command { return &reporting{} }, g + exec(false, "v\n1\n") + exec(false, "v\n2\n"), ErrUnfinished, 3, "",
			[]string{"chunk 3", "byte " + strconv.Itoa(len(g+exec(false, "v\n1\n")+exec(false, "v\n2\n"))), "2 execute message(s)"}},
		{"generating ends itself", "a generating command's finished=true reply ends the input",
			func() Command { return &generator{} }, g + exec(false, "") + exec(false, "") + exec(false, ""), nil, 4, "round\n3\n", nil},
		{"execute after generating finished", "splunkd asks no more once the generator said finished",
			func() Command { return &generator{} }, g + exec(false, "") + exec(false, "") + exec(false, "") + exec(false, ""), ErrAfterFinished, 5, "round\n3\n", []string{"chunk 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, err := run(t, tt.cmd(), tt.input, Options{Name: "cmd"})
			require.Len(t, got, tt.replies, tt.reason)
			if tt.err == nil {
				require.NoError(t, err, tt.reason)
			} else {
				require.ErrorIs(t, err, tt.err, tt.reason)
				var pe *Error
				require.True(t, errors.As(err, &pe), "the error has a position")
				for _, s := range tt.says {
					require.Contains(t, err.Error(), s, tt.reason)
				}
			}
			if tt.err == ErrAfterFinished {
				// The extra message got the error as its reply.
				last := got[len(got)-1]
				require.Equal(t, err.Error(), last.Meta["error"], tt.reason)
				require.Equal(t, true, last.Meta["finished"])
				got = got[:len(got)-1]
			}
			if tt.err == ErrUnfinished {
				for _, r := range got {
					require.Nil(t, r.Meta["error"], "no unsolicited reply after EOF (§4.2): the exit status tells")
				}
			}
			if len(got) > 1 {
				require.Equal(t, tt.last, got[len(got)-1].Body, tt.reason)
			}
		})
	}
}
