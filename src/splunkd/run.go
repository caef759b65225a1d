package splunkd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Search describes one search that runs a custom command. Zero fields take
// the defaults given on each.
type Search struct {
	// Argv is the command executable and its argv (commands.conf
	// command.arg.N). Required.
	Argv []string
	// Name is the command name as invoked (searchinfo.command); default the
	// base name of Argv[0] without extension.
	Name string
	// Args are the search-time arguments as splunkd tokenises them
	// (searchinfo.args); RawArgs keep the user's quoting (searchinfo.raw_args)
	// and default to Args. See [Tokenize].
	Args    []string
	RawArgs []string
	// Input is what splunkd feeds the command; nil is no rows.
	Input *Table
	// ChunkRows is the number of rows per execute chunk for streaming and
	// stateful commands (default 10000; splunkd varies it from 1 to ~6600).
	ChunkRows int
	// FinalHeaderOnly ends streaming and stateful input with an extra
	// header-only finished:true chunk, as Splunk 8.2.1 does; otherwise the
	// last data chunk carries finished:true.
	FinalHeaderOnly bool
	// CRLF writes bodies with CRLF line ends (splunkd writes LF; commands
	// must accept both).
	CRLF bool
	// Indexers is the number of simulated search peers (default 1). Streaming
	// commands and streaming_preop map phases run one process per indexer
	// over that indexer's share of the rows, in indexer order.
	Indexers int
	// Spread says which indexer gets input row i; default round-robin
	// (i mod indexers). It must return a value in [0, indexers).
	Spread func(row, indexers int) int
	// Registry maps command names to argv, for streaming_preop commands. A
	// name missing from it runs Argv.
	Registry map[string][]string
	// Probes is the number of extra processes that only get getinfo and
	// then EOF, as splunkd's search optimizer starts them [§1.3]. Each must
	// reply and exit 0. Default 1; negative means none.
	Probes int
	// Timeout bounds each reply, each request write and each exit
	// (default 30s). A command that misses it is killed and the search
	// fails with ErrTimeout.
	Timeout time.Duration
	// Preview is sent as the getinfo "preview" flag.
	Preview bool
	// Info is searchinfo; zero fields get defaults (see [SearchInfo]).
	Info SearchInfo
	// MaxReplyBytes caps a reply's declared metadata+body bytes (default
	// 1 GiB). Buffers grow only as bytes arrive.
	MaxReplyBytes int64
	// MaxRounds caps the execute rounds of a generating command that keeps
	// answering finished:false (default 1000).
	MaxRounds int
	// Collect keeps the output rows in Result.Table. Without it every reply
	// is still parsed and validated, but only counted (for benchmarks).
	Collect bool
	// Stderr receives the commands' stderr. Default: each process's stderr
	// is captured (first 64 KiB) into its ProcessStat and into errors.
	Stderr io.Writer
}

// Result is what a search produced.
type Result struct {
	// Table holds the output rows when Search.Collect is set (nil
	// otherwise). For streaming and stateful commands with required_fields,
	// output rows are merged back with the fields that were not sent, by
	// _chunked_idx; the fields are the command's output fields followed by
	// the withheld ones.
	Table *Table
	// Rows is the number of output rows.
	Rows int
	// Messages holds the inspector messages of every reply of every
	// process, in the order received.
	Messages []Message
	// Config is the searched command's getinfo reply.
	Config Config
	// Processes has one entry per process started, in start order.
	Processes []ProcessStat
}

var sidSeq atomic.Int64

// run is the state of one Run call.
type run struct {
	ctx     context.Context
	s       Search
	opts    procOptions
	procs   []*process
	res     *Result
	fields  []string // input fields
	encBuf  []byte
	tempDir string
}

// Run runs search s as splunkd would and checks every protocol rule on the
// way (see the package documentation). It returns a *Violation when the
// command breaks a rule, a *CommandError when the command reported a fatal
// error, the context's error if ctx ends, and other errors for problems of
// the emulator's own (an executable that cannot start). The Result is never
// nil: on error it holds what was gathered so far. Every process started is
// gone when Run returns.
func Run(ctx context.Context, s Search) (*Result, error) {
	r := &run{ctx: ctx, res: &Result{}}
	defer r.cleanup()
	if err := r.setDefaults(s); err != nil {
		return r.result(), err
	}
	err := r.search()
	return r.result(), err
}

