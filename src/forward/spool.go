package forward

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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

// Spool is a folder of batches waiting for delivery: one file per batch,
// one JSON event per line, removed once the receiver acknowledged the
// batch. A batch file is written whole (temporary file, then rename), so a
// reader never sees half of one.
type Spool struct{ Dir string }

// Batch is one spooled batch.
type Batch struct {
	File   string
	Events []Event
}

// Put spools events in batches of at most size, leaving out those whose id
// is already waiting, then syncs the folder once: a killed process loses
// nothing Put returned for, and the sync makes the batches survive a
// system crash without a sync per event.
func (s Spool) Put(events []Event, waiting map[string]bool, size int) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	var fresh []Event
	for _, ev := range events {
		if !waiting[ev.ID] {
			waiting[ev.ID] = true
			fresh = append(fresh, ev)
		}
	}
	for start := 0; start < len(fresh); start += size {
		batch := fresh[start:min(start+size, len(fresh))]
		var buf bytes.Buffer
		h := sha256.New()
		enc := json.NewEncoder(&buf)
		for _, ev := range batch {
			if err := enc.Encode(ev); err != nil {
				return fmt.Errorf("%w: %w", ErrSpool, err)
			}
			h.Write([]byte(ev.ID))
		}
		name := filepath.Join(s.Dir, hex.EncodeToString(h.Sum(nil)[:12])+".jsonl")
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
		if err := os.Rename(tmp, name); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("%w: %w", ErrSpool, err)
		}
	}
	return syncDir(s.Dir)
}

// syncDir flushes a folder's entries to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return nil
}

// Pending returns the waiting batches, oldest first (file time, then
// name), and the ids they hold. A damaged file is set aside as .bad: not
// sent, not lost.
func (s Spool) Pending() ([]Batch, map[string]bool, error) {
	ids := map[string]bool{}
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ids, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	type item struct {
		b   Batch
		mod int64
	}
	var items []item
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".jsonl") {
			continue
		}
		path := filepath.Join(s.Dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrSpool, err)
		}
		var b Batch
		b.File = path
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		ok := true
		for sc.Scan() {
			var ev Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.ID == "" {
				ok = false
				break
			}
			b.Events = append(b.Events, ev)
		}
		if !ok || sc.Err() != nil || len(b.Events) == 0 {
			os.Rename(path, path+".bad")
			continue
		}
		for _, ev := range b.Events {
			ids[ev.ID] = true
		}
		var mod int64
		if info, err := e.Info(); err == nil {
			mod = info.ModTime().UnixNano()
		}
		items = append(items, item{b, mod})
	}
	sort.Slice(items, func(i, j int) bool {
		return items[i].mod < items[j].mod || items[i].mod == items[j].mod && items[i].b.File < items[j].b.File
	})
	out := make([]Batch, len(items))
	for i, it := range items {
		out[i] = it.b
	}
	return out, ids, nil
}

// Done removes an acknowledged batch.
func (s Spool) Done(b Batch) error {
	if err := os.Remove(b.File); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return nil
}
