package correlate_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/correlate"
	"github.com/t1102app/t1102/src/splunkd"
)

// TestPreopQuoting: the map phase's arguments are written in SPL so that
// splunkd gives the map phase exactly the arguments the user gave.
func TestPreopQuoting(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		args   []string // searchinfo.args as the reduce received them (quotes removed)
	}{
		{"plain", "simple values stay unquoted", []string{"window=60", "all=t"}},
		{"space", "a field name with a space would split into two arguments", []string{"image_field=Process Image"}},
		{"pipe", "a '|' would end the command and start another on a real splunkd", []string{"commandline_field=a|delete"}},
		{"quote", `a '"' would end the quoted value`, []string{`user_field=the "user"`}},
		{"backslashes", `a trailing backslash would escape the closing quote; \w stays`, []string{`host_field=C:\x\`, `parentimage_field=a\"b\\c\w`}},
		{"brackets and equals", "a subsearch bracket or '=' inside a value", []string{"image_field=[x]=y", "window=1e3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := correlate.ParseOptions(tt.args)
			require.NoError(t, err, tt.reason)
			args, _, err := splunkd.Tokenize(preop(t, tt.args))
			require.NoError(t, err, tt.reason)
			require.Equal(t, append([]string{correlate.Name, "phase=map"}, tt.args...), args, tt.reason)
			require.Len(t, o.Args, len(tt.args))
		})
	}
}

// preop is the streaming_preop the reduce declares for args.
func preop(t *testing.T, args []string) string {
	t.Helper()
	res, err := splunkd.Run(context.Background(), splunkd.Search{Argv: argv, Args: args, Input: table([]string{"x"}), Probes: -1})
	require.NoError(t, err)
	return res.Config.StreamingPreop
}

// TestFieldNameWithSpace: image_field="Process Image" through the
// emulator, which tokenises the streaming_preop as splunkd does: the map
// phase reads the renamed field and the detection still fires.
func TestFieldNameWithSpace(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	defer f.Close()
	events, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	for i, name := range events.Fields {
		if name == "CommandLine" {
			events.Fields[i] = "Process Command|Line"
		}
	}
	res := run(t, events, 3, "commandline_field=Process Command|Line")
	require.Len(t, res.Table.Rows, 4, "%v", res.Table.Canonical())
}
