package score

import (
	"fmt"
	"runtime"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/fieldmap"
)

// Name is the command's name in searches and in commands.conf.
const Name = "t1102score"

// Usage is the argument syntax shown with argument errors.
const Usage = "usage: t1102score [filter=<bool>] [catalog=default|lots] [fields=sysmon|cim] [<name>_field=<field>]... [logic=current|legacy], or | t1102score check_config=true [catalog=default|lots]"

// inputs are the fields the current logic reads, in the order of
// [detect.Event]'s use of them below.
var inputs = [...]fieldmap.Field{
	fieldmap.EventCode, fieldmap.Image, fieldmap.ParentImage, fieldmap.OriginalFileName, fieldmap.Description, fieldmap.Product,
	fieldmap.CommandLine, fieldmap.DestinationHostname, fieldmap.QueryName, fieldmap.User, fieldmap.Host,
	fieldmap.ScriptBlockText, fieldmap.ScriptPath, fieldmap.UserID, fieldmap.TargetFilename,
	fieldmap.TaskName, fieldmap.TaskContent, fieldmap.SubjectUserName, fieldmap.SubjectDomainName,
}

// Options are the parsed search-time arguments.
type Options struct {
	// Filter keeps only rows worth an alert (a catalogued service reached
	// by a suspicious process or for raw content, not allowlisted); false
	// annotates every row.
	Filter bool
	// Catalog is the web-service lookup: detect.WebServicesFile (default)
	// or detect.WebServicesLOTSFile (catalog=lots).
	Catalog string
	// Fields says which input field each logical field is read from
	// (fields=, <name>_field=; its Renamed are the <name>_field= arguments).
	Fields fieldmap.Map
	// Legacy runs the original detection's SPL logic instead (logic=legacy),
	// for comparisons.
	Legacy bool
	// CheckConfig makes the command a generating one that reports the
	// state of the catalog instead of scoring (check_config=true).
	CheckConfig bool
}

// ParseOptions parses t1102score's arguments.
func ParseOptions(args []string) (Options, error) {
	o := Options{Catalog: detect.WebServicesFile, Fields: fieldmap.Sysmon()}
	parsed, err := chunked.ParseArgs(args)
	if err != nil {
		return o, fmt.Errorf("%s: %w; %s", Name, err, Usage)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %w: %s; %s", Name, chunked.ErrArgument, fmt.Sprintf(format, a...), Usage)
	}
	// badErr keeps err in the chain (errors.Is(err, fieldmap.ErrField)).
	badErr := func(err error) error {
		return fmt.Errorf("%s: %w: %w; %s", Name, chunked.ErrArgument, err, Usage)
	}
	for _, a := range parsed {
		if handled, err := o.Fields.Arg(a.Name, a.Value); handled {
			if err != nil {
				return o, badErr(err)
			}
			continue
		}
		switch a.Name {
		case "filter":
			if o.Filter, err = chunked.ParseBool(a.Value); err != nil {
				return o, fmt.Errorf("%s: filter: %w; %s", Name, err, Usage)
			}
		case "catalog":
			var cerr error
			if o.Catalog, cerr = detect.CatalogFile(a.Value); cerr != nil {
				return o, badErr(cerr)
			}
		case "check_config":
			if o.CheckConfig, err = chunked.ParseBool(a.Value); err != nil {
				return o, fmt.Errorf("%s: check_config: %w; %s", Name, err, Usage)
			}
		case "logic":
			switch a.Value {
			case "current":
			case "legacy":
				o.Legacy = true
			default:
				return o, bad("logic=%q: want current or legacy", a.Value)
			}
		default:
			return o, bad("unknown argument %q", a.Name)
		}
	}
	for _, a := range parsed {
		if o.CheckConfig && a.Name != "check_config" && a.Name != "catalog" {
			return o, bad("check_config=true reports on the configuration and takes no argument but catalog=, not %s=", a.Name)
		}
	}
	return o, nil
}

