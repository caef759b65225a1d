package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
)

// Command is a search command.
type Command interface {
	// Configure receives the getinfo metadata, validates the arguments and
	// returns the declaration to send and the processor for the execute
	// messages that follow. splunkd also starts probe processes that stop
	// after getinfo, so Configure must have no side effects. An error is
	// shown to the user as the reason the search failed.
	Configure(info *GetInfo) (Config, Processor, error)
}

// Processor handles execute messages, one call per message.
type Processor interface {
	// Process reads c.In and writes the reply's rows to c.Out. It may add
	// inspector messages with c.Message. An error ends the search and is
	// shown to the user.
	Process(c *Chunk) error
}

// ProcessorFunc adapts a function to [Processor].
type ProcessorFunc func(c *Chunk) error

// Process calls f(c).
func (f ProcessorFunc) Process(c *Chunk) error { return f(c) }

// Chunk is one execute message and its reply.
type Chunk struct {
	Index int   // message index in the stream (getinfo is 0)
	Last  bool  // splunkd's finished flag: no input follows this chunk
	In    Table // the message's rows
	Out   TableWriter
	// Finished is the reply's finished flag. It starts equal to Last;
	// only generating commands change it (false: call me again).
	Finished bool
	messages []InspectorMessage
	// parts, when set, is the encoded reply body (in pieces), replacing Out;
	// it includes the first partsRows rows of Out.
	parts     [][]byte
	partsRows int
}

// Message adds an inspector message to the reply.
func (c *Chunk) Message(level Level, format string, args ...any) {
	c.messages = append(c.messages, InspectorMessage{Level: level, Text: fmt.Sprintf(format, args...)})
}

// Messages returns the inspector messages added to the reply so far.
func (c *Chunk) Messages() []InspectorMessage { return c.messages }

// RowHandler is per-row streaming logic, for [PerRow].
type RowHandler interface {
	// Start is called with each chunk's table before its rows are passed
	// to Row; the header may differ from chunk to chunk.
	Start(in *Table) error
	// Row writes the output for one input row: typically out.Copy(in),
	// some Set calls and out.EndRow(). Writing nothing drops the row.
	Row(in Row, out *TableWriter) error
}

// PerRow returns a Processor that passes every row of every chunk to h and
// replies per chunk: the shape of a streaming or stateful command.
func PerRow(h RowHandler) Processor {
	return ProcessorFunc(func(c *Chunk) error {
		return rowRange(h, c, 0, c.In.Len(), &c.Out)
	})
}

// PerRowParallel is [PerRow] for handlers whose rows are independent of
// each other (no state carried from row to row, as in a streaming command
// that annotates rows): a large chunk is cut into contiguous slices, one per
// worker, each with its own handler from newHandler and its own writer; the
// slices are then encoded in parallel too and sent in input order under one
// header, the union of their fields. Small chunks and workers <= 1 run on
// one handler. A reply must be written before splunkd sends the next chunk,
// so splitting a chunk over the idle cores shortens the whole search.
func PerRowParallel(newHandler func() RowHandler, workers int) Processor {
	p := &parallel{newHandler: newHandler, workers: max(workers, 1)}
	return ProcessorFunc(p.process)
}

type parallel struct {
	newHandler func() RowHandler
	workers    int
	handlers   []RowHandler
	outs       []*TableWriter // outs[0] is the chunk's own writer
	maps       [][]int        // per writer: local column → global column, or -1
	bufs       [][]byte       // per writer: encoded rows
	global     map[string]int
	header     []byte
}

const minRowsPerWorker = 1024

