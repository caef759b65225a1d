package sysmon

import "testing"

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`<Event><System><EventID>1</EventID><Computer>h</Computer></System><EventData><Data Name='A'>x &amp; y</Data></EventData></Event>`))
	f.Add([]byte(`<Event><System><EventID>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := ParseEvent(raw)
		if err == nil && ev.Get("EventCode") != ev[0].Value {
			t.Fatalf("EventCode is the first field")
		}
	})
}
