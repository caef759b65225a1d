package detect

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/internal/fold"
)

// MITRE ATT&CK fields every result carries, with the names Splunk
// Enterprise Security's risk framework uses.
const (
	MitreTechniqueID = "T1102.003"
	MitreTechnique   = "Web Service: One-Way Communication"
	MitreTacticID    = "TA0011"
	MitreTactic      = "Command and Control"
)

// Event is the part of a Sysmon event (or a CIM event, mapped to these
// names) the detector reads. An empty field is an absent one.
type Event struct {
	EventCode            []byte // 1 process creation, 3 network connection, 22 DNS query; empty: look at every field
	Host, User           []byte
	Image, ParentImage   []byte
	OriginalFileName     []byte
	Description, Product []byte
	Company              []byte // the PE's CompanyName (Sysmon's Company)
	CommandLine          []byte
	DestinationHostname  []byte
	QueryName            []byte
	// ScriptBlock is PowerShell script text the process ran (event 4104's
	// ScriptBlockText, its parts joined), judged as its command line is;
	// ScriptPath the script file it came from, when it came from one.
	ScriptBlock, ScriptPath []byte
	// Written is a file the process created in a temp or public folder
	// (Sysmon 11 TargetFilename, see [TempWrite]).
	Written []byte
}

// Result is what the detector says about one event. Byte slices alias the
// detector's buffers until its next Score call.
type Result struct {
	// The original detection's fields, computed right.
	DestHost        []byte // lower(DestinationHostname), as the original
	InitiatingImage []byte // lower(Image), as the original
	Category        string // is_legit_webservice: the service's category, or ""
	Suspicious      bool   // is_suspicious_process
	Encoded         bool   // is_encoded
	OfficeParent    bool   // is_office_parent
	ServiceSpawn    bool   // is_service_spawn
	SuspicionScore  int    // the sum of the four flags, as the original

	// Evidence.
	Host       []byte   // t1102_host: the host that named the service
	Domain     string   // the catalog entry it fell under
	SeenIn     string   // t1102_seen_in: DestinationHostname, QueryName, CommandLine or EncodedCommand
	Hosts      [][]byte // every catalogued host found (a command line can name several)
	Provider   string
	Tags       []string
	RawContent bool   // the URL serves raw content (a script or payload)
	URL        []byte // the URL, when the host came from a command line

	Process      []byte // basename of Image, lower case
	ProcessClass string // script_engine, lolbin, downloader … from the catalog
	PEName       string // the catalog process the PE metadata says it is, when that differs from the file name
	EncodedHow   string
	Decoded      []byte // the decoded script, cut to DecodedMax bytes
	ParentClass  string // office or service

	// Signals of command retrieval (only looked for when a service is
	// named: they say what the process does with what it fetched).
	CommandEndpoint bool   // a URL path that hands out commands (getUpdates, /raw/ of a paste, a Discord webhook)
	DownloadExecute string // how the fetched content is run, or ""
	HiddenWindow    bool
	TempPlace       string // the temp or public folder written to or run from, or ""
	Script          bool   // a script block named the service or showed retrieval
	Task            *Task  // Judge: the scheduled task behind the activity
	Polled          bool   // Judge: the requests were regular (Poll.Score >= the polling threshold)
	Poll            Polling
	Instances       int // Judge: processes behind the identity (a relaunched task: several)

	// Identity and the fleet (Judge).
	OwnClient  string // the clients rule (file:line) that makes this the service's own program
	Fleet      *FleetView
	NewPair    bool // first seen by the fleet within [fleet] new_days
	RarePair   bool
	CommonPair bool
	OldPair    bool // established: first seen more than [fleet] old_days ago

	Allowlisted bool
	AllowedBy   string // file:line of the allowlist rule
	// UnexpectedPath is the allowlist rule (file:line) whose program this
	// is by name, but not where that program is installed.
	UnexpectedPath string
	// Context is the context rule (file:line) that lowered the risk, and
	// ContextKind its kind.
	Context, ContextKind string

	RiskScore int      // 0–100
	Reasons   [][]byte // one short phrase per signal, each naming its points
	// Pass (is_alert) is true for the rows that alert, and the events
	// filter=true keeps: a catalogued service, not allowlisted, with a
	// risk_score at or over [alert] risk_threshold. The process class is a
	// weight of the risk, not a condition of its own.
	Pass bool
}

