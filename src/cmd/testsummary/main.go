// Command testsummary runs "go test -json" with its arguments and prints
// go test's package lines, failures, a count of passed, failed and skipped
// tests and every skip with its reason (package testsummary). It exits 1
// when go test failed or reported a failure, else 0. The go command is
// $GO, or go. make test runs it.
package main

import (
	"os"

	"github.com/t1102app/t1102/src/internal/testsummary"
)

func main() {
	os.Exit(testsummary.Run(os.Getenv("GO"), os.Args[1:], os.Stdout, os.Stderr))
}
