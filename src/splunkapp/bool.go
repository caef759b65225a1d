package splunkapp

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotBool is wrapped by [ParseBool]'s error.
var ErrNotBool = errors.New("not a boolean")

// ParseBool parses a Splunk boolean as search command arguments and .conf
// settings write them: true/false, t/f, 1/0, yes/no, y/n, in any case,
// spaces around ignored (the spellings of Splunk's normalizeBoolean).
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "1", "yes", "y":
		return true, nil
	case "false", "f", "0", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("%q is %w (use true or false)", s, ErrNotBool)
}
