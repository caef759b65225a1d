package splunkd

import (
	"errors"
	"fmt"
	"strings"
)

// These are the errors that can be returned in [Violation.Err] and
// [StreamError.Err], wrapped with details: test them with [errors.Is]. Each
// names one rule of the protocol; the section of SCPV2.md that states the
// rule is given in brackets.
var (
	// ErrBadHeader means a reply header is not exactly "chunked 1.0,<M>,<B>\n"
	// with decimal byte counts, no spaces, no leading zeros and LF [§2].
	// Garbage before a header is reported here too.
	ErrBadHeader = errors.New("malformed chunk header")
	// ErrTooLarge means a reply declares more metadata+body bytes than
	// [Search.MaxReplyBytes] allows [§2 maxchunksize].
	ErrTooLarge = errors.New("reply larger than the size cap")
	// ErrTruncated means the command's stdout ended inside a message, before the
	// declared number of bytes arrived [§2].
	ErrTruncated = errors.New("message truncated")
	// ErrNoReply means the command's stdout ended (or it stopped reading its stdin)
	// where a reply was due [§1, §4.2].
	ErrNoReply = errors.New("no reply")
	// ErrExtraReply means bytes arrived on the command's stdout when no reply was
	// due: a second reply to one request, bytes after a reply, or output after
	// stdin was closed [§4.2 "Never write unsolicited chunks"].
	ErrExtraReply = errors.New("unsolicited output")
	// ErrTimeout means the command did not reply, read its stdin, or exit within
	// [Search.Timeout]; it was killed [§1, §2 back-pressure].
	ErrTimeout = errors.New("timeout")
	// ErrBadJSON means reply metadata is not a JSON object [§2].
	ErrBadJSON = errors.New("metadata is not a JSON object")
	// ErrUnknownKey means reply metadata has a key splunkd does not accept,
	// such as "partial" or "requires_preop" [§3.2, §4.2].
	ErrUnknownKey = errors.New("unknown metadata key")
	// ErrBadMeta means a known metadata key has a value of the wrong type or out of
	// range (type, required_fields, inspector levels...) [§3.2, §8].
	ErrBadMeta = errors.New("bad metadata value")
	// ErrUnexpectedBody means a getinfo reply carries a body [§3.2].
	ErrUnexpectedBody = errors.New("getinfo reply has a body")
	// ErrBadConfig means the getinfo replies do not describe a runnable search
	// (streaming_preop on a non-reporting command, a map phase that is not
	// streaming or stateful, processes of one phase disagreeing) [§7].
	ErrBadConfig = errors.New("unusable command configuration")
	// ErrFinished means an execute reply lacks "finished", does not echo the
	// request's value, or a generating command never finishes [§4.2].
	ErrFinished = errors.New("bad finished flag")
	// ErrBadUTF8 means a reply body is not valid UTF-8 [§2].
	ErrBadUTF8 = errors.New("body is not valid UTF-8")
	// ErrBadCSV means a reply body does not parse as CSV with a header row, has
	// duplicate or empty column names, or rows of the wrong width [§5].
	ErrBadCSV = errors.New("malformed CSV body")
	// ErrMultivalue means a __mv_ cell is not a $-encoded list, or disagrees with
	// its plain cell, or a __mv_ column has no plain column [§5].
	ErrMultivalue = errors.New("malformed multivalue")
	// ErrChunkedIdx means an output row of a streaming or stateful command lacks
	// the _chunked_idx sent with its input, invents one, or repeats one [§6].
	ErrChunkedIdx = errors.New("bad _chunked_idx")
	// ErrExitStatus means the command exited non-zero after a successful session,
	// with 0 after reporting an error, or was killed by a signal [§1.4, §8].
	ErrExitStatus = errors.New("bad exit status")
)

// A Violation is returned when a command breaks a rule of the protocol. It
// says which process broke it, in which message exchange (0 is getinfo, 1 the
// first execute...), and at which byte offset of that process's stdout.
type Violation struct {
	Process string // process name: "main", "probe1", "map0", "indexer1"...
	Message int    // index of the message exchange (0 = getinfo; the last one for problems at exit)
	Offset  int64  // byte offset in the command's stdout where the problem was seen
	Rule    string // the rule broken, with its SCPV2.md section
	Err     error  // wraps one of the Err* sentinels
	Stderr  string // what the command wrote to stderr (capped), if captured
}

func (v *Violation) Error() string {
	return fmt.Sprintf("splunkd: protocol violation by %s in message %d at stdout offset %d: %s: %v",
		v.Process, v.Message, v.Offset, v.Rule, v.Err)
}

func (v *Violation) Unwrap() error { return v.Err }

// A CommandError is returned when the command reported a fatal error with
// {"finished":true,"error":"..."} and then exited non-zero, as it should
// [§8]. The search is stopped.
type CommandError struct {
	Process  string    // process that reported the error
	Text     string    // the "error" text shown to the user
	Messages []Message // inspector messages of the run up to and including the error reply
	ExitCode int       // the process's exit status (non-zero)
	Stderr   string    // what the command wrote to stderr (capped), if captured
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("splunkd: command %s reported an error (exit status %d): %s", e.Process, e.ExitCode, e.Text)
}

// A StreamError reports a malformed recording passed to [SplitStream] or
// [Replay]. Err wraps [ErrBadHeader], [ErrTruncated] or [ErrBadJSON].
type StreamError struct {
	Message int   // index of the message in the recording
	Offset  int64 // byte offset in the recording
	Err     error
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("splunkd: recording message %d at offset %d: %v", e.Message, e.Offset, e.Err)
}

func (e *StreamError) Unwrap() error { return e.Err }

// violationf builds the error wrapped in a Violation: sentinel plus detail.
func violationf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// quoteShort quotes b for an error message, cut to n bytes.
func quoteShort(b []byte, n int) string {
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// firstLine returns the first line of s, for terse error messages.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
