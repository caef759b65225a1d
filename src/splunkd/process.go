package splunkd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// ProcessStat describes one command process started by [Run] or [Replay].
type ProcessStat struct {
	Name     string   // "main", "probe1", "indexer1", "map0"...
	Role     string   // "probe", "main", "indexer", "map" or "reduce"
	Argv     []string // executable and argv
	Pid      int
	ExitCode int           // exit status; -1 if killed by a signal
	MaxRSS   int64         // ru_maxrss in bytes (Linux; 0 elsewhere); includes the forked parent's pages, so prefer PeakRSS
	PeakRSS  int64         // peak resident set size of the command itself (VmHWM before stdin is closed; Linux; 0 elsewhere)
	Chunks   int           // requests written, getinfo included
	BytesIn  int64         // bytes written to the command's stdin
	BytesOut int64         // bytes read from the command's stdout
	RowsIn   int           // rows sent in execute bodies
	RowsOut  int           // rows received in reply bodies
	Wall     time.Duration // from start to exit
	CPU      time.Duration // user + system CPU time of the process (os.ProcessState)
	Stderr   string        // captured stderr (first 64 KiB), unless Search.Stderr was set
}

// stderrCap bounds captured stderr.
const stderrCap = 64 * 1024

// cappedBuffer keeps the first stderrCap bytes written to it.
type cappedBuffer struct {
	mu        sync.Mutex
	buf       []byte
	truncated bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := stderrCap - len(c.buf)
	if len(p) > room {
		c.buf = append(c.buf, p[:max(room, 0)]...)
		c.truncated = true
	} else {
		c.buf = append(c.buf, p...)
	}
	return len(p), nil
}

func (c *cappedBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.truncated {
		return string(c.buf) + "\n[stderr truncated]"
	}
	return string(c.buf)
}

// lockedWriter serialises writes of several processes to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// process is one running command and splunkd's side of its pipes.
type process struct {
	name     string
	cmd      *exec.Cmd
	stdin    *os.File // write end of the command's stdin
	stdout   *os.File // read end of the command's stdout
	fr       *frameReader
	timeout  time.Duration
	maxReply int64
	captured *cappedBuffer
	stat     *ProcessStat
	ctx      context.Context
	started  time.Time

	exchange  int // index of the current message exchange
	waitDone  chan struct{}
	waited    bool
	stopWatch func() bool

	wbuf, metaBuf, bodyBuf []byte
}

// procOptions carries what every process of a run shares.
type procOptions struct {
	timeout  time.Duration
	maxReply int64
	stderr   io.Writer // nil: capture
}

// startProcess starts argv with pipes for stdin and stdout. The process is
// killed if ctx is done.
func startProcess(ctx context.Context, argv []string, name, role string, o procOptions) (*process, error) {
	if len(argv) == 0 {
		return nil, errors.New("splunkd: empty command argv")
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("splunkd: %s: %w", name, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("splunkd: %s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = inR
	cmd.Stdout = outW
	p := &process{
		name: name, cmd: cmd, stdin: inW, stdout: outR, fr: newFrameReader(outR),
		timeout: o.timeout, maxReply: o.maxReply, ctx: ctx,
		stat:     &ProcessStat{Name: name, Role: role, Argv: append([]string(nil), argv...), ExitCode: -1},
		waitDone: make(chan struct{}),
	}
	if o.stderr != nil {
		cmd.Stderr = o.stderr
	} else {
		p.captured = &cappedBuffer{}
		cmd.Stderr = p.captured
	}
	// Bound the wait for the stderr copier if a grandchild keeps the pipe.
	cmd.WaitDelay = time.Second
	p.started = time.Now()
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("splunkd: starting %s (%s): %w", name, argv[0], err)
	}
	p.stat.Pid = cmd.Process.Pid
	go func() {
		_ = cmd.Wait() // the status is read from cmd.ProcessState
		close(p.waitDone)
	}()
	p.stopWatch = context.AfterFunc(ctx, p.kill)
	return p, nil
}

func (p *process) kill() { _ = p.cmd.Process.Kill() }

// terminate kills the process if it still runs and releases everything. It
// is idempotent.
func (p *process) terminate() {
	if p.waited {
		return
	}
	p.kill()
	p.reap()
}

// awaitExit gives a process that closed its stdout up to d to exit by
// itself (so that its real exit status is reported), then terminates it.
func (p *process) awaitExit(d time.Duration) {
	if !p.waited {
		timer := time.NewTimer(d)
		select {
		case <-p.waitDone:
		case <-timer.C:
		}
		timer.Stop()
	}
	p.terminate()
}

// reap waits for the exit (already caused) and records statistics.
func (p *process) reap() {
	<-p.waitDone
	p.waited = true
	p.stopWatch()
	p.stdin.Close()
	p.stdout.Close()
	ps := p.cmd.ProcessState
	p.stat.ExitCode = ps.ExitCode()
	p.stat.MaxRSS = maxRSS(ps)
	p.stat.Wall = time.Since(p.started)
	p.stat.CPU = ps.UserTime() + ps.SystemTime()
	if p.captured != nil {
		p.stat.Stderr = p.captured.String()
	}
}

// fail terminates the process and returns a Violation (or the context's
// error if the run was cancelled).
func (p *process) fail(off int64, rule string, err error) error {
	p.terminate()
	if cerr := p.ctx.Err(); cerr != nil {
		return fmt.Errorf("splunkd: %s: %w", p.name, cerr)
	}
	return &Violation{Process: p.name, Message: p.exchange, Offset: off, Rule: rule, Err: err, Stderr: p.stat.Stderr}
}

// errWriteFailed marks a request the command did not take (it closed its
// stdin or exited): a reply may still be readable.
var errWriteFailed = errors.New("splunkd: writing request failed")

// send writes one request: header, metadata, body [§2]. Lengths are byte
// counts.
func (p *process) send(meta, body []byte) error {
	p.wbuf = appendHeader(p.wbuf[:0], len(meta), len(body))
	p.wbuf = append(p.wbuf, meta...)
	_ = p.stdin.SetWriteDeadline(time.Now().Add(p.timeout))
	n1, err := p.stdin.Write(p.wbuf)
	var n2 int
	if err == nil && len(body) > 0 {
		n2, err = p.stdin.Write(body)
	}
	p.stat.BytesIn += int64(n1 + n2)
	p.stat.Chunks++
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return p.fail(p.fr.off, "§2 back-pressure: the command must read each request",
				violationf(ErrTimeout, "the command did not read its stdin for %v (splunkd: \"buffer full\")", p.timeout))
		}
		return fmt.Errorf("%w: %w", errWriteFailed, err)
	}
	return nil
}

