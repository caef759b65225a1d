package backtest

import (
	"fmt"

	"github.com/t1102app/t1102/src/splunkapp"
)

// conf is a .conf file's stanzas merged from default/ and local/ by
// splunkapp.ReadApp (local over default key by key, Admin Manual,
// "Configuration file precedence"): stanza names in the order first seen,
// each stanza's effective keys. Settings written before any header are
// the [default] stanza's, as Splunk reads them.
type conf struct {
	order   []string
	stanzas map[string]map[string]string
}

func (c *conf) stanza(name string) (map[string]string, bool) {
	s, ok := c.stanzas[name]
	return s, ok
}

// readConf reads <app>/default/<name> then <app>/local/<name>; a missing
// file is empty, a syntax problem is an error naming its file and line.
func readConf(appDir, name string) (*conf, error) {
	merged, err := splunkapp.ReadApp(appDir, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConf, err)
	}
	c := &conf{stanzas: map[string]map[string]string{}}
	for _, s := range merged.Stanzas {
		kv := make(map[string]string, len(s.Settings))
		for _, set := range s.Settings {
			kv[set.Key] = set.Value
		}
		c.order = append(c.order, s.Name)
		c.stanzas[s.Name] = kv
	}
	return c, nil
}
