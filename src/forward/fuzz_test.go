package forward

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
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

// FuzzReadResults: any results file reads or fails naming where, and
// what it reads becomes events that encode (the spool's JSON lines).
func FuzzReadResults(f *testing.F) {
	f.Add("a,b,__mv_b\n1,\"x\ny\",$x$;$y$\n")
	f.Add("a\n\"open\n")
	f.Add("_time,host\ninf,h\nNaN,h\n-1e400,h\n")
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
			if !strings.Contains(err.Error(), "results.csv.gz") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		for _, ev := range Events(&Payload{SearchName: "s"}, rs) {
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("event does not encode: %v", err)
			}
			if ev.ID == "" {
				t.Fatal("event without id")
			}
		}
	})
}
