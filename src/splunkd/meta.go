package splunkd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// SearchInfo is the searchinfo object of the getinfo message [§3.1]. Zero
// fields take the defaults listed on each.
type SearchInfo struct {
	SID           string // default "<unix time>.<n>", like splunkd's "1627357489.9"
	App           string // default "search"
	Owner         string // default "admin"
	Username      string // default "admin"
	SessionKey    string // default a fixed fake token
	SplunkdURI    string // default "https://127.0.0.1:8089"
	SplunkVersion string // default "9.2.1"
	// Search is the SPL of the whole search, unencoded; it is sent
	// percent-encoded. Default "search * | <command> <raw args>".
	Search        string
	MaxResultRows int    // default 50000
	EarliestTime  string // default "0" (unbounded)
	LatestTime    string // default "0"
	// DispatchDir is the job directory. Default: a fresh temporary
	// directory, removed when Run returns.
	DispatchDir string
}

// getinfoRequest is the splunkd 8.x getinfo message; field order is the
// wire order [§3.1].
type getinfoRequest struct {
	Action                      string         `json:"action"`
	Preview                     bool           `json:"preview"`
	StreamingCommandWillRestart bool           `json:"streaming_command_will_restart"`
	SearchInfo                  wireSearchInfo `json:"searchinfo"`
}

type wireSearchInfo struct {
	Args          []string `json:"args"`
	RawArgs       []string `json:"raw_args"`
	DispatchDir   string   `json:"dispatch_dir"`
	SID           string   `json:"sid"`
	App           string   `json:"app"`
	Owner         string   `json:"owner"`
	Username      string   `json:"username"`
	SessionKey    string   `json:"session_key"`
	SplunkdURI    string   `json:"splunkd_uri"`
	SplunkVersion string   `json:"splunk_version"`
	Search        string   `json:"search"`
	Command       string   `json:"command"`
	MaxResultRows int      `json:"maxresultrows"`
	EarliestTime  string   `json:"earliest_time"`
	LatestTime    string   `json:"latest_time"`
}

// CompactJSON encodes v as compact JSON without HTML escaping, as splunkd
// writes its metadata (and the emulator's CLI prints it).
func CompactJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only fixed types are encoded
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// getinfoMeta builds the getinfo metadata for a process.
func getinfoMeta(info *SearchInfo, preview bool, command string, args, rawArgs []string) []byte {
	if args == nil {
		args = []string{}
	}
	if rawArgs == nil {
		rawArgs = []string{}
	}
	return CompactJSON(getinfoRequest{
		Action:  "getinfo",
		Preview: preview,
		SearchInfo: wireSearchInfo{
			Args: args, RawArgs: rawArgs,
			DispatchDir: info.DispatchDir, SID: info.SID, App: info.App, Owner: info.Owner,
			Username: info.Username, SessionKey: info.SessionKey, SplunkdURI: info.SplunkdURI,
			SplunkVersion: info.SplunkVersion, Search: PercentEncode(info.Search), Command: command,
			MaxResultRows: info.MaxResultRows, EarliestTime: info.EarliestTime, LatestTime: info.LatestTime,
		},
	})
}

// executeMeta returns the execute metadata: exactly
// {"action":"execute","finished":<bool>} [§4.1].
func executeMeta(finished bool) []byte {
	if finished {
		return []byte(`{"action":"execute","finished":true}`)
	}
	return []byte(`{"action":"execute","finished":false}`)
}

// PercentEncode encodes SPL as splunkd does in searchinfo.search [§3.1]:
// every byte except ASCII letters, digits and "-._~" becomes %XX (upper
// case), so a space is %20, '|' %7C, '=' %3D, '"' %22, '*' %2A.
func PercentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Config is a command's getinfo reply [§3.2].
type Config struct {
	// Type is "streaming" (the default when absent), "stateful", "events" or
	// "reporting" [§7].
	Type       string
	Generating bool
	// RequiredFields is nil when not declared. A declared list other than
	// ["*"] restricts the fields sent to streaming, stateful and reporting
	// commands (an empty list sends only _chunked_idx to streaming and
	// stateful commands).
	RequiredFields []string
	MaxWait        float64
	StreamingPreop string
	RunInPreview   *bool
	MaxInputs      int64
	// Raw is the reply's metadata as received.
	Raw []byte
}

