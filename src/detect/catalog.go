package detect

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The files of a catalog, as the app ships them: lookups in
// <app>/lookups/ and the weights in <app>/default/t1102.conf, overridden key
// by key by <app>/local/t1102.conf. Users tune these, not the code.
const (
	WebServicesFile     = "t1102_webservices.csv"      // domain,category,provider,tags,raw_paths,source
	WebServicesLOTSFile = "t1102_webservices_lots.csv" // the same columns, built from the LOTS project
	ProcessesFile       = "t1102_processes.csv"        // name,class,original_file_name,description
	ParentsFile         = "t1102_parents.csv"          // name,class (office or service)
	AllowlistFile       = "t1102_allowlist.csv"        // host,user,process,path,pe_name,domain,comment
	ContextFile         = "t1102_context.csv"          // kind,process,path,parent_path,command_line,url,user,comment,source
	NotEvidenceFile     = "t1102_not_evidence.csv"     // domain,reason
	ConfFile            = "t1102.conf"
)

// CatalogFile returns the web-service lookup a catalog= argument names:
// "default" (WebServicesFile) or "lots" (WebServicesLOTSFile).
func CatalogFile(arg string) (string, error) {
	switch arg {
	case "default":
		return WebServicesFile, nil
	case "lots":
		return WebServicesLOTSFile, nil
	}
	return "", fmt.Errorf("catalog=%q: want default or lots", arg)
}

// ErrCatalog is wrapped by every catalog error: the catalog cannot be used.
var ErrCatalog = errors.New("bad catalog")

// ErrSkipped is wrapped by every catalog warning ([Catalog.Warnings]): a
// row of a lookup or a setting of t1102.conf was left out, and the rest of
// the catalog is used.
var ErrSkipped = errors.New("skipped")

var errRowSkipped = fmt.Errorf("row %w", ErrSkipped)

// CatalogError names the file and line of a catalog problem.
type CatalogError struct {
	File string
	Line int
	Err  error
}

func (e *CatalogError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *CatalogError) Unwrap() error { return e.Err }

// Service is one web-service catalog entry.
type Service struct {
	Domain   string
	Category string   // one of the original detection's ten, or another word
	Provider string   // who runs it ("Github", "Telegram", …)
	Tags     []string // LOTS tags: C&C, Download, Exfiltration, Phishing
	// RawPaths are URL path prefixes that serve raw content (a script or a
	// payload) on this host; "*" means every path.
	RawPaths []string
	// CommandPaths are the URL paths that exist to hand out commands or
	// payloads to programs (a Telegram bot's getUpdates, a paste's /raw/, a
	// Discord webhook or attachment), matched like RawPaths.
	CommandPaths []string
	Source       string // provenance of the entry
}

// Process is one process catalog entry.
type Process struct {
	Name             string // exact basename, lower case ("powershell.exe")
	Class            string // script_engine, lolbin, downloader, …
	OriginalFileName string // PE OriginalFileName, lower case ("powershell.exe", "pwsh.dll")
	Description      string // PE FileDescription, lower case ("windows powershell")
}

// Parent is one parent catalog entry.
type Parent struct {
	Name  string // exact basename, lower case
	Class string // "office" or "service"
}

// AllowRule allowlists events: every non-empty field must match (host and
// user exactly, ignoring case; process by exact basename; path as a [Glob]
// on Image; pe_name exactly on OriginalFileName), and every catalogued host
// the event names must fall under one of Domains, which is never empty: no
// rule allows every service.
type AllowRule struct {
	Host, User, Process, PEName, Comment string
	Path                                 *Glob    // nil: any path
	Domains                              []string // at least one
	Line                                 int
	Ref                                  string // "t1102_allowlist.csv:<line>", for reasons
}

// ContextRule is one row of the context lookup: ordinary software whose
// reach to a web service is expected (a package manager, an IT automation
// agent, a release download). A matching event keeps its row and its
// signals; its risk_score is lowered by the weight of the rule's kind. Every
// non-empty condition must match: process by exact basename, path and
// parent_path as [Glob]s on Image and ParentImage, command_line as a Glob
// on CommandLine, url as a Glob on each URL the command line fetches from a
// catalogued service (host and path, no scheme: all of them must match),
// user exactly, ignoring case. A rule must name a path, a parent path, a
// command line or a URL: a file name alone is anybody's to take.
type ContextRule struct {
	Kind                           string
	Process, User                  string
	Path, ParentPath, Command, URL *Glob
	Comment, Source                string
	Line                           int
	Ref                            string // "t1102_context.csv:<line>"
}