// Command is t1102score. AppDir is the app folder its catalogs are read
// from (see detect.LoadCatalog).
type Command struct {
	AppDir string
	// Workers is the number of goroutines a chunk is split over.
	Workers int
}

// Configure implements [chunked.Command]: a streaming (distributable)
// command. The catalog is read and compiled here, once per process, so a
// bad catalog is reported before any event is read.
func (c Command) Configure(info *chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	opts, err := ParseOptions(info.SearchInfo.Args)
	if err != nil {
		return chunked.Config{}, nil, err
	}
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if opts.CheckConfig {
		return checkConfig(c.AppDir, opts.Catalog)
	}
	if opts.Legacy {
		cfg := chunked.Config{Type: chunked.Streaming, RequiredFields: legacyFields(opts)}
		newRows := func() chunked.RowHandler { return &legacyRows{opts: opts} }
		return cfg, opts.Fields.WarnMissing(Name, chunked.PerRowParallel(newRows, workers)), nil
	}
	cat, err := detect.LoadCatalog(c.AppDir, opts.Catalog)
	if err != nil {
		return chunked.Config{}, nil, fmt.Errorf("%s: %w", Name, err)
	}
	det := detect.NewDetector(cat)
	var required []string
	for _, f := range inputs {
		required = append(required, opts.Fields.Name(f))
	}
	cfg := chunked.Config{Type: chunked.Streaming, RequiredFields: dedupe(required), Messages: catalogWarnings(Name, cat)}
	newRows := func() chunked.RowHandler { return &rows{opts: opts, scorer: det.NewScorer()} }
	// Rows are scored independently: a large chunk is split over the cores
	// while splunkd waits for the reply.
	return cfg, opts.Fields.WarnMissing(Name, chunked.PerRowParallel(newRows, workers)), nil
}

