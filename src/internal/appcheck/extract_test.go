package appcheck

import (
	"bufio"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/internal/sysmon"
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
	sysmonProps := ParseConf("props.conf", props)
	extracting := func(source string) bool { return reportsFor(t, sysmonProps, "REPORT-t1102_sysmon", source) }
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

func shippedConfs(t *testing.T) (props, transforms *Conf) {
	t.Helper()
	p, err := os.ReadFile(filepath.Join(repo, "default", "props.conf"))
	require.NoError(t, err)
	tr, err := os.ReadFile(filepath.Join(repo, "default", "transforms.conf"))
	require.NoError(t, err)
	return ParseConf("props.conf", p), ParseConf("transforms.conf", tr)
}

// sourceExtractor is the extraction an event of source gets from every
// props stanza that matches it.
func sourceExtractor(t *testing.T, source string) *Extractor {
	t.Helper()
	props, transforms := shippedConfs(t)
	x, err := NewSourceExtractor(props, transforms, source)
	require.NoError(t, err)
	return x
}

// windowsSystem is what an XML parser reads of the System element beyond
// what src/internal/sysmon reads: the writing process and the user.
type windowsSystem struct {
	System struct {
		Channel   string `xml:"Channel"`
		Execution struct {
			ProcessID string `xml:"ProcessID,attr"`
		} `xml:"Execution"`
		Security struct {
			UserID string `xml:"UserID,attr"`
		} `xml:"Security"`
	} `xml:"System"`
}

// windowsWant is what an XML parser reads from one event: EventCode,
// Computer and every Data field (src/internal/sysmon's parser), ProcessID and
// UserID, entities and character references decoded; an empty value is
// no field, as in Splunk.
func windowsWant(t *testing.T, raw string) map[string]string {
	t.Helper()
	ev, err := sysmon.ParseEvent([]byte(raw))
	require.NoError(t, err)
	var sys windowsSystem
	require.NoError(t, xml.Unmarshal([]byte(raw), &sys))
	want := map[string]string{}
	for _, f := range append(ev, sysmon.Field{Name: "ProcessID", Value: sys.System.Execution.ProcessID},
		sysmon.Field{Name: "UserID", Value: sys.System.Security.UserID}) {
		switch f.Name {
		case "host", "_time":
			continue // set by the input at index time, not by these extractions
		}
		if f.Value != "" {
			want[f.Name] = f.Value
		}
	}
	return want
}

// windowsEvents reads testdata/windows: one rendered event a line.
func windowsEvents(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repo, "testdata", "windows", "*.xml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]string{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out[filepath.Base(path)] = append(out[filepath.Base(path)], line)
			}
		}
	}
	return out
}

// TestWindowsExtractionOnRealEvents runs the shipped extraction over the
// real 4104 and 4698 events of testdata/windows, as each arrives from its
// own channel and from Windows Event Forwarding, and compares every field
// with an XML parser.
func TestWindowsExtractionOnRealEvents(t *testing.T) {
	events := windowsEvents(t)
	seen := map[string]int{}
	for file, lines := range events {
		for i, raw := range lines {
			var sys windowsSystem
			require.NoError(t, xml.Unmarshal([]byte(raw), &sys), "%s:%d", file, i+1)
			want := windowsWant(t, raw)
			for _, tt := range []struct {
				name, reason, source string
			}{
				{"own channel", "a universal forwarder on the endpoint sends the channel as its own source", "XmlWinEventLog:" + sys.System.Channel},
				{"forwarded", "a Windows Event Forwarding collector sends every channel as ForwardedEvents, where the Sysmon stanza applies too", "XmlWinEventLog:ForwardedEvents"},
			} {
				t.Run(fmt.Sprintf("%s:%d/%s", file, i+1, tt.name), func(t *testing.T) {
					require.NotEmpty(t, tt.reason)
					x := sourceExtractor(t, tt.source)
					got, err := x.Extract(raw)
					require.NoError(t, err)
					require.Equal(t, want, got, "%.300s", raw)
					reversed, err := x.Reversed().Extract(raw)
					require.NoError(t, err)
					require.Equal(t, got, reversed, "the order the transforms run in changes nothing")
				})
			}
			for k := range want {
				seen[k]++
			}
			seen["event "+want["EventCode"]]++
		}
	}
	// What the files must go on holding for the comparison to mean much.
	require.GreaterOrEqual(t, seen["event 4104"], 10, "script blocks")
	require.GreaterOrEqual(t, seen["event 4698"], 1, "task creations")
	require.GreaterOrEqual(t, seen["Path"], 1, "a script block run from a file")
	require.Equal(t, seen["event 4104"]+seen["event 4698"], seen["ProcessID"], "every event names its process")
	require.GreaterOrEqual(t, seen["UserID"], seen["event 4104"], "every script block names its user")
	require.GreaterOrEqual(t, seen["TaskContent"], 1)
}

