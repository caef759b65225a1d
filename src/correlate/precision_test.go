package correlate_test

// The shipped alert's pipeline (t1102correlate, then the saved search's
// risk threshold) on ordinary activity, on the Atomic Red Team events and on
// the labelled real corpus, in one test: benign raises nothing, every attack
// alerts, and every Atomic row ranks above every benign row.

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/splunkd"
)

// benignScenarios are the hosts of testdata/events/benign.csv, one per
// false-positive class the original detection's tuning notes name.
var benignScenarios = []struct {
	host, class, reason string
}{
	{"DEV-101", "git client", "git clone over HTTPS: git.exe and git-remote-https.exe reach github.com"},
	{"DEV-102", "package manager", "npm install resolving a GitHub dependency: node.exe asks codeload.github.com, git ls-remote"},
	{"DEV-103", "package manager", "pip install git+https://github.com/...: python.exe names GitHub, git clones into Temp"},
	{"DEV-104", "package manager", "Bundler resolving a Gemfile with a GitHub source: ruby.exe asks rubygems.org, git clones from github.com"},
	{"SRV-201", "IT automation", "Puppet agent as SYSTEM: the service's daemon starts a run every 30 minutes, each checking a file on raw.githubusercontent.com"},
	{"SRV-202", "IT automation", "Chef Infra Client run downloading a GitHub release asset"},
	{"SRV-203", "IT automation", "Chocolatey as SYSTEM: the iex bootstrap one-liner (no catalogued service) and a package script in Windows PowerShell fetching a GitHub release"},
	{"ADM-301", "admin download", "curl -L -o of one GitHub release archive"},
	{"ADM-302", "admin download", "Invoke-WebRequest of a GitHub release MSI into $env:TEMP, then msiexec"},
	{"WKS-401", "collaboration client", "OneDrive syncing SharePoint every 5 minutes (polls) and Teams opening SharePoint files"},
	{"WKS-402", "collaboration client", "Discord and Telegram desktop clients"},
	{"SEC-501", "security agent", "Splunk's Python started by splunkd every 20 minutes (a threat-intelligence modular input) pulling a list from raw.githubusercontent.com"},
	{"SEC-502", "security agent", "Microsoft Defender's URL reputation lookups of github.com and twitter.com"},
	{"WKS-403", "browser", "Edge on GitHub, Reddit, X and a raw file"},
	{"DEV-105", "developer tool", "GitHub CLI downloading a release"},
	{"DEV-106", "developer tool", "Visual Studio Code signing in to GitHub"},
	{"DEV-107", "developer tool", "a developer's Python script asking api.github.com for releases"},
	{"ADM-303", "admin script", "a script run from a file (4104) downloading a GitHub release asset into $env:TEMP (Sysmon 11), its help text naming the project's GitHub page"},
	{"SRV-204", "updater tasks", "Google, Microsoft Edge and Adobe updater tasks created (4698, no URLs), and Google Update's hourly runs asking update.googleapis.com"},
	{"ADM-304", "admin task", "an administrator's daily task (4698) fetching a PowerShell release MSI from GitHub, and its run"},
}

// atomicTests are the processes of testdata/events/atomic.csv that play the
// original detection's four Atomic Red Team tests (its other events are an
// allowlisted git and a curl to a site that is not a web service).
var atomicTests = []struct{ name, guid string }{
	{"PowerShell IEX of a Pastebin raw paste, hidden window", "{6f1d2a10-5c3e-6741-2a01-000000000f10}"},
	{"Python polling a GitHub raw file every 30 s", "{6f1d2a10-5c41-6741-3b01-000000000f10}"},
	{"curl asking the Telegram Bot API for updates into %TEMP%", "{6f1d2a10-5c4a-6741-4c01-000000000f10}"},
	{"encoded PowerShell started by the task host, IEX from GitHub", "{6f1d2a10-5c53-6741-5d01-000000000f10}"},
}

func isAtomic(guid string) bool {
	for _, a := range atomicTests {
		if strings.EqualFold(a.guid, guid) {
			return true
		}
	}
	return false
}

// threshold is the alert's risk threshold, [alert] risk_threshold of the
// shipped t1102.conf, which t1102correlate applies itself; the saved search
// has no threshold of its own to drift apart from it.
func threshold(t *testing.T) int {
	ss, err := os.ReadFile(filepath.Join("..", "..", "default", "savedsearches.conf"))
	require.NoError(t, err)
	require.NotRegexp(t, `where risk_score`, string(ss), "the threshold lives in t1102.conf only")
	c, err := detect.LoadCatalog(filepath.Join("..", ".."), detect.WebServicesFile)
	require.NoError(t, err)
	return c.Behaviour.AlertRisk
}

func events(t *testing.T, name string) *splunkd.Table {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "events", name))
	require.NoError(t, err)
	defer f.Close()
	tab, err := splunkd.ReadTable(f, "csv")
	require.NoError(t, err)
	return tab
}

type scored struct {
	host, guid, image, service, reasons string
	risk                                int
}

// rows runs t1102correlate (map phase on 3 indexers) and returns its rows.
func rows(t *testing.T, in *splunkd.Table, args ...string) []scored {
	res := run(t, in, 3, args...)
	var out []scored
	for i := range res.Table.Rows {
		risk, err := strconv.Atoi(first(res.Table.Get(i, "risk_score")))
		require.NoError(t, err)
		out = append(out, scored{first(res.Table.Get(i, "host")), first(res.Table.Get(i, "ProcessGuid")), first(res.Table.Get(i, "Image")), first(res.Table.Get(i, "is_legit_webservice")),
			strings.Join(res.Table.Get(i, "t1102_reasons"), "; "), risk})
	}
	return out
}