func (r *run) setDefaults(s Search) error {
	if len(s.Argv) == 0 {
		return errors.New("splunkd: Search.Argv is empty")
	}
	if s.Name == "" {
		base := filepath.Base(s.Argv[0])
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if s.Args == nil {
		s.Args = []string{}
	}
	if s.RawArgs == nil {
		s.RawArgs = s.Args
	}
	if s.ChunkRows <= 0 {
		s.ChunkRows = 10000
	}
	if s.Indexers <= 0 {
		s.Indexers = 1
	}
	if s.Spread == nil {
		s.Spread = func(row, n int) int { return row % n }
	}
	switch {
	case s.Probes == 0:
		s.Probes = 1
	case s.Probes < 0:
		s.Probes = 0
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	if s.MaxReplyBytes <= 0 {
		s.MaxReplyBytes = 1 << 30
	}
	if s.MaxRounds <= 0 {
		s.MaxRounds = 1000
	}
	if s.Input == nil {
		s.Input = &Table{}
	}
	in := &s.Info
	if in.SID == "" {
		in.SID = fmt.Sprintf("%d.%d", time.Now().Unix(), sidSeq.Add(1))
	}
	setDefault(&in.App, "search")
	setDefault(&in.Owner, "admin")
	setDefault(&in.Username, "admin")
	setDefault(&in.SessionKey, "emulatedSessionKey^0000000000000000")
	setDefault(&in.SplunkdURI, "https://127.0.0.1:8089")
	setDefault(&in.SplunkVersion, "9.2.1")
	setDefault(&in.EarliestTime, "0")
	setDefault(&in.LatestTime, "0")
	if in.MaxResultRows <= 0 {
		in.MaxResultRows = 50000
	}
	if in.Search == "" {
		in.Search = strings.TrimSpace("search * | " + s.Name + " " + strings.Join(s.RawArgs, " "))
	}
	if in.DispatchDir == "" {
		dir, err := os.MkdirTemp("", "splunkd-dispatch-")
		if err != nil {
			return fmt.Errorf("splunkd: dispatch dir: %w", err)
		}
		r.tempDir = dir
		in.DispatchDir = dir
	}
	r.s = s
	r.fields = s.Input.Fields
	r.opts = procOptions{timeout: s.Timeout, maxReply: s.MaxReplyBytes}
	if s.Stderr != nil {
		r.opts.stderr = &lockedWriter{w: s.Stderr}
	}
	return nil
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// cleanup kills whatever still runs and removes the temporary dispatch dir.
func (r *run) cleanup() {
	for _, p := range r.procs {
		p.terminate()
	}
	if r.tempDir != "" {
		os.RemoveAll(r.tempDir)
	}
}

func (r *run) result() *Result {
	r.res.Processes = r.res.Processes[:0]
	for _, p := range r.procs {
		r.res.Processes = append(r.res.Processes, *p.stat)
	}
	return r.res
}

func (r *run) start(argv []string, name, role string) (*process, error) {
	p, err := startProcess(r.ctx, argv, name, role, r.opts)
	if err != nil {
		return nil, err
	}
	r.procs = append(r.procs, p)
	return p, nil
}

// search runs probes, then the command in the shape its getinfo reply asks.
func (r *run) search() error {
	s := &r.s
	for i := 1; i <= s.Probes; i++ {
		p, err := r.start(s.Argv, fmt.Sprintf("probe%d", i), "probe")
		if err != nil {
			return err
		}
		if _, err := r.getinfo(p, s.Name, s.Args, s.RawArgs); err != nil {
			return err
		}
		if err := p.finish(false); err != nil {
			return err
		}
	}
	main, err := r.start(s.Argv, "main", "main")
	if err != nil {
		return err
	}
	cfg, err := r.getinfo(main, s.Name, s.Args, s.RawArgs)
	if err != nil {
		return err
	}
	r.res.Config = *cfg
	out := newCollector(s.Collect)
	switch {
	case cfg.StreamingPreop != "":
		if cfg.Type != "reporting" {
			return main.fail(0, "§7 streaming_preop belongs to reporting commands",
				violationf(ErrBadConfig, "streaming_preop %q declared by a %s command", cfg.StreamingPreop, cfg.Type))
		}
		main.stat.Role = "reduce"
		err = r.mapReduce(main, cfg, out)
	case cfg.Generating:
		err = r.generate(main, cfg, out)
	case cfg.Type == "streaming":
		err = r.streamIndexers(main, cfg, out)
	case cfg.Type == "stateful":
		err = r.stream(main, cfg, r.s.Input.Rows, r.fields, out, false)
	case cfg.Type == "events":
		err = r.oneChunk(main, cfg, r.s.Input, false, out)
	case cfg.Type == "reporting":
		err = r.oneChunk(main, cfg, r.s.Input, true, out)
	}
	if err != nil {
		return err
	}
	if err := main.finish(false); err != nil {
		return err
	}
	r.res.Rows = out.n
	if s.Collect {
		r.res.Table = out.table()
	}
	return nil
}

// getinfo does the getinfo exchange [§3].
func (r *run) getinfo(p *process, command string, args, rawArgs []string) (*Config, error) {
	meta := getinfoMeta(&r.s.Info, r.s.Preview, command, args, rawArgs)
	p.exchange = 0
	werr := p.send(meta, nil)
	if werr != nil && !errors.Is(werr, errWriteFailed) {
		return nil, werr
	}
	rep, err := p.receive(true)
	if err != nil {
		return nil, err
	}
	r.res.Messages = append(r.res.Messages, rep.meta.messages...)
	if rep.meta.errText != nil {
		return nil, r.commandError(p, *rep.meta.errText)
	}
	if len(rep.body) > 0 {
		return nil, p.fail(rep.bodyOff, "§3.2 getinfo reply is metadata only",
			violationf(ErrUnexpectedBody, "%d body bytes: %s", len(rep.body), quoteShort(rep.body, 40)))
	}
	if werr != nil {
		return nil, p.fail(rep.endOff, "§1 the command reads every request", violationf(ErrNoReply, "stdin closed early: %v", werr))
	}
	return rep.meta.config, nil
}

// commandError finishes a process that reported a fatal error [§8].
func (r *run) commandError(p *process, text string) error {
	if err := p.finish(true); err != nil {
		return err
	}
	return &CommandError{Process: p.name, Text: text, Messages: slices.Clone(r.res.Messages),
		ExitCode: p.stat.ExitCode, Stderr: p.stat.Stderr}
}

// execute does one execute exchange [§4] and validates the reply body.
// generating commands set finished themselves; others must echo it.
func (r *run) execute(p *process, finished bool, body []byte, chk bodyCheck, generating bool) (*decodedBody, bool, error) {
	p.exchange++
	werr := p.send(executeMeta(finished), body)
	if werr != nil && !errors.Is(werr, errWriteFailed) {
		return nil, false, werr
	}
	rep, err := p.receive(false)
	if err != nil {
		return nil, false, err
	}
	r.res.Messages = append(r.res.Messages, rep.meta.messages...)
	if rep.meta.errText != nil {
		return nil, false, r.commandError(p, *rep.meta.errText)
	}
	if werr != nil {
		return nil, false, p.fail(rep.endOff, "§1 the command reads every request", violationf(ErrNoReply, "stdin closed early: %v", werr))
	}
	fin := rep.meta.finished
	switch {
	case fin == nil:
		return nil, false, p.fail(rep.metaOff, "§4.2 every execute reply has \"finished\"",
			violationf(ErrFinished, "reply metadata %s has no \"finished\"", quoteShort(rep.rawMeta, 60)))
	case !generating && *fin != finished:
		return nil, false, p.fail(rep.metaOff, "§4.2 echo the request's finished flag",
			violationf(ErrFinished, "request had finished:%v, reply has finished:%v", finished, *fin))
	}
	d, err := decodeBody(rep.body, chk)
	if err != nil {
		var be *bodyError
		errors.As(err, &be)
		rule := "§5 CSV body"
		if errors.Is(err, ErrChunkedIdx) {
			rule = "§6 keep _chunked_idx on every output row"
		}
		return nil, false, p.fail(rep.bodyOff+be.off, rule, be.err)
	}
	p.stat.RowsOut += d.nrows
	return d, *fin, nil
}

// projection is the set of input columns sent to a command.
type projection struct {
	names []string
	cols  []int
	sent  []bool // per input column: sent
}

// project applies required_fields to the input fields [§3.2, §7]: the
// required fields that exist, in required_fields order, or all fields.
func project(fields []string, cfg *Config) projection {
	pr := projection{sent: make([]bool, len(fields))}
	if !cfg.projects() {
		pr.names = fields
		pr.cols = identityColumns(len(fields))
		for i := range pr.sent {
			pr.sent[i] = true
		}
		return pr
	}
	for _, f := range cfg.RequiredFields {
		i := slices.Index(fields, f)
		if i < 0 || pr.sent[i] {
			continue
		}
		pr.names = append(pr.names, f)
		pr.cols = append(pr.cols, i)
		pr.sent[i] = true
	}
	return pr
}

// stream feeds rows to a streaming or stateful process in ChunkRows chunks
// [§4.1], merging output rows back by _chunked_idx when required_fields
// restricted the fields sent. dropIdx removes _chunked_idx from output
// that is not merged.
func (r *run) stream(p *process, cfg *Config, rows [][]Value, fields []string, out *collector, dropIdx bool) error {
	pr := project(fields, cfg)
	idx := cfg.projects()
	enc := newChunkEncoder(pr.names, pr.cols, idx, r.s.CRLF)
	n, size := len(rows), r.s.ChunkRows
	send := func(start, end int, finished bool) error {
		body := enc.appendHeader(r.encBuf[:0])
		for k, row := range rows[start:end] {
			body = enc.appendRow(body, row, k)
		}
		r.encBuf = body
		p.stat.RowsIn += end - start
		chk := bodyCheck{collect: out.collect, idxRows: -1}
		if idx {
			chk.idxRows = end - start
		}
		d, _, err := r.execute(p, finished, body, chk, false)
		if err != nil {
			return err
		}
		if idx {
			out.merge(d, rows[start:end], fields, pr.sent)
		} else {
			out.add(d, dropIdx)
		}
		return nil
	}
	for start := 0; start < n; start += size {
		end := min(start+size, n)
		if err := send(start, end, end == n && !r.s.FinalHeaderOnly); err != nil {
			return err
		}
	}
	if n == 0 || r.s.FinalHeaderOnly {
		return send(n, n, true)
	}
	return nil
}

// streamIndexers runs a streaming command as one process per indexer, the
// first being main; outputs are concatenated in indexer order [§1.5].
func (r *run) streamIndexers(main *process, cfg *Config, out *collector) error {
	shares, err := r.shares(r.s.Input.Rows)
	if err != nil {
		return err
	}
	for k, share := range shares {
		p := main
		if k > 0 {
			p, err = r.start(r.s.Argv, fmt.Sprintf("indexer%d", k), "indexer")
			if err != nil {
				return err
			}
			c, err := r.getinfo(p, r.s.Name, r.s.Args, r.s.RawArgs)
			if err != nil {
				return err
			}
			if c.Type != cfg.Type || c.Generating != cfg.Generating {
				return p.fail(0, "§7 every process of a command declares the same type",
					violationf(ErrBadConfig, "indexer %d declared type %q, main declared %q", k, c.Type, cfg.Type))
			}
			cfg = c
		}
		if err := r.stream(p, cfg, share, r.fields, out, false); err != nil {
			return err
		}
		if k > 0 {
			if err := p.finish(false); err != nil {
				return err
			}
		}
	}
	return nil
}

// shares splits rows among the indexers with Search.Spread.
func (r *run) shares(rows [][]Value) ([][][]Value, error) {
	n := r.s.Indexers
	shares := make([][][]Value, n)
	if n == 1 {
		shares[0] = rows
		return shares, nil
	}
	for i, row := range rows {
		k := r.s.Spread(i, n)
		if k < 0 || k >= n {
			return nil, fmt.Errorf("splunkd: Search.Spread(%d, %d) = %d, out of range", i, n, k)
		}
		shares[k] = append(shares[k], row)
	}
	return shares, nil
}

// oneChunk sends the whole input as one finished:true chunk, as splunkd
// does for events (all fields) and reporting (required fields) commands
// [§4.1, §7].
func (r *run) oneChunk(p *process, cfg *Config, in *Table, projected bool, out *collector) error {
	pr := projection{names: in.Fields, cols: identityColumns(len(in.Fields))}
	if projected {
		pr = project(in.Fields, cfg)
	}
	enc := newChunkEncoder(pr.names, pr.cols, false, r.s.CRLF)
	body := enc.appendHeader(r.encBuf[:0])
	for _, row := range in.Rows {
		body = enc.appendRow(body, row, 0)
	}
	r.encBuf = body
	p.stat.RowsIn += len(in.Rows)
	d, _, err := r.execute(p, true, body, bodyCheck{collect: out.collect, idxRows: -1}, false)
	if err != nil {
		return err
	}
	out.add(d, false)
	return nil
}

// generate drives a generating command: header-only execute chunks listing
// required_fields and _chunked_idx, until it answers finished:true [§4.2].
func (r *run) generate(p *process, cfg *Config, out *collector) error {
	var names []string
	if cfg.projects() {
		names = cfg.RequiredFields
	}
	enc := newChunkEncoder(names, nil, true, r.s.CRLF)
	body := enc.appendHeader(nil)
	for round := 0; ; round++ {
		if round == r.s.MaxRounds {
			return p.fail(p.fr.off, "§4.2 a generating command ends with finished:true",
				violationf(ErrFinished, "still finished:false after %d execute rounds", round))
		}
		d, fin, err := r.execute(p, true, body, bodyCheck{collect: out.collect, idxRows: -1}, true)
		if err != nil {
			return err
		}
		out.add(d, false)
		if fin {
			return nil
		}
	}
}

// mapReduce runs the streaming_preop map phase on every indexer, then feeds
// the union of the map outputs to the reduce process [§7].
func (r *run) mapReduce(reduce *process, cfg *Config, out *collector) error {
	args, raw, err := Tokenize(cfg.StreamingPreop)
	if err != nil || len(args) == 0 {
		return reduce.fail(0, "§3.2 streaming_preop is a search command",
			violationf(ErrBadConfig, "streaming_preop %q: cannot tokenise", cfg.StreamingPreop))
	}
	name := args[0]
	argv := r.s.Argv
	if a, ok := r.s.Registry[name]; ok {
		argv = a
	}
	shares, err := r.shares(r.s.Input.Rows)
	if err != nil {
		return err
	}
	mapped := newCollector(true)
	for k, share := range shares {
		p, err := r.start(argv, fmt.Sprintf("map%d", k), "map")
		if err != nil {
			return err
		}
		c, err := r.getinfo(p, name, args[1:], raw[1:])
		if err != nil {
			return err
		}
		if c.Type != "streaming" && c.Type != "stateful" {
			return p.fail(0, "§7 a streaming_preop runs as a streaming command",
				violationf(ErrBadConfig, "map phase %q declared type %q, want streaming or stateful", cfg.StreamingPreop, c.Type))
		}
		if err := r.stream(p, c, share, r.fields, mapped, true); err != nil {
			return err
		}
		if err := p.finish(false); err != nil {
			return err
		}
	}
	return r.oneChunk(reduce, cfg, mapped.table(), true, out)
}

// collector gathers output rows under the union of their fields.
type collector struct {
	collect bool
	fields  []string
	index   map[string]int
	rows    [][]Value
	n       int
	colMap  []int // scratch
}

func newCollector(collect bool) *collector {
	return &collector{collect: collect, index: map[string]int{}}
}

func (c *collector) col(name string) int {
	if j, ok := c.index[name]; ok {
		return j
	}
	j := len(c.fields)
	c.index[name] = j
	c.fields = append(c.fields, name)
	return j
}

// add appends output rows as they are (dropIdx removes _chunked_idx).
func (c *collector) add(d *decodedBody, dropIdx bool) {
	c.n += d.nrows
	if !c.collect || d.nrows == 0 {
		return
	}
	c.colMap = c.colMap[:0]
	for _, f := range d.fields {
		if dropIdx && f == chunkedIdx {
			c.colMap = append(c.colMap, -1)
			continue
		}
		c.colMap = append(c.colMap, c.col(f))
	}
	for _, row := range d.rows {
		c.rows = append(c.rows, c.place(row, c.colMap))
	}
}

func (c *collector) place(row []Value, colMap []int) []Value {
	out := make([]Value, len(c.fields))
	for j, v := range row {
		if k := colMap[j]; k >= 0 && len(v) > 0 {
			out[k] = v
		}
	}
	return out
}

// merge appends output rows merged with the withheld input fields of the
// input row their _chunked_idx names [§3.2, §6].
func (c *collector) merge(d *decodedBody, in [][]Value, inFields []string, sent []bool) {
	c.n += d.nrows
	if !c.collect || d.nrows == 0 {
		return
	}
	c.colMap = c.colMap[:0]
	outHas := map[string]bool{}
	for _, f := range d.fields {
		outHas[f] = true
		if f == chunkedIdx {
			c.colMap = append(c.colMap, -1)
			continue
		}
		c.colMap = append(c.colMap, c.col(f))
	}
	var wCols, wDest []int
	for i, f := range inFields {
		if !sent[i] && !outHas[f] {
			wCols = append(wCols, i)
			wDest = append(wDest, c.col(f))
		}
	}
	for i, row := range d.rows {
		merged := c.place(row, c.colMap)
		src := in[d.idx[i]]
		for w, col := range wCols {
			if col < len(src) {
				merged[wDest[w]] = src[col]
			}
		}
		c.rows = append(c.rows, merged)
	}
}

// table returns the collected rows, every row as wide as the fields.
func (c *collector) table() *Table {
	for i, row := range c.rows {
		if len(row) < len(c.fields) {
			c.rows[i] = append(row, make([]Value, len(c.fields)-len(row))...)
		}
	}
	return &Table{Fields: c.fields, Rows: c.rows}
}
