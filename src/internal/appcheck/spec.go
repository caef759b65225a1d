package appcheck

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Spec is what a .conf.spec file allows: setting names, as patterns
// (placeholders such as <name> or <N> match any text).
type Spec struct {
	keys  []*regexp.Regexp
	names []string // the setting names as written, beside keys
}

var specKeyLine = regexp.MustCompile(`^([A-Za-z0-9_.:<>\-\*\[\]/]+(?:\s[A-Za-z0-9_.:<>\-]+)*)\s*=`)

// ParseSpec reads the setting lines of a .conf.spec file: lines that start
// at column 0 with "name = ..." (descriptions start with "*" or "#").
func ParseSpec(data []byte) *Spec {
	sp := &Spec{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '*' || line[0] == '#' || line[0] == '[' {
			continue
		}
		m := specKeyLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := strings.TrimSpace(m[1])
		if seen[name] {
			continue
		}
		seen[name] = true
		sp.keys = append(sp.keys, pattern(name))
		sp.names = append(sp.names, name)
	}
	return sp
}

// pattern turns a spec setting name into a regular expression: literal
// text, with each <placeholder> matching one or more characters.
func pattern(name string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for len(name) > 0 {
		i := strings.IndexByte(name, '<')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(name))
			break
		}
		j := strings.IndexByte(name[i:], '>')
		if j < 0 {
			b.WriteString(regexp.QuoteMeta(name))
			break
		}
		b.WriteString(regexp.QuoteMeta(name[:i]))
		b.WriteString(".+")
		name = name[i+j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Allows reports whether key is a setting of the spec.
func (sp *Spec) Allows(key string) bool {
	for _, re := range sp.keys {
		if re.MatchString(key) {
			return true
		}
	}
	return false
}

// AllowsStrictly is Allows, except that a key under a prefix the spec
// declares settings of by name ("action.email." for action.email.to, or
// "action.risk." for the app's action.risk.param._risk) must match one of
// those: a catch-all such as savedsearches.conf.spec's
// "action.<action_name>.<parameter>" then no longer lets a misspelt key of
// a known action through. The prefix is the key's first two dot-separated
// parts.
func (sp *Spec) AllowsStrictly(key string) bool {
	first, rest, ok := strings.Cut(key, ".")
	second, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return sp.Allows(key)
	}
	prefix := first + "." + second + "."
	declared := false
	for i, name := range sp.names {
		if strings.HasPrefix(name, prefix) {
			declared = true
			if sp.keys[i].MatchString(key) {
				return true
			}
		}
	}
	return !declared && sp.Allows(key)
}

// Len returns the number of settings.
func (sp *Spec) Len() int { return len(sp.keys) }

// confFilesAgainstSpec compares every key of every shipped .conf (and
// default.meta) with the settings its .spec file names: Splunk's own from
// the folder v.specs, the app's own from its README/ folder.
func confFilesAgainstSpec(v *appView, r *findings) {
	var names []string
	for _, n := range v.names {
		if (strings.HasPrefix(n, "default/") && strings.HasSuffix(n, ".conf") && strings.Count(n, "/") == 1) || n == "metadata/default.meta" {
			names = append(names, n)
		}
	}
	for _, n := range names {
		base := path.Base(n)
		// Splunk's spec and the app's own README spec together: an app
		// documents its custom keys (alert action param.*) there.
		var specData []byte
		own, hasOwn := v.Files["README/"+base+".spec"]
		if hasOwn {
			specData = append(specData, own.Data...)
		}
		if v.specs != "" {
			data, err := os.ReadFile(filepath.Join(v.specs, base+".spec"))
			switch {
			case err == nil:
				specData = append(append(specData, '\n'), data...)
			case !hasOwn:
				r.add(Manual, "%s: no spec file here to compare with", n)
				continue
			}
		} else if _, splunks := splunkConfs[strings.TrimSuffix(base, ".conf")]; !hasOwn || splunks {
			// Without Splunk's spec a Splunk conf cannot be checked whole
			// (the app's README spec documents only its own additions).
			r.add(Manual, "%s: Splunk's spec files are not available here", n)
			continue
		}
		sp := ParseSpec(specData)
		c := ParseConf(n, v.Files[n].Data)
		for _, s := range c.Stanzas {
			for _, kv := range s.Settings {
				if !sp.AllowsStrictly(kv.Key) {
					r.add(Fail, "%s:%d: [%s] %s is not a setting of %s.spec", n, kv.Line, s.Name, kv.Key, base)
				}
			}
		}
	}
}
