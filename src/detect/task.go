package detect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Task is what a scheduled task's definition says it will do: its first
// action that runs a program, how often it repeats, whether it hides, and
// who made it. It comes from a Security 4698 event's TaskContent
// ([ParseTaskXML]) or from a schtasks.exe /create command line
// ([ParseSchtasks]).
type Task struct {
	Name      string  // the task's path, e.g. \Updater (4698 TaskName, schtasks /tn)
	Author    string  // who created it (4698 SubjectDomainName\SubjectUserName)
	Command   string  // the Exec action's program, as written
	Arguments string  // its arguments
	Every     float64 // the trigger's repetition interval in seconds (0: it does not repeat within a day)
	Hidden    bool    // Settings/Hidden: not shown in the Task Scheduler's UI
	RunAs     string  // the principal it runs as (UserId or GroupId), when given
	Source    string  // "TaskContent" (4698) or "schtasks" (a process creation)
}

// CommandLine is the action as one command line: the program, quoted when
// it holds a space, then its arguments, the way the Task Scheduler starts
// it.
func (t *Task) CommandLine() string {
	cmd := t.Command
	if strings.ContainsAny(cmd, " \t") && !strings.HasPrefix(cmd, `"`) {
		cmd = `"` + cmd + `"`
	}
	if t.Arguments == "" {
		return cmd
	}
	return cmd + " " + t.Arguments
}

// ErrTask is wrapped by every error of a task definition that cannot be
// read.
var ErrTask = errors.New("bad task definition")

// MaxTaskXML bounds a TaskContent value read: the Task Scheduler's own
// definitions are a few kilobytes.
const MaxTaskXML = 1 << 20

// taskXML is the part of the Task Scheduler schema
// (http://schemas.microsoft.com/windows/2004/02/mit/task) read here. Names
// are matched without the namespace.
type taskXML struct {
	Author   string `xml:"RegistrationInfo>Author"`
	URI      string `xml:"RegistrationInfo>URI"`
	Triggers struct {
		Any []struct {
			Repetition struct {
				Interval string `xml:"Interval"`
			} `xml:"Repetition"`
		} `xml:",any"`
	} `xml:"Triggers"`
	Principals []struct {
		UserID  string `xml:"UserId"`
		GroupID string `xml:"GroupId"`
	} `xml:"Principals>Principal"`
	Hidden  string `xml:"Settings>Hidden"`
	Actions []struct {
		Command   string `xml:"Command"`
		Arguments string `xml:"Arguments"`
	} `xml:"Actions>Exec"`
}

// ParseTaskXML reads a task definition as Security event 4698 carries it
// in TaskContent: the Task Scheduler's XML, which the event writes
// entity-escaped inside its own XML. It takes the value whether or not
// the extraction decoded those entities (a value that starts with "&lt;"
// is decoded once first). The first Exec action is the task's; a task
// without one (a COM handler, an e-mail action) is an error wrapping
// [ErrTask].
func ParseTaskXML(content []byte) (Task, error) {
	content = bytes.TrimSpace(content)
	if len(content) > MaxTaskXML {
		return Task{}, fmt.Errorf("%w: %d bytes, more than %d", ErrTask, len(content), MaxTaskXML)
	}
	if bytes.HasPrefix(content, []byte("&lt;")) {
		text, err := unescapeXML(content)
		if err != nil {
			return Task{}, err
		}
		content = bytes.TrimSpace(text)
	}
	var x taskXML
	d := xml.NewDecoder(bytes.NewReader(content))
	// The definition declares encoding="UTF-16", which it was before
	// Windows wrote it into the event; the text is UTF-8 here.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(&x); err != nil {
		return Task{}, fmt.Errorf("%w: %w", ErrTask, err)
	}
	t := Task{Author: strings.TrimSpace(x.Author), Name: strings.TrimSpace(x.URI), Source: "TaskContent"}
	for _, a := range x.Actions {
		if c := strings.TrimSpace(a.Command); c != "" {
			t.Command, t.Arguments = c, strings.TrimSpace(a.Arguments)
			break
		}
	}
	if t.Command == "" {
		return Task{}, fmt.Errorf("%w: no Exec action with a Command", ErrTask)
	}
	for _, tr := range x.Triggers.Any {
		if d, ok := isoDuration(strings.TrimSpace(tr.Repetition.Interval)); ok && d > 0 && (t.Every == 0 || d < t.Every) {
			t.Every = d
		}
	}
	for _, p := range x.Principals {
		if t.RunAs = strings.TrimSpace(p.UserID); t.RunAs == "" {
			t.RunAs = strings.TrimSpace(p.GroupID)
		}
		if t.RunAs != "" {
			break
		}
	}
	t.Hidden = strings.EqualFold(strings.TrimSpace(x.Hidden), "true") || strings.TrimSpace(x.Hidden) == "1"
	return t, nil
}

