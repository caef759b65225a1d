package appcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/appkg"
)

// bundlePattern turns a distsearch.conf allow or deny list pattern into a
// regular expression as distsearch.conf.spec describes the syntax:
// regex-based, "..." any text, "*" any text but a directory separator,
// "." a literal dot; matched against the whole path relative to
// $SPLUNK_HOME/etc (anchored here: the stricter reading).
func bundlePattern(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "..."):
			b.WriteString(".*")
			i += 2
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '.':
			b.WriteString(`\.`)
		default:
			b.WriteByte(p[i])
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// bundle is what the app's own distsearch.conf says of a path, on its own:
// Splunk's default allow list is not assumed to name anything of the app.
type bundle struct {
	allow, deny map[string]*regexp.Regexp // by entry name
	refine      map[string]bool           // replicate.<conf type>
}

func readBundle(t *testing.T, data []byte) bundle {
	c := ParseConf("distsearch.conf", data)
	require.Empty(t, c.Problems)
	b := bundle{allow: map[string]*regexp.Regexp{}, deny: map[string]*regexp.Regexp{}, refine: map[string]bool{}}
	for _, s := range c.Stanzas {
		for _, kv := range s.Settings {
			switch s.Name {
			case "replicationAllowlist", "replicationWhitelist":
				b.allow[kv.Key] = bundlePattern(kv.Value)
			case "replicationDenylist", "replicationBlacklist":
				b.deny[kv.Key] = bundlePattern(kv.Value)
			case "replicationSettings:refineConf":
				if typ, ok := strings.CutPrefix(kv.Key, "replicate."); ok {
					b.refine[typ] = kv.Value == "true" || kv.Value == "1"
				}
			}
		}
	}
	return b
}

// sent reports whether the app's entries alone put path in the bundle: an
// allow list entry matches (one named refine.* only for a .conf whose type
// has replicate.<type> = true) and no deny list entry does.
func (b bundle) sent(path string) bool {
	for _, re := range b.deny {
		if re.MatchString(path) {
			return false
		}
	}
	for name, re := range b.allow {
		if !re.MatchString(path) {
			continue
		}
		if typ, ok := strings.CutSuffix(filepath.Base(path), ".conf"); ok && strings.HasPrefix(name, "refine.") && !b.refine[typ] {
			continue
		}
		return true
	}
	return false
}

// TestKnowledgeBundle: the app's default/distsearch.conf puts in the
// knowledge bundle, by itself, every file the search commands need on the
// peers (their binaries for every platform, the lookups, t1102.conf, whose
// conf type a refine.* entry of Splunk's default allow list would filter),
// and keeps out the alert action's binaries, which peers never run.
func TestKnowledgeBundle(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repo, "default", "distsearch.conf"))
	require.NoError(t, err, "the app ships a distsearch.conf")
	b := readBundle(t, data)
	id, err := appkg.AppConf(repo, "package", "id")
	require.NoError(t, err)
	app := "apps/" + id + "/"

	type tc struct {
		name, reason string
		path         string
		sent         bool
	}
	var cases []tc
	exe := func(platform, name string) string {
		if strings.HasPrefix(platform, "windows") {
			return name + ".exe"
		}
		return name
	}
	for _, p := range appkg.Platforms {
		cases = append(cases,
			tc{"t1102score " + p, "a streaming command: it runs on the peers, from the bundle", app + p + "/bin/" + exe(p, "t1102score"), true},
			tc{"t1102correlate " + p, "its map phase (streaming_preop) runs on the peers", app + p + "/bin/" + exe(p, "t1102correlate"), true},
			tc{"t1102_forward " + p, "the alert action runs on the search head only: about 9.5 MB each that peers never run", app + p + "/bin/" + exe(p, "t1102_forward"), false})
	}
	lookups, err := filepath.Glob(filepath.Join(repo, "app", "lookups", "*.csv"))
	require.NoError(t, err)
	require.NotEmpty(t, lookups)
	for _, l := range lookups {
		cases = append(cases, tc{"lookup " + filepath.Base(l), "the binaries read the catalogs from <app>/lookups beside them", app + "lookups/" + filepath.Base(l), true})
	}
	cases = append(cases,
		tc{"t1102.conf", "the risk weights, read from <app>/default beside the binaries; a custom conf type", app + "default/t1102.conf", true},
		tc{"another app's binary", "every pattern names this app's folder: the lists apply to all apps", "apps/other_app/linux_x86_64/bin/t1102score", false},
		tc{"another app's forwarder", "the deny list does not reach into other apps", "apps/other_app/linux_x86_64/bin/t1102_forward", false},
		tc{"the alert's state", "t1102_state.csv, written by outputlookup, is read on the search head only (up to max_mb)", app + "lookups/t1102_state.csv", false},
		tc{"the fleet baseline", "t1102_fleet.csv, likewise", app + "lookups/t1102_fleet.csv", false})
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			require.Equal(t, tt.sent, b.sent(tt.path), "%s: %s", tt.path, tt.reason)
		})
	}
	t.Run("refined conf type", func(t *testing.T) {
		// Splunk's default allow list lets .conf files through refine.*
		// entries: t1102.conf goes only with replicate.t1102 = true.
		refined := b
		refined.allow = map[string]*regexp.Regexp{"refine.default": bundlePattern("apps/*/default/*.conf")}
		require.True(t, refined.sent(app+"default/t1102.conf"), "replicate.t1102 = true")
		refined.refine = map[string]bool{}
		require.False(t, refined.sent(app+"default/t1102.conf"), "the model can fail: without the key it is filtered")
	})
}

