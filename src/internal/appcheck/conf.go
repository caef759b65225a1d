// Package appcheck checks a packaged Splunk app offline, the way Splunk
// AppInspect would: the archive's layout, permissions and binaries, the
// app.conf fields, the README's Binary File Declaration, commands.conf for
// chunked commands, searchbnf, saved searches, props/transforms references,
// lookups, metadata, and every .conf key against Splunk's own .spec files.
// AppInspect itself is proprietary and cannot run here; the rules
// implemented are those its public documentation and a public copy of its
// 1.6.1 source describe (see the project's notes), each named after the
// AppInspect check it stands for.
//
// The rules are a table, [Rules], sorted by name: each can be run on its
// own ([Rule.Run]), each [Finding] names its rule, and [Check] runs them
// all over one loaded view of the app ([Open] runs those about the
// archive itself).
package appcheck

import (
	"fmt"
	"sort"

	"github.com/t1102app/t1102/src/splunkapp"
)

// Conf is a parsed .conf file (splunkapp.File: stanzas in order, every
// setting with its line, Global the settings before any header) with the
// problems AppInspect reports about its syntax.
type Conf struct {
	*splunkapp.File
	Name string
	// Problems are lines that are not .conf syntax
	// (check_config_file_parsing), repeated stanza headers and keys set
	// twice in a stanza (check_validate_no_duplicate_stanzas_in_conf_files;
	// Splunk merges the one and uses the last of the other), by line.
	Problems []string
}

// Stanza is one [stanza] of a .conf file.
type Stanza = splunkapp.Stanza

// KV is one key = value, with its line.
type KV = splunkapp.Setting

// ParseConf parses Splunk's .conf syntax with splunkapp.Parse and records
// its problems.
func ParseConf(name string, data []byte) *Conf {
	c := &Conf{File: splunkapp.Parse(name, data), Name: name}
	type problem struct {
		line int
		text string
	}
	var ps []problem
	for _, p := range c.File.Problems {
		line := 0
		if pe, ok := p.(*splunkapp.Error); ok {
			line = pe.Line
		}
		ps = append(ps, problem{line, p.Error()})
	}
	for _, s := range c.Stanzas {
		for _, l := range s.Reopened {
			ps = append(ps, problem{l, fmt.Sprintf("%s:%d: duplicate stanza [%s] (first at line %d; Splunk merges them)", name, l, s.Name, s.Line)})
		}
		for _, d := range s.Duplicates() {
			ps = append(ps, problem{d.Line, fmt.Sprintf("%s:%d: duplicate key %s in [%s] (set again below; Splunk uses the last)", name, d.Line, d.Key, s.Name)})
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].line < ps[j].line })
	for _, p := range ps {
		c.Problems = append(c.Problems, p.text)
	}
	return c
}
