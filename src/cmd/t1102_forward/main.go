// Command t1102_forward is the app's custom alert action: splunkd runs it
// as "t1102_forward --execute" with the alert's JSON payload on stdin (see
// package forward; exit statuses there).
package main

import (
	"os"

	"github.com/t1102app/t1102/src/forward"
)

func main() {
	os.Exit(forward.Main(os.Args[1:], os.Stdin, os.Stderr, os.Getenv))
}