// Weights are the risk_score contributions, 0–100 each, summed and capped
// at 100 (default/t1102.conf [risk], [process_class] and [context]).
type Weights struct {
	Service, RawContent, CommandEndpoint, RenamedBinary, Encoded, OfficeParent, ServiceSpawn, CommandLineURL, TagCC int
	DownloadExecute, HiddenWindow, TempFile, UnexpectedPath                                                         int
	// Polling is added when t1102correlate found a process polling a
	// service regularly.
	Polling int
	// Class is the weight of each process class of the process catalog
	// (script_engine, lolbin, …): a LOLBin fetching remote content is rarer
	// and worse than a developer's interpreter doing so.
	Class map[string]int
	// Context is what each kind of the context lookup takes off.
	Context map[string]int
}

// Catalog is everything the detector is configured with.
type Catalog struct {
	Services    []Service
	Processes   []Process
	Parents     []Parent
	Allow       []AllowRule
	Context     []ContextRule
	NotEvidence []string // domains whose hosts name no specific service (reverse DNS of shared infrastructure)
	Weights     Weights
	Dir         string // where it was loaded from
	// Warnings are the rows and settings left out, each with its file,
	// line and cause (each wraps ErrSkipped): the commands show them on
	// every search, and t1102score check_config=true lists them.
	Warnings []*CatalogError
}

