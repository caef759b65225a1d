package splunkapp

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret is a credential: a session key, a token. Nothing that prints or
// encodes it shows the value: fmt with any verb, JSON, encoding.TextMarshaler
// users and log/slog all see "[redacted]". Reveal returns the value for the
// one place that sends it. Do not use it as a map key: encoding/json writes
// the keys of a map with a string key type as they are.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string { return redacted }

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return strconv.Quote(redacted) }

// Format redacts the secret for every verb, %d and %x included (fmt would
// otherwise print a string type's bytes for verbs String does not serve).
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		io.WriteString(f, strconv.Quote(redacted))
	case 'v':
		if f.Flag('#') {
			io.WriteString(f, s.GoString())
			return
		}
		io.WriteString(f, redacted)
	default:
		io.WriteString(f, redacted)
	}
}

// MarshalJSON redacts the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(redacted)), nil }

// MarshalText redacts the secret (encoding/xml, map keys, text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue redacts the secret in log/slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
