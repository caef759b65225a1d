// Package exit turns the outcome of a command into its exit status, in one
// place for every executable of the project.
//
// Each command has the same shape (litestream's cmd pattern): main only
// wires standard input and output, flags and signals, calls a run function
// (or a Main type's Run method) that returns an error, and ends with
//
//	os.Exit(exit.Report(os.Stderr, prefix, err))
//
// An error that must end the process with a particular status is an
// [*Error] somewhere in the chain (found with errors.As); any other error
// is status 1. Help (-h, -help: [flag.ErrHelp]) is status 0: the usage was
// printed on standard error, as the flag package does, so that standard
// output keeps its meaning (the protocol's channel for a search command,
// results for a tool).
package exit

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Usage is the exit status of a command-line error in the host tools
// (sysexits.h EX_USAGE). The commands splunkd runs have their own statuses.
const Usage = 64

// ErrHelp is what a command returns once it printed its usage for -h or
// -help: exit status 0. It is [flag.ErrHelp], which FlagSet.Parse returns.
var ErrHelp = flag.ErrHelp

// AsksHelp reports whether args ask for the usage and nothing else: -h,
// -help or --help alone, for a command that takes no flags of its own.
func AsksHelp(args []string) bool {
	if len(args) != 1 {
		return false
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return true
	}
	return false
}

// Error is an error that ends the process with exit status Code. Err is
// what went wrong; nil when it was reported already (the flag package
// prints its own errors).
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// With returns err as an [*Error] with exit status code; nil stays nil.
func With(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Errorf is fmt.Errorf with an exit status.
func Errorf(code int, format string, a ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, a...)}
}

// Flag is the error of a FlagSet's Parse (ContinueOnError): flag.ErrHelp
// as it is, any other with exit status code and nothing more to print (the
// flag package printed it and the usage).
func Flag(err error, code int) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &Error{Code: code}
}

// Code returns the exit status for err: 0 for nil and [flag.ErrHelp], the
// Code of the first [*Error] in its chain, else 1.
func Code(err error) int {
	var e *Error
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &e):
		return e.Code
	}
	return 1
}

// Report writes err on w as one line, prefix first ("ERROR fleetgen: "),
// unless there is nothing to say (nil, help, an [*Error] without Err), and
// returns its exit status ([Code]).
func Report(w io.Writer, prefix string, err error) int {
	var e *Error
	silent := err == nil || errors.Is(err, flag.ErrHelp) || (errors.As(err, &e) && e.Err == nil && e == err)
	if !silent {
		fmt.Fprintf(w, "%s%v\n", prefix, err)
	}
	return Code(err)
}