// LoadCatalog reads a catalog from an app folder: lookups from
// dir/lookups (or dir/app/lookups in this project's source tree), weights
// from dir/default/t1102.conf then dir/local/t1102.conf. services names the
// web-service lookup file (WebServicesFile or WebServicesLOTSFile).
// An empty dir is an error: the binary did not find its app folder, and
// the current directory (a search's dispatch folder) holds no catalog.
func LoadCatalog(dir, services string) (*Catalog, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: the app folder with the catalogs was not found", ErrCatalog)
	}
	lookups := filepath.Join(dir, "lookups")
	if _, err := os.Stat(filepath.Join(lookups, WebServicesFile)); err != nil {
		lookups = filepath.Join(dir, "app", "lookups")
	}
	c := &Catalog{Dir: dir}
	for _, load := range []struct {
		file string
		into func(string) error
	}{
		{services, c.loadServices}, {ProcessesFile, c.loadProcesses}, {ParentsFile, c.loadParents},
		{AllowlistFile, c.loadAllow}, {NotEvidenceFile, c.loadNotEvidence}, {ContextFile, c.loadContext},
	} {
		if err := load.into(filepath.Join(lookups, load.file)); err != nil {
			return nil, err
		}
	}
	defaults := filepath.Join(dir, "default", ConfFile)
	stanza := func(name string) (map[string]string, error) {
		kv := map[string]string{}
		if err := readConf(defaults, name, kv, true); err != nil {
			return nil, err
		}
		return kv, readConf(filepath.Join(dir, "local", ConfFile), name, kv, false)
	}
	risk, err := stanza("risk")
	if err != nil {
		return nil, err
	}
	if c.Weights, err = weightsFrom(risk, defaults); err != nil {
		return nil, err
	}
	// Every class and kind the lookups use needs its weight: a class
	// without one would silently weigh nothing.
	var classes, kinds []string
	for _, p := range c.Processes {
		classes = append(classes, p.Class)
	}
	for _, r := range c.Context {
		kinds = append(kinds, r.Kind)
	}
	for _, s := range []struct {
		name  string
		used  []string
		file  string
		table *map[string]int
	}{{"process_class", classes, ProcessesFile, &c.Weights.Class}, {"context", kinds, ContextFile, &c.Weights.Context}} {
		kv, err := stanza(s.name)
		if err != nil {
			return nil, err
		}
		if *s.table, err = weightTable(kv, s.name, s.used, s.file, defaults); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// MaxWarningTexts is how many warnings [Catalog.WarningTexts] spells out.
const MaxWarningTexts = 10

// WarningTexts returns the catalog's warnings as messages for a search,
// each naming its file and line, at most MaxWarningTexts of them and then
// one saying how many more there are and where they are all listed.
func (c *Catalog) WarningTexts() []string {
	var out []string
	for i, w := range c.Warnings {
		if i == MaxWarningTexts {
			out = append(out, fmt.Sprintf("%d more rows or settings were skipped: | t1102score check_config=true lists them all", len(c.Warnings)-i))
			break
		}
		out = append(out, w.Error())
	}
	return out
}

// FindAppDir returns the app folder of an executable: the nearest of its
// ancestors (at most three levels up: <app>/<platform>/bin/<exe> or
// <app>/bin/<exe>) that holds default/t1102.conf.
func FindAppDir(exe string) (string, error) {
	dir := filepath.Dir(exe)
	for i := 0; i < 3; i++ {
		dir = filepath.Dir(dir)
		if _, err := os.Stat(filepath.Join(dir, "default", ConfFile)); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: no default/%s above %s (is the binary inside the app's <platform>/bin folder?)", ErrCatalog, ConfFile, exe)
}

// lookupRule says what a lookup must hold to be used: the columns the
// detection reads (a missing one would silently weaken it: without
// raw_paths no URL serves raw content, without original_file_name no
// binary is renamed), and whether a file with no usable row is refused
// (no service or no process: detection would judge nothing) or is an
// ordinary empty list (the allowlist, context and not-evidence lookups only
// take away). One table: a new column or lookup is one line here.
type lookupRule struct {
	columns  []string
	needRows bool
}

var lookupRules = map[string]lookupRule{
	WebServicesFile:     {columns: []string{"domain", "category", "tags", "raw_paths", "command_paths"}, needRows: true},
	WebServicesLOTSFile: {columns: []string{"domain", "category", "tags", "raw_paths", "command_paths"}, needRows: true},
	ProcessesFile:       {columns: []string{"name", "class", "original_file_name", "description"}, needRows: true},
	ParentsFile:         {columns: []string{"name", "class"}, needRows: true},
	AllowlistFile:       {columns: []string{"host", "user", "process", "path", "pe_name", "domain"}},
	ContextFile:         {columns: []string{"kind", "process", "path", "parent_path", "command_line", "url", "user"}},
	NotEvidenceFile:     {columns: []string{"domain"}},
}

// table reads a CSV lookup whose header names at least the columns of its
// lookupRule, calling row with each record's fields by name and its line.
// A row that cannot be used (a CSV error, a field count other than the
// header's, or row's error) is skipped and recorded in c.Warnings with its
// line and cause: the rest of the file still judges. A file that cannot be
// used at all is an error: unreadable, a column missing, or no usable row
// where the lookupRule needs some.
func (c *Catalog) table(path string, row func(get func(string) string, line int) error) error {
	rule, ok := lookupRules[filepath.Base(path)]
	if !ok {
		return &CatalogError{File: path, Err: fmt.Errorf("%w: not a lookup of this app (no lookupRule)", ErrCatalog)}
	}
	f, err := os.Open(path)
	if err != nil {
		return &CatalogError{File: path, Err: fmt.Errorf("%w: %w", ErrCatalog, err)}
	}
	defer f.Close()
	r := csv.NewReader(skipBOM(bufio.NewReader(f)))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return &CatalogError{File: path, Line: 1, Err: fmt.Errorf("%w: header: %w", ErrCatalog, err)}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, w := range rule.columns {
		if _, ok := col[w]; !ok {
			return &CatalogError{File: path, Line: 1, Err: fmt.Errorf("%w: header has no column %q (want %s)", ErrCatalog, w, strings.Join(rule.columns, ","))}
		}
	}
	rows := 0
	var first *CatalogError // the first row skipped
	skip := func(line int, cause error) {
		w := &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: %w", errRowSkipped, cause)}
		c.Warnings = append(c.Warnings, w)
		if first == nil {
			first = w
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return &CatalogError{File: path, Err: fmt.Errorf("%w: %w", ErrCatalog, err)}
			}
			// The reader goes on after the record it could not parse (a
			// quote left open takes the rest of the file with it: the
			// message says where that record started).
			skip(pe.StartLine, pe.Err)
			continue
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			// Named before any column's check: a missing comma shifts
			// every later value, and a domain error would hide why.
			skip(line, fmt.Errorf("%d fields, the header has %d (a comma missing or too many; quote a value that holds a comma)", len(rec), len(header)))
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if err := row(get, line); err != nil {
			skip(line, err)
			continue
		}
		rows++
	}
	if rows == 0 && rule.needRows {
		if first != nil {
			return &CatalogError{File: path, Line: first.Line, Err: fmt.Errorf("%w: no usable row, every row skipped; the first: %w", ErrCatalog, first.Err)}
		}
		return &CatalogError{File: path, Err: fmt.Errorf("%w: no usable row: the detection would judge nothing", ErrCatalog)}
	}
	return nil
}

// skipBOM drops a UTF-8 byte order mark at the start of a file: Splunk
// reads confs and lookups saved with one (Windows editors write it), so
// this app does too, in every file.
func skipBOM(r *bufio.Reader) *bufio.Reader {
	if b, err := r.Peek(3); err == nil && string(b) == "\ufeff" {
		r.Discard(3)
	}
	return r
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkDomain validates a catalog domain; "*." in front is accepted and
// means the same as the bare domain (subdomains always match).
func checkDomain(d string) (string, error) {
	d = strings.TrimPrefix(strings.ToLower(d), "*.")
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", errors.New("empty domain")
	}
	if got := string(NormalizeHost(nil, []byte(d))); got != d || !strings.Contains(d, ".") && d != "localhost" {
		return "", fmt.Errorf("%q is not a domain name", d)
	}
	return d, nil
}

func (c *Catalog) loadServices(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		d, err := checkDomain(get("domain"))
		if err != nil {
			return err
		}
		cat := get("category")
		if cat == "" || strings.ContainsAny(cat, " ,;") {
			return fmt.Errorf("category %q: want one word", cat)
		}
		c.Services = append(c.Services, Service{Domain: d, Category: cat, Provider: get("provider"), Tags: splitList(get("tags")),
			RawPaths: splitList(get("raw_paths")), CommandPaths: splitList(get("command_paths")), Source: get("source")})
		return nil
	})
}

func (c *Catalog) loadProcesses(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		name := strings.ToLower(get("name"))
		if name == "" || strings.ContainsAny(name, `\/`) {
			return fmt.Errorf("name %q: want a file name without a path", name)
		}
		if get("class") == "" {
			return fmt.Errorf("process %q has no class", name)
		}
		c.Processes = append(c.Processes, Process{Name: name, Class: get("class"),
			OriginalFileName: strings.ToLower(get("original_file_name")), Description: strings.ToLower(get("description"))})
		return nil
	})
}