// projects reports whether required_fields restricts the fields sent.
func (c *Config) projects() bool {
	return c.RequiredFields != nil && !slices.Contains(c.RequiredFields, "*")
}

// Message is an inspector message of a reply [§8].
type Message struct {
	Level   string // DEBUG, INFO, WARN, ERROR or FATAL
	Text    string
	Process string // name of the process whose reply carried it
}

// replyMeta is the validated metadata of any reply.
type replyMeta struct {
	finished *bool
	errText  *string
	messages []Message
	config   *Config // getinfo replies only
}

// allowed keys [§3.2, §4.2].
var (
	getinfoKeys = []string{"type", "generating", "required_fields", "maxwait", "streaming_preop",
		"run_in_preview", "maxinputs", "finished", "error", "inspector"}
	executeKeys = []string{"finished", "error", "inspector"}
)

// parseReplyMeta validates reply metadata. getinfo selects the getinfo key
// set and fills config.
func parseReplyMeta(raw []byte, getinfo bool, process string) (*replyMeta, error) {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return nil, violationf(ErrBadJSON, "metadata %s is not a JSON object (send at least {})", quoteShort(raw, 60))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadJSON, quoteShort(raw, 60), err)
	}
	allowed := executeKeys
	if getinfo {
		allowed = getinfoKeys
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			switch k {
			case "partial":
				return nil, violationf(ErrUnknownKey, `"partial" is not implemented by splunkd's ChunkedExternProcessor (SPL-103525)`)
			case "requires_preop":
				return nil, violationf(ErrUnknownKey, `"requires_preop" is rejected by ChunkedExternProcessor`)
			}
			return nil, violationf(ErrUnknownKey, "%q is not a key of a %s reply (allowed: %s)", k, replyKind(getinfo), strings.Join(allowed, ", "))
		}
	}
	rm := &replyMeta{}
	if v, ok := obj["finished"]; ok {
		var b bool
		if err := strictUnmarshal(v, &b); err != nil {
			return nil, violationf(ErrBadMeta, "finished: %s is not a boolean", v)
		}
		rm.finished = &b
	}
	if v, ok := obj["error"]; ok {
		var s string
		if err := strictUnmarshal(v, &s); err != nil {
			return nil, violationf(ErrBadMeta, "error: %s is not a string", v)
		}
		rm.errText = &s
	}
	if v, ok := obj["inspector"]; ok {
		msgs, err := parseInspector(v, process)
		if err != nil {
			return nil, err
		}
		rm.messages = msgs
	}
	if getinfo {
		c, err := parseConfig(obj)
		if err != nil {
			return nil, err
		}
		c.Raw = append([]byte(nil), raw...)
		rm.config = c
	}
	return rm, nil
}

func replyKind(getinfo bool) string {
	if getinfo {
		return "getinfo"
	}
	return "execute"
}

// strictUnmarshal decodes v into dst, refusing null (which json.Unmarshal
// silently accepts).
func strictUnmarshal(v json.RawMessage, dst any) error {
	if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return fmt.Errorf("null")
	}
	return json.Unmarshal(v, dst)
}

var inspectorLevels = []string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}

// parseInspector validates {"messages":[[level,text],...]} [§8]. Keys
// "metric.<name>" (written by the Python SDK) are tolerated.
func parseInspector(v json.RawMessage, process string) ([]Message, error) {
	var insp map[string]json.RawMessage
	if err := strictUnmarshal(v, &insp); err != nil {
		return nil, violationf(ErrBadMeta, "inspector: %s is not an object", quoteShort(v, 60))
	}
	for k := range insp {
		if k != "messages" && !strings.HasPrefix(k, "metric.") {
			return nil, violationf(ErrBadMeta, "inspector: unknown key %q", k)
		}
	}
	raw, ok := insp["messages"]
	if !ok {
		return nil, nil
	}
	var pairs [][]json.RawMessage
	if err := strictUnmarshal(raw, &pairs); err != nil {
		return nil, violationf(ErrBadMeta, "inspector.messages: %s is not a list of [level,text] pairs", quoteShort(raw, 60))
	}
	msgs := make([]Message, 0, len(pairs))
	for i, p := range pairs {
		var level, text string
		if len(p) != 2 || strictUnmarshal(p[0], &level) != nil || strictUnmarshal(p[1], &text) != nil {
			return nil, violationf(ErrBadMeta, "inspector.messages[%d]: want [level,text] strings", i)
		}
		if !slices.Contains(inspectorLevels, level) {
			return nil, violationf(ErrBadMeta, "inspector.messages[%d]: level %q is not one of %s", i, level, strings.Join(inspectorLevels, ", "))
		}
		msgs = append(msgs, Message{Level: level, Text: text, Process: process})
	}
	return msgs, nil
}