// TestTaskContentDecodes: the task definition a 4698 event carries, decoded
// by the EVAL, is the XML the XML parser reads out of the event, and the
// detection's task parser finds in it the Exec action the XML parser sees;
// it reads the value the REPORT alone gives (entities still escaped, as an
// add-on that copies values verbatim leaves it) the same way.
func TestTaskContentDecodes(t *testing.T) {
	x := sourceExtractor(t, "XmlWinEventLog:Security")
	reportOnly := &Extractor{reports: x.reports}
	n := 0
	for file, lines := range windowsEvents(t) {
		for i, raw := range lines {
			want := windowsWant(t, raw)
			if want["EventCode"] != "4698" {
				continue
			}
			n++
			t.Run(fmt.Sprintf("%s:%d", file, i+1), func(t *testing.T) {
				got, err := x.Extract(raw)
				require.NoError(t, err)
				require.Equal(t, want["TaskContent"], got["TaskContent"])
				var task struct {
					Command   string `xml:"Actions>Exec>Command"`
					Arguments string `xml:"Actions>Exec>Arguments"`
				}
				d := xml.NewDecoder(strings.NewReader(want["TaskContent"]))
				d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // declared UTF-16, read as UTF-8
				require.NoError(t, d.Decode(&task))
				require.NotEmpty(t, task.Command, "an Exec action")

				parsed, err := detect.ParseTaskXML([]byte(got["TaskContent"]))
				require.NoError(t, err)
				require.Equal(t, strings.TrimSpace(task.Command), parsed.Command)
				require.Equal(t, strings.TrimSpace(task.Arguments), parsed.Arguments)

				escaped, err := reportOnly.Extract(raw)
				require.NoError(t, err)
				require.True(t, strings.HasPrefix(escaped["TaskContent"], "&lt;"), "the REPORT leaves the value escaped")
				fromEscaped, err := detect.ParseTaskXML([]byte(escaped["TaskContent"]))
				require.NoError(t, err)
				require.Equal(t, parsed, fromEscaped)
			})
		}
	}
	require.Positive(t, n)
}

