package appcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/splunkd"
)

// correlateFields are the fields t1102correlate outputs: the real command,
// run with all=true over the project's Atomic events.
func correlateFields(t *testing.T) map[string]bool {
	t.Helper()
	bin := appBins["t1102correlate"]
	f, err := os.Open(filepath.Join(repo, "testdata", "events", "atomic.csv"))
	require.NoError(t, err)
	defer f.Close()
	events, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	abs, err := filepath.Abs(repo)
	require.NoError(t, err)
	res, err := splunkd.Run(context.Background(), splunkd.Search{Argv: []string{bin, "-app-dir", abs}, Args: []string{"all=true"}, Input: events, Collect: true})
	require.NoError(t, err)
	fields := map[string]bool{}
	for _, f := range res.Table.Fields {
		fields[f] = true
	}
	require.True(t, fields["host"] && fields["Image"] && fields["risk_score"], "the command's output: %v", res.Table.Fields)
	return fields
}

// evalAssignments returns, for each "| eval" of search, the fields it
// assigns and the fields its expressions read (bare names outside quotes,
// not function names).
func evalAssignments(search string) (assigned map[string]bool, reads map[string][]string) {
	assigned, reads = map[string]bool{}, map[string][]string{}
	quoted := regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	name := regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*\b(\s*\()?`)
	for _, seg := range strings.Split(search, "|") {
		body, ok := strings.CutPrefix(strings.TrimSpace(seg), "eval ")
		if !ok {
			continue
		}
		depth, start := 0, 0
		var parts []string
		inQuote := false
		for i := 0; i < len(body); i++ {
			switch c := body[i]; {
			case c == '\\' && inQuote:
				i++
			case c == '"':
				inQuote = !inQuote
			case inQuote:
			case c == '(':
				depth++
			case c == ')':
				depth--
			case c == ',' && depth == 0:
				parts = append(parts, body[start:i])
				start = i + 1
			}
		}
		parts = append(parts, body[start:])
		for _, p := range parts {
			lhs, expr, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			field := strings.TrimSpace(lhs)
			assigned[field] = true
			for _, m := range name.FindAllStringSubmatch(quoted.ReplaceAllString(expr, `""`), -1) {
				if m[1] == "" { // not a function call
					reads[field] = append(reads[field], strings.TrimSpace(m[0]))
				}
			}
		}
	}
	return assigned, reads
}

// TestSavedSearchEnterpriseSecurity: the alert's ES settings are well
// formed (JSON where ES reads JSON, the ATT&CK mapping, risk and threat
// objects of the right types) and every field they name is in the
// search's output: t1102correlate's fields (it writes the CIM names) or
// those an eval of the search computes from them. ES drops a risk object whose field the results lack
// without an error.
func TestSavedSearchEnterpriseSecurity(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repo, "default", "savedsearches.conf"))
	require.NoError(t, err)
	c := ParseConf("savedsearches.conf", data)
	require.Empty(t, c.Problems)
	s := c.Stanza("T1102.003 - Web Service One-Way C2")
	require.NotNil(t, s)
	get := func(k string) string {
		v, ok := s.Get(k)
		require.True(t, ok, "%s is set", k)
		return v
	}
	for k, want := range map[string]string{
		"action.risk": "1", "action.notable": "1", "action.correlationsearch.enabled": "1",
		"action.notable.param.security_domain": "endpoint",
		"action.t1102_forward":                 "0", // off until a receiver is configured
	} {
		require.Equal(t, want, get(k), k)
	}

	var annotations map[string][]string
	require.NoError(t, json.Unmarshal([]byte(get("action.correlationsearch.annotations")), &annotations))
	require.Equal(t, []string{"T1102.003"}, annotations["mitre_attack"])

	produced := correlateFields(t)
	search := get("search")
	assigned, reads := evalAssignments(search[strings.Index(search, "t1102correlate"):])
	for f, names := range reads {
		for _, n := range names {
			require.True(t, produced[n] || n == f, "eval %s reads %s, which t1102correlate does not output", f, n)
		}
	}
	for _, f := range []string{"dest", "user", "process_name", "parent_process_name", "url", "_time"} {
		require.True(t, produced[f] || assigned[f], "%s is in the search's output (t1102correlate writes the CIM names)", f)
	}
	has := func(f string) bool { return produced[f] || assigned[f] }

	var risk []map[string]any
	require.NoError(t, json.Unmarshal([]byte(get("action.risk.param._risk")), &risk))
	objects, threats := map[string]string{}, map[string]string{}
	for _, r := range risk {
		if f, ok := r["risk_object_field"].(string); ok {
			objects[f], _ = r["risk_object_type"].(string)
			score, ok := r["risk_score"].(float64)
			require.True(t, ok && score > 0 && score <= 100, "risk object %s has a score: %v", f, r)
			continue
		}
		f, ok := r["threat_object_field"].(string)
		require.True(t, ok, "each entry is a risk or a threat object: %v", r)
		threats[f], _ = r["threat_object_type"].(string)
	}
	require.Equal(t, map[string]string{"dest": "system", "user": "user"}, objects)
	var threatTypes []string
	for f, typ := range threats {
		threatTypes = append(threatTypes, typ)
		require.True(t, has(f), "threat object field %s is in the output", f)
	}
	sort.Strings(threatTypes)
	require.Equal(t, []string{"domain", "process", "url"}, threatTypes)
	for f := range objects {
		require.True(t, has(f), "risk object field %s is in the output", f)
	}

	var drilldowns []map[string]string
	require.NoError(t, json.Unmarshal([]byte(get("action.notable.param.drilldown_searches")), &drilldowns))
	require.NotEmpty(t, drilldowns)
	token := regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_.]*)\$`)
	esTokens := map[string]bool{"info_min_time": true, "info_max_time": true} // the notable's search window, set by ES
	texts := map[string]string{}
	for _, k := range []string{"action.risk.param._risk_message", "action.notable.param.rule_title", "action.notable.param.rule_description",
		"action.notable.param.drilldown_name", "action.notable.param.drilldown_search",
		"action.notable.param.drilldown_earliest_offset", "action.notable.param.drilldown_latest_offset"} {
		texts[k] = get(k)
	}
	for i, d := range drilldowns {
		for _, k := range []string{"name", "search", "earliest_offset", "latest_offset"} {
			require.NotEmpty(t, d[k], "drilldown_searches[%d] has %s", i, k)
			texts["drilldown_searches "+k] += d[k]
		}
	}
	for k, text := range texts {
		for _, m := range token.FindAllStringSubmatch(text, -1) {
			require.True(t, has(m[1]) || esTokens[m[1]], "%s refers to $%s$, which the search does not output", k, m[1])
		}
	}
	for _, f := range strings.Split(get("action.notable.param.nes_fields"), ",") {
		require.True(t, has(strings.TrimSpace(f)), "nes_fields %s is in the output", f)
	}
	for _, k := range []string{"action.escu.how_to_implement", "action.escu.known_false_positives"} {
		require.NotEmpty(t, get(k))
	}
}

