package detect

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/splunkapp"
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

// The user's own rows, in lookups the app does not ship
// (splunkapp.LocalLookup of the shipped name): read with the shipped file
// when they exist, the same columns and checks, so that tuning lives apart
// from the catalogs an upgrade replaces. See LoadCatalog.
const (
	WebServicesLocalFile = "t1102_webservices_local.csv" // beside either web-service lookup
	AllowlistLocalFile   = "t1102_allowlist_local.csv"
	ContextLocalFile     = "t1102_context_local.csv"
	ClientsLocalFile     = "t1102_clients_local.csv"
)

// BuiltinContext are the kinds of context the detector finds itself, each
// with its weight in [context] beside the context lookup's kinds.
var BuiltinContext = []string{KindOwnClient, KindCommonPair, KindEstablishedPair}

// The built-in kinds of context.
const (
	KindOwnClient       = "own_client"       // the service's own program, where it is installed (t1102_clients.csv)
	KindCommonPair      = "common_pair"      // the fleet baseline shows the pair on many hosts
	KindEstablishedPair = "established_pair" // the fleet baseline shows the pair for long
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
	// NewPair and RarePair are added when the fleet baseline shows the
	// pair of process identity and service first seen lately, or on few
	// hosts (t1102correlate with a baseline).
	NewPair, RarePair int
	// Class is the weight of each process class of the process catalog
	// (script_engine, lolbin, …): a LOLBin fetching remote content is rarer
	// and worse than a developer's interpreter doing so.
	Class map[string]int
	// Context is what each kind of the context lookup takes off, and the
	// built-in kinds: own_client (the service's own program where it is
	// installed), common_pair and established_pair (the fleet baseline).
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
	Clients     []ClientRule
	Weights     Weights
	Behaviour   Behaviour
	Dir         string // where it was loaded from
	// Local are the user's own lookups that were read
	// (AllowlistLocalFile, ContextLocalFile, ClientsLocalFile).
	Local []string
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
//
// The web services, the allowlist, the context lookup and the clients
// lookup are also read from the user's own file when it exists
// (WebServicesLocalFile, AllowlistLocalFile, …), in the order that lets
// the user's row decide where one row does: before the shipped rows where
// the first matching row decides (a context rule), after them where the
// last one for a domain does (a web service). The package never ships the
// user's files, so an upgrade that replaces the shipped lookups leaves
// them as they are (README, "Tuning that survives upgrades").
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
		{ClientsFile, c.loadClients},
	} {
		paths := []string{filepath.Join(lookups, load.file)}
		if local, ok := localLookups[load.file]; ok {
			path := filepath.Join(lookups, local)
			if _, err := os.Stat(path); err == nil {
				c.Local = append(c.Local, local)
				if load.file == services {
					// The last row for a domain is the one the detector
					// keeps (DomainSet.Add): the user's last.
					paths = append(paths, path)
				} else {
					paths = append([]string{path}, paths...)
				}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, &CatalogError{File: path, Err: fmt.Errorf("%w: %w", ErrCatalog, err)}
			}
		}
		for _, p := range paths {
			if err := load.into(p); err != nil {
				return nil, err
			}
		}
	}
	if err := c.loadConf(dir); err != nil {
		return nil, err
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
	WebServicesFile:      {columns: []string{"domain", "category", "tags", "raw_paths", "command_paths"}, needRows: true},
	WebServicesLOTSFile:  {columns: []string{"domain", "category", "tags", "raw_paths", "command_paths"}, needRows: true},
	ProcessesFile:        {columns: []string{"name", "class", "original_file_name", "description"}, needRows: true},
	ParentsFile:          {columns: []string{"name", "class"}, needRows: true},
	AllowlistFile:        {columns: []string{"host", "user", "process", "path", "pe_name", "domain"}},
	ContextFile:          {columns: []string{"kind", "process", "path", "parent_path", "command_line", "url", "user"}},
	NotEvidenceFile:      {columns: []string{"domain"}},
	ClientsFile:          {columns: []string{"provider", "company", "process", "path"}},
	WebServicesLocalFile: {columns: []string{"domain", "category", "tags", "raw_paths", "command_paths"}},
	AllowlistLocalFile:   {columns: []string{"host", "user", "process", "path", "pe_name", "domain"}},
	ContextLocalFile:     {columns: []string{"kind", "process", "path", "parent_path", "command_line", "url", "user"}},
	ClientsLocalFile:     {columns: []string{"provider", "company", "process", "path"}},
}

