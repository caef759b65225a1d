package splunkapp

import "strings"

// localSuffix ends the name of a lookup that holds the user's own rows.
const localSuffix = "_local.csv"

// LocalLookup returns the name of the user's own lookup beside a shipped
// one: "t1102_allowlist.csv" → "t1102_allowlist_local.csv". The package
// never ships it (see the package documentation): the commands read it
// with the shipped file when it exists, the same columns, the same checks.
func LocalLookup(shipped string) string {
	return strings.TrimSuffix(shipped, ".csv") + localSuffix
}

// IsLocalLookup reports whether a lookup file name is a user's own
// ([LocalLookup]): a file the package must not ship.
func IsLocalLookup(name string) bool {
	return strings.HasSuffix(name, localSuffix)
}
