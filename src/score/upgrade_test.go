package score_test

// The upgrade walk-through: install the packaged app, tune it, install the
// next version over it, and check what the detection then does.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/t1102app/t1102/src/appkg"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/splunkd"
)

// upgradeEvents: a sync tool the user trusts, querying GitHub's raw content
// host (a shipped service), and an implant querying a paste site the next
// version's catalog adds.
func upgradeEvents() *splunkd.Table {
	return splunkd.TableOf([]string{"EventCode", "ProcessId", "Image", "QueryName"}, [][]string{
		{"22", "100", `C:\Tools\sync\synctool.exe`, "raw.githubusercontent.com"},
		{"22", "200", `C:\Users\Public\upd.exe`, "notes.newpaste.io"},
	})
}

const (
	tunedRow = `,,synctool.exe,C:\Tools\sync\synctool.exe,,githubusercontent.com,our own sync tool (tuned by the user)`
	newRow   = "newpaste.io,pastebin,NewPaste,C&C,/raw/,,added in the next version"
)

// TestUpgradeKeepsTuning walks through a standalone upgrade as Splunk does
// it ("Install app from file" with "Upgrade app", or splunk install app
// -update 1): the new package is extracted over the installed app folder,
// replacing every file it ships and leaving the others. The user's rows
// live in t1102_allowlist_local.csv, which no package ships: they survive,
// and the new version's catalog row arrives; the real t1102score, run by
// the emulator from its place in the installed app (it finds its catalogs
// from its own path), honours both. The same tuning written into the
// shipped t1102_allowlist.csv, as users did before, is lost.
func TestUpgradeKeepsTuning(t *testing.T) {
	home := t.TempDir() // $SPLUNK_HOME
	apps := filepath.Join(home, "etc", "apps")
	app := filepath.Join(apps, "t1102_detection")

	// Version N: the source tree as it is.
	srcN := sourceCopy(t, nil)
	install(t, apps, buildPackage(t, srcN), false)
	before := scoreInstalled(t, app)
	require.Equal(t, "github", before["100"]["is_legit_webservice"], "N: the sync tool reaches a catalogued service")
	require.Empty(t, before["100"]["t1102_allowlisted"], "N: not allowlisted yet")
	require.Empty(t, before["200"]["is_legit_webservice"], "N: the new paste site is not catalogued yet")

	// The user tunes: a row in their own file (outputlookup, Settings >
	// Lookups or the Lookup Editor write it into the app's lookups/).
	local := filepath.Join(app, "lookups", detect.AllowlistLocalFile)
	allowHeader := firstLine(t, filepath.Join(app, "lookups", detect.AllowlistFile))
	require.NoError(t, os.WriteFile(local, []byte(allowHeader+"\n"+tunedRow+"\n"), 0o644))
	// ... and, the old way, the same row in the shipped file.
	shipped := filepath.Join(app, "lookups", detect.AllowlistFile)
	appendFile(t, shipped, tunedRow+"\n")
	tuned := scoreInstalled(t, app)
	require.Equal(t, "1", tuned["100"]["t1102_allowlisted"], "the tuning takes effect")

	// Version N+1: a new shipped catalog row, a new version number.
	srcN1 := sourceCopy(t, map[string]func(string) string{
		"app/lookups/" + detect.WebServicesFile: func(s string) string { return s + newRow + "\n" },
		"default/app.conf":                      func(s string) string { return strings.ReplaceAll(s, "version = ", "version = 9") },
	})
	install(t, apps, buildPackage(t, srcN1), false)

	got, err := os.ReadFile(local)
	require.NoError(t, err)
	require.Contains(t, string(got), tunedRow, "the user's own file survives the upgrade untouched")
	require.NotContains(t, readFile(t, shipped), tunedRow, "the shipped allowlist is the new version's: tuning written there is gone")
	require.Contains(t, readFile(t, filepath.Join(app, "lookups", detect.WebServicesFile)), newRow, "the new shipped row arrived")
	version := readFile(t, filepath.Join(app, "default", "app.conf"))
	require.Contains(t, version, "version = 9", "N+1 is installed")

	after := scoreInstalled(t, app)
	require.Equal(t, "1", after["100"]["t1102_allowlisted"], "N+1 still honours the user's row")
	require.Contains(t, after["100"]["t1102_reasons"], detect.AllowlistLocalFile+":2", "and names it")
	require.Equal(t, "pastebin", after["200"]["is_legit_webservice"], "N+1 detects the service its new catalog row names")
	require.Equal(t, "newpaste.io", after["200"]["t1102_domain"])
}