// localLookups are the shipped lookups the user tunes, each with the file
// of the user's own rows.
var localLookups = map[string]string{
	WebServicesFile: WebServicesLocalFile, WebServicesLOTSFile: WebServicesLocalFile,
	AllowlistFile: AllowlistLocalFile, ContextFile: ContextLocalFile, ClientsFile: ClientsLocalFile,
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
			Ref: filepath.Base(path) + ":" + strconv.Itoa(line)}
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
			Comment: get("comment"), Source: get("source"), Line: line, Ref: filepath.Base(path) + ":" + strconv.Itoa(line)}
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

// riskWeights are the keys of [risk] and the weight each sets: a new
// signal's weight is one line here (and its key in default/t1102.conf).
var riskWeights = []struct {
	key string
	dst func(*Weights) *int
}{
	{"service", func(w *Weights) *int { return &w.Service }},
	{"raw_content", func(w *Weights) *int { return &w.RawContent }},
	{"command_endpoint", func(w *Weights) *int { return &w.CommandEndpoint }},
	{"renamed_binary", func(w *Weights) *int { return &w.RenamedBinary }},
	{"encoded", func(w *Weights) *int { return &w.Encoded }},
	{"office_parent", func(w *Weights) *int { return &w.OfficeParent }},
	{"service_spawn", func(w *Weights) *int { return &w.ServiceSpawn }},
	{"command_line_url", func(w *Weights) *int { return &w.CommandLineURL }},
	{"tag_cc", func(w *Weights) *int { return &w.TagCC }},
	{"download_execute", func(w *Weights) *int { return &w.DownloadExecute }},
	{"hidden_window", func(w *Weights) *int { return &w.HiddenWindow }},
	{"temp_file", func(w *Weights) *int { return &w.TempFile }},
	{"unexpected_path", func(w *Weights) *int { return &w.UnexpectedPath }},
	{"polling", func(w *Weights) *int { return &w.Polling }},
	{"new_pair", func(w *Weights) *int { return &w.NewPair }},
	{"rare_pair", func(w *Weights) *int { return &w.RarePair }},
}

// confStanza is a stanza of t1102.conf and how its settings are read.
type confStanza struct {
	name string
	// apply takes the stanza's settings (default/t1102.conf's overridden by
	// local/t1102.conf's, every key known) into the catalog.
	apply func(c *Catalog, kv map[string]confValue, defaults string) error
	// known says whether key is a setting of the stanza; fromDefault is
	// whether default/t1102.conf sets it.
	known func(c *Catalog, key string, fromDefault bool) bool
	// expect says what the stanza holds, for the warning on an unknown key.
	expect string
}

// confStanzas are the stanzas of t1102.conf: the one table to extend with a
// new stanza. [risk] has a fixed set of keys; the keys of [process_class]
// and [context] are the names their lookups use, and any name that
// default/t1102.conf sets (a weight ready for rows to come).
var confStanzas = []confStanza{
	{name: "risk", apply: applyRisk, expect: "one of its keys (README/t1102.conf.spec)",
		known: func(_ *Catalog, key string, _ bool) bool {
			for _, w := range riskWeights {
				if w.key == key {
					return true
				}
			}
			return false
		}},
	{name: "process_class", expect: "a class of " + ProcessesFile + " or set in default/" + ConfFile,
		apply: func(c *Catalog, kv map[string]confValue, defaults string) (err error) {
			var used []string
			for _, p := range c.Processes {
				used = append(used, p.Class)
			}
			c.Weights.Class, err = weightTable(kv, "process_class", used, ProcessesFile, defaults)
			return err
		},
		known: func(c *Catalog, key string, fromDefault bool) bool {
			return fromDefault || slices.ContainsFunc(c.Processes, func(p Process) bool { return p.Class == key })
		}},
	{name: "context", expect: "a kind of " + ContextFile + " or set in default/" + ConfFile,
		apply: func(c *Catalog, kv map[string]confValue, defaults string) (err error) {
			used := append([]string(nil), BuiltinContext...)
			for _, r := range c.Context {
				used = append(used, r.Kind)
			}
			c.Weights.Context, err = weightTable(kv, "context", used, ContextFile, defaults)
			return err
		},
		known: func(c *Catalog, key string, fromDefault bool) bool {
			return fromDefault || slices.Contains(BuiltinContext, key) || slices.ContainsFunc(c.Context, func(r ContextRule) bool { return r.Kind == key })
		}},
	behaviourStanza("alert"), behaviourStanza("polling"), behaviourStanza("fleet"),
}

var errSettingSkipped = fmt.Errorf("setting %w", ErrSkipped)

// confValue is one setting as read, with where it was read.
type confValue struct {
	val, file string
	line      int
}

// confLine is one key = value line of a .conf file under its stanza.
type confLine struct {
	stanza string
	key    string
	confValue
}

