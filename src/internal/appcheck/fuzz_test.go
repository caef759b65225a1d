package appcheck

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseConf(f *testing.F) {
	f.Add([]byte("[a]\nk = v \\\n w\n# c\n[a]\nbad\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ParseConf("x.conf", data)
		for _, s := range c.Stanzas {
			if s.Line <= 0 {
				t.Fatalf("stanza without a line")
			}
		}
	})
}

// FuzzExtract: the shipped extractions (Sysmon's stanza, and every stanza
// ForwardedEvents gets) never fail or panic on any _raw.
func FuzzExtract(f *testing.F) {
	props, err := os.ReadFile(filepath.Join("..", "..", "..", "default", "props.conf"))
	if err != nil {
		f.Fatal(err)
	}
	transforms, err := os.ReadFile(filepath.Join("..", "..", "..", "default", "transforms.conf"))
	if err != nil {
		f.Fatal(err)
	}
	x, err := NewExtractor(ParseConf("props.conf", props), ParseConf("transforms.conf", transforms), sysmonStanza)
	if err != nil {
		f.Fatal(err)
	}
	fwd, err := NewSourceExtractor(ParseConf("props.conf", props), ParseConf("transforms.conf", transforms), "XmlWinEventLog:ForwardedEvents")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("<Event><System><EventID>1</EventID></System><EventData><Data Name='CommandLine'>a &amp;lt; b</Data></EventData></Event>")
	f.Add("<Event><System><EventID>4698</EventID><Execution ProcessID='4'/><Security UserID='S-1-5-18'/></System><EventData><Data Name='TaskContent'>&lt;Task&gt;&#xD;&#xA;&amp;#9;</Data></EventData></Event>")
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := x.Extract(raw); err != nil {
			t.Fatal(err)
		}
		if _, err := fwd.Extract(raw); err != nil {
			t.Fatal(err)
		}
	})
}