func (p *parallel) process(c *Chunk) error {
	n := c.In.Len()
	k := min(p.workers, n/minRowsPerWorker)
	for len(p.handlers) < max(k, 1) {
		p.handlers = append(p.handlers, p.newHandler())
	}
	if k <= 1 {
		return rowRange(p.handlers[0], c, 0, n, &c.Out)
	}
	for len(p.outs) < k {
		p.outs = append(p.outs, &TableWriter{})
		p.maps = append(p.maps, nil)
		p.bufs = append(p.bufs, nil)
	}
	p.outs[0] = &c.Out
	errs := make([]error, k)
	each(k, func(w int) {
		if w > 0 {
			p.outs[w].Reset()
		}
		p.outs[w].rowsHint = n*(w+1)/k - n*w/k
		errs[w] = rowRange(p.handlers[w], c, n*w/k, n*(w+1)/k, p.outs[w])
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	// The header: every field used by any slice, in first-seen order.
	if p.global == nil {
		p.global = make(map[string]int)
	}
	clear(p.global)
	p.header = p.header[:0]
	rows := 0
	for w, out := range p.outs[:k] {
		if out.open {
			out.EndRow()
		}
		rows += len(out.rows)
		p.maps[w] = p.maps[w][:0]
		for col, name := range out.names {
			g := -1
			if out.used[col] {
				var ok bool
				if g, ok = p.global[name]; !ok {
					g = len(p.global)
					p.global[name] = g
					if g > 0 {
						p.header = append(p.header, ',')
					}
					p.header = appendCSVString(p.header, name)
				}
			}
			p.maps[w] = append(p.maps[w], g)
		}
	}
	if rows == 0 || len(p.global) == 0 {
		return nil // no rows, or rows without fields: an empty reply
	}
	p.header = append(p.header, '\n')
	each(k, func(w int) {
		p.bufs[w] = p.outs[w].encodeRows(p.bufs[w][:0], p.maps[w], len(p.global))
	})
	c.parts = append(c.parts[:0], p.header)
	c.parts = append(c.parts, p.bufs[:k]...)
	c.partsRows = len(c.Out.rows)
	return nil
}

// rowRange runs h over rows [lo, hi) of c.In into out.
func rowRange(h RowHandler, c *Chunk, lo, hi int, out *TableWriter) error {
	if lo == hi {
		return nil
	}
	if err := h.Start(&c.In); err != nil {
		return err
	}
	i := lo
	defer func() {
		if p := recover(); p != nil {
			panic(rowPanic{row: i + 1, value: p}) // Run reports the row
		}
	}()
	for ; i < hi; i++ {
		if err := h.Row(c.In.Row(i), out); err != nil {
			var ce *CSVError
			if errors.As(err, &ce) { // already placed (a Values error): keep its field
				if ce.row == 0 {
					ce.row = i + 1
				}
				return ce
			}
			return &CSVError{offset: -1, row: i + 1, col: -1, err: err}
		}
	}
	return nil
}

// Accumulator is whole-input logic, for [Accumulate]: the shape of an
// events or reporting command and of the reduce phase of a map/reduce one.
type Accumulator interface {
	// Add takes one chunk's rows. Rows alias the chunk's body: copy what
	// must outlive the call.
	Add(in *Table) error
	// Finish writes the output once, after the last chunk.
	Finish(out *TableWriter) error
}

// Accumulate returns a Processor that feeds every chunk to a and writes
// a's output in the reply to the last chunk; earlier replies are empty.
// splunkd has been seen to send events and reporting input as one chunk,
// but nothing documents that it always does, so both shapes work.
func Accumulate(a Accumulator) Processor {
	return ProcessorFunc(func(c *Chunk) error {
		if c.In.Len() > 0 {
			if err := a.Add(&c.In); err != nil {
				return err
			}
		}
		if c.Last {
			return a.Finish(&c.Out)
		}
		return nil
	})
}

// Options tune [Run].
type Options struct {
	// Name prefixes the errors of the engine itself (framing, metadata,
	// CSV) so the user knows which command failed.
	Name string
	// MaxMetadata and MaxBody bound declared chunk lengths (see [Reader]).
	MaxMetadata, MaxBody int64
	// Workers is how many goroutines may decode one chunk's body (see
	// [Table.ParseWorkers]); 0 or 1 decodes on the calling goroutine.
	Workers int
	// Log receives diagnostics that are not for the user, such as the stack
	// of a recovered panic. Nil discards them.
	Log io.Writer
	// MemoryPerBody, when positive, bounds the process's memory to that
	// multiple of the chunk being handled, but never below MemoryFloor: a
	// soft limit (runtime/debug.SetMemoryLimit) set before each execute
	// message is processed. The garbage collector then runs as often as
	// needed to stay under it, so a command may collect lazily (a high
	// GOGC) on small chunks without a large one costing many times its
	// size.
	MemoryPerBody float64
	MemoryFloor   int64
}

// Run speaks the protocol on in and out until in ends, calling cmd. It
// returns nil after a clean end of input (including a probe that ends after
// getinfo), and otherwise the error that stopped it, after telling splunkd:
// the reply to the message being handled carries finished=true, the error
// text and an inspector ERROR, which Splunk Web shows. The caller should
// then exit with a non-zero status.
func Run(cmd Command, in io.Reader, out io.Writer, opts Options) error {
	s := session{
		r:       NewReader(in),
		w:       NewWriter(out),
		log:     opts.Log,
		workers: opts.Workers,
	}
	s.r.MaxMetadata, s.r.MaxBody = opts.MaxMetadata, opts.MaxBody
	if opts.MemoryPerBody > 0 {
		s.memPerBody, s.memFloor = opts.MemoryPerBody, opts.MemoryFloor
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1)) // restored for in-process callers
	}
	if s.log == nil {
		s.log = io.Discard
	}
	err := s.run(cmd)
	if err != nil && opts.Name != "" {
		var pe *Error
		if errors.As(err, &pe) {
			err = fmt.Errorf("%s: %w", opts.Name, err)
		}
	}
	if err != nil && !s.replyFailed {
		s.fail(err)
	}
	return err
}

