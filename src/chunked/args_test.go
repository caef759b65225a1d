package chunked

import "testing"

func TestQuoteArg(t *testing.T) {
	tests := []struct {
		name, value, want, reason string
	}{
		{"plain", "60", "f=60", "plain values stay as they are"},
		{"empty", "", `f=""`, "an empty value is quoted, else the argument would vanish"},
		{"space", "Process Image", `f="Process Image"`, "spaces would split"},
		{"pipe", "a|b", `f="a|b"`, "'|' would start another command"},
		{"quote", `a"b`, `f="a\"b"`, `'"' is escaped`},
		{"trailing backslash", `C:\x\`, `f="C:\x\\"`, "it would escape the closing quote"},
		{"regex", `\w+`, `f="\w+"`, "other backslashes are kept, as splunkd keeps them"},
		{"backslash quote", `\"`, `f="\\\""`, "both escaped"},
	}
	for _, tt := range tests {
		if got := QuoteArg("f", tt.value); got != tt.want {
			t.Errorf("%s: QuoteArg(%q) = %s, want %s (%s)", tt.name, tt.value, got, tt.want, tt.reason)
		}
	}
}
