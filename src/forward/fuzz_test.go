package forward

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadPayload: any stdin decodes or fails cleanly, and the session key
// never shows in an error.
func FuzzReadPayload(f *testing.F) {
	f.Add([]byte(`{"app":"a","session_key":"zz-key-zz","configuration":{"url":"https://x","batch_size":5,"n":null},"result":{"a":["1","2"]}}`))
	f.Add([]byte(`{"session_key":`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ReadPayload(bytes.NewReader(in))
		if err != nil {
			if strings.Contains(err.Error(), "zz-key-zz") {
				t.Fatalf("session key in an error: %v", err)
			}
			return
		}
		if _, err := ParseConfig(p.Configuration); err != nil && strings.Contains(err.Error(), "zz-key-zz") {
			t.Fatalf("session key in an error: %v", err)
		}
	})
}

// FuzzReadResults: any results file reads or fails with its row.
func FuzzReadResults(f *testing.F) {
	f.Add("a,b,__mv_b\n1,\"x\ny\",$x$;$y$\n")
	f.Add("a\n\"open\n")
	f.Fuzz(func(t *testing.T, csv string) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write([]byte(csv))
		zw.Close()
		path := filepath.Join(t.TempDir(), "results.csv.gz")
		if err := os.WriteFile(path, z.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		rs, err := ReadResults(path)
		if err != nil {
			return
		}
		for _, r := range rs {
			if EventID("s", r) != EventID("s", r) {
				t.Fatal("ids are not stable")
			}
		}
	})
}
