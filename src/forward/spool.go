package forward

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrSpool is wrapped by spool errors.
var ErrSpool = errors.New("forward: spool")

// Spool is a folder of events waiting for delivery, one file per event
// named after its id, so an event spooled twice is one file.
type Spool struct{ Dir string }

// Put writes events durably (temporary file, sync, rename).
func (s Spool) Put(events []Event) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	for _, ev := range events {
		path := filepath.Join(s.Dir, ev.ID+".json")
		if _, err := os.Stat(path); err == nil {
			continue // already waiting
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
		tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
		_, werr := tmp.Write(b)
		serr := tmp.Sync()
		cerr := tmp.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
	}
	return nil
}

// Pending returns the waiting events, oldest first (by file time, then id).
func (s Spool) Pending() ([]Event, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	type item struct {
		ev  Event
		mod int64
	}
	var items []item
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSpool, err)
		}
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil || ev.ID+".json" != name {
			// A damaged file is set aside, not sent and not lost.
			os.Rename(filepath.Join(s.Dir, name), filepath.Join(s.Dir, name+".bad"))
			continue
		}
		info, _ := e.Info()
		var mod int64
		if info != nil {
			mod = info.ModTime().UnixNano()
		}
		items = append(items, item{ev, mod})
	}
	sort.Slice(items, func(i, j int) bool {
		return items[i].mod < items[j].mod || items[i].mod == items[j].mod && items[i].ev.ID < items[j].ev.ID
	})
	out := make([]Event, len(items))
	for i, it := range items {
		out[i] = it.ev
	}
	return out, nil
}

// Done removes acknowledged events.
func (s Spool) Done(events []Event) error {
	for _, ev := range events {
		if err := os.Remove(filepath.Join(s.Dir, ev.ID+".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
	}
	return nil
}