// TestSpecCatchesMisspeltESKeys: the ES keys pass against the app's
// README/savedsearches.conf.spec, and a misspelt one fails although core's
// spec has the catch-all action.<action_name>.<parameter>.
func TestSpecCatchesMisspeltESKeys(t *testing.T) {
	specs := specsDir(t)
	if specs == "" {
		t.Skip("needs Splunk's spec files from ../shared")
	}
	own, err := os.ReadFile(filepath.Join(repo, "app", "README", "savedsearches.conf.spec"))
	require.NoError(t, err)
	type file = struct {
		mode int64
		data string
	}
	conf := "[s]\nsearch = x\n" +
		"action.risk.param._risk_message = fine\n" +
		"action.notable.param.drilldown_searches = []\n" +
		"action.t1102_forward.param.url = https://x\n" +
		"action.risk.param._risk_mesage = typo\n" +
		"action.notable.param.rule_titel = typo\n" +
		"action.email.tooo = typo\n" +
		"action.someotherapp.param.x = unknown action, core's catch-all\n"
	app, _, err := Open(bytes.NewReader(tgz(t, map[string]file{
		"a/default/savedsearches.conf":     {0o644, conf},
		"a/README/savedsearches.conf.spec": {0o644, string(own)},
	})))
	require.NoError(t, err)
	var msgs []string
	for _, f := range app.checkSpecs(specs) {
		if f.Level == Fail {
			msgs = append(msgs, f.Msg)
		}
	}
	require.Len(t, msgs, 3, "%v", msgs)
	for i, key := range []string{"_risk_mesage", "rule_titel", "action.email.tooo"} {
		require.Contains(t, msgs[i], key)
	}
}