// TestBundlePattern: the pattern syntax of distsearch.conf.spec.
func TestBundlePattern(t *testing.T) {
	for _, tt := range []struct {
		name, reason, pattern, path string
		match                       bool
	}{
		{"star in one folder", "* does not cross a directory separator", "apps/a/*/bin/x*", "apps/a/linux_x86_64/bin/x.exe", true},
		{"star stops at a separator", "* does not cross a directory separator", "apps/a/*/x", "apps/a/b/c/x", false},
		{"ellipsis crosses folders", "... matches anything", "apps/a/...", "apps/a/b/c/x", true},
		{"dot is literal", "'.' matches a literal dot", "apps/a/t1102.conf", "apps/a/t1102xconf", false},
		{"anchored", "the whole path must match", "apps/a/x", "apps/a/x/y", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			require.Equal(t, tt.match, bundlePattern(tt.pattern).MatchString(tt.path), tt.reason)
		})
	}
}

// TestDistsearchConfAgainstSpec: every key of the shipped distsearch.conf
// passes the spec comparison, and, since the spec's "<name> = <string>"
// settings let any key name through, every stanza is one the spec
// declares (a misspelt [replicationAllowList] would be ignored by
// splunkd), and none is [default] (AppInspect check_no_default_stanzas).
func TestDistsearchConfAgainstSpec(t *testing.T) {
	specs := specsDir(t)
	if specs == "" {
		t.Skip("Splunk's spec files are not beside the checkout")
	}
	data, err := os.ReadFile(filepath.Join(repo, "default", "distsearch.conf"))
	require.NoError(t, err)
	a := &App{Files: map[string]*Entry{"default/distsearch.conf": {Name: "default/distsearch.conf", Data: data}}}
	require.Empty(t, a.checkSpecs(specs))
	spec, err := os.ReadFile(filepath.Join(specs, "distsearch.conf.spec"))
	require.NoError(t, err)
	declared := func(stanza string) bool {
		return regexp.MustCompile(`(?m)^\[` + regexp.QuoteMeta(stanza) + `\]`).Match(spec)
	}
	require.False(t, declared("replicationAllowList"), "the test can fail: stanza names are case-sensitive")
	for _, s := range ParseConf("distsearch.conf", data).Stanzas {
		require.True(t, declared(s.Name), "[%s] is a stanza of distsearch.conf.spec", s.Name)
		require.NotContains(t, []string{"default", "general", "global"}, s.Name)
	}
}
