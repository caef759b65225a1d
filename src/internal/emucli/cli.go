// Package emucli is splunkdemu's command line: flags, input files, and the
// printing of results, messages and statistics. The emulator itself (the
// protocol oracle) is package splunkd.
package emucli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/splunkd"
)

// Exit statuses of splunkdemu ([Main.Run]'s errors carry them).
const (
	ExitOK           = 0  // the search succeeded
	ExitCommandError = 1  // the command reported an error, or could not run
	ExitViolation    = 2  // the command broke the protocol
	ExitUsage        = 64 // bad flags or input file
)

const usageText = `usage:
  splunkdemu [flags] [--] <command executable> [search args...]
  splunkdemu -replay recording [-no-args] [--] <command executable> [argv...]
  splunkdemu backtest -app <dir> -events a.csv -from <RFC3339> -to <RFC3339> (see splunkdemu backtest -h)

Runs a search through a chunked (SCP v2) custom search command as splunkd
would, checking every protocol rule, and prints the results. Everything
after the executable is search arguments (searchinfo.args, tokenised like
SPL: an argument written with double quotes, such as 'pattern="\w+"', keeps
them in raw_args only). Use -command-arg for argv of the executable itself.
In -replay mode, everything after the executable is its argv.

Exit status: 0 success, 1 command error, 2 protocol violation, 64 usage.

flags:
`

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Main is the splunkdemu command line: results on Stdout; inspector
// messages ("LEVEL: text"), statistics, usage and errors on Stderr.
type Main struct {
	Stdout, Stderr io.Writer
}

// Run runs splunkdemu with args (without the program name). With
// "backtest" as the first argument it replays an app's scheduled searches
// instead (package backtest). It returns nil on success, [exit.ErrHelp]
// after -h, or an error carrying the exit status ([ExitCommandError],
// [ExitViolation], [ExitUsage]) whose message is what splunkdemu prints
// (nothing for a flag error, which the flag package printed with the
// usage).
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "backtest" {
		o, err := m.backtestFlags(args[1:])
		if err != nil {
			return err
		}
		return m.backtest(ctx, o)
	}
	o, err := m.flags(args)
	if err != nil {
		return err
	}
	if o.replay != "" {
		return m.replay(ctx, o)
	}
	return m.search(ctx, o)
}

// options are splunkdemu's flags, for a search or a replay.
type options struct {
	search splunkd.Search // without its input
	input  string         // events file
	format string         // its format
	fields []string       // output fields, in order (nil: all)
	output string         // table, csv or json
	stats  bool           // -v

	replay string   // a recording to replay instead
	argv   []string // the replayed executable and its argv
	noArgs bool
}

