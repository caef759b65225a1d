// Command fakecmd is a test double for the splunkd emulator's tests: a
// chunked-protocol search command that behaves well or breaks one rule,
// selected with -mode. It is built by the tests of package splunkd; it is
// not a user-facing program.
//
// Usage:
//
//	fakecmd -mode <mode>
//
// See the modes table in main for what each one does.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type cmd struct {
	mode     string
	in       *bufio.Reader
	out      *os.File
	getinfo  map[string]any
	args     []string
	rounds   int
	total    float64
	finished bool
}

func main() {
	mode := flag.String("mode", "good", "behaviour")
	flag.Parse()
	c := &cmd{mode: *mode, in: bufio.NewReader(os.Stdin), out: os.Stdout}
	os.Exit(c.run())
}

func (c *cmd) run() int {
	for {
		meta, body, err := c.read()
		if err == io.EOF {
			return c.atEOF()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakecmd:", err)
			return 1
		}
		var req map[string]any
		if err := json.Unmarshal(meta, &req); err != nil {
			fmt.Fprintln(os.Stderr, "fakecmd:", err)
			return 1
		}
		if req["action"] == "getinfo" {
			c.getinfo = req
			si, _ := req["searchinfo"].(map[string]any)
			for _, a := range si["args"].([]any) {
				c.args = append(c.args, a.(string))
			}
			if code, done := c.onGetinfo(meta); done {
				return code
			}
			continue
		}
		c.finished, _ = req["finished"].(bool)
		if code, done := c.onExecute(body); done {
			return code
		}
	}
}

func (c *cmd) atEOF() int {
	switch c.mode {
	case "probe-hang":
		time.Sleep(time.Hour)
	case "exit1":
		return 1
	case "stderr-exit3":
		fmt.Fprintln(os.Stderr, "fakecmd: something went wrong")
		return 3
	case "extra-after":
		c.write(`{"finished":true}`, "")
	case "error0", "error1", "getinfo-error":
		// reached only if the emulator keeps talking after the error
	}
	return 0
}

func (c *cmd) isMap() bool {
	for _, a := range c.args {
		if a == "phase=map" {
			return true
		}
	}
	return false
}