// TestWindowsExtractionEdgeCases: forms the real events above do not all
// show, each compared with the XML parser and with the value expected.
func TestWindowsExtractionEdgeCases(t *testing.T) {
	const head = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-PowerShell'/><EventID>4104</EventID><Execution ProcessID='4242' ThreadID='7'/><Channel>Microsoft-Windows-PowerShell/Operational</Channel><Computer>wks-1</Computer><Security UserID='S-1-5-21-1-2-3-1001'/></System><EventData>`
	const sec = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4698</EventID><Execution ProcessID='812' ThreadID='9'/><Channel>Security</Channel><Computer>wks-1</Computer><Security/></System><EventData>`
	for _, tt := range []struct {
		name, reason, raw string
		field, value      string
	}{
		{"self-closing empty Data", "Windows may write an empty value as <Data Name='Path'/>: no Path field, and the next Data still extracts",
			head + `<Data Name='Path'/><Data Name='ScriptBlockText'>Get-Date</Data></EventData></Event>`, "ScriptBlockText", "Get-Date"},
		{"empty Data", "<Data Name='Path'></Data> makes no field either",
			head + `<Data Name='ScriptBlockText'>x</Data><Data Name='Path'></Data></EventData></Event>`, "ScriptBlockText", "x"},
		{"hex line ends", "&#xD;&#xA; become CR LF",
			sec + `<Data Name='TaskContent'>&lt;Task&gt;&#xD;&#xA;  &lt;Actions&gt;&lt;Exec&gt;&lt;Command&gt;cmd.exe&lt;/Command&gt;&lt;/Exec&gt;&lt;/Actions&gt;&#xD;&#xA;&lt;/Task&gt;</Data></EventData></Event>`,
			"TaskContent", "<Task>\r\n  <Actions><Exec><Command>cmd.exe</Command></Exec></Actions>\r\n</Task>"},
		{"decimal and lower-case references", "&#13;&#10;&#9; and &#xd;&#xa;&#x09; are the same characters",
			head + `<Data Name='ScriptBlockText'>a&#13;&#10;b&#9;c&#xd;&#xa;d&#x09;e</Data></EventData></Event>`, "ScriptBlockText", "a\r\nb\tc\r\nd\te"},
		{"escaped reference", "&amp;#xD; is the text &#xD;, not a line end",
			head + `<Data Name='ScriptBlockText'>'&amp;#xD;' &amp;lt;b&amp;gt;</Data></EventData></Event>`, "ScriptBlockText", "'&#xD;' &lt;b&gt;"},
		{"script text", "a block comment, a comparison, a quoted ampersand and a here-string marker decode as PowerShell wrote them",
			head + `<Data Name='ScriptBlockText'>&lt;# c #&gt; if ($a -lt 1 -and "x &amp; y") { @" &lt;b&gt; "@ }</Data></EventData></Event>`,
			"ScriptBlockText", `<# c #> if ($a -lt 1 -and "x & y") { @" <b> "@ }`},
		{"literal line break", "a line feed written as itself stays one",
			head + "<Data Name='ScriptBlockText'>a\nb</Data></EventData></Event>", "ScriptBlockText", "a\nb"},
		{"double quotes", "attributes in double quotes, as other renderers write them",
			`<Event><System><EventID>4104</EventID><Execution ProcessID="77"/><Computer>h</Computer><Security UserID="S-1-5-18"/></System><EventData><Data Name="Path">C:\s.ps1</Data></EventData></Event>`,
			"UserID", "S-1-5-18"},
		{"no user", "<Security/> (Security events) makes no UserID",
			sec + `<Data Name='TaskName'>\T</Data></EventData></Event>`, "ProcessID", "812"},
		{"entity in a name", "an account name with & is decoded",
			sec + `<Data Name='SubjectUserName'>r&amp;d</Data><Data Name='SubjectDomainName'>A&amp;B</Data></EventData></Event>`, "SubjectUserName", "r&d"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			for _, source := range []string{"XmlWinEventLog:Microsoft-Windows-PowerShell/Operational", "XmlWinEventLog:ForwardedEvents"} {
				got, err := sourceExtractor(t, source).Extract(tt.raw)
				require.NoError(t, err)
				require.Equal(t, windowsWant(t, tt.raw), got, source)
				require.Equal(t, tt.value, got[tt.field], source)
			}
		})
	}
}