// flags reads splunkdemu's command line (not backtest's).
func (m *Main) flags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("splunkdemu", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.input, "input", "", "events file (`path`, .csv or .jsonl); default no events")
	fs.StringVar(&o.format, "format", "", "input format: csv or jsonl (default from the file extension)")
	indexers := fs.Int("indexers", 1, "simulated search peers for streaming commands and map phases")
	chunkRows := fs.Int("chunk-rows", 10000, "rows per execute chunk for streaming and stateful commands")
	fieldsFlag := fs.String("fields", "", "comma-separated output fields to show, in order (default all)")
	fs.StringVar(&o.output, "output", "table", "output format: table, csv or json (one object per line)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-reply and per-exit timeout")
	probes := fs.Int("probes", 1, "getinfo-only probe processes to start first (0 for none)")
	name := fs.String("name", "", "command name as invoked (default: executable base name)")
	search := fs.String("search", "", "SPL for searchinfo.search (default: search * | <name> <args>)")
	finalHeaderOnly := fs.Bool("final-header-only", false, "end streaming input with a header-only finished:true chunk (Splunk 8.2.1)")
	crlf := fs.Bool("crlf", false, "write CSV bodies with CRLF line ends")
	preview := fs.Bool("preview", false, "set the getinfo preview flag")
	fs.BoolVar(&o.stats, "v", false, "print per-process statistics to stderr")
	fs.StringVar(&o.replay, "replay", "", "replay a recorded splunkd-to-command stream (`path`, gzip allowed)")
	fs.BoolVar(&o.noArgs, "no-args", false, "with -replay: empty searchinfo.args and raw_args in getinfo")
	var cmdArgs, register stringList
	fs.Var(&cmdArgs, "command-arg", "extra argv for the executable (commands.conf command.arg.N); repeatable")
	fs.Var(&register, "register", "`name=path`: executable of a command named in a streaming_preop (default: the searched executable); repeatable")
	if err := fs.Parse(args); err != nil {
		return o, exit.Flag(err, ExitUsage)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		// As the flag package reports its errors: the message, then the usage.
		fmt.Fprintln(m.Stderr, "splunkdemu: missing command executable")
		fs.Usage()
		return o, &exit.Error{Code: ExitUsage}
	}
	if o.replay != "" {
		o.argv = append(rest[:1:1], append(cmdArgs, rest[1:]...)...)
		o.search.Timeout = *timeout
		return o, nil
	}
	switch o.output {
	case "table", "csv", "json":
	default:
		return o, exit.Errorf(ExitUsage, "splunkdemu: -output %q: want table, csv or json", o.output)
	}
	if *indexers < 1 || *chunkRows < 1 {
		return o, exit.Errorf(ExitUsage, "splunkdemu: -indexers and -chunk-rows must be at least 1")
	}
	s := splunkd.Search{
		Argv: append(rest[:1:1], cmdArgs...), Name: *name,
		Indexers: *indexers, ChunkRows: *chunkRows, Timeout: *timeout,
		FinalHeaderOnly: *finalHeaderOnly, CRLF: *crlf, Preview: *preview, Collect: true,
		Probes: *probes,
	}
	if *probes == 0 {
		s.Probes = -1
	}
	for _, r := range register {
		n, path, ok := strings.Cut(r, "=")
		if !ok || n == "" || path == "" {
			return o, exit.Errorf(ExitUsage, "splunkdemu: -register %q: want name=path", r)
		}
		if s.Registry == nil {
			s.Registry = map[string][]string{}
		}
		s.Registry[n] = []string{path}
	}
	s.Info.Search = *search
	for _, a := range rest[1:] {
		parsed, raw, err := splunkd.Tokenize(a)
		if err != nil || len(parsed) != 1 {
			parsed, raw = []string{a}, []string{a}
		}
		s.Args = append(s.Args, parsed[0])
		s.RawArgs = append(s.RawArgs, raw[0])
	}
	if *fieldsFlag != "" {
		o.fields = strings.Split(*fieldsFlag, ",")
	}
	o.search = s
	return o, nil
}

// search runs the search and prints its results.
func (m *Main) search(ctx context.Context, o options) error {
	s := o.search
	if o.input != "" {
		t, err := readInputFile(o.input, o.format)
		if err != nil {
			return exit.Errorf(ExitUsage, "splunkdemu: %w", err)
		}
		s.Input = t
	}
	res, err := splunkd.Run(ctx, s)
	printMessages(m.Stderr, res.Messages)
	if o.stats {
		printStats(m.Stderr, res.Processes)
	}
	if err != nil {
		return searchError(err)
	}
	if err := writeResults(m.Stdout, res.Table, o.fields, o.output); err != nil {
		return exit.Errorf(ExitCommandError, "splunkdemu: %w", err)
	}
	return nil
}

// failure is an error whose message is what splunkdemu prints about the
// error it wraps.
type failure struct {
	msg string
	err error
}

func (f *failure) Error() string { return f.msg }
func (f *failure) Unwrap() error { return f.err }

// searchError is the error of a search for a user, with its exit status:
// a protocol violation or a command's error with the process, the rule and
// the command's stderr.
func searchError(err error) error {
	var v *splunkd.Violation
	var ce *splunkd.CommandError
	switch {
	case errors.As(err, &v):
		return &exit.Error{Code: ExitViolation, Err: &failure{fmt.Sprintf("splunkdemu: protocol violation by process %s, message %d, stdout byte offset %d\n  rule: %s\n  error: %v%s",
			v.Process, v.Message, v.Offset, v.Rule, v.Err, stderrLines(v.Stderr)), err}}
	case errors.As(err, &ce):
		return &exit.Error{Code: ExitCommandError, Err: &failure{fmt.Sprintf("splunkdemu: command error (process %s, exit status %d): %s%s",
			ce.Process, ce.ExitCode, ce.Text, stderrLines(ce.Stderr)), err}}
	}
	return exit.Errorf(ExitCommandError, "splunkdemu: %w", err)
}

