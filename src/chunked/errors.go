package chunked

import (
	"errors"
	"fmt"
)

// Errors returned in [Error.Err]. Use errors.Is to test for them.
var (
	ErrHeader     = errors.New("malformed chunk header")
	ErrTruncated  = errors.New("input ended inside a chunk")
	ErrTooLarge   = errors.New("chunk exceeds the size limit")
	ErrMetadata   = errors.New("metadata is not a JSON object")
	ErrProtocol   = errors.New("unexpected message")
	ErrQuote      = errors.New("bad quoting")
	ErrFieldCount = errors.New("wrong number of fields")
	ErrHeaderRow  = errors.New("bad header row")
	ErrMultivalue = errors.New("malformed multivalue cell")
	ErrArgument   = errors.New("bad argument")
	ErrCommand    = errors.New("command misbehaved") // a bug in the command, not in the input
	// ErrUnfinished: the input ended after execute messages but before the
	// one with finished=true, so the command never saw all of its input.
	ErrUnfinished = errors.New("input ended before the execute message with finished=true")
	// ErrAfterFinished: a message followed the one that ended the input
	// (finished=true, or a generating command's finished=true reply).
	ErrAfterFinished = errors.New("message after the end of input (finished=true)")
)

// Error reports where in the input stream a failure happened. Fields that do
// not apply are zero (Row is 1-based: 1 is the first data row after the
// header, 0 means not about a row).
type Error struct {
	Chunk  int    // index of the message in the stream: 0 is getinfo
	Offset int64  // byte offset in the input stream where the problem lies
	Row    int    // 1-based data row inside the chunk's body, 0 if none
	Field  string // field (column) name, if known
	Err    error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("chunk %d, byte %d", e.Chunk, e.Offset)
	if e.Row > 0 {
		s += fmt.Sprintf(", row %d", e.Row)
	}
	if e.Field != "" {
		s += fmt.Sprintf(", field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// CSVError is a decoding error at a position inside one body, as
// [Table.Parse] returns it; [Run] places it in the stream as an [*Error].
// The fields are unexported so that positions stay consistent; read them
// with Position.
type CSVError struct {
	offset int // byte offset inside the body, -1 if unknown
	row    int // 1-based data row, 0 for the header
	col    int // 0-based column, -1 if unknown
	err    error
}

// Position returns the byte offset in the body (-1 if unknown), the 1-based
// data row (0: the header) and the 0-based column (-1 if unknown).
func (e *CSVError) Position() (offset, row, col int) { return e.offset, e.row, e.col }

func (e *CSVError) Error() string {
	return fmt.Sprintf("body byte %d, row %d: %v", e.offset, e.row, e.err)
}

func (e *CSVError) Unwrap() error { return e.err }
