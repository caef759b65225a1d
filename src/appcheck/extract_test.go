package appcheck

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/sysmon"
)

// sysmonStanza is the props stanza of the app's Sysmon extraction.
const sysmonStanza = "source::XmlWinEventLog:(Microsoft-Windows-Sysmon/Operational|ForwardedEvents)"

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
// of the Sysmon corpus beside the checkout, a file per parallel subtest.
func TestExtractionOnRealEvents(t *testing.T) {
	dir := filepath.Join(repo, "..", "shared", "sysmon", "xml")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml*"))
	if len(files) == 0 {
		t.Skipf("Sysmon corpus not found at %s (../shared sits beside a full checkout)", dir)
	}
	x := shippedExtractor(t)
	var n atomic.Int64
	t.Run("files", func(t *testing.T) {
		for _, path := range files {
			t.Run(filepath.Base(path), func(t *testing.T) {
				t.Parallel()
				f, err := os.Open(path)
				require.NoError(t, err)
				defer f.Close()
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
						n.Add(1)
					}
				}
				require.NoError(t, sc.Err())
			})
		}
	})
	require.Equal(t, int64(13944), n.Load(), "every event of the corpus")
}

// TestEvalErrorsWhereMet: an EVAL is read once, but what cannot be read is
// reported when evaluating meets it, as before: a call that cannot be read
// always, a bad regex only when its argument is not null.
func TestEvalErrorsWhereMet(t *testing.T) {
	props := ParseConf("props.conf", []byte("[s]\nEVAL-a = replace(x, \"(\", \"y\")\nEVAL-b = replace(x)\n"))
	x, err := NewExtractor(props, ParseConf("transforms.conf", nil), "s")
	require.NoError(t, err, "a bad EVAL is not a construction error")
	_, err = x.Extract("no x here")
	require.ErrorContains(t, err, "EVAL-b: cannot read", "the unreadable call, whatever its argument")
	n := compileExpr(`replace(x, "(", "y")`)
	v, isNull, err := n.eval(map[string]string{})
	require.NoError(t, err, "replace of null is null: the regex is not reached")
	require.True(t, isNull)
	require.Empty(t, v)
	_, _, err = n.eval(map[string]string{"x": "1"})
	require.ErrorContains(t, err, "missing closing )")
	_, _, err = compileExpr(`replace(x, "a", "$1")`).eval(map[string]string{"x": "a"})
	require.ErrorContains(t, err, "back references")
	v, isNull, err = compileExpr(`replace(replace(x, "&lt;", "<"), "&amp;", "&")`).eval(map[string]string{"x": "&amp;lt;"})
	require.NoError(t, err)
	require.False(t, isNull)
	require.Equal(t, "&lt;", v, "inner first, as SPL nests them")
	// A literal pattern is replaced as the regexp would replace it.
	for _, tt := range []struct{ pat, in string }{
		{"&amp;", "a&amp;&amp;b&amp"}, {"aa", "aaaaa"}, {"", "abc"}, {`\.`, "a.b.c"}, {"(?i)x", "xXx"}, {"a|b", "abc"},
	} {
		n := compileExpr(`replace(x, "` + strings.ReplaceAll(tt.pat, `\`, `\\`) + `", "-")`)
		require.NoError(t, n.lateErr, tt.pat)
		got, _, err := n.eval(map[string]string{"x": tt.in})
		require.NoError(t, err)
		require.Equal(t, regexp.MustCompile(tt.pat).ReplaceAllLiteralString(tt.in, "-"), got, "%q in %q", tt.pat, tt.in)
	}
}

// TestSourcePatterns: props.conf's source:: match language.
func TestSourcePatterns(t *testing.T) {
	for _, tt := range []struct {
		name, reason, pattern, source string
		want                          bool
	}{
		{"literal", "the whole name", "XmlWinEventLog:Security", "XmlWinEventLog:Security", true},
		{"substring", "a pattern matches the entire name, not a part", "XmlWinEventLog:Sec", "XmlWinEventLog:Security", false},
		{"or", "| with ( ) limiting it", "XmlWinEventLog:(A/B|C)", "XmlWinEventLog:C", true},
		{"or, other side", "either alternative", "XmlWinEventLog:(A/B|C)", "XmlWinEventLog:A/B", true},
		{"or, neither", "nothing else", "XmlWinEventLog:(A/B|C)", "XmlWinEventLog:A", false},
		{"period", ". is a literal period", "a.b", "axb", false},
		{"star", "* stops at a path separator", "/var/log/*.log", "/var/log/x/y.log", false},
		{"dots", "... crosses separators", "/var/log/....log", "/var/log/x/y.log", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, err := SourceMatches(tt.pattern, tt.source)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestSysmonSourcesGetTheExtraction: every source the macro t1102_sysmon
// reads, Windows Event Forwarding's ForwardedEvents among them, gets this
// app's Sysmon extraction from a props source:: stanza; other channels do
// not through the macro's own source.
func TestSysmonSourcesGetTheExtraction(t *testing.T) {
	props, err := os.ReadFile(filepath.Join(repo, "default", "props.conf"))
	require.NoError(t, err)
	macros, err := os.ReadFile(filepath.Join(repo, "default", "macros.conf"))
	require.NoError(t, err)
	m := ParseConf("macros.conf", macros).Stanza("t1102_sysmon")
	require.NotNil(t, m)
	def, _ := m.Get("definition")
	var sources []string
	for _, part := range strings.Split(def, `source="`)[1:] {
		sources = append(sources, part[:strings.IndexByte(part, '"')])
	}
	require.ElementsMatch(t, []string{"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", "XmlWinEventLog:ForwardedEvents"}, sources)
	require.Contains(t, def, `"<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"`, "forwarded events of other channels are left out")
	extracting := func(source string) bool {
		for _, st := range ParseConf("props.conf", props).Stanzas {
			pattern, ok := strings.CutPrefix(st.Name, "source::")
			if !ok {
				continue
			}
			if _, has := st.Get("REPORT-t1102_sysmon"); !has {
				continue
			}
			ok, err := SourceMatches(pattern, source)
			require.NoError(t, err)
			if ok {
				return true
			}
		}
		return false
	}
	for _, src := range sources {
		require.True(t, extracting(src), "%s gets the Sysmon extraction", src)
	}
	require.False(t, extracting("XmlWinEventLog:Security"), "not every Windows channel")
}

// TestExtractionOfForwardedEvents: Windows Event Forwarding (rendered
// text) adds a RenderingInfo element with the event's message, whose text
// repeats the Data fields as "Name: value" lines; the extraction still
// reads only the Data elements.
func TestExtractionOfForwardedEvents(t *testing.T) {
	x := shippedExtractor(t)
	raw := `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>3</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>wks-9.corp.example</Computer></System><EventData><Data Name='Image'>C:\Windows\System32\curl.exe</Data><Data Name='DestinationHostname'>api.telegram.org</Data></EventData><RenderingInfo Culture='en-US'><Message>Network connection detected:&#13;
Image: C:\Windows\System32\curl.exe&#13;
DestinationHostname: api.telegram.org</Message><Level>Information</Level><Task>Network connection detected (rule: NetworkConnect)</Task><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Provider></Provider></RenderingInfo></Event>`
	got, err := x.Extract(raw)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"EventCode": "3", "Computer": "wks-9.corp.example",
		"Image": `C:\Windows\System32\curl.exe`, "DestinationHostname": "api.telegram.org"}, got)
}