type session struct {
	r           *Reader
	w           *Writer
	log         io.Writer
	proc        Processor
	config      Config
	chunk       Chunk
	meta        []byte
	repairWarn  bool
	replyFailed bool // writing to splunkd failed, or it closed our input: no error reply possible
	workers     int
	executes    int  // execute messages handled
	done        bool // the input has ended: finished=true was sent or, generating, answered
	doneAt      int  // the chunk that ended it
	memPerBody  float64
	memFloor    int64
	memLimit    int64 // the soft memory limit set, 0 if none yet
}

func (s *session) run(cmd Command) error {
	for {
		s.chunk.messages = s.chunk.messages[:0] // an error reply carries only this message's
		m, err := s.r.Next()
		if err == io.EOF {
			// End of the session; a probe ends right after getinfo, and
			// a stream with no message at all asked nothing (§1.3, §1.4).
			// Once execute messages have come, the input is whole only if
			// one of them said finished=true (§4.1): otherwise the
			// command's output would be a silent partial answer. There is
			// no request left to reply to (splunkd closed our stdin, and
			// an unsolicited chunk breaks the protocol, §4.2), so the
			// error goes to the exit status and the log.
			if s.executes > 0 && !s.done {
				s.replyFailed = true
				return &Error{Chunk: s.r.index, Offset: s.r.Offset(), Err: fmt.Errorf("%w: %d execute message(s), none with finished=true", ErrUnfinished, s.executes)}
			}
			return nil
		}
		if err != nil {
			return err
		}
		if s.done {
			// Processing it would run the command's end-of-input logic a
			// second time (a reduce would answer again, with doubled
			// counts). It is a request, so the error is its reply.
			return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: the input ended at chunk %d", ErrAfterFinished, s.doneAt)}
		}
		if s.proc == nil {
			if err := s.getinfo(cmd, m); err != nil {
				return err
			}
			continue
		}
		if err := s.execute(m); err != nil {
			return err
		}
	}
}

func (s *session) getinfo(cmd Command, m Message) error {
	var gi GetInfo
	if err := decodeMeta(m, &gi); err != nil {
		return err
	}
	if gi.Action != "getinfo" {
		return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: first message has action %q, want \"getinfo\"", ErrProtocol, gi.Action)}
	}
	cfg, proc, err := s.configure(cmd, &gi)
	if err != nil {
		return err
	}
	switch cfg.Type {
	case "":
		cfg.Type = Streaming
	case Streaming, Stateful, Events, Reporting:
	default:
		return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: unknown type %q", ErrCommand, cfg.Type)}
	}
	if proc == nil {
		return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: no processor", ErrCommand)}
	}
	s.config, s.proc = cfg, proc
	reply := getinfoReply{
		Type:           cfg.Type,
		Generating:     cfg.Generating,
		RequiredFields: cfg.RequiredFields,
		StreamingPreop: cfg.StreamingPreop,
		RunInPreview:   cfg.RunInPreview,
	}
	if len(cfg.Messages) > 0 {
		reply.Inspector = &inspector{Messages: cfg.Messages}
	}
	return s.send(reply)
}

func (s *session) configure(cmd Command, gi *GetInfo) (cfg Config, proc Processor, err error) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(s.log, "ERROR panic in Configure: %v\n%s", p, debug.Stack())
			err = fmt.Errorf("internal error while reading the arguments: %v", p)
		}
	}()
	return cmd.Configure(gi)
}