// stderrLines is a command's stderr as indented lines after a message,
// each line preceded by a newline; empty for none.
func stderrLines(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n  command stderr:")
	for _, line := range strings.Split(s, "\n") {
		b.WriteString("\n    " + line)
	}
	return b.String()
}

func printMessages(w io.Writer, msgs []splunkd.Message) {
	for _, m := range msgs {
		fmt.Fprintf(w, "%s: %s\n", m.Level, m.Text)
	}
}

func printStats(w io.Writer, stats []splunkd.ProcessStat) {
	for _, p := range stats {
		fmt.Fprintf(w, "process %-9s role=%-8s pid=%d exit=%d maxrss=%.1fMiB chunks=%d in=%dB out=%dB rows_in=%d rows_out=%d wall=%v\n",
			p.Name, p.Role, p.Pid, p.ExitCode, float64(p.PeakRSS)/(1<<20), p.Chunks, p.BytesIn, p.BytesOut, p.RowsIn, p.RowsOut, p.Wall.Round(time.Millisecond))
	}
}

// readFile reads a file, gunzipping it if it is gzip-compressed.
func readFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		data, err = io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return data, nil
}

func readInputFile(path, format string) (*splunkd.Table, error) {
	if format == "" {
		ext := strings.ToLower(filepath.Ext(strings.TrimSuffix(path, ".gz")))
		switch ext {
		case ".csv":
			format = "csv"
		case ".jsonl", ".json", ".ndjson":
			format = "jsonl"
		default:
			return nil, fmt.Errorf("%s: cannot tell the format from the extension; use -format csv or -format jsonl", path)
		}
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	t, err := splunkd.ReadTable(bytes.NewReader(data), format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// writeResults prints t in the given format, restricted to fields if set.
func writeResults(w io.Writer, t *splunkd.Table, fields []string, format string) error {
	if t == nil {
		t = &splunkd.Table{}
	}
	if fields == nil {
		fields = t.Fields
	}
	cols := make([]int, len(fields))
	for i, f := range fields {
		cols[i] = t.Column(f)
	}
	cell := func(row []splunkd.Value, i int) splunkd.Value {
		if c := cols[i]; c >= 0 && c < len(row) {
			return row[c]
		}
		return nil
	}
	switch format {
	case "csv":
		return writeResultsCSV(w, t, fields, cell)
	case "json":
		return writeResultsJSON(w, t, fields, cell)
	}
	return writeResultsTable(w, t, fields, cell)
}

// writeResultsTable prints an aligned text table; a multivalue (or a value
// with newlines) takes several lines of its cell.
func writeResultsTable(w io.Writer, t *splunkd.Table, fields []string, cell func([]splunkd.Value, int) splunkd.Value) error {
	if len(fields) == 0 {
		_, err := fmt.Fprintln(w, "(no results)")
		return err
	}
	widths := make([]int, len(fields))
	for i, f := range fields {
		widths[i] = utf8.RuneCountInString(f)
	}
	lines := func(v splunkd.Value) []string {
		var out []string
		for _, s := range v {
			out = append(out, strings.Split(s, "\n")...)
		}
		return out
	}
	for _, row := range t.Rows {
		for i := range fields {
			for _, l := range lines(cell(row, i)) {
				widths[i] = max(widths[i], utf8.RuneCountInString(l))
			}
		}
	}
	var b, line strings.Builder
	emit := func(cells []string) {
		line.Reset()
		for i, c := range cells {
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(c)
			line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	emit(fields)
	dashes := make([]string, len(fields))
	for i := range fields {
		dashes[i] = strings.Repeat("-", widths[i])
	}
	emit(dashes)
	for _, row := range t.Rows {
		cellLines := make([][]string, len(fields))
		height := 1
		for i := range fields {
			cellLines[i] = lines(cell(row, i))
			height = max(height, len(cellLines[i]))
		}
		for l := 0; l < height; l++ {
			cells := make([]string, len(fields))
			for i := range fields {
				if l < len(cellLines[i]) {
					cells[i] = cellLines[i][l]
				}
			}
			emit(cells)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeResultsCSV writes standard CSV (encoding/csv); fields that hold a
// multivalue get a __mv_ column, so ReadTable reads the output back.
func writeResultsCSV(w io.Writer, t *splunkd.Table, fields []string, cell func([]splunkd.Value, int) splunkd.Value) error {
	mv := make([]bool, len(fields))
	for _, row := range t.Rows {
		for i := range fields {
			if len(cell(row, i)) > 1 {
				mv[i] = true
			}
		}
	}
	cw := csv.NewWriter(w)
	header := append([]string(nil), fields...)
	for i, f := range fields {
		if mv[i] {
			header = append(header, "__mv_"+f)
		}
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, 0, len(header))
	for _, row := range t.Rows {
		rec = rec[:0]
		for i := range fields {
			rec = append(rec, strings.Join(cell(row, i), "\n"))
		}
		for i := range fields {
			if mv[i] {
				rec = append(rec, string(appendMVRaw(nil, cell(row, i))))
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// appendMVRaw appends $a$;$b$ ($ doubled) for a multivalue, unquoted.
func appendMVRaw(dst []byte, v splunkd.Value) []byte {
	if len(v) < 2 {
		return dst
	}
	for i, s := range v {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, '$')
		dst = append(dst, strings.ReplaceAll(s, "$", "$$")...)
		dst = append(dst, '$')
	}
	return dst
}

// writeResultsJSON writes one JSON object per row, keys in field order; a
// single value is a string, a multivalue an array; absent fields are left
// out. ReadTable(..., "jsonl") reads it back.
func writeResultsJSON(w io.Writer, t *splunkd.Table, fields []string, cell func([]splunkd.Value, int) splunkd.Value) error {
	var b bytes.Buffer
	for _, row := range t.Rows {
		b.Reset()
		b.WriteByte('{')
		n := 0
		for i, f := range fields {
			v := cell(row, i)
			if len(v) == 0 {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			b.Write(splunkd.CompactJSON(f))
			b.WriteByte(':')
			if len(v) == 1 {
				b.Write(splunkd.CompactJSON(v[0]))
			} else {
				b.Write(splunkd.CompactJSON([]string(v)))
			}
		}
		b.WriteString("}\n")
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// replay replays a recording and prints one line per message.
func (m *Main) replay(ctx context.Context, o options) error {
	data, err := readFile(o.replay)
	if err != nil {
		return exit.Errorf(ExitUsage, "splunkdemu: %w", err)
	}
	tr, err := splunkd.Replay(ctx, o.argv, data, splunkd.ReplayOptions{NoArgs: o.noArgs, Timeout: o.search.Timeout})
	var se *splunkd.StreamError
	if errors.As(err, &se) {
		return exit.Errorf(ExitUsage, "splunkdemu: %s: %w", o.replay, err)
	}
	if tr != nil {
		for i, req := range tr.Requests {
			line := fmt.Sprintf("%d %s", i, summarizeRequest(&req))
			if i < len(tr.Replies) {
				rep := tr.Replies[i]
				line += fmt.Sprintf(" -> %s rows=%d (%d B)", shorten(string(rep.RawMeta), 120), countRows(rep.Body), len(rep.Body))
			} else {
				line += " -> (no reply)"
			}
			fmt.Fprintln(m.Stdout, line)
		}
		fmt.Fprintf(m.Stdout, "exit status %d\n", tr.ExitCode)
	}
	if err != nil {
		return searchError(err)
	}
	return nil
}

func summarizeRequest(m *splunkd.Msg) string {
	switch m.Action() {
	case "getinfo":
		si, _ := m.Meta["searchinfo"].(map[string]any)
		return fmt.Sprintf("getinfo command=%v args=%s", si["command"], shorten(string(splunkd.CompactJSON(si["args"])), 80))
	case "execute":
		fin, _ := m.Finished()
		return fmt.Sprintf("execute finished=%v rows=%d (%d B)", fin, countRows(m.Body), len(m.Body))
	}
	return shorten(string(m.RawMeta), 80)
}

// countRows counts the records of a CSV body after its header; -1 if it
// does not parse.
func countRows(body []byte) int {
	if len(body) == 0 {
		return 0
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	n := -1
	for {
		if _, err := cr.Read(); err == io.EOF {
			return max(n, 0)
		} else if err != nil {
			return -1
		}
		n++
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
