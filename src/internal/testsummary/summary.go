// Package testsummary reads the event stream of "go test -json" and
// writes what a person needs from it: go test's usual package lines (ok,
// FAIL, ? … [no test files]), the output of every test that failed and of
// every build that failed, then one line counting passed, failed and
// skipped tests (subtests included) and one line per skipped test with the
// reason it gave, so that a run that skipped something says so.
//
// The events are those of cmd/test2json ("go doc test2json"): Action is
// start, run, pause, cont, output, pass, fail, skip or bench for a package
// or one of its tests (Test empty for the package), and, since Go 1.24,
// build-output and build-fail for a package's build (keyed by ImportPath).
package testsummary

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"

	"github.com/t1102app/t1102/src/internal/exit"
)

// Event is one line of "go test -json".
type Event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string // build-output and build-fail
	FailedBuild string // a package's fail when its build failed
}

// Skip is a skipped test and the text it logged (its t.Skip reason).
type Skip struct {
	Package, Test, Message string
}

// Summary counts a run's outcomes.
type Summary struct {
	Passed, Failed, Skipped int // tests and subtests
	FailedPackages          []string
	FailedBuilds            []string
	Skips                   []Skip
}

// OK reports whether nothing failed: no test, package or build.
func (s *Summary) OK() bool {
	return s.Failed == 0 && len(s.FailedPackages) == 0 && len(s.FailedBuilds) == 0
}

// Summarize reads events from r until EOF and writes the report to w as
// it goes; the counts and skips come last. A line that is not a JSON event
// is copied to w as it is (go test writes some errors before any event).
func Summarize(r io.Reader, w io.Writer) (*Summary, error) {
	s := &Summary{}
	type key struct{ pkg, test string }
	buf := map[key][]string{} // output of running tests
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Bytes()
		var ev Event
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &ev) != nil {
			fmt.Fprintf(w, "%s\n", raw)
			continue
		}
		k := key{ev.Package, ev.Test}
		switch {
		case ev.Action == "build-output":
			io.WriteString(w, ev.Output)
		case ev.Action == "build-fail":
			s.FailedBuilds = append(s.FailedBuilds, ev.ImportPath)
		case ev.Test == "" && ev.Action == "output":
			// The package's own lines: "ok  \tpkg\t0.1s", "FAIL\tpkg",
			// "?   \tpkg\t[no test files]", panics outside tests. "PASS"
			// is go test -v's, not go test's.
			if ev.Output != "PASS\n" {
				io.WriteString(w, ev.Output)
			}
		case ev.Test == "" && ev.Action == "fail":
			s.FailedPackages = append(s.FailedPackages, ev.Package)
		case ev.Test == "":
		case ev.Action == "output":
			buf[k] = append(buf[k], ev.Output)
		case ev.Action == "pass":
			s.Passed++
			delete(buf, k)
		case ev.Action == "fail":
			s.Failed++
			for _, o := range buf[k] {
				if !strings.HasPrefix(o, "=== ") {
					io.WriteString(w, o)
				}
			}
			delete(buf, k)
		case ev.Action == "skip":
			s.Skipped++
			s.Skips = append(s.Skips, Skip{Package: ev.Package, Test: ev.Test, Message: skipMessage(buf[k])})
			delete(buf, k)
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("testsummary: reading go test -json: %w", err)
	}
	s.write(w)
	return s, nil
}

// skipMessage is what a skipped test logged: its output without the
// "=== RUN" and "--- SKIP" framing, each line trimmed ("file_test.go:12:
// reason").
func skipMessage(out []string) string {
	var msg []string
	for _, o := range out {
		for _, l := range strings.Split(strings.TrimRight(o, "\n"), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
				continue
			}
			msg = append(msg, l)
		}
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " / ")
}

func (s *Summary) write(w io.Writer) {
	sort.SliceStable(s.Skips, func(i, j int) bool { return s.Skips[i].Package < s.Skips[j].Package })
	for _, sk := range s.Skips {
		fmt.Fprintf(w, "SKIP %s %s: %s\n", sk.Package, sk.Test, sk.Message)
	}
	status := "PASS"
	if !s.OK() {
		status = "FAIL"
	}
	fmt.Fprintf(w, "%s: %d passed, %d failed, %d skipped (tests and subtests)", status, s.Passed, s.Failed, s.Skipped)
	if n := len(s.FailedPackages); n > 0 {
		fmt.Fprintf(w, "; %d packages failed", n)
	}
	if n := len(s.FailedBuilds); n > 0 {
		fmt.Fprintf(w, "; builds failed: %d (%s)", n, strings.Join(s.FailedBuilds, ", "))
	}
	fmt.Fprintln(w)
}

// Options are a run of go test.
type Options struct {
	Go             string   // the go command; "" is "go"
	Args           []string // go test's arguments, after "test -json"
	Stdout, Stderr io.Writer
}

// Run runs "<o.Go> test -json <o.Args>", writes the summary of its
// standard output to o.Stdout and passes its standard error through. It
// returns nil when go test succeeded and nothing failed; an [*exit.Error]
// with status 1 and nothing to add when the summary holds a failure (a
// test, a package, a build: the summary says it); else an error (status
// 1) whose message starts with "testsummary: ".
func Run(ctx context.Context, o Options) error {
	goBin := o.Go
	if goBin == "" {
		goBin = "go"
	}
	cmd := exec.CommandContext(ctx, goBin, append([]string{"test", "-json"}, o.Args...)...)
	cmd.Stderr = o.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("testsummary: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testsummary: %w", err)
	}
	s, sumErr := Summarize(out, o.Stdout)
	if sumErr != nil {
		io.Copy(io.Discard, out) // let go test finish
	}
	waitErr := cmd.Wait()
	switch {
	case sumErr != nil:
		return sumErr
	case !s.OK():
		return &exit.Error{Code: 1}
	case waitErr != nil:
		// go test failed without a failure event: say so, the summary
		// line said PASS.
		return fmt.Errorf("testsummary: %s test: %w", goBin, waitErr)
	}
	return nil
}
