package appcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/correlate"
	"github.com/t1102app/t1102/src/score"
	"github.com/t1102app/t1102/src/splunkd"
)

// TestSearchbnfExamples: each example the search assistant shows is a
// search a user can run: quotes, parentheses and macro backticks balanced,
// every macro one the app defines, the app's commands given arguments
// they accept (their own parsers), and tstats in its documented form
// ("tstats <stats-func> ... FROM datamodel=<name> ... BY <field-list>",
// Splunk's Search Reference), its data model fields renamed before
// t1102score reads CIM names.
func TestSearchbnfExamples(t *testing.T) {
	read := func(name string) *Conf {
		data, err := os.ReadFile(filepath.Join(repo, "default", name))
		require.NoError(t, err)
		return ParseConf(name, data)
	}
	bnf, macros := read("searchbnf.conf"), read("macros.conf")
	tstats := regexp.MustCompile(`^\|\s*tstats\s+(\w+=\S+\s+)*\w+(\([^)]*\))?(\s+as\s+\w+)?(\s*,?\s*\w+\([^)]*\)(\s+as\s+\w+)?)*\s+from\s+datamodel=\w+(\.\w+)?\s+(where\s+.+\s+)?by\s+[\w.]+(\s*,?\s*[\w.]+)*$`)
	n := 0
	for _, st := range bnf.Stanzas {
		for _, kv := range st.Settings {
			if !strings.HasPrefix(kv.Key, "example") {
				continue
			}
			n++
			ex := kv.Value
			require.Zero(t, strings.Count(ex, `"`)%2, "[%s] %s: quotes balanced: %s", st.Name, kv.Key, ex)
			require.Zero(t, strings.Count(ex, "`")%2, "[%s] %s: macro backticks balanced", st.Name, kv.Key)
			require.Equal(t, strings.Count(ex, "("), strings.Count(ex, ")"), "[%s] %s: parentheses balanced", st.Name, kv.Key)
			parts := strings.Split(ex, "`")
			for i := 1; i < len(parts); i += 2 {
				require.NotNil(t, macros.Stanza(parts[i]), "[%s] %s: macro %s is defined", st.Name, kv.Key, parts[i])
			}
			for i, stage := range strings.Split(ex, "|") {
				stage = strings.TrimSpace(stage)
				cmd, rest, _ := strings.Cut(stage, " ")
				args, _, err := splunkd.Tokenize(rest)
				require.NoError(t, err, "[%s] %s: %q", st.Name, kv.Key, stage)
				switch cmd {
				case "t1102score":
					_, err = score.ParseOptions(args)
				case "t1102correlate":
					_, err = correlate.ParseOptions(args)
				case "tstats":
					require.Equal(t, 1, i, "[%s] %s: tstats is a generating command, first in the search", st.Name, kv.Key)
					require.Regexp(t, tstats, "| "+stage, "[%s] %s", st.Name, kv.Key)
					require.Contains(t, ex, "| rename Processes.* as *", "[%s] %s: the data model's field names renamed", st.Name, kv.Key)
				}
				require.NoError(t, err, "[%s] %s: %q", st.Name, kv.Key, stage)
			}
		}
	}
	require.GreaterOrEqual(t, n, 5, "every example is checked")
}
