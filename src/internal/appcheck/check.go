package appcheck

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Level is how bad a finding is, as AppInspect grades them.
type Level string

// AppInspect's result levels.
const (
	Fail   Level = "failure"
	Warn   Level = "warning"
	Manual Level = "manual_check"
)

// Finding is one broken or noteworthy rule.
type Finding struct {
	Level Level
	Check string // the Name of the Rule that found it
	Msg   string
}

func (f Finding) String() string { return fmt.Sprintf("%s %s: %s", f.Level, f.Check, f.Msg) }

// App is an unpacked archive: files by path inside the app folder.
type App struct {
	ID       string
	RootMode int64 // mode of the app folder itself
	Files    map[string]*Entry
	confs    map[string]*Conf

	// What Open saw of the archive itself, for the rules of stage
	// archive: members outside the app folder, and the top-level names
	// (nil for an App not read from an archive).
	outside []string
	tops    []string
}

// Entry is one archive member.
type Entry struct {
	Name  string
	Mode  int64
	Dir   bool
	Data  []byte
	Owner int
}

// Open reads a .tgz or .spl app archive. Its findings are those of the
// rules that judge the archive itself (members outside the app folder,
// more than one top-level folder); [Check] runs the others.
func Open(r io.Reader) (*App, []Finding, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, fmt.Errorf("appcheck: not a gzip archive: %w", err)
	}
	tr := tar.NewReader(zr)
	app := &App{Files: map[string]*Entry{}, confs: map[string]*Conf{}, tops: []string{}}
	tops := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("appcheck: %w", err)
		}
		name := strings.TrimSuffix(path.Clean(h.Name), "/")
		if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "..") {
			app.outside = append(app.outside, name)
			continue
		}
		top, rest, _ := strings.Cut(name, "/")
		tops[top] = true
		if rest == "" {
			app.RootMode = h.Mode & 0o7777
			continue
		}
		data, err := readEntry(tr, h.Size)
		if err != nil {
			return nil, nil, fmt.Errorf("appcheck: %s: %w", name, err)
		}
		app.Files[rest] = &Entry{Name: rest, Mode: h.Mode & 0o7777, Dir: h.Typeflag == tar.TypeDir, Data: data, Owner: h.Uid}
	}
	for t := range tops {
		app.tops = append(app.tops, t)
	}
	sort.Strings(app.tops)
	if len(app.tops) > 0 {
		app.ID = app.tops[0] // with more than one, the first by name
	}
	var out []Finding
	v := newView(app, "")
	for _, r := range rules {
		if r.stage == archive {
			out = append(out, r.check(v)...)
		}
	}
	return app, out, nil
}

// readEntry reads a file of the archive, at most 256 MiB: size bytes read
// into a slice made for them (io.ReadAll would grow and copy it, twice the
// size of the largest binaries).
func readEntry(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > 256<<20 {
		return io.ReadAll(io.LimitReader(r, 256<<20))
	}
	data := make([]byte, size)
	_, err := io.ReadFull(r, data)
	return data, err
}

// Conf returns a parsed default/<name>, or nil if the app has none.
func (a *App) Conf(name string) *Conf {
	if c, ok := a.confs[name]; ok {
		return c
	}
	e, ok := a.Files["default/"+name]
	if !ok {
		return nil
	}
	c := ParseConf("default/"+name, e.Data)
	if a.confs == nil {
		a.confs = map[string]*Conf{}
	}
	a.confs[name] = c
	return c
}

// Rule is one check of the app. Name is the AppInspect check it stands
// for, or, where AppInspect has none, this package's own in the same
// style; every [Finding] of the rule carries it. Doc says in one line what
// the rule wants.
type Rule struct {
	Name string
	Doc  string

	stage stage
	run   func(v *appView, r *findings)
}

// stage is when a rule runs.
type stage int

const (
	// needsAppConf rules run only when the app has a default/app.conf:
	// without one, Check stops after the layout rules and
	// check_that_extracted_splunk_app_contains_default_app_conf_file.
	needsAppConf stage = iota
	// layout rules judge the files and their modes; they run whatever
	// the app holds.
	layout
	// archive rules judge how the archive unpacks; Open runs them.
	archive
)

// Rules returns every rule, sorted by name.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// RuleNamed returns the rule called name.
func RuleNamed(name string) (Rule, bool) {
	i := sort.Search(len(rules), func(i int) bool { return rules[i].Name >= name })
	if i < len(rules) && rules[i].Name == name {
		return rules[i], true
	}
	return Rule{}, false
}

// Run runs the rule on its own over a. specs is a folder of Splunk
// .conf.spec files, read only by check_conf_files_against_spec ("" skips
// the comparison, which is reported as a Manual finding).
func (r Rule) Run(a *App, specs string) []Finding {
	return r.check(newView(a, specs))
}

func (r Rule) check(v *appView) []Finding {
	rep := &findings{rule: r.Name}
	r.run(v, rep)
	return rep.out
}

// Check runs every rule but those Open runs, in the order of [Rules], and
// returns their findings, each rule's together. When the app has no
// default/app.conf, only the rules about its files and modes run, and
// check_that_extracted_splunk_app_contains_default_app_conf_file fails.
// specs is as for [Rule.Run].
func Check(a *App, specs string) []Finding {
	v := newView(a, specs)
	var out []Finding
	for _, r := range rules {
		if r.stage == archive || (r.stage == needsAppConf && v.appConf == nil) {
			continue
		}
		out = append(out, r.check(v)...)
	}
	return out
}

// findings collects the findings of one rule.
type findings struct {
	rule string
	out  []Finding
}

func (r *findings) add(l Level, format string, args ...any) {
	r.out = append(r.out, Finding{l, r.rule, fmt.Sprintf(format, args...)})
}

// appView is the app as the rules read it, loaded once for all of them: its
// paths in order, default/app.conf, the root README, the binaries, the
// parsed Simple XML files. The .conf files are parsed once by App.Conf.
type appView struct {
	*App
	specs   string
	names   []string // every path of the app, sorted
	appConf *Conf    // nil if the app has none
	readme  string   // the README files at the app root, run together
	bins    []binary // the files recognised as executables, by path
	ui      []uiFile // default/data/ui/**, by path
	views   map[string]bool
}

// binary is a compiled executable of the app.
type binary struct {
	name string
	kind string // ELF, PE or Mach-O
	*Entry
}

func newView(a *App, specs string) *appView {
	v := &appView{App: a, specs: specs, appConf: a.Conf("app.conf")}
	for n := range a.Files {
		v.names = append(v.names, n)
	}
	sort.Strings(v.names)
	for _, n := range v.names {
		e := a.Files[n]
		if !strings.Contains(n, "/") && strings.HasPrefix(strings.ToUpper(n), "README") && !e.Dir {
			v.readme += string(e.Data)
		}
		if kind := binaryKind(e.Data); kind != "" && !e.Dir {
			v.bins = append(v.bins, binary{n, kind, e})
		}
	}
	v.ui, v.views = loadUI(a, v.names)
	return v
}

// get returns a key of default/app.conf, "" if unset.
func (v *appView) get(stanza, key string) string {
	if v.appConf == nil {
		return ""
	}
	if s := v.appConf.Stanza(stanza); s != nil {
		val, _ := s.Get(key)
		return val
	}
	return ""
}
