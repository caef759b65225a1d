package backtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

// App is a Splunk app folder as the backtest reads it: default/ and local/
// macros.conf, transforms.conf, commands.conf and savedsearches.conf, and
// its lookups folder (lookups/, or app/lookups/ in this project's source
// layout).
type App struct {
	Dir  string // absolute path
	Name string // the folder's base name, sent as searchinfo.app

	macros, transforms, commands, saved *conf
}

// LoadApp reads the app's .conf files (default, then local key by key).
func LoadApp(dir string) (*App, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: app folder %s: %w", ErrConf, dir, err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: app folder %s is not a folder", ErrConf, dir)
	}
	a := &App{Dir: abs, Name: filepath.Base(abs)}
	for _, c := range []struct {
		dst  **conf
		name string
	}{{&a.macros, "macros.conf"}, {&a.transforms, "transforms.conf"}, {&a.commands, "commands.conf"}, {&a.saved, "savedsearches.conf"}} {
		if *c.dst, err = readConf(abs, c.name); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// LookupsDir is the app's own lookups folder: <app>/lookups, or
// <app>/app/lookups when only that exists (this project's layout); "" if
// neither does.
func (a *App) LookupsDir() string {
	for _, d := range []string{filepath.Join(a.Dir, "lookups"), filepath.Join(a.Dir, "app", "lookups")} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

var macroRef = regexp.MustCompile("`([^`]*)`")

// ExpandMacros replaces every `name` and `name(arg, ...)` with the
// definition of the macro [name] or [name(N)] (N arguments, named by its
// args key and written $arg$ in the definition), until none is left
// (Knowledge Manager Manual, "Use search macros in searches"; macros.conf.spec).
// Eval-based macros (iseval = 1) are refused.
func (a *App) ExpandMacros(q string) (string, error) {
	for i := 0; macroRef.MatchString(q); i++ {
		if i == 50 {
			return "", fmt.Errorf("%w: macros expand to macros without end", ErrConf)
		}
		var err error
		q = macroRef.ReplaceAllStringFunc(q, func(m string) string {
			if err != nil {
				return m
			}
			var def string
			def, err = a.macro(strings.Trim(m, "`"))
			return def
		})
		if err != nil {
			return "", err
		}
	}
	return q, nil
}

func (a *App) macro(call string) (string, error) {
	name, args := strings.TrimSpace(call), []string(nil)
	if open := strings.IndexByte(name, '('); open >= 0 && strings.HasSuffix(name, ")") {
		inner := name[open+1 : len(name)-1]
		name = strings.TrimSpace(name[:open])
		for _, x := range strings.Split(inner, ",") {
			args = append(args, strings.Trim(strings.TrimSpace(x), `"`))
		}
	}
	stanza := name
	if args != nil {
		stanza = fmt.Sprintf("%s(%d)", name, len(args))
	}
	s, ok := a.macros.stanza(stanza)
	if !ok {
		return "", fmt.Errorf("%w: macro `%s`: no [%s] in macros.conf", ErrConf, call, stanza)
	}
	if v := s["iseval"]; v == "1" || strings.EqualFold(v, "true") {
		return "", fmt.Errorf("%w: macro `%s` is an eval-based macro (iseval = %s)", ErrUnsupported, call, v)
	}
	def, ok := s["definition"]
	if !ok {
		return "", fmt.Errorf("%w: macro `%s` has no definition", ErrConf, call)
	}
	if args != nil {
		names := strings.Split(s["args"], ",")
		if len(names) != len(args) {
			return "", fmt.Errorf("%w: macro `%s`: args = %q names %d arguments, the call gives %d", ErrConf, call, s["args"], len(names), len(args))
		}
		for i, n := range names {
			def = strings.ReplaceAll(def, "$"+strings.TrimSpace(n)+"$", args[i])
		}
	}
	return def, nil
}

// CommandNames lists the custom commands of commands.conf, sorted.
func (a *App) CommandNames() []string {
	names := append([]string(nil), a.commands.order...)
	sort.Strings(names)
	return names
}

// commandArgv resolves a custom command as splunkd does for a chunked
// command (commands.conf.spec: filename, default the stanza name; looked
// for in <app>/<platform>/bin, then <app>/bin, with .exe on Windows), with
// command.arg.N appended in order. ok is false when the app has no such
// command.
func (a *App) commandArgv(name string) (argv []string, ok bool, err error) {
	s, ok := a.commands.stanza(name)
	if !ok || name == "default" {
		return nil, false, nil
	}
	if v := s["chunked"]; !strings.EqualFold(v, "true") && v != "1" {
		return nil, true, fmt.Errorf("%w: command %s is not chunked = true (protocol v1 commands are not run)", ErrUnsupported, name)
	}
	file := s["filename"]
	if file == "" {
		file = name
		if runtime.GOOS == "windows" {
			file += ".exe"
		}
	}
	platform := map[string]string{"linux": "linux_x86_64", "darwin": "darwin_x86_64", "windows": "windows_x86_64"}[runtime.GOOS]
	var tried []string
	for _, dir := range []string{filepath.Join(a.Dir, platform, "bin"), filepath.Join(a.Dir, "bin")} {
		p := filepath.Join(dir, file)
		tried = append(tried, p)
		if st, statErr := os.Stat(p); statErr == nil && !st.IsDir() {
			argv = []string{p}
			break
		} else if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
			return nil, true, fmt.Errorf("%w: command %s: %w", ErrCommand, name, statErr)
		}
	}
	if argv == nil {
		return nil, true, fmt.Errorf("%w: command %s: no executable (tried %s; run make build, or give its path)", ErrCommand, name, strings.Join(tried, ", "))
	}
	return append(argv, commandArgs(s)...), true, nil
}

// commandArgs returns command.arg.1, command.arg.2, ... in order.
func commandArgs(s map[string]string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := s[fmt.Sprintf("command.arg.%d", i)]
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// lookupFile resolves a lookup name as inputlookup and outputlookup do: a
// transforms.conf stanza with filename = x.csv, or a file name ending in
// .csv or .csv.gz (Search Reference, inputlookup and outputlookup,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/inputlookup).
// Only CSV lookups are supported; KV store and external lookups are
// refused.
func (a *App) lookupFile(name string) (string, error) {
	if s, ok := a.transforms.stanza(name); ok {
		if s["external_type"] != "" || s["collection"] != "" || s["external_cmd"] != "" {
			return "", fmt.Errorf("%w: lookup %s is not a CSV file lookup", ErrUnsupported, name)
		}
		f := s["filename"]
		if f == "" {
			return "", fmt.Errorf("%w: lookup %s: transforms.conf [%s] has no filename", ErrLookup, name, name)
		}
		return checkLookupName(f)
	}
	if strings.HasSuffix(name, ".csv") {
		return checkLookupName(name)
	}
	if strings.HasSuffix(name, ".csv.gz") {
		return "", fmt.Errorf("%w: lookup %s: gzip-compressed lookups are not supported", ErrUnsupported, name)
	}
	return "", fmt.Errorf("%w: lookup %s: no transforms.conf stanza of that name, and not a .csv file name", ErrLookup, name)
}

func checkLookupName(f string) (string, error) {
	if f != filepath.Base(f) || f == "." || f == ".." || strings.ContainsAny(f, `/\`) {
		return "", fmt.Errorf("%w: lookup file %q must be a plain file name", ErrLookup, f)
	}
	return f, nil
}
