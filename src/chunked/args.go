package chunked

import (
	"fmt"
	"strings"
)

// Arg is one search-time argument: name=value, or a bare word (Name empty).
type Arg struct {
	Name, Value string
}

// ParseArgs splits searchinfo.args at the first '=' of each element, as the
// Python SDK does. splunkd has already removed the user's quotes; an element
// that starts with '=' or has spaces around '=' (splunkd tokenises
// "a = b" as three words) is reported as an error naming it.
func ParseArgs(args []string) ([]Arg, error) {
	out := make([]Arg, 0, len(args))
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		switch {
		case !ok:
			out = append(out, Arg{Value: a})
		case name == "":
			return nil, fmt.Errorf("%w: %q has no name before '=' (write name=value, without spaces around '=')", ErrArgument, a)
		case strings.ContainsAny(name, " \t"):
			return nil, fmt.Errorf("%w: %q: a name cannot contain spaces", ErrArgument, a)
		default:
			out = append(out, Arg{Name: name, Value: value})
		}
	}
	return out, nil
}

// ParseBool parses a Splunk boolean: true/false, t/f, 1/0, yes/no, in any
// case (the spellings of Splunk's normalizeBoolean).
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "1", "yes", "y":
		return true, nil
	case "false", "f", "0", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean (use true or false)", ErrArgument, s)
}