// loadConf reads default/t1102.conf, then local/t1102.conf over it key by
// key, into c.Weights. A setting this app does not know (a stanza not in
// confStanzas, a key its stanza does not take, a key outside any stanza)
// is left out with a warning naming its file and line, as a bad lookup row
// is: a typo must be seen, but must not stop the detection. A file that
// cannot be read or parsed, a value out of range or a weight missing from
// default/t1102.conf is an error.
func (c *Catalog) loadConf(dir string) error {
	defaults := filepath.Join(dir, "default", ConfFile)
	var lines []confLine
	for _, f := range []struct {
		path     string
		required bool
	}{{defaults, true}, {filepath.Join(dir, "local", ConfFile), false}} {
		ls, err := c.readConf(f.path, f.required)
		if err != nil {
			return err
		}
		lines = append(lines, ls...)
	}
	for _, st := range confStanzas {
		kv := map[string]confValue{}
		for _, l := range lines {
			if l.stanza != st.name {
				continue
			}
			if !st.known(c, l.key, l.file == defaults) {
				c.Warnings = append(c.Warnings, &CatalogError{File: l.file, Line: l.line,
					Err: fmt.Errorf("%w: [%s] has no key %q: want %s", errSettingSkipped, st.name, l.key, st.expect)})
				continue
			}
			kv[l.key] = l.confValue
		}
		if err := st.apply(c, kv, defaults); err != nil {
			return err
		}
	}
	return nil
}

// readConf reads the settings of a Splunk .conf file with their stanzas
// (splunkapp.ReadFile: continued lines, a byte order mark, the last of a
// key set twice used). A missing optional file is not an error; a line
// that is not .conf syntax is, with its file and line. Stanzas this app
// does not know and keys outside any stanza are recorded in c.Warnings and
// left out.
func (c *Catalog) readConf(path string, required bool) ([]confLine, error) {
	f, err := splunkapp.ReadFile(path)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		var pe *splunkapp.Error
		if errors.As(err, &pe) {
			return nil, &CatalogError{File: pe.File, Line: pe.Line, Err: fmt.Errorf("%w: %w", ErrCatalog, pe.Err)}
		}
		return nil, &CatalogError{File: path, Err: fmt.Errorf("%w: %w", ErrCatalog, err)}
	}
	var names []string
	for _, st := range confStanzas {
		names = append(names, "["+st.name+"]")
	}
	stanzas := strings.Join(names, ", ")
	for _, kv := range f.Global {
		c.Warnings = append(c.Warnings, &CatalogError{File: path, Line: kv.Line,
			Err: fmt.Errorf("%w: %s is outside any stanza: put it under one of %s", errSettingSkipped, kv.Key, stanzas)})
	}
	var out []confLine
	for _, s := range f.Stanzas {
		if !slices.ContainsFunc(confStanzas, func(st confStanza) bool { return st.name == s.Name }) {
			// Said once, at the stanza.
			c.Warnings = append(c.Warnings, &CatalogError{File: path, Line: s.Line,
				Err: fmt.Errorf("%w: unknown stanza [%s], its keys are not used: %s has %s", errSettingSkipped, s.Name, ConfFile, stanzas)})
			continue
		}
		for _, kv := range s.Settings {
			out = append(out, confLine{s.Name, kv.Key, confValue{kv.Value, path, kv.Line}})
		}
	}
	return out, nil
}

// applyRisk turns the [risk] stanza into c.Weights; every weight must be
// set (the shipped default file is where defaults live) and within 0–100.
func applyRisk(c *Catalog, kv map[string]confValue, defaults string) error {
	for _, w := range riskWeights {
		v, ok := kv[w.key]
		if !ok {
			return &CatalogError{File: defaults, Err: fmt.Errorf("%w: [risk] has no %s", ErrCatalog, w.key)}
		}
		n, err := weight("risk", w.key, v)
		if err != nil {
			return err
		}
		*w.dst(&c.Weights) = n
	}
	return nil
}

// weightTable reads a stanza of weights by name ([process_class],
// [context]); every name the lookup file uses must have one.
func weightTable(kv map[string]confValue, stanza string, used []string, file, defaultPath string) (map[string]int, error) {
	out := make(map[string]int, len(kv))
	for k, v := range kv {
		n, err := weight(stanza, k, v)
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
func weight(stanza, key string, v confValue) (int, error) {
	n, err := strconv.Atoi(v.val)
	if err != nil || n < 0 || n > 100 {
		return 0, &CatalogError{File: v.file, Line: v.line, Err: fmt.Errorf("%w: [%s] %s = %q: want a whole number from 0 to 100", ErrCatalog, stanza, key, v.val)}
	}
	return n, nil
}