// reply is one reply read from the command.
type reply struct {
	meta            *replyMeta
	rawMeta, body   []byte // valid until the next receive
	off, metaOff    int64
	bodyOff, endOff int64
}

// receive reads one reply within the timeout and validates its framing and
// metadata. getinfo selects the getinfo-reply key set.
func (p *process) receive(getinfo bool) (*reply, error) {
	_ = p.stdout.SetReadDeadline(time.Now().Add(p.timeout))
	m, b, start, err := p.fr.readHeader()
	if err != nil {
		var fe *frameError
		errors.As(err, &fe)
		rule := "§2 framing: a reply header is exactly \"chunked 1.0,<M>,<B>\\n\""
		switch {
		case errors.Is(err, ErrNoReply):
			rule = "§1 exactly one reply per request"
			p.awaitExit(min(p.timeout, time.Second))
			fe.err = fmt.Errorf("%w (exit status %d)", fe.err, p.stat.ExitCode)
		case errors.Is(err, ErrTimeout):
			rule = "§1 exactly one reply per request, in time"
			fe.err = fmt.Errorf("%w: waited %v", fe.err, p.timeout)
		}
		return nil, p.fail(fe.off, rule, fe.err)
	}
	if m+b > p.maxReply {
		return nil, p.fail(start, "§2 maxchunksize: reply size cap",
			violationf(ErrTooLarge, "declared %d metadata + %d body bytes, cap %d", m, b, p.maxReply))
	}
	r := &reply{off: start, metaOff: p.fr.off}
	p.metaBuf, err = p.fr.readN(p.metaBuf, m, "metadata")
	if err == nil {
		r.bodyOff = p.fr.off
		p.bodyBuf, err = p.fr.readN(p.bodyBuf, b, "body")
	}
	p.stat.BytesOut = p.fr.off
	if err != nil {
		var fe *frameError
		errors.As(err, &fe)
		return nil, p.fail(fe.off, "§2 framing: exactly M then B bytes follow the header", fe.err)
	}
	r.rawMeta, r.body, r.endOff = p.metaBuf, p.bodyBuf, p.fr.off
	if n := p.fr.buffered(); n > 0 {
		return nil, p.fail(p.fr.off, "§4.2 one reply per request, no unsolicited chunks",
			violationf(ErrExtraReply, "%d more bytes arrived right after the reply, before the next request: %s (a second reply, or lengths counted in characters instead of bytes?)",
				n, quoteShort(p.fr.buf[p.fr.r:p.fr.w], 40)))
	}
	r.meta, err = parseReplyMeta(r.rawMeta, getinfo, p.name)
	if err != nil {
		rule := "§4.2 execute reply metadata"
		if getinfo {
			rule = "§3.2 getinfo reply metadata"
		}
		return nil, p.fail(r.metaOff, rule, err)
	}
	return r, nil
}

// finish ends a session [§1.4]: close stdin, expect no more output and an
// exit within the timeout, with status 0 — or non-zero after an error reply.
func (p *process) finish(afterError bool) error {
	// Peak memory is read while the process is still alive: rusage's
	// ru_maxrss of a child counts the forked parent's pages too, so it
	// reflects the test process, not the command.
	p.stat.PeakRSS = peakRSS(p.cmd.Process.Pid)
	p.stdin.Close()
	deadline := time.Now().Add(p.timeout)
	_ = p.stdout.SetReadDeadline(deadline)
	if p.fr.buffered() == 0 {
		err := p.fr.fill()
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			return p.fail(p.fr.off, "§1.4 exit on EOF", violationf(ErrTimeout, "still running %v after stdin was closed", p.timeout))
		default: // EOF: stdout closed
		}
	}
	if n := p.fr.buffered(); n > 0 {
		return p.fail(p.fr.off, "§4.2 no unsolicited chunks",
			violationf(ErrExtraReply, "output after the last reply: %s", quoteShort(p.fr.buf[p.fr.r:p.fr.w], 40)))
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-p.waitDone:
	case <-timer.C:
		return p.fail(p.fr.off, "§1.4 exit on EOF", violationf(ErrTimeout, "closed stdout but did not exit within %v", p.timeout))
	}
	p.reap()
	code := p.stat.ExitCode
	switch {
	case afterError && code == 0:
		return p.fail(p.fr.off, "§8 exit non-zero after an error reply", violationf(ErrExitStatus, "exit status 0 after reporting an error"))
	case !afterError && code != 0:
		what := fmt.Sprintf("exit status %d", code)
		if code < 0 {
			what = p.cmd.ProcessState.String()
		}
		msg := what + " after a successful session"
		if s := firstLine(p.stat.Stderr); s != "" {
			msg += "; stderr: " + s
		}
		return p.fail(p.fr.off, "§1.4 exit 0 on EOF", violationf(ErrExitStatus, "%s", msg))
	}
	return nil
}