// TestWindowsSourcesGetTheExtraction: the channels the macros t1102_powershell
// and t1102_security read, and only those (with ForwardedEvents), get the
// PowerShell and Security extraction, in props.conf's source:: match
// language.
func TestWindowsSourcesGetTheExtraction(t *testing.T) {
	props, _ := shippedConfs(t)
	extracting := func(source string) bool { return reportsFor(t, props, "REPORT-t1102_windows", source) }
	for _, tt := range []struct {
		name, reason, source string
		want                 bool
	}{
		{"powershell", "script block logging's channel, read by a forwarder's WinEventLog:// input with renderXml", "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational", true},
		{"security", "the Security log, where 4698 is written", "XmlWinEventLog:Security", true},
		{"forwarded", "Windows Event Forwarding brings both channels to a collector's ForwardedEvents", "XmlWinEventLog:ForwardedEvents", true},
		{"sysmon", "Sysmon has its own stanza", "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational", false},
		{"classic powershell log", "the older Windows PowerShell log has no 4104", "XmlWinEventLog:Windows PowerShell", false},
		{"powershell admin", "a pattern matches whole names, not a prefix", "XmlWinEventLog:Microsoft-Windows-PowerShell/Admin", false},
		{"not xml", "the classic rendering (renderXml off) is text, not XML", "WinEventLog:Security", false},
		{"longer name", "XmlWinEventLog:Security is matched whole", "XmlWinEventLog:SecurityLog", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			require.Equal(t, tt.want, extracting(tt.source))
		})
	}

	macros, err := os.ReadFile(filepath.Join(repo, "default", "macros.conf"))
	require.NoError(t, err)
	var sources []string
	for _, name := range []string{"t1102_powershell", "t1102_security"} {
		m := ParseConf("macros.conf", macros).Stanza(name)
		require.NotNil(t, m, name)
		def, _ := m.Get("definition")
		for _, part := range strings.Split(def, `source="`)[1:] {
			sources = append(sources, part[:strings.IndexByte(part, '"')])
		}
	}
	require.ElementsMatch(t, []string{"XmlWinEventLog:Microsoft-Windows-PowerShell/Operational", "XmlWinEventLog:ForwardedEvents",
		"XmlWinEventLog:Security", "XmlWinEventLog:ForwardedEvents"}, sources)
	for _, src := range sources {
		require.True(t, extracting(src), "%s gets the extraction", src)
	}
}

// TestForwardedEventsGetBothExtractions: on ForwardedEvents the Sysmon and
// the PowerShell/Security stanzas both apply; they set no key in common, so
// which one Splunk would prefer never arises, and both REPORT classes run.
func TestForwardedEventsGetBothExtractions(t *testing.T) {
	x := sourceExtractor(t, "XmlWinEventLog:ForwardedEvents")
	require.Equal(t, []string{"t1102_sysmon_eventid", "t1102_sysmon_computer", "t1102_sysmon_data",
		"t1102_sysmon_eventid", "t1102_sysmon_computer", "t1102_sysmon_data", "t1102_windows_processid", "t1102_windows_userid"},
		x.Transforms())
	for source, want := range map[string][]string{
		"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational":     {"t1102_sysmon_eventid", "t1102_sysmon_computer", "t1102_sysmon_data"},
		"XmlWinEventLog:Security":                                 {"t1102_sysmon_eventid", "t1102_sysmon_computer", "t1102_sysmon_data", "t1102_windows_processid", "t1102_windows_userid"},
		"XmlWinEventLog:Microsoft-Windows-PowerShell/Operational": {"t1102_sysmon_eventid", "t1102_sysmon_computer", "t1102_sysmon_data", "t1102_windows_processid", "t1102_windows_userid"},
	} {
		require.Equal(t, want, sourceExtractor(t, source).Transforms(), source)
	}
	props, transforms := shippedConfs(t)
	_, err := NewSourceExtractor(props, transforms, "XmlWinEventLog:Application")
	require.Error(t, err, "no stanza for other channels")

	// A forwarded event keeps its RenderingInfo message, whose text repeats
	// values: only the System and Data elements are read.
	raw := `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4698</EventID><Execution ProcessID='812' ThreadID='9'/><Channel>Security</Channel><Computer>wks-9.corp.example</Computer><Security/></System><EventData><Data Name='TaskName'>\Updater</Data><Data Name='TaskContent'>&lt;Task&gt;&lt;Actions&gt;&lt;Exec&gt;&lt;Command&gt;curl.exe&lt;/Command&gt;&lt;/Exec&gt;&lt;/Actions&gt;&lt;/Task&gt;</Data></EventData><RenderingInfo Culture='en-US'><Message>A scheduled task was created.&#13;
Task Name: \Updater&#13;
Task Content: &lt;Task&gt;&lt;Actions&gt;&lt;Exec&gt;&lt;Command&gt;curl.exe&lt;/Command&gt;&lt;/Exec&gt;&lt;/Actions&gt;&lt;/Task&gt;</Message><Level>Information</Level></RenderingInfo></Event>`
	got, err := x.Extract(raw)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"EventCode": "4698", "Computer": "wks-9.corp.example", "ProcessID": "812",
		"TaskName": `\Updater`, "TaskContent": "<Task><Actions><Exec><Command>curl.exe</Command></Exec></Actions></Task>"}, got)
}