// onGetinfo answers getinfo; done means exit with code.
func (c *cmd) onGetinfo(raw []byte) (int, bool) {
	switch c.mode {
	case "space-header":
		c.raw("chunked 1.0, 20, 0\n{\"type\":\"streaming\"}")
	case "crlf-header":
		c.raw("chunked 1.0,20,0\r\n{\"type\":\"streaming\"}")
	case "garbage":
		c.raw("hello\nchunked 1.0,20,0\n{\"type\":\"streaming\"}")
	case "garbage-hang":
		c.raw("hello")
		time.Sleep(time.Hour)
	case "requires-preop":
		c.write(`{"type":"streaming","requires_preop":true}`, "")
	case "bad-type":
		c.write(`{"type":"weird"}`, "")
	case "getinfo-body":
		c.write(`{"type":"streaming"}`, "x\n")
	case "bad-level":
		c.write(`{"type":"streaming","inspector":{"messages":[["warning","hi"]]}}`, "")
	case "no-reply-exit":
		return 0, true
	case "huge":
		c.raw("chunked 1.0,1099511627776,0\n{")
		time.Sleep(time.Hour)
	case "lying":
		c.raw("chunked 1.0,20,900000000\n{\"type\":\"streaming\"}0123456789")
		return 0, true
	case "double":
		m := `{"type":"streaming"}`
		c.raw(frame(m, "") + frame(m, ""))
	case "charcount":
		m := `{"type":"streaming","inspector":{"messages":[["INFO","héllo wörld ทt"]]}}`
		c.raw(fmt.Sprintf("chunked 1.0,%d,0\n%s", utf8.RuneCountInString(m), m))
	case "getinfo-error":
		c.write(`{"finished":true,"error":"bad argument: x","inspector":{"messages":[["ERROR","bad argument: x"]]}}`, "")
		return 1, true
	case "dump-getinfo":
		b, _ := json.Marshal(map[string]any{"type": "streaming", "inspector": map[string]any{
			"messages": [][]string{{"INFO", string(raw)}}}})
		c.write(string(b), "")
	case "drop-idx", "invent-idx", "repeat-idx", "upper":
		c.write(`{"type":"streaming","required_fields":["name","missing"]}`, "")
	case "stateful-upper":
		c.write(`{"type":"stateful","required_fields":["name"]}`, "")
	case "sum":
		if c.isMap() {
			c.write(`{"type":"stateful"}`, "")
		} else {
			c.write(`{"type":"reporting","required_fields":["partial"],"streaming_preop":"sumcmd phase=\"map\" field=value"}`, "")
		}
	case "empty-meta":
		c.raw("chunked 1.0,0,0\n")
	case "null-meta":
		c.write("null", "")
	case "bad-preop":
		c.write(`{"type":"streaming","streaming_preop":"other phase=map"}`, "")
	case "sum-badmap":
		if c.isMap() {
			c.write(`{"type":"events"}`, "")
		} else {
			c.write(`{"type":"reporting","streaming_preop":"sumcmd phase=map"}`, "")
		}
	case "gen", "gen-forever":
		c.write(`{"type":"stateful","generating":true,"required_fields":["_time","n"]}`, "")
	case "events":
		c.write(`{"type":"events","required_fields":["name"]}`, "")
	case "report":
		c.write(`{"type":"reporting","required_fields":["value"]}`, "")
	case "stop-reading":
		c.write(`{"type":"streaming"}`, "")
		time.Sleep(time.Hour)
	default:
		c.write(`{"type":"streaming"}`, "")
	}
	return 0, false
}

// onExecute answers one execute message.
func (c *cmd) onExecute(body []byte) (int, bool) {
	fin := fmt.Sprintf(`{"finished":%v}`, c.finished)
	switch c.mode {
	case "hang":
		time.Sleep(time.Hour)
	case "no-finished":
		c.write(`{}`, "")
	case "wrong-finished":
		c.write(`{"finished":true}`, "")
	case "partial":
		c.write(`{"finished":false,"partial":true}`, string(body))
	case "bad-csv":
		c.write(fin, "a,\"b\n1,2\n")
	case "ragged":
		c.write(fin, "a,b\n1\n")
	case "dup-col":
		c.write(fin, "a,a\n1,2\n")
	case "bad-mv":
		c.write(fin, "a,__mv_a\nx,$x\n")
	case "mv-mismatch":
		c.write(fin, "a,__mv_a\nx,$y$;$z$\n")
	case "bad-utf8":
		c.write(fin, "a\n\xff\xfe\n")
	case "charcount-body":
		b := "name\nhéllo wörld\n"
		c.raw(fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(fin), utf8.RuneCountInString(b), fin, b))
	case "truncated":
		c.raw(fmt.Sprintf("chunked 1.0,%d,100\n%sabc", len(fin), fin))
		return 0, true
	case "error0":
		c.write(`{"finished":true,"error":"boom"}`, "")
		return 0, true
	case "error1":
		c.write(`{"finished":true,"error":"boom","inspector":{"messages":[["ERROR","boom"]]}}`, "")
		return 1, true
	case "drop-idx", "invent-idx", "repeat-idx", "upper", "stateful-upper":
		c.write(fin, c.upper(body))
	case "sum":
		c.sum(body, fin)
	case "gen":
		c.rounds++
		var b strings.Builder
		b.WriteString("_time,n\n")
		for i := 0; i < 5; i++ {
			fmt.Fprintf(&b, "%d,%d\n", 1700000000+c.rounds, (c.rounds-1)*5+i)
		}
		c.write(fmt.Sprintf(`{"finished":%v}`, c.rounds == 3), b.String())
	case "gen-forever":
		c.write(`{"finished":false}`, "")
	case "events":
		recs := parseCSV(body)
		// reverse the rows: events commands may reorder
		for i, j := 1, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
		c.write(fin, writeCSV(recs))
	case "report":
		recs := parseCSV(body)
		sum := 0
		for _, r := range recs[1:] {
			v, _ := strconv.Atoi(r[0])
			sum += v
		}
		c.write(fin, fmt.Sprintf("count,sum\n%d,%d\n", len(recs)-1, sum))
	default: // good: echo
		c.write(fin, string(body))
	}
	return 0, false
}

