// Command splunkdemu runs a search through a chunked (SCP v2) custom search
// command the way splunkd would, checks every protocol rule, and prints the
// results as a table.
//
// Usage:
//
//	splunkdemu [-input events.csv|events.jsonl] [-format csv|jsonl] [-indexers N]
//	           [-chunk-rows N] [-fields f1,f2] [-output table|csv|json] [-timeout 30s]
//	           -- <command executable> [search args...]
//	splunkdemu -replay recording.bin [-no-args] -- <command executable>
//	splunkdemu backtest -app <dir> -events a.csv[,b.csv] -from <RFC3339> -to <RFC3339>
//	           [-search name]... [-indexers N] [-fields f1,f2] [-source src]
//	           [-state dir] [-output table|csv]
//
// Exit status: 0 success (and -h), 1 command error, 2 protocol violation,
// 64 usage. Run splunkdemu -h for all flags. The logic lives in package
// emucli ([emucli.Main]); the emulator is package splunkd.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/t1102app/t1102/src/internal/emucli"
	"github.com/t1102app/t1102/src/internal/exit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	m := &emucli.Main{Stdout: os.Stdout, Stderr: os.Stderr}
	err := m.Run(ctx, os.Args[1:])
	stop()
	// emucli's messages name splunkdemu themselves.
	os.Exit(exit.Report(os.Stderr, "", err))
}