func (c *Catalog) loadParents(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		name, class := strings.ToLower(get("name")), get("class")
		if name == "" || strings.ContainsAny(name, `\/`) {
			return fmt.Errorf("name %q: want a file name without a path", name)
		}
		if class != "office" && class != "service" {
			return fmt.Errorf("class %q: want office or service", class)
		}
		c.Parents = append(c.Parents, Parent{Name: name, Class: class})
		return nil
	})
}

func (c *Catalog) loadAllow(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		r := AllowRule{Host: strings.ToLower(get("host")), User: strings.ToLower(get("user")),
			Process: strings.ToLower(get("process")), PEName: strings.ToLower(get("pe_name")), Comment: get("comment"), Line: line,
			Ref: AllowlistFile + ":" + strconv.Itoa(line)}
		for _, d := range splitList(get("domain")) {
			d, err := checkDomain(d)
			if err != nil {
				return err
			}
			r.Domains = append(r.Domains, d)
		}
		if len(r.Domains) == 0 {
			return errors.New("a rule without a domain would allow every service: name the domains (a;b) the program may reach")
		}
		if r.Host == "" && r.User == "" && r.Process == "" && get("path") == "" && r.PEName == "" {
			return errors.New("a rule with only a domain would allow every process that reaches it: name a host, user, process, path or pe_name")
		}
		if strings.ContainsAny(r.Process, `\/`) {
			return fmt.Errorf("process %q: want a file name without a path (put the path in the path column)", r.Process)
		}
		var err error
		if r.Path, err = optGlob("path", get("path")); err != nil {
			return err
		}
		c.Allow = append(c.Allow, r)
		return nil
	})
}

func (c *Catalog) loadContext(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		r := ContextRule{Kind: get("kind"), Process: strings.ToLower(get("process")), User: get("user"),
			Comment: get("comment"), Source: get("source"), Line: line, Ref: ContextFile + ":" + strconv.Itoa(line)}
		if r.Kind == "" || strings.ContainsAny(r.Kind, " ,;") {
			return fmt.Errorf("kind %q: want one word", r.Kind)
		}
		if strings.ContainsAny(r.Process, `\/`) {
			return fmt.Errorf("process %q: want a file name without a path (put the path in the path column)", r.Process)
		}
		var err error
		for _, g := range []struct {
			col string
			dst **Glob
		}{{"path", &r.Path}, {"parent_path", &r.ParentPath}, {"command_line", &r.Command}, {"url", &r.URL}} {
			if *g.dst, err = optGlob(g.col, get(g.col)); err != nil {
				return err
			}
		}
		if r.Path == nil && r.ParentPath == nil && r.Command == nil && r.URL == nil {
			return errors.New("a rule needs a path, parent_path, command_line or url: a file name or user alone is anybody's to take")
		}
		c.Context = append(c.Context, r)
		return nil
	})
}

