// Command btcount is a test double for package backtest: a chunked
// (SCP v2) reporting search command that counts its input rows per value of
// a field, as a detection's judgement would, so that the backtest's tests
// do not depend on the real detection.
//
// Usage (argv, then search-time arguments):
//
//	btcount -app-dir <app> [-fail]   ... | btcount by=<field>
//
// Output: a row per value of <field> (rows without it are skipped), in
// value order, with <field>, count, _time (the group's earliest _time,
// epoch seconds), app (the -app-dir folder's base name; -app-dir must hold
// default/), and info_min_time and info_max_time (searchinfo's
// earliest_time and latest_time). With -fail it answers getinfo with an
// error. It exits 0 at EOF on a message boundary and 1 on bad input.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("btcount", flag.ContinueOnError)
	fs.SetOutput(stderr)
	appDir := fs.String("app-dir", "", "the app folder")
	failFlag := fs.Bool("fail", false, "fail at getinfo")
	if err := fs.Parse(argv); err != nil {
		return 1
	}
	in := bufio.NewReader(stdin)
	var by, minTime, maxTime string
	type group struct {
		count int
		first float64
	}
	groups := map[string]*group{}
	for {
		meta, body, err := read(in)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "btcount:", err)
			return 1
		}
		var req struct {
			Action     string `json:"action"`
			Finished   bool   `json:"finished"`
			SearchInfo struct {
				Args     []string `json:"args"`
				Earliest string   `json:"earliest_time"`
				Latest   string   `json:"latest_time"`
			} `json:"searchinfo"`
		}
		if err := json.Unmarshal(meta, &req); err != nil {
			fmt.Fprintln(stderr, "btcount:", err)
			return 1
		}
		if req.Action == "getinfo" {
			minTime, maxTime = req.SearchInfo.Earliest, req.SearchInfo.Latest
			for _, a := range req.SearchInfo.Args {
				if v, ok := strings.CutPrefix(a, "by="); ok {
					by = v
				}
			}
			problem := ""
			switch {
			case *failFlag:
				problem = "btcount: asked to fail"
			case by == "":
				problem = "btcount: by=<field> is required"
			default:
				if st, err := os.Stat(filepath.Join(*appDir, "default")); err != nil || !st.IsDir() {
					problem = fmt.Sprintf("btcount: -app-dir %q has no default folder", *appDir)
				}
			}
			if problem != "" {
				m, _ := json.Marshal(map[string]any{"finished": true, "error": problem, "inspector": map[string]any{"messages": [][]string{{"ERROR", problem}}}})
				write(stdout, m, nil)
				return 1
			}
			m, _ := json.Marshal(map[string]any{"type": "reporting", "required_fields": []string{by, "_time"}})
			write(stdout, m, nil)
			continue
		}
		if len(body) > 0 {
			recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
			if err != nil {
				fmt.Fprintln(stderr, "btcount:", err)
				return 1
			}
			col := map[string]int{}
			for i, h := range recs[0] {
				col[h] = i
			}
			for _, r := range recs[1:] {
				bi, ok := col[by]
				if !ok || r[bi] == "" {
					continue
				}
				t := parseTime(r[col["_time"]])
				g := groups[r[bi]]
				if g == nil {
					g = &group{first: t}
					groups[r[bi]] = g
				}
				g.count++
				g.first = min(g.first, t)
			}
		}
		var out []byte
		if req.Finished {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.Write([]string{by, "count", "_time", "app", "info_min_time", "info_max_time"})
			keys := make([]string, 0, len(groups))
			for k := range groups {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				g := groups[k]
				w.Write([]string{k, strconv.Itoa(g.count), strconv.FormatFloat(g.first, 'f', -1, 64), filepath.Base(*appDir), minTime, maxTime})
			}
			w.Flush()
			out = b.Bytes()
		}
		write(stdout, []byte(fmt.Sprintf(`{"finished":%v}`, req.Finished)), out)
	}
}

func parseTime(s string) float64 {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return float64(t.UnixNano()) / 1e9
	}
	return 0
}

func read(in *bufio.Reader) ([]byte, []byte, error) {
	line, err := in.ReadString('\n')
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
	buf := make([]byte, m+b)
	if _, err := io.ReadFull(in, buf); err != nil {
		return nil, nil, fmt.Errorf("short message: %w", err)
	}
	return buf[:m], buf[m:], nil
}

func write(w io.Writer, meta, body []byte) {
	fmt.Fprintf(w, "chunked 1.0,%d,%d\n%s%s", len(meta), len(body), meta, body)
}