// DecodedMax bounds the decoded script reported in a result.
const DecodedMax = 512

// Detector is a compiled catalog. It is safe for concurrent use only
// through separate [Scorer] values.
type Detector struct {
	cat         *Catalog
	services    *DomainSet[*Service]
	notEvidence *DomainSet[struct{}]
	byName      map[string]*Process
	byPE        map[string]*Process // OriginalFileName → process
	byDesc      map[string]*Process // Description → process
	parents     map[string]string
}

// NewDetector compiles a catalog.
func NewDetector(c *Catalog) *Detector {
	d := &Detector{cat: c, services: NewDomainSet[*Service](), notEvidence: NewDomainSet[struct{}](),
		byName: map[string]*Process{}, byPE: map[string]*Process{}, byDesc: map[string]*Process{}, parents: map[string]string{}}
	for i := range c.Services {
		d.services.Add(c.Services[i].Domain, &c.Services[i])
	}
	for _, n := range c.NotEvidence {
		d.notEvidence.Add(n, struct{}{})
	}
	for i := range c.Processes {
		p := &c.Processes[i]
		d.byName[p.Name] = p
		if p.OriginalFileName != "" {
			d.byPE[p.OriginalFileName] = p
		}
		if p.Description != "" {
			d.byDesc[p.Description] = p
		}
	}
	for _, p := range c.Parents {
		d.parents[p.Name] = p.Class
	}
	return d
}

// Weights returns the risk weights of the detector's catalog.
func (d *Detector) Weights() Weights { return d.cat.Weights }

// Behaviour returns the settings of judging behaviour of its catalog.
func (d *Detector) Behaviour() Behaviour { return d.cat.Behaviour }

// Scorer scores events with a Detector, reusing its buffers; one per
// goroutine.
type Scorer struct {
	d                   *Detector
	host, image, cmdNo  []byte
	norm, pe, parent    []byte
	ofn                 []byte // lower(OriginalFileName)
	low, lowDec, lowAll []byte // lower(command line), lower(decoded command), both without backticks: for the retrieval finders
	code, lowScript     []byte // the script block without comments, and lower case
	inText              bool   // the command line (or decoded command) names a catalogued service
	hostBuf             []byte // the catalogued hosts found, back to back
	hostEnds            []int  // end of each in hostBuf
	urlBuf              []byte // host+path of each URL naming a catalogued host, back to back
	urlEnds             []int
	reasonBuf           []byte // the reasons, back to back
	reasonEnds          []int  // end of each in reasonBuf
	points              int    // the sum of the reasons' points
	r                   Result
}

// NewScorer returns a scorer for d.
func (d *Detector) NewScorer() *Scorer { return &Scorer{d: d} }