// optGlob compiles a column's pattern; an empty column is no condition.
func optGlob(col, v string) (*Glob, error) {
	if v == "" {
		return nil, nil
	}
	g, err := CompileGlob(v)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", col, v, err)
	}
	return &g, nil
}

func (c *Catalog) loadNotEvidence(path string) error {
	return c.table(path, func(get func(string) string, line int) error {
		d, err := checkDomain(get("domain"))
		if err != nil {
			return err
		}
		c.NotEvidence = append(c.NotEvidence, d)
		return nil
	})
}

// readConf reads one stanza of a Splunk .conf file into kv (later files
// override earlier keys). A missing optional file is not an error.
func readConf(path, stanza string, kv map[string]string, required bool) error {
	f, err := os.Open(path)
	if err != nil {
		if !required && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return &CatalogError{File: path, Err: fmt.Errorf("%w: %w", ErrCatalog, err)}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, current := 0, ""
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "" || strings.HasPrefix(s, "#"):
		case strings.HasPrefix(s, "["):
			if !strings.HasSuffix(s, "]") {
				return &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: stanza %q not closed", ErrCatalog, s)}
			}
			current = strings.TrimSpace(s[1 : len(s)-1])
		default:
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				return &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: want key = value, got %q", ErrCatalog, s)}
			}
			if current == stanza {
				kv[strings.TrimSpace(k)] = strings.TrimSpace(v) + "\x00" + strconv.Itoa(line) + "\x00" + path
			}
		}
	}
	if err := sc.Err(); err != nil {
		return &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: %w", ErrCatalog, err)}
	}
	return nil
}

// weightsFrom turns the [risk] stanza into Weights; every weight must be
// set (the shipped default file is where defaults live) and within 0–100.
func weightsFrom(kv map[string]string, defaultPath string) (Weights, error) {
	var w Weights
	fields := []struct {
		key string
		dst *int
	}{
		{"service", &w.Service}, {"raw_content", &w.RawContent}, {"command_endpoint", &w.CommandEndpoint},
		{"renamed_binary", &w.RenamedBinary}, {"encoded", &w.Encoded}, {"office_parent", &w.OfficeParent},
		{"service_spawn", &w.ServiceSpawn}, {"command_line_url", &w.CommandLineURL}, {"tag_cc", &w.TagCC},
		{"download_execute", &w.DownloadExecute}, {"hidden_window", &w.HiddenWindow}, {"temp_file", &w.TempFile},
		{"unexpected_path", &w.UnexpectedPath}, {"polling", &w.Polling},
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.key] = true
		raw, ok := kv[f.key]
		if !ok {
			return w, &CatalogError{File: defaultPath, Err: fmt.Errorf("%w: [risk] has no %s", ErrCatalog, f.key)}
		}
		n, err := weight("risk", f.key, raw)
		if err != nil {
			return w, err
		}
		*f.dst = n
	}
	for k, raw := range kv {
		if !known[k] {
			_, line, path := splitConfValue(raw)
			return w, &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: [risk] has unknown key %q", ErrCatalog, k)}
		}
	}
	return w, nil
}

// weightTable reads a stanza of weights by name ([process_class],
// [context]); every name the lookup file uses must have one.
func weightTable(kv map[string]string, stanza string, used []string, file, defaultPath string) (map[string]int, error) {
	out := make(map[string]int, len(kv))
	for k, raw := range kv {
		n, err := weight(stanza, k, raw)
		if err != nil {
			return nil, err
		}
		out[k] = n
	}
	for _, u := range used {
		if _, ok := out[u]; !ok {
			return nil, &CatalogError{File: defaultPath, Err: fmt.Errorf("%w: %s uses %q, which has no weight in [%s]", ErrCatalog, file, u, stanza)}
		}
	}
	return out, nil
}

// weight parses one weight, a whole number from 0 to 100.
func weight(stanza, key, raw string) (int, error) {
	val, line, path := splitConfValue(raw)
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 || n > 100 {
		return 0, &CatalogError{File: path, Line: line, Err: fmt.Errorf("%w: [%s] %s = %q: want a whole number from 0 to 100", ErrCatalog, stanza, key, val)}
	}
	return n, nil
}

func splitConfValue(raw string) (val string, line int, path string) {
	parts := strings.SplitN(raw, "\x00", 3)
	line, _ = strconv.Atoi(parts[1])
	return parts[0], line, parts[2]
}
