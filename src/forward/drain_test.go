package forward_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/forward"
)

// counting is a webhook receiver that takes every batch, after delay,
// and counts each event's host.
type counting struct {
	mu    sync.Mutex
	delay time.Duration
	busy  bool
	hosts map[string]int
	reqs  atomic.Int32
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.reqs.Add(1)
	time.Sleep(c.delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var events []map[string]any
	if err := json.NewDecoder(r.Body).Decode(&events); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if c.hosts == nil {
		c.hosts = map[string]int{}
	}
	for _, ev := range events {
		c.hosts[ev["host"].(string)]++
	}
	w.WriteHeader(http.StatusNoContent)
}

// got returns how many distinct hosts arrived and how many arrived twice.
func (c *counting) got() (distinct, twice int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.hosts {
		distinct++
		if n > 1 {
			twice++
		}
	}
	return distinct, twice
}

// TestRunDuringDrain: a run that starts while another drains the spool
// reads the spool before it may hold the lock, and the draining run
// deletes the batches it delivers meanwhile. The late run must neither
// fail nor lose its results.
func TestRunDuringDrain(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		vanish       bool // a listed batch is gone before it is read (deterministic)
		starters     int  // runs started while another drains
	}{
		{"listed batch vanishes", "a batch listed by ReadDir and removed before ReadFile is a delivered batch, not an error", true, 1},
		{"runs start during a drain", "the drain of 300 one-event batches overlaps the late runs' reading of the spool", false, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &counting{}
			srv := httptest.NewTLSServer(c)
			defer srv.Close()
			dir := t.TempDir()
			spool := filepath.Join(dir, "s")
			conf := webhookConf(t, srv, "/hook", spool)
			conf["batch_size"] = "1"
			conf["max_time"] = "30"
			want := 0
			if tt.vanish {
				r := execute(t, payload("https://127.0.0.1:1", results(t, dir, 1), conf), nil)
				require.Equal(t, 0, r.code, r.stderr)
				want++
				folders, _ := filepath.Glob(filepath.Join(spool, "*"))
				require.Len(t, folders, 1)
				// ReadDir lists it, ReadFile finds nothing: what a batch
				// deleted between the two looks like.
				require.NoError(t, os.Symlink(filepath.Join(dir, "delivered-meanwhile"), filepath.Join(folders[0], "00gone.jsonl")))
				r = execute(t, payload("https://127.0.0.1:1", resultsNamed(t, dir, "late-", 3), conf), nil)
				require.Equal(t, 0, r.code, "%s: %s", tt.reason, r.stderr)
				want += 3
			} else {
				// 300 events wait (receiver down), then one run drains them
				// slowly while others start.
				c.busy = true
				conf["max_time"] = "1"
				r := execute(t, payload("https://127.0.0.1:1", resultsNamed(t, dir, "old-", 300), conf), nil)
				require.Equal(t, forward.ExitUnavailable, r.code, r.stderr)
				require.Len(t, spoolFiles(t, spool), 300)
				want += 300
				c.mu.Lock()
				c.busy, c.delay = false, 3*time.Millisecond
				c.mu.Unlock()
				conf["max_time"] = "30"
				var wg sync.WaitGroup
				codes := make([]int, tt.starters+1)
				logs := make([]string, tt.starters+1)
				before := c.reqs.Load()
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := execute(t, payload("https://127.0.0.1:1", "", conf), nil)
					codes[0], logs[0] = r.code, r.stderr
				}()
				for c.reqs.Load() == before {
					time.Sleep(time.Millisecond) // the drain has begun
				}
				for i := 1; i <= tt.starters; i++ {
					file := resultsNamed(t, dir, fmt.Sprintf("late%d-", i), 5)
					want += 5
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := execute(t, payload("https://127.0.0.1:1", file, conf), nil)
						codes[i], logs[i] = r.code, r.stderr
					}()
					time.Sleep(40 * time.Millisecond)
				}
				wg.Wait()
				var failed []string
				for i, code := range codes {
					if code != 0 {
						failed = append(failed, fmt.Sprintf("run %d: exit %d: %s", i, code, logs[i]))
					}
				}
				require.Empty(t, failed, "%d of %d runs failed: %s", len(failed), len(codes), tt.reason)
			}
			distinct, twice := c.got()
			require.Equal(t, want, distinct, "every result delivered")
			require.Zero(t, twice, "none twice")
			require.Empty(t, spoolFiles(t, spool))
		})
	}
}
