package appcheck

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestViewChecksCatchProblems: each view and navigation rule fails a
// broken view (and only its own rule fires), and a sound view and nav pass,
// so a clean result on the real package means something.
func TestViewChecksCatchProblems(t *testing.T) {
	const nav = `<nav search_view="search"><view name="v" default="true"/><view name="search"/></nav>`
	const good = `<form version="1.1"><label>x</label>
  <search id="base"><query>index=x | stats count by host</query></search>
  <row><panel><title>one</title><table><search base="base"><query>| sort - count</query></search></table></panel>
  <panel><html><p>no search needed</p></html></panel></row>
  <row><panel><chart><search ref="a saved search"/></chart></panel></row>
</form>`
	cases := []struct {
		name, reason string
		files        map[string]string // path under default/data/ui → content
		want         string            // the failing check; "" for none
	}{
		{"sound view and nav", "the rules must not fail what Splunk loads", map[string]string{"views/v.xml": good, "nav/default.xml": nav}, ""},
		{"Dashboard Studio", "version 2 is a Dashboard Studio view, which AppInspect accepts", map[string]string{"views/v.xml": `<dashboard version="2"><label>x</label><definition><![CDATA[{}]]></definition></dashboard>`}, ""},
		{"unclosed tag", "Splunk Web cannot load a view it cannot parse", map[string]string{"views/v.xml": `<form version="1.1"><row><panel></row></form>`}, "check_xml_files_are_well_formed"},
		{"bare ampersand", "a < or & in a query must be escaped", map[string]string{"views/v.xml": `<form version="1.1"><row><panel><table><search><query>a & b</query></search></table></panel></row></form>`}, "check_xml_files_are_well_formed"},
		{"two roots", "a document has one root element", map[string]string{"views/v.xml": `<form version="1.1"></form><form version="1.1"></form>`}, "check_xml_files_are_well_formed"},
		{"broken nav", "the nav is parsed as well", map[string]string{"views/v.xml": good, "nav/default.xml": `<nav><view name="v">`}, "check_xml_files_are_well_formed"},
		{"not a dashboard", "a view's root is <dashboard> or <form>", map[string]string{"views/v.xml": `<view version="1.1"/>`}, "check_dashboard_root"},
		{"no version", "AppInspect fails a Simple XML view without version (jQuery 3.5 needs 1.1)", map[string]string{"views/v.xml": `<dashboard><label>x</label></dashboard>`}, "check_simplexml_standards_version"},
		{"version 1.0", "any version but 1.1 (or 2) fails", map[string]string{"views/v.xml": `<form version="1.0"><label>x</label></form>`}, "check_simplexml_standards_version"},
		{"panel without search", "a visualization shows a search's results", map[string]string{"views/v.xml": `<form version="1.1"><row><panel><title>p</title><table></table></panel></row></form>`}, "check_dashboard_panels_have_searches"},
		{"empty query", "a search with nothing to run", map[string]string{"views/v.xml": `<form version="1.1"><row><panel><chart><search><query>  </query></search></chart></panel></row></form>`}, "check_dashboard_panels_have_searches"},
		{"unknown base", "a post-process search needs the base search it names", map[string]string{"views/v.xml": `<form version="1.1"><row><panel><event><search base="nope"><query>| head 1</query></search></event></panel></row></form>`}, "check_dashboard_panels_have_searches"},
		{"html dashboard", "AppInspect's check_html_dashboards fails data/ui/html", map[string]string{"html/old.html": `<html></html>`}, "check_html_dashboards"},
		{"nav names a missing view", "a nav entry must open something", map[string]string{"views/v.xml": good, "nav/default.xml": `<nav><view name="gone" default="true"/></nav>`}, "check_nav_views_exist"},
	}
	type file = struct {
		mode int64
		data string
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]file{}
			for p, data := range c.files {
				files["a/default/data/ui/"+p] = file{0o644, data}
			}
			app, _, err := Open(bytes.NewReader(tgz(t, files)))
			require.NoError(t, err)
			var got []string
			for _, f := range app.checkViews() {
				require.Equal(t, Fail, f.Level)
				got = append(got, f.Check)
			}
			if c.want == "" {
				require.Empty(t, got, c.reason)
				return
			}
			require.Equal(t, []string{c.want}, got, c.reason)
		})
	}
}

// TestCheckRunsTheViewChecks: Check, which TestPackagedApp runs on the
// archive, includes the view rules.
func TestCheckRunsTheViewChecks(t *testing.T) {
	type file = struct {
		mode int64
		data string
	}
	app, _, err := Open(bytes.NewReader(tgz(t, map[string]file{
		"a/default/app.conf":            {0o644, "[package]\nid = a\n"}, // without app.conf Check stops early
		"a/default/data/ui/views/v.xml": {0o644, `<dashboard/>`},
	})))
	require.NoError(t, err)
	var checks []string
	for _, f := range Check(app, "") {
		checks = append(checks, f.Check)
	}
	require.Contains(t, checks, "check_simplexml_standards_version")
}

// TestUserLookups: a lookup definition naming the user's own file
// (splunkapp.LocalLookup) needs no file in the package, and a package that
// ships one fails: the next upgrade would overwrite the user's rows.
func TestUserLookups(t *testing.T) {
	type file = struct {
		mode int64
		data string
	}
	for _, tt := range []struct {
		name, reason string
		ship         bool
		want         []string // the findings of the two checks, by check name
	}{
		{name: "not shipped", reason: "the definition names a file the user creates", want: nil},
		{name: "shipped", reason: "an upgrade would replace the user's rows", ship: true, want: []string{"check_user_lookup_not_shipped"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			files := map[string]file{
				"a/default/app.conf":        {0o644, "[package]\nid = a\n"},
				"a/default/transforms.conf": {0o644, "[a_rules]\nfilename = a_rules.csv\n\n[a_rules_local]\nfilename = a_rules_local.csv\n"},
				"a/lookups/a_rules.csv":     {0o644, "k,v\n1,2\n"},
			}
			if tt.ship {
				files["a/lookups/a_rules_local.csv"] = file{0o644, "k,v\n3,4\n"}
			}
			app, _, err := Open(bytes.NewReader(tgz(t, files)))
			require.NoError(t, err)
			var got []string
			for _, f := range Check(app, "") {
				if f.Check == "check_lookup_exists" || f.Check == "check_user_lookup_not_shipped" {
					require.Equal(t, Fail, f.Level, "%+v", f)
					got = append(got, f.Check)
				}
			}
			require.Equal(t, tt.want, got, tt.reason)
		})
	}
}