func (s *session) execute(m Message) (err error) {
	// Decoding and encoding run outside the command's code, but a bug there
	// must end in an error reply too, never in a crash.
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(s.log, "ERROR panic: %v\n%s", p, debug.Stack())
			err = &Error{Chunk: m.Index, Offset: m.BodyOffset, Err: fmt.Errorf("internal error: %v", p)}
		}
	}()
	var req executeRequest
	if err := decodeMeta(m, &req); err != nil {
		return err
	}
	if req.Action != "execute" {
		return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: action %q after getinfo, want \"execute\"", ErrProtocol, req.Action)}
	}
	c := &s.chunk
	c.Index, c.Last, c.Finished = m.Index, req.Finished, req.Finished
	c.messages = c.messages[:0]
	c.parts = c.parts[:0]
	c.Out.Reset()
	if s.memPerBody > 0 {
		if lim := max(s.memFloor, int64(s.memPerBody*float64(len(m.Body)))); lim != s.memLimit {
			s.memLimit = lim
			debug.SetMemoryLimit(lim)
		}
	}
	// From here on the body is the table's: a processor that releases the
	// table (see Table.Release) lets go of the body too.
	body := m.Body
	m.Body = nil
	if err := c.In.ParseWorkers(body, s.workers); err != nil {
		return placeCSV(m, &c.In, err)
	}
	if c.In.Repaired() && !s.repairWarn {
		s.repairWarn = true
		c.Message(LevelWarn, "chunk %d was not valid UTF-8: invalid bytes were replaced by U+FFFD", m.Index)
	}
	if err := s.process(c); err != nil {
		return placeCSV(m, &c.In, err)
	}
	if !s.config.Generating {
		c.Finished = req.Finished
	}
	// The end of input: splunkd's finished=true, or for a generating
	// command its own finished=true reply, after which splunkd sends no
	// more execute messages (§4.2).
	s.executes++
	if req.Finished || c.Finished {
		s.done, s.doneAt = true, m.Index
	}
	reply := executeReply{Finished: c.Finished}
	if len(c.messages) > 0 {
		reply.Inspector = &inspector{Messages: c.messages}
	}
	if len(c.parts) > 0 {
		if c.Out.open {
			c.Out.EndRow()
		}
		if len(c.Out.rows) != c.partsRows {
			return &Error{Chunk: m.Index, Offset: m.BodyOffset, Err: fmt.Errorf("%w: rows were written after a parallel processor had encoded the reply", ErrCommand)}
		}
		return s.send(reply, c.parts...)
	}
	// The body is encoded as it is written: a reply as large as a reduce
	// phase's is not held a second time, encoded, beside its rows.
	return s.sendTable(reply, &c.Out)
}

// rowPanic carries the row where a per-row handler panicked.
type rowPanic struct {
	row   int
	value any
}

func (s *session) process(c *Chunk) (err error) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(s.log, "ERROR panic in Process: %v\n%s", p, debug.Stack())
			if rp, ok := p.(rowPanic); ok {
				err = &CSVError{offset: -1, row: rp.row, col: -1, err: fmt.Errorf("internal error: %v", rp.value)}
				return
			}
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return s.proc.Process(c)
}

// placeCSV turns a body position into a stream position.
func placeCSV(m Message, t *Table, err error) error {
	var ce *CSVError
	if !errors.As(err, &ce) {
		if errors.As(err, new(*Error)) {
			return err
		}
		return &Error{Chunk: m.Index, Offset: m.BodyOffset, Err: err}
	}
	e := &Error{Chunk: m.Index, Offset: m.BodyOffset, Row: ce.row, Err: ce.err}
	if ce.offset >= 0 {
		e.Offset += int64(ce.offset)
	}
	if t.Repaired() {
		// Positions count bytes of the body after invalid UTF-8 was
		// replaced, which can differ from the stream's.
		e.Err = fmt.Errorf("%w (in the body as repaired: invalid UTF-8 replaced by U+FFFD)", e.Err)
	}
	if ce.col >= 0 && ce.col < len(t.names) {
		e.Field = t.names[ce.col]
	}
	return e
}

func decodeMeta(m Message, v any) error {
	meta := bytes.TrimSpace(m.Meta)
	if len(meta) == 0 || meta[0] != '{' {
		return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: starts %q", ErrMetadata, prefix(meta, 20))}
	}
	if err := json.Unmarshal(meta, v); err != nil {
		return &Error{Chunk: m.Index, Offset: m.Offset, Err: fmt.Errorf("%w: %w", ErrMetadata, err)}
	}
	return nil
}

func prefix(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func (s *session) send(reply any, body ...[]byte) error {
	var err error
	s.meta, err = appendJSON(s.meta[:0], reply)
	if err != nil {
		return err
	}
	if err := s.w.WriteMessage(s.meta, body...); err != nil {
		s.replyFailed = true
		return fmt.Errorf("writing reply: %w", err)
	}
	return nil
}

// sendTable sends a reply whose body is the table t.
func (s *session) sendTable(reply any, t *TableWriter) error {
	var err error
	s.meta, err = appendJSON(s.meta[:0], reply)
	if err != nil {
		return err
	}
	if err := s.w.WriteMessageFunc(s.meta, t.EncodedLen(), t.WriteBody); err != nil {
		s.replyFailed = true
		return fmt.Errorf("writing reply: %w", err)
	}
	return nil
}

// appendJSON appends v as compact JSON without HTML escaping ("<" stays
// "<" in messages users read) and without the encoder's trailing newline,
// which would be a byte the header did not count.
func appendJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// fail sends the error to splunkd as the reply to the current message.
func (s *session) fail(err error) {
	text := err.Error()
	msgs := append([]InspectorMessage(nil), s.chunk.messages...)
	msgs = append(msgs, InspectorMessage{Level: LevelError, Text: text})
	t := true
	var reply any
	if s.proc == nil {
		reply = getinfoReply{Finished: &t, Inspector: &inspector{Messages: msgs}, Error: text}
	} else {
		reply = executeReply{Finished: true, Inspector: &inspector{Messages: msgs}, Error: text}
	}
	_ = s.send(reply)
}