// alerts keeps what the saved search keeps: t1102correlate without all=,
// then where risk_score >= threshold.
func alerts(t *testing.T, in *splunkd.Table, min int) []scored {
	var out []scored
	for _, r := range rows(t, in) {
		if r.risk >= min {
			out = append(out, r)
		}
	}
	return out
}

func TestAlertPrecision(t *testing.T) {
	limit := threshold(t)
	benign, atomic := events(t, "benign.csv"), events(t, "atomic.csv")

	// Every scenario has events of its own host.
	hosts := map[string]bool{}
	for i := range benign.Rows {
		hosts[first(benign.Get(i, "host"))] = true
	}
	require.GreaterOrEqual(t, len(benignScenarios), 12)
	for _, s := range benignScenarios {
		require.NotEmpty(t, s.reason)
		require.True(t, hosts[s.host], "%s (%s) has events", s.host, s.class)
	}
	require.Len(t, hosts, len(benignScenarios), "every host of benign.csv is a listed scenario")

	// Benign: nothing alerts.
	require.Empty(t, alerts(t, benign, limit), "ordinary activity raises no alert at risk_score >= %d", limit)

	// Atomic: each of the four tests, by its process, alerts.
	got := alerts(t, atomic, limit)
	procs := map[string]bool{}
	for _, r := range got {
		procs[strings.ToLower(r.guid)] = true
	}
	for _, test := range atomicTests {
		require.True(t, procs[test.guid], "Atomic test %q (%s) alerts: %v", test.name, test.guid, got)
	}
	require.Len(t, procs, len(atomicTests), "nothing else in atomic.csv alerts: %v", got)

	// Every row of an Atomic test's process ranks above every benign row,
	// whatever the command would keep (all=true: rows that do not pass the
	// command's own filter too). Every benign scenario has rows.
	allBenign, allAtomic := rows(t, benign, "all=true"), rows(t, atomic, "all=true")
	hiBenign, withRows := scored{risk: -1}, map[string]bool{}
	for _, r := range allBenign {
		withRows[r.host] = true
		if r.risk > hiBenign.risk {
			hiBenign = r
		}
	}
	for _, sc := range benignScenarios {
		require.True(t, withRows[sc.host], "benign scenario %s (%s) gives rows to judge", sc.host, sc.class)
	}
	loAtomic := scored{risk: 101}
	for _, r := range allAtomic {
		if isAtomic(r.guid) && r.risk < loAtomic.risk {
			loAtomic = r
		}
	}
	require.Less(t, loAtomic.risk, 101, "the Atomic processes have rows")
	require.Greater(t, loAtomic.risk, hiBenign.risk, "lowest Atomic %+v, highest benign %+v", loAtomic, hiBenign)

	// The figures, per scenario, for the reader.
	byHost := map[string]int{}
	for _, r := range allBenign {
		byHost[r.host] = max(byHost[r.host], r.risk)
	}
	for _, s := range benignScenarios {
		t.Logf("benign %-8s %-20s highest risk %3d  (%s)", s.host, s.class, byHost[s.host], s.reason)
	}
	sort.Slice(allAtomic, func(i, j int) bool { return allAtomic[i].risk > allAtomic[j].risk })
	for _, r := range allAtomic {
		t.Logf("atomic %-8s %-60s %-9s risk %3d", r.host, r.image, r.service, r.risk)
	}
	t.Logf("threshold %d: benign alerts 0 of %d scenarios; Atomic %d/4; lowest Atomic %d (%s) > highest benign %d (%s %s)",
		limit, len(benignScenarios), len(procs), loAtomic.risk, loAtomic.image, hiBenign.risk, hiBenign.host, hiBenign.image)

	// The labelled real corpus, where ../shared is beside the checkout:
	// every malicious process alerts, the benign one does not.
	t.Run("labelled corpus", func(t *testing.T) {
		input, dir := corpus(t)
		real := alerts(t, input, limit)
		f, err := os.Open(filepath.Join(dir, "labels.csv"))
		require.NoError(t, err)
		defer f.Close()
		labels, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err)
		lowest, malicious, labelled := 101, 0, 0
		for _, l := range labels[1:] {
			dataset, guid, image, verdict := l[0], strings.Trim(l[1], "{}"), l[2], l[6]
			hit := -1
			for _, r := range real {
				if strings.HasPrefix(r.host, dataset+"/") && strings.EqualFold(strings.Trim(r.guid, "{}"), guid) {
					hit = max(hit, r.risk)
				}
			}
			if verdict == "benign" {
				require.Equal(t, -1, hit, "%s %s (%s) raises no alert", dataset, guid, image)
				continue
			}
			labelled++
			require.GreaterOrEqual(t, hit, limit, "%s %s (%s) alerts", dataset, guid, image)
			malicious++
			lowest = min(lowest, hit)
			t.Logf("labelled malicious %-58s %-14s risk %3d", dataset, image, hit)
		}
		t.Logf("labelled malicious alerted: %d of %d; lowest risk %d; %d alert rows on %d events", malicious, labelled, lowest, len(real), len(input.Rows))
	})
}