// catalogWarnings are the rows and settings the catalog left out, as
// inspector WARNs of the getinfo reply: every search that uses the
// command says them, so a broken row is never silent, and none stops it.
func catalogWarnings(command string, cat *detect.Catalog) []chunked.InspectorMessage {
	var out []chunked.InspectorMessage
	for _, w := range cat.WarningTexts() {
		out = append(out, chunked.InspectorMessage{Level: chunked.LevelWarn, Text: command + ": " + w})
	}
	return out
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Output columns. The first eight are the original detection's.
const (
	oDestHost = iota
	oImage
	oService
	oSuspicious
	oEncoded
	oOffice
	oSpawn
	oSuspicion
	oRisk
	oReasons
	oHost
	oDomain
	oSeenIn
	oHosts
	oProvider
	oTags
	oRaw
	oURL
	oProcess
	oClass
	oPEName
	oEncodedHow
	oDecoded
	oParentClass
	oAllowlisted
	oMitreTechniqueID
	oMitreTechnique
	oMitreTacticID
	oMitreTactic
	nOutput
)

// outputFields are the output field names, keyed by column.
var outputFields = [nOutput]string{
	oDestHost: "dest_host", oImage: "initiating_image", oService: "is_legit_webservice", oSuspicious: "is_suspicious_process",
	oEncoded: "is_encoded", oOffice: "is_office_parent", oSpawn: "is_service_spawn", oSuspicion: "suspicion_score",
	oRisk: "risk_score", oReasons: "t1102_reasons",
	oHost: "t1102_host", oDomain: "t1102_domain", oSeenIn: "t1102_seen_in", oHosts: "t1102_hosts", oProvider: "t1102_provider", oTags: "t1102_tags",
	oRaw: "t1102_raw_content", oURL: "t1102_url", oProcess: "t1102_process", oClass: "t1102_process_class", oPEName: "t1102_pe_name",
	oEncodedHow: "t1102_encoded_how", oDecoded: "t1102_decoded", oParentClass: "t1102_parent_class", oAllowlisted: "t1102_allowlisted",
	oMitreTechniqueID: "mitre_technique_id", oMitreTechnique: "mitre_technique", oMitreTacticID: "mitre_tactic_id", oMitreTactic: "mitre_tactic",
}

// task judges a task created (Security 4698) as its action's command
// line, with what its definition declares; a definition that cannot be
// read is judged as an event without a command line, and its error is
// the row's reason.
func (h *rows) task(in chunked.Row, content []byte) *detect.Result {
	t, err := detect.ParseTaskXML(content)
	if err != nil {
		r := h.scorer.Score(&h.ev)
		r.Reasons = append(r.Reasons, []byte(err.Error()))
		return r
	}
	c := &h.in
	if name := in.Get(c[fieldmap.TaskName]); len(name) > 0 {
		t.Name = string(name)
	}
	if u := in.Get(c[fieldmap.SubjectUserName]); len(u) > 0 {
		t.Author = string(u)
		if d := in.Get(c[fieldmap.SubjectDomainName]); len(d) > 0 {
			t.Author = string(d) + `\` + t.Author
		}
	}
	h.ev.Image, h.ev.CommandLine, h.ev.User = []byte(t.Command), []byte(t.CommandLine()), []byte(t.Author)
	return h.scorer.Judge(&detect.Activity{Process: h.ev, Task: &t})
}

// rows is the per-row handler.
type rows struct {
	opts   Options
	scorer *detect.Scorer
	in     [fieldmap.NumFields]int // column of each logical field in the current chunk
	out    [nOutput]int
	outSet bool
	ev     detect.Event
	tags   map[string][2][]byte // encoded tags by catalog domain
	tagsMV int                  // column of __mv_t1102_tags
}

func (h *rows) Start(in *chunked.Table) error {
	for _, f := range inputs {
		h.in[f] = in.Index(h.opts.Fields.Name(f))
	}
	return nil
}

func (h *rows) Row(in chunked.Row, out *chunked.TableWriter) error {
	c := &h.in
	h.ev = detect.Event{
		EventCode: in.Get(c[fieldmap.EventCode]), Image: in.Get(c[fieldmap.Image]), ParentImage: in.Get(c[fieldmap.ParentImage]),
		OriginalFileName: in.Get(c[fieldmap.OriginalFileName]), Description: in.Get(c[fieldmap.Description]), Product: in.Get(c[fieldmap.Product]),
		CommandLine: in.Get(c[fieldmap.CommandLine]), DestinationHostname: in.Get(c[fieldmap.DestinationHostname]), QueryName: in.Get(c[fieldmap.QueryName]),
		User: in.Get(c[fieldmap.User]), Host: in.Get(c[fieldmap.Host]),
		ScriptBlock: in.Get(c[fieldmap.ScriptBlockText]), ScriptPath: in.Get(c[fieldmap.ScriptPath]),
	}
	if len(h.ev.User) == 0 {
		h.ev.User = in.Get(c[fieldmap.UserID]) // a script block's user
	}
	if f := in.Get(c[fieldmap.TargetFilename]); len(f) > 0 && detect.TempWrite(f) {
		h.ev.Written = f
	}
	var r *detect.Result
	if content := in.Get(c[fieldmap.TaskContent]); len(content) > 0 {
		r = h.task(in, content)
	} else {
		r = h.scorer.Score(&h.ev)
	}
	if h.opts.Filter && !r.Pass {
		return nil
	}
	out.Copy(in)
	if !h.outSet {
		for i, f := range outputFields {
			h.out[i] = out.Field(f)
		}
		// The multivalue fields' __mv_ columns, registered now rather than
		// at their first multivalue, so that every worker's writer has the
		// same column order and rows are encoded in one pass.
		for _, f := range []int{oReasons, oHosts, oTags} {
			out.Field("__mv_" + outputFields[f])
		}
		h.tagsMV = out.Field("__mv_" + outputFields[oTags])
		h.outSet = true
	}
	o := &h.out
	out.Set(o[oDestHost], r.DestHost)
	out.Set(o[oImage], r.InitiatingImage)
	out.SetString(o[oService], r.Category)
	out.SetInt(o[oSuspicious], detect.B2I(r.Suspicious))
	out.SetInt(o[oEncoded], detect.B2I(r.Encoded))
	out.SetInt(o[oOffice], detect.B2I(r.OfficeParent))
	out.SetInt(o[oSpawn], detect.B2I(r.ServiceSpawn))
	out.SetInt(o[oSuspicion], r.SuspicionScore)
	out.SetInt(o[oRisk], r.RiskScore)
	if len(r.Reasons) > 0 {
		out.SetMultiBytes(o[oReasons], r.Reasons)
	}
	// Evidence and the ATT&CK mapping only on rows with a signal (a
	// service, a suspicious process, an encoded command): the other rows,
	// most of any real search, carry the original detection's fields,
	// risk_score and t1102_reasons, and nothing else.
	if r.Category == "" && !r.Suspicious && !r.Encoded {
		out.EndRow()
		return nil
	}
	if r.ProcessClass != "" {
		out.Set(o[oProcess], r.Process)
		out.SetString(o[oClass], r.ProcessClass)
	}
	setIf(out, o[oPEName], r.PEName)
	setIf(out, o[oEncodedHow], r.EncodedHow)
	if len(r.Decoded) > 0 {
		out.Set(o[oDecoded], r.Decoded)
	}
	setIf(out, o[oParentClass], r.ParentClass)
	if r.Category != "" {
		out.Set(o[oHost], r.Host)
		if r.Domain != string(r.Host) {
			out.SetString(o[oDomain], r.Domain)
		}
		out.SetString(o[oSeenIn], r.SeenIn)
		if len(r.Hosts) > 1 {
			out.SetMultiBytes(o[oHosts], r.Hosts)
		}
		setIf(out, o[oProvider], r.Provider)
		if len(r.Tags) > 0 {
			h.setTags(out, r)
		}
		if r.RawContent {
			out.SetInt(o[oRaw], 1)
		}
		if len(r.URL) > 0 {
			out.Set(o[oURL], r.URL)
		}
	}
	if r.Allowlisted {
		out.SetInt(o[oAllowlisted], 1)
	}
	if r.Pass {
		// The ATT&CK mapping, on the events that are detections.
		out.SetRaw(o[oMitreTechniqueID], mitre.techniqueID)
		out.SetRaw(o[oMitreTechnique], mitre.technique)
		out.SetRaw(o[oMitreTacticID], mitre.tacticID)
		out.SetRaw(o[oMitreTactic], mitre.tactic)
	}
	out.EndRow()
	return nil
}

// setTags writes a service's tags, encoded once per catalog entry (they are
// the same for every event of that entry).
func (h *rows) setTags(out *chunked.TableWriter, r *detect.Result) {
	enc, ok := h.tags[r.Domain]
	if !ok {
		var w chunked.TableWriter
		c := w.Field("t")
		w.SetMulti(c, r.Tags)
		w.EndRow()
		// The one-row table's cells, as encoded: plain value and __mv_.
		var t chunked.Table
		if err := t.Parse(w.Encode(nil)); err == nil && t.Len() == 1 {
			enc = [2][]byte{append([]byte(nil), t.Row(0).Raw(0)...), nil}
			if m := t.Index("__mv_t"); m >= 0 {
				enc[1] = append([]byte(nil), t.Row(0).Raw(m)...)
			}
		}
		if h.tags == nil {
			h.tags = map[string][2][]byte{}
		}
		h.tags[r.Domain] = enc
	}
	out.SetRaw(h.out[oTags], enc[0])
	if enc[1] != nil {
		out.SetRaw(h.tagsMV, enc[1])
	}
}

// mitre holds the ATT&CK fields encoded once as CSV cells.
var mitre = struct{ techniqueID, technique, tacticID, tactic []byte }{
	chunked.AppendCell(nil, detect.MitreTechniqueID), chunked.AppendCell(nil, detect.MitreTechnique),
	chunked.AppendCell(nil, detect.MitreTacticID), chunked.AppendCell(nil, detect.MitreTactic),
}

func setIf(out *chunked.TableWriter, col int, v string) {
	if v != "" {
		out.SetString(col, v)
	}
}