// unescapeXML decodes the entities of text that holds escaped XML.
func unescapeXML(text []byte) ([]byte, error) {
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<v>"), bytes.NewReader(text), strings.NewReader("</v>")))
	var out []byte
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: escaped TaskContent: %w", ErrTask, err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			out = append(out, tok...)
		case xml.StartElement:
			if tok.Name.Local != "v" {
				return nil, fmt.Errorf("%w: escaped TaskContent holds an element <%s>", ErrTask, tok.Name.Local)
			}
		}
	}
}

// isoDuration reads the ISO 8601 durations the Task Scheduler writes
// (PT5M, PT1H30M, P1D, P1DT12H) as seconds.
func isoDuration(s string) (float64, bool) {
	if len(s) < 3 || s[0] != 'P' {
		return 0, false
	}
	total, inTime := 0.0, false
	num := ""
	for _, c := range s[1:] {
		switch {
		case c == 'T':
			if inTime || num != "" {
				return 0, false
			}
			inTime = true
		case '0' <= c && c <= '9' || c == '.':
			num += string(c)
		default:
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v < 0 {
				return 0, false
			}
			num = ""
			switch {
			case c == 'D' && !inTime:
				total += v * 86400
			case c == 'W' && !inTime:
				total += v * 7 * 86400
			case c == 'H' && inTime:
				total += v * 3600
			case c == 'M' && inTime:
				total += v * 60
			case c == 'S' && inTime:
				total += v
			default:
				return 0, false // months and years do not repeat within a day
			}
		}
	}
	return total, num == ""
}

// ParseSchtasks reads a schtasks.exe command line that creates a task
// (/create, any case, '-' or '/'): the action (/tr), the name (/tn), the
// principal (/ru) and the repetition: /sc minute or hourly with /mo (1 by
// default), or /ri minutes. A task defined in an XML file (/xml) names no
// action here. ok is false when the command line creates no task.
func ParseSchtasks(cmdline []byte) (t Task, ok bool) {
	args := splitArgs(string(cmdline))
	create := false
	sc, mo, ri := "", "", ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '/' && a[0] != '-' {
			continue
		}
		name := strings.ToLower(a[1:])
		val := ""
		if i+1 < len(args) {
			val = args[i+1]
		}
		switch name {
		case "create":
			create = true
		case "tn":
			t.Name, i = val, i+1
		case "tr":
			t.Command, t.Arguments = SplitProgram(val)
			i++
		case "ru":
			t.RunAs, i = val, i+1
		case "sc":
			sc, i = strings.ToLower(val), i+1
		case "mo":
			mo, i = val, i+1
		case "ri":
			ri, i = val, i+1
		}
	}
	if !create || t.Command == "" {
		return Task{}, false
	}
	t.Source = "schtasks"
	n := 1.0
	if v, err := strconv.ParseFloat(mo, 64); err == nil && v > 0 {
		n = v
	}
	switch sc {
	case "minute":
		t.Every = n * 60
	case "hourly":
		t.Every = n * 3600
	}
	if v, err := strconv.ParseFloat(ri, 64); err == nil && v > 0 && (t.Every == 0 || v*60 < t.Every) {
		t.Every = v * 60
	}
	return t, true
}

// SplitProgram splits a command line into its program (unquoted) and the
// rest, as a task's Command and Arguments are written.
func SplitProgram(cl string) (program, args string) {
	cl = strings.TrimSpace(cl)
	if strings.HasPrefix(cl, `"`) {
		if i := strings.IndexByte(cl[1:], '"'); i >= 0 {
			return cl[1 : i+1], strings.TrimSpace(cl[i+2:])
		}
		return strings.Trim(cl, `"`), ""
	}
	if i := strings.IndexAny(cl, " \t"); i >= 0 {
		return cl[:i], strings.TrimSpace(cl[i+1:])
	}
	return cl, ""
}

// splitArgs splits a Windows command line the way the C runtime does for
// most programs (CommandLineToArgvW): white space separates arguments,
// double quotes group, a backslash before a quote escapes it.
func splitArgs(cl string) []string {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(cl); i++ {
		c := cl[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(cl) && cl[i] == '\\' {
				n++
				i++
			}
			if i < len(cl) && cl[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteByte('"')
				} else {
					quoted = !quoted
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			inArg = true
		case c == '"':
			quoted = !quoted
			inArg = true
		case (c == ' ' || c == '\t') && !quoted:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// Excerpt shortens text for a reason: white space runs become one space,
// at most n bytes from about a fifth of n before at (a byte offset of
// what matters, -1: the start), with "…" where it was cut.
func Excerpt(text []byte, at, n int) string {
	var b []byte
	space := false
	mapped := -1 // at, in b
	for i, c := range text {
		if i == at {
			mapped = len(b)
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space && len(b) > 0 {
				b = append(b, ' ')
			}
			space = true
			continue
		}
		space = false
		b = append(b, c)
	}
	b = bytes.TrimSpace(b)
	start := 0
	if mapped > n/5 && len(b) > n {
		start = mapped - n/5
	}
	for start > 0 && start < len(b) && !utf8.RuneStart(b[start]) {
		start++
	}
	end := min(len(b), start+n)
	for end < len(b) && end > start && !utf8.RuneStart(b[end]) {
		end--
	}
	out := string(b[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(b) {
		out += "…"
	}
	return out
}
