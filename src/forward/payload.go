package forward

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/splunkapp"
)

// Payload is what splunkd writes on the alert action's stdin.
type Payload struct {
	App           string            `json:"app"`
	Owner         string            `json:"owner"`
	ResultsFile   string            `json:"results_file"`
	ResultsLink   string            `json:"results_link"`
	SearchURI     string            `json:"search_uri"`
	ServerHost    string            `json:"server_host"`
	ServerURI     string            `json:"server_uri"`
	SessionKey    splunkapp.Secret  `json:"-"`
	SID           string            `json:"sid"`
	SearchName    string            `json:"search_name"`
	Configuration map[string]string `json:"configuration"`
	// Result is the first result row, as splunkd puts it in the payload;
	// used only when there is no results_file.
	Result Result `json:"-"`
}

// ErrPayload is wrapped by payload and results errors.
var ErrPayload = errors.New("forward: bad payload")

// ReadPayload decodes the payload. The session key goes into a Secret, so
// it is never printed.
func ReadPayload(r io.Reader) (*Payload, error) {
	var raw struct {
		Payload
		SessionKey    *string        `json:"session_key"`
		Configuration map[string]any `json:"configuration"`
		Result        map[string]any `json:"result"`
	}
	dec := json.NewDecoder(io.LimitReader(r, 16<<20))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	p := raw.Payload
	if raw.SessionKey != nil {
		p.SessionKey = splunkapp.Secret(*raw.SessionKey)
	}
	if raw.Result != nil {
		p.Result = Result{}
		for k, v := range raw.Result {
			switch v := v.(type) {
			case string:
				p.Result[k] = []string{v}
			case []any:
				for _, e := range v {
					if s, ok := e.(string); ok {
						p.Result[k] = append(p.Result[k], s)
					}
				}
			case nil:
			default:
				b, _ := json.Marshal(v)
				p.Result[k] = []string{string(b)}
			}
		}
	}
	p.Configuration = map[string]string{}
	for k, v := range raw.Configuration {
		switch v := v.(type) {
		case string:
			p.Configuration[k] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			p.Configuration[k] = string(b)
		}
	}
	return &p, nil
}

// Result is one result row: fields with their values (more than one for a
// multivalue field).
type Result map[string][]string

// ReadResults reads a results file as splunkd writes it: gzipped CSV with
// a header, multivalue fields in __mv_<field> columns.
func ReadResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: results_file: %w", ErrPayload, err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: results_file %s: %w", ErrPayload, path, err)
		}
		r = zr
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: results_file %s: %w", ErrPayload, path, err)
	}
	header = append([]string(nil), header...)
	mv := map[string]int{}
	for i, h := range header {
		if name, ok := strings.CutPrefix(h, "__mv_"); ok {
			mv[name] = i
		}
	}
	var out []Result
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: results_file %s row %d: %w", ErrPayload, path, row, err)
		}
		res := Result{}
		for i, h := range header {
			if strings.HasPrefix(h, "__mv_") {
				continue
			}
			if j, ok := mv[h]; ok && rec[j] != "" {
				vals, err := chunked.DecodeMultivalue([]byte(rec[j]))
				if err != nil {
					return nil, fmt.Errorf("%w: results_file %s row %d field %s: %w", ErrPayload, path, row, h, err)
				}
				res[h] = vals
				continue
			}
			if rec[i] != "" {
				res[h] = []string{rec[i]}
			}
		}
		out = append(out, res)
	}
}

// Event is one detection as it is delivered.
type Event struct {
	ID         string         `json:"id"` // stable: the same result of the same search has the same id
	SearchName string         `json:"search_name"`
	SID        string         `json:"sid"`
	Link       string         `json:"results_link,omitempty"`
	Server     string         `json:"server_host,omitempty"`
	Time       float64        `json:"time,omitempty"`
	Host       string         `json:"host,omitempty"`
	Mitre      map[string]any `json:"mitre"`
	Fields     map[string]any `json:"fields"`
}

// EventID is the stable id of a result of a search: a hash of the search
// name and the result's fields and values in a fixed order.
func EventID(search string, r Result) string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s", len(search), search)
	for _, k := range keys {
		fmt.Fprintf(h, "|%d:%s", len(k), k)
		for _, v := range r[k] {
			fmt.Fprintf(h, ",%d:%s", len(v), v)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Events turns results into events.
func Events(p *Payload, results []Result) []Event {
	out := make([]Event, 0, len(results))
	for _, r := range results {
		fields := map[string]any{}
		for k, v := range r {
			if len(v) == 1 {
				fields[k] = v[0]
			} else {
				fields[k] = v
			}
		}
		ev := Event{ID: EventID(p.SearchName, r), SearchName: p.SearchName, SID: p.SID, Link: p.ResultsLink, Server: p.ServerHost,
			Fields: fields, Mitre: map[string]any{"technique_id": "T1102.003", "technique": "Web Service: One-Way Communication",
				"tactic_id": "TA0011", "tactic": "Command and Control"}}
		if v := first(r["host"]); v != "" {
			ev.Host = v
		}
		for _, f := range []string{"_time", "last_seen", "first_seen"} {
			// Finite only: inf and NaN parse but have no JSON form.
			if t, err := strconv.ParseFloat(strings.TrimSpace(first(r[f])), 64); err == nil && t > 0 && !math.IsInf(t, 0) {
				ev.Time = t
				break
			}
		}
		out = append(out, ev)
	}
	return out
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
