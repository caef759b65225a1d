// Command testsummary runs "go test -json" with its arguments and prints
// go test's package lines, failures, a count of passed, failed and skipped
// tests and every skip with its reason (package testsummary). It exits 1
// when go test failed or reported a failure, else 0; -h or -help alone
// prints the usage (exit status 0). The go command is $GO, or go. make
// test runs it.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/internal/testsummary"
)

func main() {
	o := testsummary.Options{Go: os.Getenv("GO"), Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr}
	os.Exit(exit.Report(os.Stderr, "ERROR ", run(context.Background(), o)))
}

func run(ctx context.Context, o testsummary.Options) error {
	if exit.AsksHelp(o.Args) {
		fmt.Fprintln(o.Stderr, "usage: testsummary [go test flags] [packages]\n\n"+
			"Runs \"$GO test -json\" (GO defaults to go) with the arguments and prints\n"+
			"go test's package lines, failures, a count of passed, failed and skipped\n"+
			"tests and every skip with its reason. Exit status 1 on any failure.")
		return exit.ErrHelp
	}
	return testsummary.Run(ctx, o)
}
