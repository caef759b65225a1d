package exit

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReport(t *testing.T) {
	base := errors.New("disk full")
	tests := []struct {
		name, reason string
		err          error
		code         int
		says         string
	}{
		{"nil", "success says nothing", nil, 0, ""},
		{"help", "-h printed the usage already: status 0", flag.ErrHelp, 0, ""},
		{"wrapped help", "help through a wrapper is still help", fmt.Errorf("parse: %w", flag.ErrHelp), 0, ""},
		{"plain", "any other error is status 1", base, 1, "ERROR x: disk full\n"},
		{"with code", "an Error carries its status", With(7, base), 7, "ERROR x: disk full\n"},
		{"wrapped code", "found anywhere in the chain", fmt.Errorf("spool: %w", With(7, base)), 7, "ERROR x: spool: disk full\n"},
		{"errorf", "Errorf keeps %w", Errorf(5, "sending: %w", base), 5, "ERROR x: sending: disk full\n"},
		{"reported", "an Error without Err was reported already", &Error{Code: 64}, 64, ""},
		{"flag error", "the flag package printed it with the usage", Flag(errors.New("flag provided but not defined: -x"), Usage), Usage, ""},
		{"flag help", "Flag keeps help as it is", Flag(flag.ErrHelp, Usage), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			require.Equal(t, tt.code, Report(&b, "ERROR x: ", tt.err), tt.reason)
			require.Equal(t, tt.says, b.String(), tt.reason)
			require.Equal(t, tt.code, Code(tt.err), tt.reason)
		})
	}
	require.Nil(t, With(3, nil), "no error, no status")
	require.ErrorIs(t, Errorf(5, "sending: %w", io.EOF), io.EOF)
}

func TestAsksHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}} {
		require.True(t, AsksHelp(args), "%v", args)
	}
	for _, args := range [][]string{nil, {"--execute"}, {"-h", "x"}, {"-run", "-h"}} {
		require.False(t, AsksHelp(args), "%v", args)
	}
}
