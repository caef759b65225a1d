package splunkd

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Msg is one message of a recording or a replay.
type Msg struct {
	Meta    map[string]any // decoded metadata (JSON numbers as float64)
	RawMeta []byte         // metadata bytes as sent
	Body    []byte         // body bytes as sent
}

// Action returns the "action" of a request ("getinfo", "execute"), or "".
func (m *Msg) Action() string {
	s, _ := m.Meta["action"].(string)
	return s
}

// Finished returns the "finished" flag and whether it is present.
func (m *Msg) Finished() (finished, ok bool) {
	finished, ok = m.Meta["finished"].(bool)
	return finished, ok
}

// SplitStream parses a recorded stream of messages, each
// "chunked 1.0,<M>,<B>\n" followed by exactly M metadata and B body bytes
// [§2]. Whitespace-only bytes between and after messages are tolerated (one
// recording ends with a stray "\n"). The returned Msgs alias stream.
//
// Errors are *StreamError values naming the message index and byte offset:
// ErrBadHeader for a missing or malformed header (a protocol v1 stream is
// reported as such), ErrTruncated when a declared length runs past the end
// of the stream, ErrBadJSON when metadata is not a JSON object.
func SplitStream(stream []byte) ([]Msg, error) {
	var msgs []Msg
	off := 0
	for {
		if len(msgs) > 0 {
			for off < len(stream) && isSpace(stream[off]) {
				off++
			}
		}
		if off == len(stream) {
			break
		}
		i := len(msgs)
		fail := func(at int, err error) ([]Msg, error) {
			return nil, &StreamError{Message: i, Offset: int64(at), Err: err}
		}
		end := bytes.IndexByte(stream[off:min(len(stream), off+maxHeaderLen)], '\n')
		if end < 0 {
			if bad := headerBadByte(stream[off:min(len(stream), off+maxHeaderLen)]); bad >= 0 {
				return fail(off+bad, headerHint(stream[off:], i))
			}
			if len(stream)-off < maxHeaderLen {
				return fail(off, violationf(ErrTruncated, "stream ends inside a header: %s", quoteShort(stream[off:], maxHeaderLen)))
			}
			return fail(off, violationf(ErrBadHeader, "no newline within %d bytes", maxHeaderLen))
		}
		line := stream[off : off+end+1]
		m, b, bad, err := parseHeader(line)
		if err != nil {
			if bad == 0 {
				return fail(off, headerHint(stream[off:], i))
			}
			if !errors.Is(err, ErrTooLarge) {
				err = fmt.Errorf("%w: %v", ErrBadHeader, err)
			}
			return fail(off+bad, err)
		}
		metaAt := off + len(line)
		left := int64(len(stream) - metaAt)
		if m > left {
			return fail(off, violationf(ErrTruncated, "header %q declares %d metadata bytes but only %d bytes follow", bytes.TrimSpace(line), m, left))
		}
		if m+b > left {
			return fail(off, violationf(ErrTruncated, "header %q declares a %d-byte body but only %d bytes follow the metadata", bytes.TrimSpace(line), b, left-m))
		}
		msg := Msg{RawMeta: stream[metaAt : metaAt+int(m)], Body: stream[metaAt+int(m) : metaAt+int(m+b)]}
		if err := json.Unmarshal(msg.RawMeta, &msg.Meta); err != nil || msg.Meta == nil {
			if err == nil {
				err = errors.New("not an object")
			}
			return fail(metaAt, fmt.Errorf("%w: %w", ErrBadJSON, err))
		}
		msgs = append(msgs, msg)
		off = metaAt + int(m+b)
	}
	if len(msgs) == 0 {
		return nil, &StreamError{Err: violationf(ErrTruncated, "empty stream")}
	}
	return msgs, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// headerHint explains a stream that does not start with a chunked header.
func headerHint(rest []byte, i int) error {
	first := rest
	if k := bytes.IndexByte(first, '\n'); k >= 0 {
		first = first[:k]
	}
	if i == 0 && bytes.IndexByte(first, ':') > 0 && !bytes.HasPrefix(first, []byte("chunked")) {
		return violationf(ErrBadHeader, "not a chunked (protocol v2) stream: first line %s looks like a protocol v1 (Intersplunk) header", quoteShort(first, 60))
	}
	return violationf(ErrBadHeader, "expected \"chunked 1.0,<M>,<B>\\n\", got %s", quoteShort(first, 60))
}

// ReplayOptions configure [Replay].
type ReplayOptions struct {
	// NoArgs replaces searchinfo.args and searchinfo.raw_args of getinfo
	// messages by [] (the metadata is re-serialised as compact JSON, key
	// order kept).
	NoArgs bool
	// Timeout bounds each reply and the exit (default 30s).
	Timeout time.Duration
	// MaxReplyBytes caps a reply's declared size (default 1 GiB).
	MaxReplyBytes int64
	// Stderr receives the command's stderr; default: captured into the
	// Transcript (first 64 KiB).
	Stderr io.Writer
}

// Transcript is what a replay exchanged.
type Transcript struct {
	Requests []Msg // messages sent (after NoArgs rewriting)
	Replies  []Msg // replies received, one per request answered
	ExitCode int
	Stderr   string
	Process  ProcessStat
}

// Replay feeds a recorded splunkd→command stream to the command argv, one
// message at a time, reading one reply after each; then closes stdin and
// expects exit status 0. It enforces the reply rules [Run] enforces: exact
// headers, one reply per request, JSON object metadata with the allowed
// keys, "finished" present and echoed on execute replies (unless the
// getinfo reply declared generating), empty getinfo bodies, bodies that
// parse as CSV, and _chunked_idx kept on every row when the request had
// it. The Transcript is returned even on error, holding what was exchanged.
func Replay(ctx context.Context, argv []string, stream []byte, opts ReplayOptions) (*Transcript, error) {
	reqs, err := SplitStream(stream)
	if err != nil {
		return nil, err
	}
	if opts.NoArgs {
		for i := range reqs {
			if reqs[i].Action() != "getinfo" {
				continue
			}
			raw, err := replaceArgs(reqs[i].RawMeta)
			if err != nil {
				return nil, &StreamError{Message: i, Err: fmt.Errorf("%w: rewriting args: %w", ErrBadJSON, err)}
			}
			reqs[i].RawMeta = raw
			reqs[i].Meta = nil
			_ = json.Unmarshal(raw, &reqs[i].Meta)
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = 1 << 30
	}
	po := procOptions{timeout: opts.Timeout, maxReply: opts.MaxReplyBytes}
	if opts.Stderr != nil {
		po.stderr = opts.Stderr
	}
	p, err := startProcess(ctx, argv, "main", "main", po)
	if err != nil {
		return nil, err
	}
	tr := &Transcript{Requests: reqs, ExitCode: -1}
	defer func() {
		p.terminate()
		tr.ExitCode, tr.Stderr, tr.Process = p.stat.ExitCode, p.stat.Stderr, *p.stat
	}()
	err = replayAll(p, reqs, tr)
	if err == nil {
		err = p.finish(false)
	}
	return tr, err
}

func replayAll(p *process, reqs []Msg, tr *Transcript) error {
	generating := false
	var messages []Message
	for i, req := range reqs {
		p.exchange = i
		getinfo := req.Action() == "getinfo"
		werr := p.send(req.RawMeta, req.Body)
		if werr != nil && !errors.Is(werr, errWriteFailed) {
			return werr
		}
		rep, err := p.receive(getinfo)
		if err != nil {
			return err
		}
		m := Msg{RawMeta: bytes.Clone(rep.rawMeta), Body: bytes.Clone(rep.body)}
		_ = json.Unmarshal(m.RawMeta, &m.Meta)
		tr.Replies = append(tr.Replies, m)
		messages = append(messages, rep.meta.messages...)
		if rep.meta.errText != nil {
			if err := p.finish(true); err != nil {
				return err
			}
			return &CommandError{Process: p.name, Text: *rep.meta.errText, Messages: messages, ExitCode: p.stat.ExitCode, Stderr: p.stat.Stderr}
		}
		if werr != nil {
			return p.fail(rep.endOff, "§1 the command reads every request", violationf(ErrNoReply, "stdin closed early: %v", werr))
		}
		if getinfo {
			if len(rep.body) > 0 {
				return p.fail(rep.bodyOff, "§3.2 getinfo reply is metadata only",
					violationf(ErrUnexpectedBody, "%d body bytes", len(rep.body)))
			}
			generating = rep.meta.config.Generating
			continue
		}
		fin := rep.meta.finished
		want, hasWant := req.Finished()
		switch {
		case fin == nil:
			return p.fail(rep.metaOff, "§4.2 every execute reply has \"finished\"",
				violationf(ErrFinished, "reply metadata %s has no \"finished\"", quoteShort(rep.rawMeta, 60)))
		case !generating && hasWant && *fin != want:
			return p.fail(rep.metaOff, "§4.2 echo the request's finished flag",
				violationf(ErrFinished, "request had finished:%v, reply has finished:%v", want, *fin))
		}
		if _, err := decodeBody(rep.body, bodyCheck{idxRows: requestIdxRows(req.Body)}); err != nil {
			var be *bodyError
			errors.As(err, &be)
			return p.fail(rep.bodyOff+be.off, "§5 CSV body / §6 _chunked_idx", be.err)
		}
	}
	return nil
}

// requestIdxRows returns the number of rows of a request body that has a
// _chunked_idx column, or -1 when it has none (or does not parse).
func requestIdxRows(body []byte) int {
	if len(body) == 0 {
		return -1
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return -1
	}
	has := false
	for _, h := range header {
		if h == chunkedIdx {
			has = true
		}
	}
	if !has {
		return -1
	}
	n := 0
	for {
		if _, err := cr.Read(); err == io.EOF {
			return n
		} else if err != nil {
			return -1
		}
		n++
	}
}

// replaceArgs sets searchinfo.args and searchinfo.raw_args to [] in getinfo
// metadata, keeping key order, and returns compact JSON.
func replaceArgs(raw []byte) ([]byte, error) {
	top, err := decodeOrderedObject(raw)
	if err != nil {
		return nil, err
	}
	for i, kv := range top {
		if kv.key != "searchinfo" {
			continue
		}
		si, err := decodeOrderedObject(kv.value)
		if err != nil {
			return nil, fmt.Errorf("searchinfo: %w", err)
		}
		si = setKey(setKey(si, "args", []byte("[]")), "raw_args", []byte("[]"))
		top[i].value, err = encodeOrderedObject(si)
		if err != nil {
			return nil, err
		}
	}
	return encodeOrderedObject(top)
}

func setKey(kvs []keyValue, key string, v []byte) []keyValue {
	for i := range kvs {
		if kvs[i].key == key {
			kvs[i].value = v
			return kvs
		}
	}
	return append(kvs, keyValue{key, v})
}

func encodeOrderedObject(kvs []keyValue) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, kv := range kvs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(CompactJSON(kv.key))
		buf.WriteByte(':')
		if err := json.Compact(&buf, kv.value); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
