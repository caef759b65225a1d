package backtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// conf is a .conf file's stanzas merged from default/ and local/: stanza
// names in the order first seen, each stanza's keys with local values
// replacing default ones key by key (Admin Manual, "Configuration file
// precedence": local over default within an app).
type conf struct {
	order   []string
	stanzas map[string]map[string]string
}

func (c *conf) stanza(name string) (map[string]string, bool) {
	s, ok := c.stanzas[name]
	return s, ok
}

// readConf reads <app>/default/<name> then <app>/local/<name>; a missing
// file is empty. Lines: [stanza], key = value, # comments, a trailing
// backslash continuing a value on the next line (kept as a newline, as the
// dashboard and appcheck read them).
func readConf(appDir, name string) (*conf, error) {
	c := &conf{stanzas: map[string]map[string]string{}}
	for _, layer := range []string{"default", "local"} {
		path := filepath.Join(appDir, layer, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConf, err)
		}
		if err := c.parse(path, data); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *conf) parse(path string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var cur map[string]string
	line := 0
	for sc.Scan() {
		line++
		start, text := line, sc.Text()
		for strings.HasSuffix(text, `\`) && sc.Scan() {
			line++
			text = strings.TrimSuffix(text, `\`) + "\n" + sc.Text()
		}
		t := strings.TrimSpace(text)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "["):
			if !strings.HasSuffix(t, "]") {
				return fmt.Errorf("%w: %s:%d: stanza not closed: %q", ErrConf, path, start, t)
			}
			name := t[1 : len(t)-1]
			if _, ok := c.stanzas[name]; !ok {
				c.stanzas[name] = map[string]string{}
				c.order = append(c.order, name)
			}
			cur = c.stanzas[name]
		default:
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				return fmt.Errorf("%w: %s:%d: not key = value: %q", ErrConf, path, start, shorten(t, 80))
			}
			if cur == nil {
				// Keys before any stanza belong to [default]; the backtest
				// reads none of them.
				continue
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrConf, path, err)
	}
	return nil
}
