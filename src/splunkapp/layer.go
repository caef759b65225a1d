package splunkapp

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// DefaultStanza is the stanza of global settings: [default], and the
// settings written before any header.
const DefaultStanza = "default"

// Conf is a conf type as Splunk uses it: files merged by precedence.
type Conf struct {
	// Stanzas in the order first seen across the layers. Each has one
	// setting per key, the value of the layer with the highest priority,
	// with that layer's file and line.
	Stanzas []*Stanza
	// Files are the layers read, lowest priority first.
	Files []string
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

// Get returns a stanza's value for key, without [default].
func (c *Conf) Get(stanza, key string) (string, bool) {
	if s := c.Stanza(stanza); s != nil {
		return s.Get(key)
	}
	return "", false
}

// Value returns a stanza's value for key, or [default]'s when the stanza
// does not set it: "If an attribute is defined at both the global level
// and in a specific stanza, the value in the specific stanza takes
// precedence" (the GLOBAL SETTINGS paragraph of the .conf.spec files that
// have one; use Get for a conf type whose spec says otherwise). Layers are
// merged first, so a stanza's own setting in default/ beats a [default]
// setting in local/.
func (c *Conf) Value(stanza, key string) (string, bool) {
	if v, ok := c.Get(stanza, key); ok {
		return v, true
	}
	return c.Get(DefaultStanza, key)
}

// Merge layers files, the lowest priority first (default/ then local/;
// then $SPLUNK_HOME/etc/system/local for a global-context setting): a key
// set in a later file replaces the earlier value, stanza by stanza and key
// by key; everything else is kept. A file's global settings are its
// [default] stanza's. Within one file the last setting of a key wins.
func Merge(files ...*File) *Conf {
	c := &Conf{}
	index := map[string]*Stanza{}
	add := func(name, file string, line int, settings []Setting) {
		s, ok := index[name]
		if !ok {
			s = &Stanza{Name: name, File: file, Line: line}
			index[name] = s
			c.Stanzas = append(c.Stanzas, s)
		}
		for _, kv := range settings {
			replaced := false
			for i := range s.Settings {
				if s.Settings[i].Key == kv.Key {
					s.Settings[i] = kv
					replaced = true
					break
				}
			}
			if !replaced {
				s.Settings = append(s.Settings, kv)
			}
		}
	}
	for _, f := range files {
		c.Files = append(c.Files, f.Path)
		if len(f.Global) > 0 {
			add(DefaultStanza, f.Path, 0, f.Global)
		}
		for _, s := range f.Stanzas {
			add(s.Name, s.File, s.Line, s.Settings)
		}
	}
	return c
}

// ReadFiles reads the files of paths that exist, in order; a missing file
// is an empty layer. The first file that cannot be read or has a syntax
// problem is the error.
func ReadFiles(paths ...string) ([]*File, error) {
	var out []*File
	for _, p := range paths {
		f, err := ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// ReadApp reads <appDir>/default/<name> and <appDir>/local/<name> merged,
// local over default key by key ("Configuration file precedence"); a
// missing file is empty.
func ReadApp(appDir, name string) (*Conf, error) {
	files, err := ReadFiles(filepath.Join(appDir, "default", name), filepath.Join(appDir, "local", name))
	if err != nil {
		return nil, err
	}
	return Merge(files...), nil
}
