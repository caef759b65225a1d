// Package appkg assembles the Splunk app from this project's source tree
// and writes it as an installable archive: a gzipped tar holding one folder
// named after the app's [package] id, with the same bytes for the same
// input (entries sorted, fixed times, a non-root owner (Owner, OwnerName),
// modes 755 for folders and executables, 644 for everything else).
//
// What goes where:
//
//	default/*.conf            → <id>/default/
//	default/data/...          → <id>/default/data/...
//	metadata/default.meta     → <id>/metadata/default.meta
//	app/README.md             → <id>/README.md (with the Binary File Declaration)
//	app/README/*.spec         → <id>/README/
//	app/lookups/*.csv         → <id>/lookups/
//	app/static/*              → <id>/static/
//	app/appserver/...         → <id>/appserver/...
//	<build>/<platform>/bin/*  → <id>/<platform>/bin/* (executable)
//
// Hidden files, local/ folders, local.meta and the user's own lookups
// (lookups/*_local.csv, splunkapp.LocalLookup) are never packaged: an
// upgrade replaces what the package ships.
package appkg

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/splunkapp"
)

// Platforms are Splunk's platform folders for compiled commands.
var Platforms = []string{"linux_x86_64", "windows_x86_64", "darwin_x86_64"}

// ErrLayout is wrapped by errors about the source tree.
var ErrLayout = errors.New("appkg: bad app layout")

// File is one file of the app.
type File struct {
	Name string // path inside the app folder, slash-separated
	Src  string // file on disk
	Exec bool   // mode 755 instead of 644
}

// The owner recorded on every entry: never root. Splunk installs an app by
// extracting it as the user splunkd runs as, which owns the files whatever
// the archive says; but an administrator who extracts it as root (onto a
// search head cluster's deployer, say) gets the archive's owners, and
// files owned by root are files splunkd, running as the "splunk" account
// Splunk's installation guides create, can neither replace on the next
// upgrade nor write lookups beside (outputlookup writes the alert's state
// and the user's own rows into lookups/). GNU tar, run as root, gives the
// files to the account named OwnerName when the host has one, and else to
// the numeric Owner, the conventional unprivileged "nobody" (65534).
const (
	OwnerName = "splunk"
	Owner     = 65534
)

// Epoch is the time stamped on every entry, so archives of the same input
// are identical.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Collect lists the app's files from the source tree at root and the
// cross-compiled binaries under build (build/<platform>/bin/...).
func Collect(root, build string) ([]File, error) {
	var files []File
	add := func(srcDir, dstDir string, exec bool, required bool) error {
		dir := filepath.Join(root, srcDir)
		if build != "" && strings.HasPrefix(srcDir, "\x00build/") {
			dir = filepath.Join(build, strings.TrimPrefix(srcDir, "\x00build/"))
		}
		if _, err := os.Stat(dir); err != nil {
			if !required && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("%w: %w", ErrLayout, err)
		}
		return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") && p != dir {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil // hidden files never ship
			}
			if d.IsDir() && name == "local" {
				return filepath.SkipDir // admin overrides never ship
			}
			if d.IsDir() || name == "local.meta" {
				return nil
			}
			if splunkapp.IsLocalLookup(name) && filepath.Base(filepath.Dir(p)) == "lookups" {
				return nil // the user's own rows: an upgrade must not replace them
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%w: %s is not a regular file", ErrLayout, p)
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, File{Name: path.Join(dstDir, filepath.ToSlash(rel)), Src: p, Exec: exec})
			return nil
		})
	}
	steps := []struct {
		src, dst       string
		exec, required bool
	}{
		{"default", "default", false, true},
		{"metadata", "metadata", false, true},
		{"app", "", false, true},
	}
	for _, s := range steps {
		if err := add(s.src, s.dst, s.exec, s.required); err != nil {
			return nil, err
		}
	}
	for _, p := range Platforms {
		if err := add("\x00build/"+p+"/bin", p+"/bin", true, true); err != nil {
			return nil, fmt.Errorf("%w (run make release first)", err)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for i := 1; i < len(files); i++ {
		if files[i].Name == files[i-1].Name {
			return nil, fmt.Errorf("%w: %s comes from both %s and %s", ErrLayout, files[i].Name, files[i-1].Src, files[i].Src)
		}
	}
	return files, nil
}

// AppConf reads one key of default/app.conf (the last one set, as Splunk
// reads it).
func AppConf(root, stanza, key string) (string, error) {
	f, err := splunkapp.ReadFile(filepath.Join(root, "default", "app.conf"))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrLayout, err)
	}
	if v, ok := splunkapp.Merge(f).Get(stanza, key); ok {
		return v, nil
	}
	return "", fmt.Errorf("%w: default/app.conf has no [%s] %s", ErrLayout, stanza, key)
}

// Write writes the archive of files under the folder id.
func Write(w io.Writer, id string, files []File) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// The gzip header carries no name and no time: same input, same bytes.
	tw := tar.NewWriter(zw)
	dirs := map[string]bool{}
	var dirList []string
	for _, f := range files {
		for d := path.Dir(path.Join(id, f.Name)); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			dirList = append(dirList, d)
		}
	}
	sort.Strings(dirList)
	hdr := func(name string, mode int64, size int64, typ byte) *tar.Header {
		return &tar.Header{Name: name, Mode: mode, Size: size, Typeflag: typ, ModTime: Epoch,
			Uid: Owner, Gid: Owner, Uname: OwnerName, Gname: OwnerName, Format: tar.FormatPAX}
	}
	// Folders first, then files, both sorted: extraction order and bytes are stable.
	for _, d := range dirList {
		if err := tw.WriteHeader(hdr(d+"/", 0o755, 0, tar.TypeDir)); err != nil {
			return err
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f.Src)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if f.Exec {
			mode = 0o755
		}
		if err := tw.WriteHeader(hdr(path.Join(id, f.Name), mode, int64(len(data)), tar.TypeReg)); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}