var commandTypes = []string{"streaming", "stateful", "events", "reporting"}

func parseConfig(obj map[string]json.RawMessage) (*Config, error) {
	c := &Config{Type: "streaming"}
	if v, ok := obj["type"]; ok {
		if err := strictUnmarshal(v, &c.Type); err != nil || !slices.Contains(commandTypes, c.Type) {
			return nil, violationf(ErrBadMeta, "type: %s is not one of %s", v, strings.Join(commandTypes, ", "))
		}
	}
	if v, ok := obj["generating"]; ok {
		if err := strictUnmarshal(v, &c.Generating); err != nil {
			return nil, violationf(ErrBadMeta, "generating: %s is not a boolean", v)
		}
	}
	if v, ok := obj["required_fields"]; ok {
		if err := strictUnmarshal(v, &c.RequiredFields); err != nil {
			return nil, violationf(ErrBadMeta, "required_fields: %s is not a list of strings", v)
		}
		if c.RequiredFields == nil {
			c.RequiredFields = []string{}
		}
		for _, f := range c.RequiredFields {
			if f == "" {
				return nil, violationf(ErrBadMeta, "required_fields: empty field name")
			}
		}
	}
	if v, ok := obj["maxwait"]; ok {
		if err := strictUnmarshal(v, &c.MaxWait); err != nil || c.MaxWait < 0 {
			return nil, violationf(ErrBadMeta, "maxwait: %s is not a non-negative number", v)
		}
	}
	if v, ok := obj["streaming_preop"]; ok {
		if err := strictUnmarshal(v, &c.StreamingPreop); err != nil {
			return nil, violationf(ErrBadMeta, "streaming_preop: %s is not a string", v)
		}
	}
	if v, ok := obj["run_in_preview"]; ok {
		var b bool
		if err := strictUnmarshal(v, &b); err != nil {
			return nil, violationf(ErrBadMeta, "run_in_preview: %s is not a boolean", v)
		}
		c.RunInPreview = &b
	}
	if v, ok := obj["maxinputs"]; ok {
		if err := strictUnmarshal(v, &c.MaxInputs); err != nil || c.MaxInputs < 0 {
			return nil, violationf(ErrBadMeta, "maxinputs: %s is not a non-negative integer", v)
		}
	}
	return c, nil
}

// Tokenize splits SPL command arguments as splunkd does for searchinfo
// [§3.1]: tokens are separated by unquoted whitespace; double quotes group
// (inside quotes, a backslash escapes a following '"' or '\\'; other
// backslashes are kept, so pattern="\w+" gives pattern=\w+). args has the
// quotes and escaping backslashes removed, raw keeps each token as written.
// An unterminated quote is an error, and so is an unquoted '|': splunkd
// would end the command there and start the next one of the pipeline.
func Tokenize(s string) (args, raw []string, err error) {
	var cur, curRaw strings.Builder
	in, started := false, false
	flush := func() {
		if started {
			args = append(args, cur.String())
			raw = append(raw, curRaw.String())
		}
		cur.Reset()
		curRaw.Reset()
		started = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			flush()
		case !in && c == '|':
			return nil, nil, fmt.Errorf("splunkd: unquoted '|' at byte %d of %q starts another command of the pipeline (quote the value)", i, s)
		case c == '"':
			in = !in
			started = true
			curRaw.WriteByte(c)
		case in && c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			cur.WriteByte(s[i])
			curRaw.WriteByte(c)
			curRaw.WriteByte(s[i])
			started = true
		default:
			cur.WriteByte(c)
			curRaw.WriteByte(c)
			started = true
		}
	}
	if in {
		return nil, nil, fmt.Errorf("splunkd: unterminated quote in %q", s)
	}
	flush()
	return args, raw, nil
}
