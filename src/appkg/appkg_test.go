package appkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tree makes a minimal source tree with binaries.
func tree(t *testing.T) (root, build string) {
	root, build = t.TempDir(), t.TempDir()
	files := map[string]string{
		"default/app.conf":        "[package]\nid = demo_app\n[launcher]\nversion = 1.2.3\n",
		"default/local/x.conf":    "never shipped",
		"metadata/default.meta":   "[]\n",
		"metadata/local.meta":     "never shipped",
		"app/README.md":           "# Binary File Declaration\n",
		"app/lookups/a.csv":       "a\n1\n",
		"app/lookups/a_local.csv": "the user's own rows: never shipped",
		"app/.DS_Store":           "never shipped",
		"app/static/appIcon.png":  "png",
	}
	for n, c := range files {
		p := filepath.Join(root, n)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(c), 0o600))
	}
	for _, p := range Platforms {
		name := "cmd"
		if p == "windows_x86_64" {
			name += ".exe"
		}
		path := filepath.Join(build, p, "bin", name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte("binary "+p), 0o700))
	}
	return root, build
}

func TestPackageLayoutAndReproducibility(t *testing.T) {
	root, build := tree(t)
	files, err := Collect(root, build)
	require.NoError(t, err)
	var a bytes.Buffer
	require.NoError(t, Write(&a, "demo_app", files))

	// Same input, other file times: the same bytes.
	later := time.Now().Add(time.Hour)
	for _, f := range files {
		require.NoError(t, os.Chtimes(f.Src, later, later))
	}
	var b bytes.Buffer
	require.NoError(t, Write(&b, "demo_app", files))
	require.Equal(t, a.Bytes(), b.Bytes(), "same input, same bytes")

	zr, err := gzip.NewReader(bytes.NewReader(a.Bytes()))
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	got := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.Equal(t, Epoch.Unix(), h.ModTime.Unix())
		require.Equal(t, [4]any{OwnerName, OwnerName, Owner, Owner}, [4]any{h.Uname, h.Gname, h.Uid, h.Gid}, "%s: never root", h.Name)
		require.NotZero(t, h.Uid)
		require.NotZero(t, h.Gid)
		got[h.Name] = h.Mode
	}
	require.Equal(t, map[string]int64{
		"demo_app/": 0o755, "demo_app/darwin_x86_64/": 0o755, "demo_app/darwin_x86_64/bin/": 0o755,
		"demo_app/default/": 0o755, "demo_app/linux_x86_64/": 0o755, "demo_app/linux_x86_64/bin/": 0o755,
		"demo_app/lookups/": 0o755, "demo_app/metadata/": 0o755, "demo_app/static/": 0o755,
		"demo_app/windows_x86_64/": 0o755, "demo_app/windows_x86_64/bin/": 0o755,
		"demo_app/README.md": 0o644, "demo_app/default/app.conf": 0o644, "demo_app/metadata/default.meta": 0o644,
		"demo_app/lookups/a.csv": 0o644, "demo_app/static/appIcon.png": 0o644,
		"demo_app/linux_x86_64/bin/cmd": 0o755, "demo_app/darwin_x86_64/bin/cmd": 0o755, "demo_app/windows_x86_64/bin/cmd.exe": 0o755,
	}, got, "hidden files, local/, local.meta and the user's own lookups stay out; modes are fixed")

	id, err := AppConf(root, "package", "id")
	require.NoError(t, err)
	require.Equal(t, "demo_app", id)
	_, err = AppConf(root, "package", "nope")
	require.ErrorIs(t, err, ErrLayout)
}

func TestCollectNeedsBinaries(t *testing.T) {
	root, _ := tree(t)
	_, err := Collect(root, t.TempDir())
	require.ErrorIs(t, err, ErrLayout)
	require.ErrorContains(t, err, "make release")
}
