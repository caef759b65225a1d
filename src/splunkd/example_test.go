package splunkd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/t1102app/t1102/src/internal/synth"
	"github.com/t1102app/t1102/src/splunkd"
)

// Run a streaming command over a few Sysmon-like events, as splunkd would
// on two indexers, and tell a protocol violation from a command error.
func ExampleRun() {
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv:      []string{"./t1102score"},
		Args:      []string{"window=60"},
		Input:     splunkd.TableOf(synth.Sysmon(1000, 1)),
		ChunkRows: 250,
		Indexers:  2,
		Collect:   true,
	})
	var v *splunkd.Violation
	var ce *splunkd.CommandError
	switch {
	case errors.As(err, &v):
		fmt.Printf("protocol violation by %s in message %d at byte %d: %v\n", v.Process, v.Message, v.Offset, v.Err)
	case errors.As(err, &ce):
		fmt.Println("command error:", ce.Text)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(res.Rows, "rows; fields:", strings.Join(res.Table.Fields, ","))
	}
}

func ExampleSplitStream() {
	stream := "chunked 1.0,2,0\n{}" + "chunked 1.0,36,4\n{\"action\":\"execute\",\"finished\":true}a\n1\n"
	msgs, err := splunkd.SplitStream([]byte(stream))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range msgs {
		fin, _ := m.Finished()
		fmt.Printf("%q finished=%v body=%q\n", m.Action(), fin, m.Body)
	}
	// Output:
	// "" finished=false body=""
	// "execute" finished=true body="a\n1\n"
}
