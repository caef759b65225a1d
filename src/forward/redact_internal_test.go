package forward

import (
	"strings"
	"testing"
)

// TestRedact: what a receiver's text may keep and what it may not.
func TestRedact(t *testing.T) {
	const tok = "0d6c9b1e-4f2a-4c8e-9d1b-7a5e3c2f1b0a"
	for _, tt := range []struct {
		name, reason string
		body         string
		secrets      []string
		gone, kept   []string
	}{
		{"exact token", "the request's own token, anywhere", `{"echo":"` + tok + `"}`, []string{tok}, []string{tok}, []string{`"echo"`}},
		{"json-escaped", "a token with characters JSON escapes", `{"t":"a\"b\u003cc-1234"}`, []string{`a"b<c-1234`}, []string{`a\"b\u003cc-1234`}, []string{`"t"`}},
		{"url-escaped", "a token echoed from a query string", "got token%3D" + "ab%2Fcd1234", []string{"ab/cd1234"}, []string{"ab%2Fcd1234"}, []string{"got"}},
		{"cut by the read limit", "the body's last bytes are a token's start", "denied for " + tok[:20], []string{tok}, []string{tok[:20], tok[:5]}, []string{"denied for"}},
		{"unknown bearer", "a bearer token this run did not send", "Authorization failed for Bearer eyJhbGciOi.eyJzdWIi.sig", nil, []string{"eyJhbGciOi"}, []string{"Bearer"}},
		{"header line", "a dumped request's header", "Authorization: Basic dXNlcjpwYXNz\r\nHost: x", nil, []string{"dXNlcjpwYXNz"}, []string{"Host: x"}},
		{"key and value", "a JSON field that names a credential", `{"session_key":"abc","code":4}`, nil, []string{"abc"}, []string{`"code":4`}},
		{"HEC's own answers", "ordinary text stays readable", `{"text":"Invalid token","code":4} Splunk Enterprise`, nil, nil, []string{`{"text":"Invalid token","code":4} Splunk Enterprise`}},
		{"splunk scheme", "HEC's scheme word with a token after it", "Splunk " + tok, nil, []string{tok}, []string{"Splunk"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.reason == "" {
				t.Fatal("a case needs a reason")
			}
			got := redact(tt.body, tt.secrets...)
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("%s: %q still holds %q", tt.reason, got, g)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("%s: %q lost %q", tt.reason, got, k)
				}
			}
		})
	}
	long := strings.Repeat("é", 200) // 400 bytes
	if got := redact(long); len(got) > maxQuoted+len("…") || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("cut at a character boundary to %d bytes: %d bytes, %q", maxQuoted, len(got), got[len(got)-8:])
	}
}
