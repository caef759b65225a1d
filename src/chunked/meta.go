package chunked

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/t1102app/t1102/src/splunkapp"
)

// GetInfo is the metadata of the first message splunkd sends.
type GetInfo struct {
	Action string `json:"action"`
	// Preview is true when the search is producing preview results.
	Preview bool `json:"preview"`
	// StreamingCommandWillRestart is sent by Splunk 8.x (always false in
	// recordings); its meaning is not documented.
	StreamingCommandWillRestart bool       `json:"streaming_command_will_restart"`
	SearchInfo                  SearchInfo `json:"searchinfo"`
}

// SearchInfo describes the search the command runs in. Keys splunkd does not
// send (older versions lack command and maxresultrows) are zero; keys this
// type does not know are ignored.
type SearchInfo struct {
	Args          []string `json:"args"`     // arguments, quotes removed
	RawArgs       []string `json:"raw_args"` // arguments as the user typed them
	DispatchDir   string   `json:"dispatch_dir"`
	SID           string   `json:"sid"`
	App           string   `json:"app"`
	Owner         string   `json:"owner"`
	Username      string   `json:"username"`
	SessionKey    Secret   `json:"session_key"`
	SplunkdURI    string   `json:"splunkd_uri"`
	SplunkVersion string   `json:"splunk_version"`
	// Search is the full SPL, percent-decoded; RawSearch is it as sent.
	Search    string `json:"-"`
	RawSearch string `json:"search"`
	Command   string `json:"command"`
	// MaxResultRows is limits.conf maxresultrows (splunkd sends a number).
	MaxResultRows int `json:"-"`
	// EarliestTime and LatestTime are epoch seconds as splunkd sends them,
	// strings such as "0" (unbounded) or "1627333200". A number is accepted
	// too (SDK-rewritten recordings have them) and kept as its JSON text.
	EarliestTime string `json:"-"`
	LatestTime   string `json:"-"`
}

// Secret is a credential such as the session key: splunkapp.Secret, whose
// String, Format and MarshalJSON methods redact it; Reveal returns the
// value for the one place that needs it.
type Secret = splunkapp.Secret

// UnmarshalJSON decodes searchinfo, converting the loosely typed keys.
func (si *SearchInfo) UnmarshalJSON(data []byte) error {
	type plain SearchInfo
	var aux struct {
		plain
		SessionKey    *string         `json:"session_key"`
		MaxResultRows json.RawMessage `json:"maxresultrows"`
		EarliestTime  json.RawMessage `json:"earliest_time"`
		LatestTime    json.RawMessage `json:"latest_time"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*si = SearchInfo(aux.plain)
	if aux.SessionKey != nil {
		si.SessionKey = Secret(*aux.SessionKey)
	}
	si.Search = si.RawSearch
	if s, err := url.PathUnescape(si.RawSearch); err == nil {
		si.Search = s
	}
	var err error
	if si.MaxResultRows, err = looseInt(aux.MaxResultRows); err != nil {
		return fmt.Errorf("maxresultrows: %w", err)
	}
	if si.EarliestTime, err = looseString(aux.EarliestTime); err != nil {
		return fmt.Errorf("earliest_time: %w", err)
	}
	if si.LatestTime, err = looseString(aux.LatestTime); err != nil {
		return fmt.Errorf("latest_time: %w", err)
	}
	return nil
}

// looseString accepts a JSON string, number or null.
func looseString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("want a string or a number, got %s", raw)
	}
	return n.String(), nil
}

// looseInt accepts a JSON integer, an integer in a string, or null.
func looseInt(raw json.RawMessage) (int, error) {
	s, err := looseString(raw)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %s", raw)
	}
	return n, nil
}

// Type is a command type declared in the getinfo reply.
type Type string

// The four command types splunkd knows.
const (
	// Streaming commands run row by row, on indexers and/or the search head,
	// possibly in several processes at once.
	Streaming Type = "streaming"
	// Stateful commands run on the search head and see rows in order.
	Stateful Type = "stateful"
	// Events commands need all events (sort, dedup) and may reorder them.
	Events Type = "events"
	// Reporting commands transform events into results (stats, chart).
	Reporting Type = "reporting"
)

// Config is the command's declaration, sent as the getinfo reply.
type Config struct {
	Type Type
	// RequiredFields limits the fields splunkd extracts and sends; for
	// streaming and stateful commands splunkd then adds _chunked_idx to
	// merge the output back with the fields it kept. Empty (nil or not)
	// declares nothing, and splunkd sends all fields.
	RequiredFields []string
	// Generating commands create rows; splunkd sends execute messages with
	// no rows until the reply says finished.
	Generating bool
	// StreamingPreop is SPL run as a streaming pre-operation, usually this
	// command with phase=map: the map phase of a map/reduce command.
	StreamingPreop string
	// RunInPreview, when not nil, says whether to run on preview results.
	RunInPreview *bool
	// Messages are inspector messages sent with the declaration.
	Messages []InspectorMessage
}

// Level is an inspector message level.
type Level string

// Inspector levels, as Splunk Web shows them.
const (
	LevelDebug Level = "DEBUG"
	LevelInfo  Level = "INFO"
	LevelWarn  Level = "WARN"
	LevelError Level = "ERROR"
)

// InspectorMessage is a message shown to the user in the job inspector.
type InspectorMessage struct {
	Level Level
	Text  string
}

// MarshalJSON encodes the message as splunkd expects: [level, text].
func (m InspectorMessage) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, [2]string{string(m.Level), m.Text})
}

type inspector struct {
	Messages []InspectorMessage `json:"messages"`
}

// getinfoReply is the wire form of Config. Field order is the JSON key
// order; inspector precedes error as Splunk's MLTK requires.
type getinfoReply struct {
	Type           Type       `json:"type,omitempty"`
	Generating     bool       `json:"generating,omitempty"`
	RequiredFields []string   `json:"required_fields,omitempty"`
	StreamingPreop string     `json:"streaming_preop,omitempty"`
	RunInPreview   *bool      `json:"run_in_preview,omitempty"`
	Finished       *bool      `json:"finished,omitempty"`
	Inspector      *inspector `json:"inspector,omitempty"`
	Error          string     `json:"error,omitempty"`
}

// executeReply is the wire form of an execute reply.
type executeReply struct {
	Finished  bool       `json:"finished"`
	Inspector *inspector `json:"inspector,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// executeRequest is the metadata of an execute message.
type executeRequest struct {
	Action   string `json:"action"`
	Finished bool   `json:"finished"`
}