// upper uppercases "name", adds "len" and a multivalue "tags" on the first
// row, drops rows named "drop", keeping _chunked_idx (or breaking it, by mode).
func (c *cmd) upper(body []byte) string {
	recs := parseCSV(body)
	if len(recs) == 0 {
		return ""
	}
	h := recs[0]
	ni, ii := index(h, "name"), index(h, "_chunked_idx")
	out := [][]string{{"name", "len", "tags", "__mv_tags", "_chunked_idx"}}
	if c.mode == "drop-idx" {
		out[0] = out[0][:4]
	}
	for k, r := range recs[1:] {
		if r[ni] == "drop" {
			continue
		}
		tags, mv := "", ""
		if k == 0 {
			tags, mv = "x\ny$z", "$x$;$y$$z$"
		}
		row := []string{strings.ToUpper(r[ni]), strconv.Itoa(utf8.RuneCountInString(r[ni])), tags, mv, r[ii]}
		switch c.mode {
		case "drop-idx":
			row = row[:4]
		case "invent-idx":
			row[4] = "999"
		}
		out = append(out, row)
		if c.mode == "repeat-idx" {
			out = append(out, row)
		}
	}
	return writeCSV(out)
}

// sum: map phase sums "value" and emits the partial sum with the last
// chunk; reduce sums "partial".
func (c *cmd) sum(body []byte, fin string) {
	recs := parseCSV(body)
	field := "partial"
	if c.isMap() {
		field = "value"
	}
	if len(recs) > 0 {
		i := index(recs[0], field)
		for _, r := range recs[1:] {
			v, _ := strconv.ParseFloat(r[i], 64)
			c.total += v
		}
	}
	if !c.finished {
		c.write(fin, "")
		return
	}
	name := "total"
	if c.isMap() {
		name = "partial"
	}
	c.write(fin, fmt.Sprintf("%s\n%g\n", name, c.total))
}

func index(h []string, name string) int {
	for i, f := range h {
		if f == name {
			return i
		}
	}
	return -1
}

func parseCSV(body []byte) [][]string {
	if len(body) == 0 {
		return nil
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakecmd: csv:", err)
		os.Exit(1)
	}
	return recs
}

func writeCSV(recs [][]string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.String()
}

func frame(meta, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}

func (c *cmd) write(meta, body string) { c.raw(frame(meta, body)) }

// raw writes s in one write call, so that a double reply arrives at once.
func (c *cmd) raw(s string) {
	if _, err := c.out.WriteString(s); err != nil {
		os.Exit(1)
	}
}

func (c *cmd) read() ([]byte, []byte, error) {
	line, err := c.in.ReadString('\n')
	if err != nil {
		if err == io.EOF && line == "" {
			return nil, nil, io.EOF
		}
		return nil, nil, err
	}
	var m, b int
	if _, err := fmt.Sscanf(line, "chunked 1.0,%d,%d\n", &m, &b); err != nil {
		return nil, nil, fmt.Errorf("bad header %q", line)
	}
	if c.mode == "stop-reading" && c.getinfo != nil {
		time.Sleep(time.Hour)
	}
	buf := make([]byte, m+b)
	if _, err := io.ReadFull(c.in, buf); err != nil {
		return nil, nil, errors.New("short message")
	}
	return buf[:m], buf[m:], nil
}