// TestPreservingUpgradeKeepsTuning: a search head cluster push with
// -preserve-lookups true (or Splunk Cloud keeping the installed lookups)
// leaves every lookup already on the member as it was. The user's file
// survives that too; the shipped catalog then stays at the old version,
// which is why the app's app.conf asks the deployer to overwrite the
// lookups it ships (deployer_lookups_push_mode = always_overwrite).
func TestPreservingUpgradeKeepsTuning(t *testing.T) {
	apps := filepath.Join(t.TempDir(), "etc", "apps")
	app := filepath.Join(apps, "t1102_detection")
	install(t, apps, buildPackage(t, sourceCopy(t, nil)), false)
	local := filepath.Join(app, "lookups", detect.AllowlistLocalFile)
	allowHeader := firstLine(t, filepath.Join(app, "lookups", detect.AllowlistFile))
	require.NoError(t, os.WriteFile(local, []byte(allowHeader+"\n"+tunedRow+"\n"), 0o644))

	install(t, apps, buildPackage(t, sourceCopy(t, map[string]func(string) string{
		"app/lookups/" + detect.WebServicesFile: func(s string) string { return s + newRow + "\n" },
	})), true)
	require.Contains(t, readFile(t, local), tunedRow, "the user's own file survives")
	require.NotContains(t, readFile(t, filepath.Join(app, "lookups", detect.WebServicesFile)), newRow, "preserved: the old catalog stays")
	conf := readFile(t, filepath.Join(app, "default", "app.conf"))
	require.Contains(t, conf, "deployer_lookups_push_mode = always_overwrite", "the shipped app.conf asks the deployer to replace the catalogs")
	after := scoreInstalled(t, app)
	require.Equal(t, "1", after["100"]["t1102_allowlisted"])
}

// sourceCopy copies the source tree's app parts (default/, metadata/, app/)
// into a new folder, each file named in edits changed by its function.
func sourceCopy(t *testing.T, edits map[string]func(string) string) string {
	t.Helper()
	dst := t.TempDir()
	for _, top := range []string{"default", "metadata", "app"} {
		err := filepath.WalkDir(filepath.Join(repo, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(repo, p)
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if edit, ok := edits[filepath.ToSlash(rel)]; ok {
				data = []byte(edit(string(data)))
			}
			out := filepath.Join(dst, rel)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			return os.WriteFile(out, data, 0o644)
		})
		require.NoError(t, err)
	}
	return dst
}

// buildPackage builds the app archive of a source tree with appkg, as make
// package does, with the real t1102score (this host's build) as the Linux
// search command and placeholders for the other binaries.
func buildPackage(t *testing.T, src string) []byte {
	t.Helper()
	build := t.TempDir()
	bin, err := os.ReadFile(scoreBin)
	require.NoError(t, err)
	for _, p := range appkg.Platforms {
		dir := filepath.Join(build, p, "bin")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		data := []byte("placeholder")
		if p == "linux_x86_64" {
			data = bin
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "t1102score"), data, 0o755))
	}
	files, err := appkg.Collect(src, build)
	require.NoError(t, err)
	id, err := appkg.AppConf(src, "package", "id")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, appkg.Write(&b, id, files))
	return b.Bytes()
}

// install extracts a package into the apps folder over what is there: each
// file of the package replaces the installed one, files the package does
// not have stay (Splunk's standalone upgrade). preserveLookups leaves
// lookups that already exist as they are (-preserve-lookups true).
func install(t *testing.T, apps string, pkg []byte, preserveLookups bool) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(pkg))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
		p := filepath.Join(apps, filepath.FromSlash(h.Name))
		require.True(t, strings.HasPrefix(p, apps+string(filepath.Separator)), "entry %s outside the apps folder", h.Name)
		if h.Typeflag == tar.TypeDir {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		if preserveLookups && filepath.Base(filepath.Dir(p)) == "lookups" && fileExists(p) {
			continue
		}
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, data, os.FileMode(h.Mode)))
		require.NoError(t, os.Chmod(p, os.FileMode(h.Mode)))
	}
}

// scoreInstalled runs the installed app's own t1102score through the
// emulator, without -app-dir: the binary finds its app from its path, as
// splunkd runs it. The result is each event's fields by ProcessId.
func scoreInstalled(t *testing.T, app string) map[string]map[string]string {
	t.Helper()
	res, err := splunkd.Run(context.Background(), splunkd.Search{
		Argv: []string{filepath.Join(app, "linux_x86_64", "bin", "t1102score")}, Input: upgradeEvents(), Collect: true,
	})
	require.NoError(t, err)
	for _, m := range res.Messages {
		require.NotEqual(t, "WARN", m.Level, "no row or setting skipped: %s", m.Text)
	}
	out := map[string]map[string]string{}
	for i := range res.Table.Rows {
		row := map[string]string{}
		for _, f := range []string{"is_legit_webservice", "t1102_allowlisted", "t1102_domain", "risk_score"} {
			row[f] = first(res.Table.Get(i, f))
		}
		reasons := res.Table.Get(i, "t1102_reasons")
		row["t1102_reasons"] = strings.Join(reasons, "\n")
		out[first(res.Table.Get(i, "ProcessId"))] = row
	}
	return out
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

func firstLine(t *testing.T, p string) string {
	line, _, _ := strings.Cut(readFile(t, p), "\n")
	return strings.TrimSuffix(line, "\r")
}

func appendFile(t *testing.T, p, text string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
