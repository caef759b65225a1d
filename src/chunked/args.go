package chunked

import (
	"fmt"
	"strings"
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
