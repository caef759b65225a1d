package chunked

import (
	"fmt"
	"strings"

	"github.com/t1102app/t1102/src/splunkapp"
)

// Arg is one search-time argument, name=value.
type Arg struct {
	Name, Value string
}

// ParseArgs splits searchinfo.args at the first '=' of each element, as the
// Python SDK does. splunkd has already removed the user's quotes. The
// product's commands take options only, each at most once, so a bare word,
// an element that starts with '=' or has spaces around '=' (splunkd
// tokenises "a = b" as three words), and a name given twice are errors
// naming the element.
func ParseArgs(args []string) ([]Arg, error) {
	out := make([]Arg, 0, len(args))
	for i, a := range args {
		name, value, ok := strings.Cut(a, "=")
		switch {
		case !ok && (i+1 < len(args) && strings.HasPrefix(args[i+1], "=") || i > 0 && strings.HasSuffix(args[i-1], "=")):
			return nil, fmt.Errorf("%w: %q: write name=value, without spaces around '='", ErrArgument, a)
		case !ok:
			return nil, fmt.Errorf("%w: unexpected %q (options are name=value)", ErrArgument, a)
		case name == "":
			return nil, fmt.Errorf("%w: %q has no name before '=' (write name=value, without spaces around '=')", ErrArgument, a)
		case strings.ContainsAny(name, " \t"):
			return nil, fmt.Errorf("%w: %q: a name cannot contain spaces", ErrArgument, a)
		}
		for _, prev := range out[:i] {
			if prev.Name == name {
				return nil, fmt.Errorf("%w: %s given twice", ErrArgument, name)
			}
		}
		out = append(out, Arg{Name: name, Value: value})
	}
	return out, nil
}

// ParseBool parses a Splunk boolean argument (splunkapp.ParseBool: true/
// false, t/f, 1/0, yes/no, y/n, in any case); its error wraps ErrArgument.
func ParseBool(s string) (bool, error) {
	b, err := splunkapp.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrArgument, err)
	}
	return b, nil
}

// QuoteArg writes name=value as an SPL argument that splunkd tokenises
// back into the searchinfo.args element name=value: for a command to put
// its own arguments into SPL it emits, such as a streaming_preop. A value
// of letters, digits and _ . : / - + * @ is written as it is; any other
// value is double-quoted, so spaces do not split it and '|' does not end
// the command (an unquoted '|' on a real splunkd starts the next command
// of the pipeline). Inside the quotes '"' is written \" and a backslash
// is doubled where it precedes '"', another backslash or the closing
// quote; other backslashes stay as they are, as in pattern="\w+" (the
// protocol notes §3.1).
func QuoteArg(name, value string) string {
	if value != "" && strings.IndexFunc(value, func(r rune) bool { return !splPlain(r) }) < 0 {
		return name + "=" + value
	}
	var b strings.Builder
	b.Grow(len(name) + len(value) + 4)
	b.WriteString(name)
	b.WriteString(`="`)
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\' && (i+1 == len(value) || value[i+1] == '"' || value[i+1] == '\\'):
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func splPlain(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("_.:/-+*@", r)
}
