package appcheck

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/sysmon"
)

const sysmonStanza = "source::XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"

func shippedExtractor(t *testing.T) *Extractor {
	props, err := os.ReadFile(filepath.Join(repo, "default", "props.conf"))
	require.NoError(t, err)
	transforms, err := os.ReadFile(filepath.Join(repo, "default", "transforms.conf"))
	require.NoError(t, err)
	x, err := NewExtractor(ParseConf("props.conf", props), ParseConf("transforms.conf", transforms), sysmonStanza)
	require.NoError(t, err)
	return x
}

// compare checks one event: the extraction gives EventCode, Computer and
// every Data field as the XML parser does (an empty value and an absent
// field are the same thing in Splunk).
func compare(t *testing.T, x *Extractor, raw string) {
	t.Helper()
	ev, err := sysmon.ParseEvent([]byte(raw))
	require.NoError(t, err)
	got, err := x.Extract(raw)
	require.NoError(t, err)
	want := map[string]string{}
	for _, f := range ev {
		switch f.Name {
		case "host", "_time":
			continue // set by the input at index time, not by these extractions
		}
		if f.Value != "" {
			want[f.Name] = f.Value
		}
	}
	require.Equal(t, want, got, "%.300s", raw)
}

func TestExtractionEdgeCases(t *testing.T) {
	x := shippedExtractor(t)
	for _, raw := range []string{
		`<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><Computer>WKS-1</Computer></System><EventData><Data Name='CommandLine'>cmd /c "echo a &amp; b &lt;x&gt; &amp;lt; &quot;q&quot; &apos;s&apos;"</Data><Data Name='Image'>C:\x.exe</Data></EventData></Event>`,
		`<Event><System><EventID Qualifiers='0'>22</EventID><Computer></Computer></System><EventData><Data Name='QueryName'></Data><Data Name='QueryResults'>::ffff:1.2.3.4;</Data></EventData></Event>`,
		`<Event><System><EventID>3</EventID><Computer>h</Computer></System><EventData><Data Name="DestinationHostname">x.example</Data><Data Name='User'>NT AUTHORITY\SYSTEM</Data><Data Name='Details'>line1
line2</Data></EventData></Event>`,
	} {
		compare(t, x, raw)
	}
}

// TestExtractionOnRealEvents runs the shipped extraction over every event
// of the Sysmon corpus beside the checkout.
func TestExtractionOnRealEvents(t *testing.T) {
	dir := filepath.Join(repo, "..", "shared", "sysmon", "xml")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml*"))
	if len(files) == 0 {
		t.Skipf("Sysmon corpus not found at %s (../shared sits beside a full checkout)", dir)
	}
	x := shippedExtractor(t)
	n := 0
	for _, path := range files {
		f, err := os.Open(path)
		require.NoError(t, err)
		var r io.Reader = f
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(f)
			require.NoError(t, err)
			r = zr
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				compare(t, x, line)
				n++
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	require.Equal(t, 13944, n, "every event of the corpus")
}
