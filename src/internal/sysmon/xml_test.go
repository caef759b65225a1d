package sysmon

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadEvents(t *testing.T) {
	in := `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>22</EventID><TimeCreated SystemTime='2020-10-23T02:36:43.547Z'/><Computer>WKS5</Computer></System><EventData><Data Name='QueryName'>raw.githubusercontent.com</Data><Data Name='QueryResults'>::ffff:185.199.108.133;</Data><Data Name='Image'>C:\x\a&amp;b.exe</Data><Data Name='Empty'></Data><Data Name='Quote'>say "hi" &apos;x&apos;</Data></EventData></Event>

<Event><System><EventID>1</EventID></System></Event>
`
	evs, err := ReadEvents(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, "22", evs[0].Get("EventCode"))
	require.Equal(t, "WKS5", evs[0].Get("host"))
	require.Equal(t, `C:\x\a&b.exe`, evs[0].Get("Image"), "entities decoded")
	require.Equal(t, `say "hi" 'x'`, evs[0].Get("Quote"))
	require.Equal(t, "", evs[0].Get("Empty"))
	require.Equal(t, "1", evs[1].Get("EventCode"))

	_, err = ReadEvents(strings.NewReader("<Event><System>\n"))
	require.ErrorIs(t, err, ErrEvent)
	require.ErrorContains(t, err, "line 1")
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	ev := "<Event><System><EventID>3</EventID></System></Event>\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.xml"), []byte(ev+ev), 0o644))
	f, err := os.Create(filepath.Join(dir, "a.xml.gz"))
	require.NoError(t, err)
	zw := gzip.NewWriter(f)
	_, err = zw.Write([]byte(ev))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.xml.bak"), []byte("not events"), 0o644))

	ds, err := ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ds, 2, "c.xml.bak is not a dataset")
	require.Equal(t, "a", ds[0].Name, "gzipped, and in name order")
	require.Len(t, ds[0].Events, 1)
	require.Equal(t, "b", ds[1].Name)
	require.Len(t, ds[1].Events, 2)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "d.xml"), []byte("<Event><System>\n"), 0o644))
	_, err = ReadDir(dir)
	require.ErrorIs(t, err, ErrEvent)
	require.ErrorContains(t, err, "d.xml", "the error names the file")
}
