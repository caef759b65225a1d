// Package appcheck checks a packaged Splunk app offline, the way Splunk
// AppInspect would: the archive's layout, permissions and binaries, the
// app.conf fields, the README's Binary File Declaration, commands.conf for
// chunked commands, searchbnf, saved searches, props/transforms references,
// lookups, metadata, and every .conf key against Splunk's own .spec files.
// AppInspect itself is proprietary and cannot run here; the rules
// implemented are those its public documentation and a public copy of its
// 1.6.1 source describe (see the project's notes), each named after the
// AppInspect check it stands for.
package appcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Conf is a parsed .conf file: stanzas in order, keys in order.
type Conf struct {
	Name     string
	Stanzas  []*Stanza
	Orphans  []KV // keys before any stanza
	Problems []string
}

// Stanza is one [stanza] of a .conf file.
type Stanza struct {
	Name string
	Line int
	Keys []KV
}

// KV is one key = value, with its line.
type KV struct {
	Key, Value string
	Line       int
}

// Get returns a stanza's value for key.
func (s *Stanza) Get(key string) (string, bool) {
	for _, kv := range s.Keys {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Stanza returns the named stanza, or nil.
func (c *Conf) Stanza(name string) *Stanza {
	for _, s := range c.Stanzas {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ParseConf parses Splunk's .conf syntax: [stanza] lines, key = value
// lines, # comments, and a trailing backslash continuing a value on the
// next line. Duplicate stanzas and duplicate keys in a stanza are recorded
// as problems (AppInspect check_validate_no_duplicate_stanzas_in_conf_files).
func ParseConf(name string, data []byte) *Conf {
	c := &Conf{Name: name}
	var cur *Stanza
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		start := line
		for strings.HasSuffix(text, "\\") && sc.Scan() {
			line++
			text = strings.TrimSuffix(text, "\\") + "\n" + sc.Text()
		}
		t := strings.TrimSpace(text)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "["):
			if !strings.HasSuffix(t, "]") {
				c.Problems = append(c.Problems, fmt.Sprintf("%s:%d: stanza not closed: %q", name, start, t))
				continue
			}
			n := t[1 : len(t)-1]
			if seen[n] {
				c.Problems = append(c.Problems, fmt.Sprintf("%s:%d: duplicate stanza [%s]", name, start, n))
			}
			seen[n] = true
			cur = &Stanza{Name: n, Line: start}
			c.Stanzas = append(c.Stanzas, cur)
		default:
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				c.Problems = append(c.Problems, fmt.Sprintf("%s:%d: not key = value: %q", name, start, t))
				continue
			}
			kv := KV{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Line: start}
			if cur == nil {
				c.Orphans = append(c.Orphans, kv)
				continue
			}
			if _, dup := cur.Get(kv.Key); dup {
				c.Problems = append(c.Problems, fmt.Sprintf("%s:%d: duplicate key %s in [%s]", name, start, kv.Key, cur.Name))
			}
			cur.Keys = append(cur.Keys, kv)
		}
	}
	return c
}