// TestReplacementForms: the EVAL evaluator takes a string or printf("%c",
// n) as replace's replacement and refuses what it does not model.
func TestReplacementForms(t *testing.T) {
	for _, tt := range []struct {
		name, reason, expr, want string
		fails                    bool
	}{
		{"string", "a literal", `replace(F,"a","b")`, "bbc", false},
		{"code point", "printf %c gives the character", `replace(F,"b",printf("%c",10))`, "a\nc", false},
		{"spaced", "white space around arguments", `replace(F, "b", printf( "%c" , 9 ))`, "a\tc", false},
		{"other format", "only %c is modelled", `replace(F,"b",printf("%d",10))`, "", true},
		{"not a code point", "a negative number is no character", `replace(F,"b",printf("%c",-1))`, "", true},
		{"surrogate", "a surrogate is no character", `replace(F,"b",printf("%c",55296))`, "", true},
		{"back reference", "replacements with \\1 are not modelled", `replace(F,"(b)","\\1")`, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got, isNull, err := compileExpr(tt.expr).eval(map[string]string{"F": "abc"})
			if tt.fails {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.False(t, isNull)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestAddOnExtractingFirstChangesNothing: an add-on that extracts the same
// fields first, copying the XML text verbatim as a REGEX extraction does,
// leaves every field as the app's own extraction makes it: MV_ADD = false
// keeps the add-on's value, the same characters, and the app's EVALs decode
// it.
func TestAddOnExtractingFirstChangesNothing(t *testing.T) {
	x := sourceExtractor(t, "XmlWinEventLog:ForwardedEvents")
	withAddOn := &Extractor{evals: x.evals, reports: append([]report{
		{"addon_data", regexp.MustCompile(`<Data Name='([^']*)'>([^<]*)</Data>`), "$1::$2"},
		{"addon_system", regexp.MustCompile(`<Execution ProcessID='(\d+)'`), "ProcessID::$1"},
		{"addon_user", regexp.MustCompile(`<Security UserID='([^']*)'`), "UserID::$1"},
	}, x.reports...)}
	for file, lines := range windowsEvents(t) {
		for i, raw := range lines {
			want, err := x.Extract(raw)
			require.NoError(t, err)
			got, err := withAddOn.Extract(raw)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s:%d", file, i+1)
		}
	}
}

// reportsFor reports whether a props.conf source:: stanza with the key
// report (REPORT-<class>) applies to source.
func reportsFor(t *testing.T, props *Conf, report, source string) bool {
	t.Helper()
	for _, st := range props.Stanzas {
		pattern, ok := strings.CutPrefix(st.Name, "source::")
		if !ok {
			continue
		}
		if _, has := st.Get(report); !has {
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
