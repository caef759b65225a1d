package forward

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
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
// is already waiting. Each batch file is synced before its rename and the
// folder once at the end: a killed process loses nothing Put returned for,
// and the batches survive a system crash whole. When the spool cannot take
// a batch (a read-only or full filesystem), Put returns the events it did
// not spool with the error, for the caller to send without the spool; the
// batches before it stay spooled.
func (s Spool) Put(events []Event, waiting map[string]bool, size int) (unspooled []Event, err error) {
	var fresh []Event
	for _, ev := range events {
		if !waiting[ev.ID] {
			waiting[ev.ID] = true
			fresh = append(fresh, ev)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fresh, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	for start := 0; start < len(fresh); start += size {
		batch := fresh[start:min(start+size, len(fresh))]
		if err := s.putBatch(batch); err != nil {
			return fresh[start:], err
		}
	}
	return nil, syncDir(s.Dir)
}

// putBatch writes one batch file whole: a temporary file, synced, then
// renamed to its name, the hash of its events' ids.
func (s Spool) putBatch(batch []Event) error {
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
	tmp := fmt.Sprintf("%s.%d.tmp", name, os.Getpid()) // runs may spool at once
	if err := writeSynced(tmp, buf.Bytes()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return nil
}

// writeSynced writes a new file and flushes it to disk.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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

// Queue is what waits in a spool.
type Queue struct {
	Batches []Batch         // oldest first (file time, then name)
	IDs     map[string]bool // the ids of their events
	Bad     []string        // damaged files this call set aside as .bad: not sent, not lost
}

// Pending returns what waits in the spool. It may run while another run
// holds the lock and removes what it delivers: a batch that is gone by
// the time it is read is left out, not an error.
func (s Spool) Pending() (Queue, error) {
	q := Queue{IDs: map[string]bool{}}
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return q, nil
	}
	if err != nil {
		return q, fmt.Errorf("%w: %w", ErrSpool, err)
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
		if errors.Is(err, os.ErrNotExist) {
			// Listed, then removed: the lock's holder delivered it (Done) or
			// set it aside meanwhile. Pending runs before a run holds the
			// lock too (for the ids waiting), so this is ordinary.
			continue
		}
		if err != nil {
			return q, fmt.Errorf("%w: reading %s: %w", ErrSpool, name, err)
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
			if err := os.Rename(path, path+".bad"); errors.Is(err, os.ErrNotExist) {
				continue // another run set it aside first
			} else if err != nil {
				return q, fmt.Errorf("%w: setting aside damaged %s: %w", ErrSpool, name, err)
			}
			q.Bad = append(q.Bad, path+".bad")
			continue
		}
		for _, ev := range b.Events {
			q.IDs[ev.ID] = true
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
	q.Batches = make([]Batch, len(items))
	for i, it := range items {
		q.Batches[i] = it.b
	}
	return q, nil
}

// Lock makes a run the spool's only sender until unlock, so that alerts
// firing together do not send the same batches twice. It waits for a
// sender that holds it until ctx ends, and takes over the lock of a run
// that is gone (killed: splunkd kills an action at its maxtime) or older
// than stale. Two runs that find the same dead lock at the same instant
// may both send; the receivers' de-duplication by id covers that rare
// case.
func (s Spool) Lock(ctx context.Context, stale time.Duration) (unlock func(), err error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpool, err)
	}
	path := filepath.Join(s.Dir, "lock")
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: %w", ErrSpool, err)
		}
		if info, err := os.Stat(path); err == nil && (time.Since(info.ModTime()) > stale || !holderAlive(path)) {
			os.Remove(path)
			continue
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: another run kept the spool busy: %w", ErrUnavailable, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// SetAside renames a batch the receiver rejected to .refused: kept for
// the admin, no longer sent.
func (s Spool) SetAside(b Batch) error {
	if err := os.Rename(b.File, b.File+".refused"); err != nil {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return nil
}

// Done removes an acknowledged batch.
func (s Spool) Done(b Batch) error {
	if err := os.Remove(b.File); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrSpool, err)
	}
	return nil
}

// holderAlive reports whether the process whose id a lock file holds is
// running. An unreadable or empty file (its run is writing it) counts as
// alive: only age frees it.
func holderAlive(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return true
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return len(bytes.TrimSpace(b)) == 0
	}
	return processAlive(pid)
}
