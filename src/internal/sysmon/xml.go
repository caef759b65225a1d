// Package sysmon reads Sysmon events in the form Splunk indexes them
// (sourcetype XmlWinEventLog, one rendered <Event> element per event) into
// field/value pairs named as Splunk's Sysmon add-on names them: EventCode
// from System/EventID, Computer and host from System/Computer, _time from
// System/TimeCreated/@SystemTime, and every EventData/Data element under
// its Name.
package sysmon

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Field is one field of an event.
type Field struct{ Name, Value string }

// Event is one event's fields, in document order.
type Event []Field

// Get returns the value of the named field, or "".
func (e Event) Get(name string) string {
	for _, f := range e {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// ErrEvent is wrapped by every decoding error.
var ErrEvent = errors.New("sysmon: bad event")

type xmlEvent struct {
	System struct {
		EventID     string `xml:"EventID"`
		Computer    string `xml:"Computer"`
		TimeCreated struct {
			SystemTime string `xml:"SystemTime,attr"`
		} `xml:"TimeCreated"`
	} `xml:"System"`
	Data []struct {
		Name  string `xml:"Name,attr"`
		Value string `xml:",chardata"`
	} `xml:"EventData>Data"`
}

// ParseEvent decodes one rendered <Event> element.
func ParseEvent(raw []byte) (Event, error) {
	var x xmlEvent
	if err := xml.Unmarshal(raw, &x); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvent, err)
	}
	ev := Event{{"EventCode", x.System.EventID}, {"Computer", x.System.Computer}, {"host", x.System.Computer},
		{"_time", x.System.TimeCreated.SystemTime}}
	for _, d := range x.Data {
		ev = append(ev, Field{d.Name, d.Value})
	}
	return ev, nil
}

// ReadEvents reads one event per line (blank lines skipped), as Splunk's
// _raw of XmlWinEventLog. Errors name the line.
func ReadEvents(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var out []Event
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		ev, err := ParseEvent(b)
		if err != nil {
			return out, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("line %d: %w: %w", line+1, ErrEvent, err)
	}
	return out, nil
}

// ReadFile reads the events of a file, gunzipping it when its name ends in
// ".gz".
func ReadFile(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	evs, err := ReadEvents(r)
	if err != nil {
		return evs, fmt.Errorf("%s: %w", path, err)
	}
	return evs, nil
}

// Dataset is the events of one file; Name is the file's name without
// ".xml" or ".xml.gz".
type Dataset struct {
	Name   string
	Events []Event
}

// ReadDir reads every *.xml and *.xml.gz file of dir, in name order.
func ReadDir(dir string) ([]Dataset, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml*"))
	if err != nil {
		return nil, err
	}
	var out []Dataset
	for _, path := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".gz"), ".xml")
		if name == filepath.Base(path) {
			continue // *.xml.bak and the like
		}
		evs, err := ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, Dataset{Name: name, Events: evs})
	}
	return out, nil
}