// Basename returns the last element of a Windows or POSIX path.
func Basename(path []byte) []byte {
	if i := bytes.LastIndexAny(path, `\/`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Score evaluates one event. The result is valid until the next call.
func (s *Scorer) Score(ev *Event) *Result {
	r := s.score(ev, nil, nil)
	s.finishWith(ev, nil)
	return r
}

// score finds the evidence of one event (or a process's fields): first is
// a host the process asked for that names the row's service ahead of the
// command line's (nil: none), reached further hosts it asked for or
// connected to, which count as a DNS query does. finish then judges.
func (s *Scorer) score(ev *Event, first []byte, reached [][]byte) *Result {
	d := s.d
	w := &d.cat.Weights
	r := &s.r
	*r = Result{Hosts: r.Hosts[:0], Reasons: r.Reasons[:0]}
	s.hostBuf, s.hostEnds = s.hostBuf[:0], s.hostEnds[:0]
	s.urlBuf, s.urlEnds = s.urlBuf[:0], s.urlEnds[:0]
	s.inText = false
	s.reasonBuf, s.reasonEnds, s.points = s.reasonBuf[:0], s.reasonEnds[:0], 0
	s.host = fold.Lower(s.host[:0], ev.DestinationHostname)
	s.image = fold.Lower(s.image[:0], ev.Image)
	r.DestHost, r.InitiatingImage = s.host, s.image
	code := bytes.TrimSpace(ev.EventCode)
	all := len(code) == 0

	// What process this is: by file name, then by PE metadata.
	r.Process = Basename(s.image)
	proc := d.byName[string(r.Process)]
	var pe *Process
	s.ofn = s.ofn[:0]
	if ofn := bytes.TrimSpace(ev.OriginalFileName); len(ofn) > 0 && string(ofn) != "-" {
		s.ofn = fold.Lower(s.ofn, ofn)
		pe = d.byPE[string(s.ofn)]
	} else if desc := bytes.TrimSpace(ev.Description); len(desc) > 0 && string(desc) != "-" {
		s.pe = fold.Lower(s.pe[:0], desc)
		pe = d.byDesc[string(s.pe)]
	}
	if pe != nil && pe != proc {
		// The file on disk is not what it was built as: a renamed copy.
		r.PEName = pe.Name
		s.reason(w.RenamedBinary, "renamed binary: ", string(r.Process), " is ", pe.Name, " by its PE metadata")
		proc = pe
	}
	powershell, mshta := false, false
	if proc != nil {
		r.Suspicious, r.ProcessClass = true, proc.Class
		s.reason(w.Class[proc.Class], proc.Class, " ", proc.Name)
		powershell = proc.Name == "powershell.exe" || proc.Name == "pwsh.exe" || proc.Name == "powershell_ise.exe"
		mshta = proc.Name == "mshta.exe"
	}

	// Where a service shows.
	if all || string(code) == "3" {
		s.norm = NormalizeHost(s.norm[:0], ev.DestinationHostname)
		if len(s.norm) > 0 {
			s.service(s.norm, "DestinationHostname", nil)
		}
	}
	if (all || string(code) == "22") && r.Category == "" {
		s.norm = NormalizeHost(s.norm[:0], ev.QueryName)
		if len(s.norm) > 0 {
			s.service(s.norm, "QueryName", nil)
		}
	}
	if len(first) > 0 {
		s.norm = NormalizeHost(s.norm[:0], first)
		if len(s.norm) > 0 {
			s.service(s.norm, "QueryName", nil)
		}
	}
	// The command line, whatever the EventCode: a network or DNS event
	// enriched with its process's fields (a join on ProcessGuid, a lookup,
	// a data model) carries it too, and the original SPL read it there.
	var cl, psArgs, decoded []byte
	if len(ev.CommandLine) > 0 {
		cl = ev.CommandLine
		if bytes.IndexByte(cl, '^') >= 0 {
			s.cmdNo = append(s.cmdNo[:0], cl...)
			s.cmdNo = bytes.ReplaceAll(s.cmdNo, []byte("^"), nil)
			cl = s.cmdNo
		}
		// One ASCII-lowered copy, the same length as cl, for the searches
		// that ignore case (bytes.Index on it beats a folding search).
		s.low = fold.AppendASCIILower(s.low[:0], cl)
		s.scanText(cl, "CommandLine")
		encIn, mustDecode := cl, false // caret-free; FindEncoded would drop the carets itself
		if !powershell {
			// Another process (cmd /c powershell …): only what follows the
			// PowerShell invocation are PowerShell's parameters, and an
			// abbreviation like /e counts only with a value that decodes.
			// Found in the caret-free text: cmd /c ^p^o^w^e^r^s^h^e^l^l.
			if i := powershellAt(s.low); i >= 0 {
				encIn, powershell, mustDecode = cl[i:], true, true
			}
		}
		if powershell {
			psArgs = encIn
		}
		if enc, ok := FindEncoded(encIn, powershell); ok && (!mustDecode || enc.Decoded != nil || enc.How != "-EncodedCommand") {
			r.Encoded, r.EncodedHow = true, enc.How
			if enc.Decoded != nil {
				decoded = enc.Decoded
				r.Decoded = enc.Decoded[:min(len(enc.Decoded), DecodedMax)]
				s.scanText(enc.Decoded, "EncodedCommand")
				s.reason(w.Encoded, "encoded command (", enc.How, ") decoded")
			} else {
				s.reason(w.Encoded, "encoded command (", enc.How, ")")
			}
		}
	}
	// The script block, judged as the command line is: after it, so that
	// a URL the command line names stays the row's first evidence.
	scriptNamed := false
	s.code, s.lowScript = s.code[:0], s.lowScript[:0]
	if len(ev.ScriptBlock) > 0 {
		s.code = scriptCode(s.code, ev.ScriptBlock[:min(len(ev.ScriptBlock), MaxScript)])
		s.lowScript = fold.AppendASCIILower(s.lowScript, s.code)
		inText := s.inText
		s.inText = false
		s.scanText(s.code, "ScriptBlockText")
		scriptNamed, s.inText = s.inText, s.inText || inText
		// Encoded content counts in a script only when it decodes to a
		// PowerShell command: FromBase64String alone is everyday code
		// (certificates, resources) where the command line's is not.
		if enc, ok := FindEncoded(s.code, false); ok && enc.Decoded != nil && !r.Encoded {
			r.Encoded, r.EncodedHow = true, enc.How
			if decoded == nil {
				decoded = enc.Decoded
				r.Decoded = enc.Decoded[:min(len(enc.Decoded), DecodedMax)]
			}
			s.scanText(enc.Decoded, "EncodedCommand")
			s.reason(w.Encoded, "encoded command in the script block (", enc.How, ") decoded")
		}
	}
	// After the command line, so that a URL written there stays the row's
	// first evidence (t1102_url, command_line_url).
	for _, h := range reached {
		s.norm = NormalizeHost(s.norm[:0], h)
		if len(s.norm) > 0 {
			s.service(s.norm, "QueryName", nil)
		}
	}
	// What a process does with a service's content shows in its command
	// line when it is an interpreter or a LOLBin, or when the command line
	// itself names the service; a browser's or a chat client's command
	// line says nothing of the connection seen beside it.
	if r.Category != "" && (r.Suspicious || s.inText) {
		s.retrieval(cl, psArgs, decoded, ev.Written, mshta)
		if len(s.code) > 0 && (scriptNamed || r.DownloadExecute != "" || r.HiddenWindow) {
			r.Script = true
			path := ""
			if p := bytes.TrimSpace(ev.ScriptPath); len(p) > 0 {
				path = " (" + string(p) + ")"
			}
			at := -1
			if len(r.URL) > 0 {
				at = bytes.Index(s.code, r.URL)
			}
			s.reason(0, "script block", path, ": \"", Excerpt(s.code, at, 120), "\"")
		}
	}
	// A schtasks.exe /create that repeats the action it names declares
	// its polling.
	if r.Category != "" && (string(r.Process) == "schtasks.exe" || r.PEName == "schtasks.exe") {
		if t, ok := ParseSchtasks(cl); ok && t.Every > 0 {
			r.Task = &t
			s.declared(&t)
		}
	}
	// Parent.
	s.parent = fold.Lower(s.parent[:0], Basename(ev.ParentImage))
	switch r.ParentClass = d.parents[string(s.parent)]; r.ParentClass {
	case "office":
		r.OfficeParent = true
		s.reason(w.OfficeParent, "Office or reader parent ", string(s.parent))
	case "service":
		r.ServiceSpawn = true
		s.reason(w.ServiceSpawn, "service or task host parent ", string(s.parent))
	}

	r.SuspicionScore = B2I(r.Suspicious) + B2I(r.Encoded) + B2I(r.OfficeParent) + B2I(r.ServiceSpawn)
	return r
}

// finishWith applies what lowers risk (allowlist, context, the service's
// own client, the fleet), computes the risk and the decision, and lays out
// the result's slices.
func (s *Scorer) finishWith(ev *Event, fleet *FleetView) {
	r := &s.r
	if r.Category != "" {
		// Allowlist and context speak of programs reaching services; an
		// event that names none has nothing for them to judge. Neither
		// applies to a process that runs what it fetched or asks an
		// endpoint that hands out commands: that is the behaviour this
		// detection exists for, whoever the program is.
		trust := r.DownloadExecute == "" && !r.CommandEndpoint
		s.allow(ev, trust)
		lower := trust && r.PEName == "" && r.UnexpectedPath == "" && !r.Allowlisted
		if lower && r.OwnClient != "" {
			r.Context, r.ContextKind = r.OwnClient, KindOwnClient
			s.reason(-s.d.cat.Weights.Context[KindOwnClient], "context: the service's own client (", r.OwnClient, ")")
		} else if trust {
			s.context(ev)
		}
		s.fleet(fleet, lower)
	}
	s.risk()
	r.Pass = r.Category != "" && !r.Allowlisted && r.RiskScore >= s.d.cat.Behaviour.AlertRisk
	// The slices into the buffers, now that they have stopped growing.
	start := 0
	for _, end := range s.hostEnds {
		r.Hosts = append(r.Hosts, s.hostBuf[start:end:end])
		start = end
	}
	if len(r.Hosts) > 0 {
		r.Host = r.Hosts[0]
	}
	start = 0
	for _, end := range s.reasonEnds {
		r.Reasons = append(r.Reasons, s.reasonBuf[start:end:end])
		start = end
	}
}

// retrievalWhy names the signal that keeps a row from the allowlist and
// the context lookup.
func retrievalWhy(r *Result) string {
	if r.DownloadExecute != "" {
		return "it runs what it fetches"
	}
	return "a command endpoint"
}

// reason adds one reason, the concatenation of parts, worth points of
// risk_score (negative: context that lowers it), written after it as
// " (+n)" or " (-n)": the risk is the sum of its reasons' points, so every
// point has one.
func (s *Scorer) reason(points int, parts ...string) {
	for _, p := range parts {
		s.reasonBuf = append(s.reasonBuf, p...)
	}
	if points > 0 {
		s.reasonBuf = append(strconv.AppendInt(append(s.reasonBuf, " (+"...), int64(points), 10), ')')
	} else if points < 0 {
		s.reasonBuf = append(strconv.AppendInt(append(s.reasonBuf, " ("...), int64(points), 10), ')')
	}
	s.reasonEnds = append(s.reasonEnds, len(s.reasonBuf))
	s.points += points
}

// service records a catalogued host; the first one found names the
// service. A host under a not-evidence domain (shared infrastructure)
// names nothing, wherever it was written. Raw content counts for any
// catalogued host of the event, not only the first.
func (s *Scorer) service(host []byte, seenIn string, path []byte) bool {
	w := &s.d.cat.Weights
	if _, _, shared := s.d.notEvidence.Match(host); shared {
		return false
	}
	svc, domain, ok := s.d.services.Match(host)
	if !ok {
		return false
	}
	r := &s.r
	seen, start := false, 0
	for _, end := range s.hostEnds {
		if bytes.Equal(s.hostBuf[start:end], host) {
			seen = true
			break
		}
		start = end
	}
	if !seen {
		s.hostBuf = append(s.hostBuf, host...)
		s.hostEnds = append(s.hostEnds, len(s.hostBuf))
	}
	if r.Category == "" {
		r.Category, r.Domain, r.SeenIn, r.Provider, r.Tags = svc.Category, domain, seenIn, svc.Provider, svc.Tags
		// The host itself is in t1102_host.
		if seenIn == "CommandLine" || seenIn == "EncodedCommand" || seenIn == "ScriptBlockText" {
			s.reason(w.Service+w.CommandLineURL, svc.Category, " named in the ", seenIn)
		} else {
			s.reason(w.Service, svc.Category, " in ", seenIn)
		}
		for _, t := range svc.Tags {
			if strings.EqualFold(t, "C&C") {
				s.reason(w.TagCC, "service tagged C&C in the catalog")
				break
			}
		}
	}
	if raw(svc.RawPaths, path) {
		if !r.RawContent {
			r.RawContent = true
			s.reason(w.RawContent, "raw content from ", string(host))
		}
	}
	if !r.CommandEndpoint && raw(svc.CommandPaths, path) {
		r.CommandEndpoint = true
		s.reason(w.CommandEndpoint, "command endpoint on ", string(host))
	}
	return true
}

// retrieval looks for the signals of command retrieval in the command line
// (cl), the part of it PowerShell reads (psArgs, nil when PowerShell is not
// run) and the decoded command.
func (s *Scorer) retrieval(cl, psArgs, decoded, written []byte, mshta bool) {
	w := &s.d.cat.Weights
	r := &s.r
	// One lower-case copy of the command line and one of the decoded
	// command; psArgs is a suffix of the command line.
	low, lowPS := s.low[:len(cl)], []byte(nil) // lowered with the command line
	if psArgs != nil {
		lowPS = low[len(low)-len(psArgs):] // psArgs is a suffix of cl, and low has cl's length
	}
	s.lowDec = fold.AppendASCIILower(s.lowDec[:0], decoded)
	// Download-and-execute on the command line and the decoded command
	// together (iex in one, the download in the other), without
	// PowerShell's backtick escapes (i`ex).
	s.lowAll = appendNoBackticks(append(appendNoBackticks(s.lowAll[:0], low), '\n'), s.lowDec)
	if len(s.lowScript) > 0 {
		s.lowAll = appendNoBackticks(append(s.lowAll, '\n'), s.lowScript)
	}
	r.DownloadExecute = downloadExecute(s.lowAll, mshta)
	if r.DownloadExecute != "" {
		s.reason(w.DownloadExecute, "runs what it fetches: ", r.DownloadExecute)
	}
	if hiddenWindow(lowPS, lowPS != nil) || hiddenWindow(s.lowDec, decoded != nil) || hiddenWindow(low, false) || hiddenWindow(s.lowScript, true) {
		r.HiddenWindow = true
		s.reason(w.HiddenWindow, "hidden window")
	}
	if p := tempPlace(low); p != "" {
		r.TempPlace = p
	} else if p := tempPlace(s.lowDec); p != "" {
		r.TempPlace = p
	} else if p := tempPlace(s.image); p != "" {
		r.TempPlace = p // the program itself runs from there
	} else if p := tempPlace(s.lowScript); p != "" {
		r.TempPlace = p
	}
	if r.TempPlace != "" {
		s.reason(w.TempFile, "temp or public folder (", r.TempPlace, ")")
	} else if p := TempPlace(written); p != "" {
		// What it fetched, saved where droppers put it: the evidence the
		// command line's -o %TEMP%\… gives, from the file event itself.
		r.TempPlace = p
		s.reason(w.TempFile, "wrote ", Excerpt(written, -1, 120), " (temp or public folder)")
	}
}

// scanText looks for catalogued hosts written in a command line or script.
func (s *Scorer) scanText(text []byte, seenIn string) {
	ScanHosts(text, func(ref HostRef) bool {
		s.norm = NormalizeHost(s.norm[:0], ref.Host)
		if len(s.norm) == 0 {
			return true
		}
		path := ref.Path
		if len(path) > 0 && path[0] == ':' { // :port/path
			if i := bytes.IndexByte(path, '/'); i >= 0 {
				path = path[i:]
			} else {
				path = nil
			}
		}
		first := len(s.hostEnds) == 0
		named := s.service(s.norm, seenIn, path)
		if named {
			s.inText = true
			// Host and path without the query or fragment: a context URL
			// rule speaks of where a file is, and "?x=/releases/download/"
			// says nothing about that.
			p := path
			if i := bytes.IndexAny(p, "?#"); i >= 0 {
				p = p[:i]
			}
			s.urlBuf = append(append(s.urlBuf, s.norm...), p...)
			s.urlEnds = append(s.urlEnds, len(s.urlBuf))
		}
		if named && first && s.r.URL == nil {
			start, end := ref.Start, ref.PathEnd
			if ref.URL {
				// Include the scheme: back over "//", ':' and letters.
				for start > 0 && (text[start-1] == '/' || text[start-1] == ':' || isHostByte(text[start-1]) && text[start-1] != '.') {
					start--
				}
			}
			s.r.URL = text[start:end:end]
		}
		return true
	})
}

// raw reports whether a URL path on a service serves raw content. Hosts
// that serve nothing else ("*") count even when no path is known (a DNS
// query or a connection).
//
// An entry matches as a path segment sequence anywhere in the path:
// "/raw/" matches pastebin.com/raw/x and github.com/owner/repo/raw/main/x;
// backslashes count as slashes, as .NET and browsers read http URLs.
func raw(rawPaths []string, path []byte) bool {
	var buf [256]byte
	lp := buf[:0]
	for _, c := range path {
		if c == '\\' {
			c = '/'
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lp = append(lp, c)
	}
	for _, p := range rawPaths {
		if p == "*" {
			return true
		}
		if bytes.Contains(lp, []byte(strings.ToLower(p))) {
			return true
		}
	}
	return false
}

// powershellAt returns where a PowerShell invocation starts in a
// lower-case command line (a powershell or pwsh word, with or without a path or .exe), or -1.
func powershellAt(low []byte) int {
	cl := low
	for _, name := range [][]byte{[]byte("powershell"), []byte("pwsh")} {
		for off := 0; ; {
			i := bytes.Index(cl[off:], name)
			if i < 0 {
				break
			}
			at := off + i
			end := at + len(name)
			before := at == 0 || !isHostByte(cl[at-1]) || cl[at-1] == '.'
			after := end == len(cl) || !isHostByte(cl[end]) || cl[end] == '.'
			if before && after && !(end < len(cl) && cl[end] == '.' && !fold.HasPrefix(cl[end:], ".exe")) {
				return at
			}
			off = at + 1
		}
	}
	return -1
}

// allow applies the allowlist. A rule for a program by name whose path
// condition fails says that a file of that name runs from where the program
// is not installed: that is a signal of its own.
//
// With trust false (the event runs what it fetched, or asks a command
// endpoint) no rule allowlists it; the path check still applies.
func (s *Scorer) allow(ev *Event, trust bool) {
	r := &s.r
	if r.PEName != "" {
		return // a renamed binary is never the program an allowlist rule trusts
	}
	// unexpected: the first rule for this program by name with a path; it
	// counts when no such rule's path matched (placed).
	unexpected, placed := "", false
	for i := range s.d.cat.Allow {
		rule := &s.d.cat.Allow[i]
		if rule.Host != "" && !strings.EqualFold(rule.Host, string(bytes.TrimSpace(ev.Host))) {
			continue
		}
		if rule.User != "" && !strings.EqualFold(rule.User, string(bytes.TrimSpace(ev.User))) {
			continue
		}
		if rule.Process != "" && rule.Process != string(r.Process) {
			continue
		}
		// Where the program is, before what it is built as: a rule for a
		// name with a path says where that name belongs, whatever else
		// the rule asks; a rule for the name without a path lets it run
		// anywhere.
		if rule.Path != nil && !rule.Path.Match(bytes.TrimSpace(ev.Image)) {
			if rule.Process != "" && unexpected == "" {
				unexpected = rule.Ref
			}
			continue
		}
		placed = placed || rule.Process != ""
		if rule.PEName != "" && rule.PEName != string(s.ofn) {
			continue
		}
		if !s.allHostsUnder(rule.Domains) {
			continue // every service the event names must be the rule's
		}
		if !trust {
			s.reason(0, "not allowlisted by ", rule.Ref, ": ", retrievalWhy(r))
			break
		}
		r.Allowlisted = true
		r.AllowedBy = rule.Ref
		s.reason(0, "allowlisted (", r.AllowedBy, "): risk 0")
		return
	}
	if unexpected != "" && !placed && r.UnexpectedPath == "" {
		r.UnexpectedPath = unexpected
		s.reason(s.d.cat.Weights.UnexpectedPath, string(r.Process), " outside its expected path (", unexpected, ")")
	}
}

// allHostsUnder reports whether the event named at least one catalogued
// host and each of them is one of domains or under one.
func (s *Scorer) allHostsUnder(domains []string) bool {
	if len(s.hostEnds) == 0 {
		return false
	}
	start := 0
	for _, end := range s.hostEnds {
		h := s.hostBuf[start:end]
		start = end
		under := false
		for _, domain := range domains {
			if string(h) == domain || len(h) > len(domain) && h[len(h)-len(domain)-1] == '.' && string(h[len(h)-len(domain):]) == domain {
				under = true
				break
			}
		}
		if !under {
			return false
		}
	}
	return true
}

// context applies the first matching rule of the context lookup. Like the
// allowlist, it never applies to a renamed binary, nor to a program
// running from where an allowlist rule says it is not installed.
func (s *Scorer) context(ev *Event) {
	r := &s.r
	if r.Allowlisted || r.PEName != "" || r.UnexpectedPath != "" {
		return
	}
	for i := range s.d.cat.Context {
		c := &s.d.cat.Context[i]
		if c.Process != "" && c.Process != string(r.Process) ||
			c.User != "" && !strings.EqualFold(c.User, string(bytes.TrimSpace(ev.User))) ||
			c.Path != nil && !c.Path.Match(bytes.TrimSpace(ev.Image)) ||
			c.ParentPath != nil && !c.ParentPath.Match(bytes.TrimSpace(ev.ParentImage)) ||
			c.Command != nil && !c.Command.Match(ev.CommandLine) ||
			c.URL != nil && !s.allURLs(c.URL) {
			continue
		}
		r.Context, r.ContextKind = c.Ref, c.Kind
		s.reason(-s.d.cat.Weights.Context[c.Kind], "context: ", c.Kind, " (", c.Ref, ")")
		return
	}
}

// allURLs reports whether the command line fetched from a catalogued
// service and every such URL (host and path) matches g.
func (s *Scorer) allURLs(g *Glob) bool {
	if len(s.urlEnds) == 0 {
		return false
	}
	start := 0
	for _, end := range s.urlEnds {
		if !g.Match(s.urlBuf[start:end]) {
			return false
		}
		start = end
	}
	return true
}

// risk is the sum of the reasons' points, within 0–100; 0 when
// allowlisted.
func (s *Scorer) risk() {
	r := &s.r
	if r.Allowlisted {
		r.RiskScore = 0
		return
	}
	r.RiskScore = max(0, min(s.points, 100))
}

// Service returns the catalog entry a host (lower-case, normalised) falls
// under, unless it is in the not-evidence list.
func (d *Detector) Service(host []byte) (*Service, string, bool) {
	if _, _, rdns := d.notEvidence.Match(host); rdns {
		return nil, "", false
	}
	return d.services.Match(host)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
