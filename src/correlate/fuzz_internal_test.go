package correlate

import (
	"testing"

	"github.com/t1102app/t1102/src/chunked"
)

// FuzzReducePartials: any body arriving at the reduce phase merges without
// panicking and keeps the caps.
func FuzzReducePartials(f *testing.F) {
	// A map phase's partial row: the lists one value, an entry a line.
	f.Add("t1102c_host,t1102c_guid,t1102c_image,t1102c_conn,t1102c_dns,t1102c_capped,t1102c_start\nwks,abc,C:\\x.exe,\"1|1.2.3.4|x\n2|1.2.3.4|\",\"3|x|::ffff:1.2.3.4;\",1,0.5\n")
	f.Add("t1102c_guid,t1102c_dns\ng,nan|q|::ffff:1.2.3.4;\n")
	f.Fuzz(func(t *testing.T, body string) {
		var tab chunked.Table
		if tab.Parse([]byte(body)) != nil {
			return
		}
		lim := Limits{MaxGroups: 3, MaxTimes: 2}
		r := &reducer{limits: lim}
		if err := r.Add(&tab); err != nil {
			return
		}
		if len(r.groups) > lim.MaxGroups {
			t.Fatalf("%d groups past the cap", len(r.groups))
		}
		for _, g := range r.groups {
			// The reduce prunes a list once it passes this (see reducer.Add).
			if most := lim.MaxTimes + lim.MaxTimes/4 + 8; len(g.conns) > most || len(g.queries) > most {
				t.Fatalf("lists past the cap: %d, %d", len(g.conns), len(g.queries))
			}
		}
	})
}

func FuzzAnswersAndTimes(f *testing.F) {
	f.Add("::ffff:1.2.3.4;type:  5 cdn.example;2001:db8::1;", "2020-10-23 06:36:43.542")
	f.Fuzz(func(t *testing.T, results, ts string) {
		for _, a := range answers(results) {
			if normIP(a) != a {
				t.Fatalf("answer %q is not normalised", a)
			}
		}
		parseTime([]byte(ts))
	})
}

func TestWholeAnswers(t *testing.T) {
	var long string
	for len(long) < maxAnswerLen-6 {
		long += "::ffff:10.0.0.1;"
	}
	long += "::ffff:104.20.67.143;" // crosses the limit: "104.2" would be a valid, wrong address
	got := answers(wholeAnswers(long))
	for _, a := range got {
		if a != "10.0.0.1" {
			t.Fatalf("answer %q from a cut address", a)
		}
	}
	if len(got) == 0 || len(wholeAnswers(long)) > maxAnswerLen {
		t.Fatalf("%d answers, %d bytes", len(got), len(wholeAnswers(long)))
	}
	if wholeAnswers("::ffff:1.2.3.4;") != "::ffff:1.2.3.4;" {
		t.Fatal("a short value is kept whole")
	}
}

// FuzzStateRows: any state or baseline rows (a lookup an admin edited, a
// file cut short) are read or refused without panicking; what is read
// writes back and reads again to the same activity and pair.
func FuzzStateRows(f *testing.F) {
	f.Add("t1102s_host,t1102s_image,t1102s_cmd,t1102s_service,t1102s_hosts,t1102s_conns,t1102s_guids,t1102s_last\nWKS-1,C:\\a.exe,a.exe -x,telegram,api.telegram.org=3,1764000000.25;300;299.875,g1;g2,1764000600\n")
	f.Add("t1102f_identity,t1102f_service,t1102f_hosts,t1102f_first,t1102f_last\nc:\\a.exe|a.exe,github,e0123456789abcdef,1764000000,1764086400\n")
	f.Add("t1102f_identity,t1102f_service,t1102f_hosts,t1102f_first,t1102f_last\nx|,github,dzz,1,2\n")
	f.Add("t1102s_host,t1102s_service,t1102s_conns\nh,github,1e308;-5;nan\n")
	f.Fuzz(func(t *testing.T, body string) {
		var tab chunked.Table
		if tab.Parse([]byte(body)) != nil {
			return
		}
		var st states
		if err := st.add(&tab, 5); err != nil {
			t.Fatalf("add returns no error, it counts bad rows: %v", err)
		}
		if len(st.acts) > 5 {
			t.Fatalf("%d activities past max_groups", len(st.acts))
		}
		for _, a := range st.acts {
			for _, ts := range [][]float64{a.conns, a.queries} {
				back, err := parseTimes(appendTimes(nil, ts))
				if err != nil || len(back) != len(ts) {
					t.Fatalf("times %v do not round-trip: %v %v", ts, back, err)
				}
			}
		}
		for _, p := range st.pairs {
			back, err := parseSketch(appendSketch(nil, &p.hosts))
			if err != nil || !back.equal(&p.hosts) {
				t.Fatalf("sketch does not round-trip: %v", err)
			}
		}
	})
}
