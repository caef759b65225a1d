package correlate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/fieldmap"
)

// Name is the command's name in searches and in commands.conf.
const Name = "t1102correlate"

// Usage is the argument syntax shown with argument errors.
const Usage = "usage: t1102correlate [window=<seconds>] [max_groups=<n>] [max_times=<n>] [all=<bool>] [catalog=default|lots] [fields=sysmon|cim] [<name>_field=<field>]..."

// PollThreshold is the poll_score from which a process counts as polling.
const PollThreshold = 0.8

// Options are the parsed arguments.
type Options struct {
	Map     bool    // phase=map: the streaming pre-operation (set by the command itself)
	Window  float64 // seconds between a DNS answer and a connection to one of its addresses
	Limits  Limits
	All     bool   // keep rows that would not alert too
	Catalog string // web-service lookup file
	// Fields says which input field each logical field is read from
	// (fields=, <name>_field=), as for t1102score.
	Fields fieldmap.Map
	Args   []string // the arguments the map phase is given
}

// ParseOptions parses t1102correlate's arguments.
func ParseOptions(args []string) (Options, error) {
	o := Options{Window: 3600, Limits: DefaultLimits, Catalog: detect.WebServicesFile, Fields: fieldmap.Sysmon()}
	parsed, err := chunked.ParseArgs(args)
	if err != nil {
		return o, fmt.Errorf("%s: %w; %s", Name, err, Usage)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %w: %s; %s", Name, chunked.ErrArgument, fmt.Sprintf(format, a...), Usage)
	}
	positive := func(name, v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, bad("%s=%q: want a positive whole number", name, v)
		}
		return n, nil
	}
	for _, a := range parsed {
		if handled, err := o.Fields.Arg(a.Name, a.Value); handled {
			if err != nil {
				return o, bad("%v", err)
			}
			o.Args = append(o.Args, a.Name+"="+a.Value) // the map phase reads the events
			continue
		}
		switch a.Name {
		case "phase":
			if a.Value != "map" {
				return o, bad("phase=%q: only phase=map exists (splunkd runs it itself)", a.Value)
			}
			o.Map = true
			continue // not forwarded
		case "window":
			f, err := strconv.ParseFloat(a.Value, 64)
			if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				return o, bad("window=%q: want seconds, more than 0", a.Value)
			}
			o.Window = f
		case "max_groups":
			if o.Limits.MaxGroups, err = positive(a.Name, a.Value); err != nil {
				return o, err
			}
		case "max_times":
			if o.Limits.MaxTimes, err = positive(a.Name, a.Value); err != nil {
				return o, err
			}
		case "all":
			if o.All, err = chunked.ParseBool(a.Value); err != nil {
				return o, fmt.Errorf("%s: all: %w; %s", Name, err, Usage)
			}
		case "catalog":
			var cerr error
			if o.Catalog, cerr = detect.CatalogFile(a.Value); cerr != nil {
				return o, bad("%v", cerr)
			}
		default:
			return o, bad("unknown argument %q", a.Name)
		}
		o.Args = append(o.Args, a.Name+"="+a.Value)
	}
	return o, nil
}

// Command is t1102correlate.
type Command struct{ AppDir string }

// Configure implements [chunked.Command]: the reduce phase declares itself
// reporting with its map phase as streaming_preop; the map phase (phase=map)
// declares itself streaming.
func (c Command) Configure(info *chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	opts, err := ParseOptions(info.SearchInfo.Args)
	if err != nil {
		return chunked.Config{}, nil, err
	}
	if opts.Map {
		// No required_fields: see mapper.
		return chunked.Config{Type: chunked.Streaming}, opts.Fields.WarnMissing(Name, &mapper{limits: opts.Limits, fields: opts.Fields}), nil
	}
	cat, err := detect.LoadCatalog(c.AppDir, opts.Catalog)
	if err != nil {
		return chunked.Config{}, nil, fmt.Errorf("%s: %w", Name, err)
	}
	det := detect.NewDetector(cat)
	preop := strings.Join(append([]string{Name, "phase=map"}, opts.Args...), " ")
	red := &reducer{limits: opts.Limits}
	red.finish = func(r *reducer, w *chunked.TableWriter) error { return writeResults(r, w, det, opts) }
	cfg := chunked.Config{Type: chunked.Reporting, RequiredFields: partialFields[:], StreamingPreop: preop}
	// The rows and settings the catalog left out, on every search (see
	// detect.Catalog.Warnings): never silent, never fatal.
	for _, w := range cat.WarningTexts() {
		cfg.Messages = append(cfg.Messages, chunked.InspectorMessage{Level: chunked.LevelWarn, Text: Name + ": " + w})
	}
	return cfg, chunked.ProcessorFunc(func(ch *chunked.Chunk) error {
		if ch.In.Len() > 0 {
			if err := red.Add(&ch.In); err != nil {
				return err
			}
		}
		if !ch.Last {
			return nil
		}
		if err := red.Finish(&ch.Out); err != nil {
			return err
		}
		if red.droppedRows > 0 {
			warnf(ch, "%s: more than max_groups=%d processes: %d partial rows of further processes were not correlated", Name, opts.Limits.MaxGroups, red.droppedRows)
		}
		if n := len(red.cappedGroups); n > 0 {
			warnf(ch, "%s: %d processes had more than max_times=%d connections or DNS queries: their counts, last_seen and polling figures use the earliest %d", Name, n, opts.Limits.MaxTimes, opts.Limits.MaxTimes)
		}
		return nil
	}), nil
}

// Output columns. The array is keyed by them, so a name cannot drift to
// another column.
const (
	oHost = iota
	oGUID
	oImage
	oCmd
	oParent
	oUser
	oOFN
	oService
	oDomains
	oSeenIn
	oConnections
	oQueries
	oFirstSeen
	oLastSeen
	oPollCount
	oPollInterval
	oPollJitter
	oPollScore
	oPolling
	oSuspicious
	oEncoded
	oOfficeParent
	oServiceSpawn
	oSuspicion
	oRisk
	oReasons
	oURL
	oDecoded
	oTechniqueID
	oTechnique
	oTacticID
	oTactic
	// The CIM names (Endpoint.Processes, Web) Enterprise Security's risk
	// and notable actions and data-model searches use.
	oTime
	oDest
	oCIMUser
	oProcess
	oProcessPath
	oProcessName
	oParentProcessName
	oCIMURL
	nOutput
)

// outputFields are the output field names, in order.
var outputFields = [nOutput]string{
	oHost: "host", oGUID: "ProcessGuid", oImage: "Image", oCmd: "CommandLine", oParent: "ParentImage", oUser: "User", oOFN: "OriginalFileName",
	oService: "is_legit_webservice", oDomains: "t1102_domains", oSeenIn: "t1102_seen_in", oConnections: "connection_count", oQueries: "dns_count",
	oFirstSeen: "first_seen", oLastSeen: "last_seen",
	oPollCount: "poll_count", oPollInterval: "poll_interval", oPollJitter: "poll_jitter", oPollScore: "poll_score", oPolling: "is_polling",
	oSuspicious: "is_suspicious_process", oEncoded: "is_encoded", oOfficeParent: "is_office_parent", oServiceSpawn: "is_service_spawn",
	oSuspicion: "suspicion_score", oRisk: "risk_score",
	oReasons: "t1102_reasons", oURL: "t1102_url", oDecoded: "t1102_decoded",
	oTechniqueID: "mitre_technique_id", oTechnique: "mitre_technique", oTacticID: "mitre_tactic_id", oTactic: "mitre_tactic",
	oTime: "_time", oDest: "dest", oCIMUser: "user", oProcess: "process", oProcessPath: "process_path", oProcessName: "process_name",
	oParentProcessName: "parent_process_name", oCIMURL: "url",
}

// service evidence of one process for one host.
type hostEvidence struct {
	conns, queries []float64
	cmd            bool
}

func writeResults(r *reducer, w *chunked.TableWriter, det *detect.Detector, opts Options) error {
	var col [nOutput]int
	for i, f := range outputFields {
		col[i] = w.Field(f)
	}
	keys := make([]key, 0, len(r.groups))
	for k := range r.groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].host < keys[j].host || keys[i].host == keys[j].host && keys[i].guid < keys[j].guid
	})
	s := det.NewScorer()
	for _, k := range keys {
		g := r.groups[k]
		// The earliest MaxTimes of the union, whatever the partials held:
		// the same result for any spread of the events.
		if g.prune(r.limits.MaxTimes) {
			r.cappedGroups[k] = true
		}
		sort.Slice(g.conns, func(i, j int) bool { return lessConn(g.conns[i], g.conns[j]) })
		sort.Slice(g.queries, func(i, j int) bool { return lessQuery(g.queries[i], g.queries[j]) })
		ev := detect.Event{Host: []byte(g.host), User: []byte(g.user), Image: []byte(g.image), ParentImage: []byte(g.parent),
			OriginalFileName: []byte(g.ofn), Description: []byte(g.desc), Product: []byte(g.product), CommandLine: []byte(g.cmd)}
		evidence := map[string]*hostEvidence{}
		at := func(h string) *hostEvidence {
			e := evidence[h]
			if e == nil {
				e = &hostEvidence{}
				evidence[h] = e
			}
			return e
		}
		// DNS: every query's answers name addresses; a query for a service
		// is itself a request to it.
		type answer struct {
			host string
			t    float64
		}
		byIP := map[string][]answer{}
		for _, q := range g.queries {
			h := string(detect.NormalizeHost(nil, []byte(q.name)))
			for _, ip := range answers(q.results) {
				byIP[ip] = append(byIP[ip], answer{h, q.t})
			}
			if _, _, ok := det.Service([]byte(h)); ok {
				at(h).queries = append(at(h).queries, q.t)
			}
		}
		// Connections: named by their host name when it names a service,
		// else by the same process's DNS answer for that address nearest in
		// time (within the window, either side: Sysmon can log the query
		// after the connection), which must itself name a service. An
		// address shared by a service and another site goes to whichever
		// the process asked for nearest the connection.
		for _, c := range g.conns {
			h := string(detect.NormalizeHost(nil, []byte(c.host)))
			if _, _, ok := det.Service([]byte(h)); !ok {
				h = ""
				best := math.Inf(1)
				for _, a := range byIP[c.ip] {
					if d := math.Abs(c.t - a.t); d <= opts.Window && (d < best || d == best && a.host < h) {
						h, best = a.host, d
					}
				}
				if _, _, ok := det.Service([]byte(h)); !ok {
					h = ""
				}
			}
			if h != "" {
				at(h).conns = append(at(h).conns, c.t)
			}
		}
		// The command line (and a decoded command): hosts it names.
		base := s.Score(&ev)
		baseCat := base.Category
		baseURL, baseDecoded := string(base.URL), string(base.Decoded)
		for _, h := range base.Hosts {
			at(string(h)).cmd = true
		}
		// One row per service category.
		byCat := map[string][]string{}
		for h := range evidence {
			svc, _, ok := det.Service([]byte(h))
			if !ok {
				continue
			}
			byCat[svc.Category] = append(byCat[svc.Category], h)
		}
		cats := make([]string, 0, len(byCat))
		for c := range byCat {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, cat := range cats {
			hosts := byCat[cat]
			sort.Slice(hosts, func(i, j int) bool {
				ni := len(evidence[hosts[i]].conns) + len(evidence[hosts[i]].queries)
				nj := len(evidence[hosts[j]].conns) + len(evidence[hosts[j]].queries)
				return ni > nj || ni == nj && hosts[i] < hosts[j]
			})
			var conns, queries []float64
			seenIn := map[string]bool{}
			for _, h := range hosts {
				e := evidence[h]
				conns = append(conns, e.conns...)
				queries = append(queries, e.queries...)
				if len(e.conns) > 0 {
					seenIn["connection"] = true
				}
				if len(e.queries) > 0 {
					seenIn["DNS"] = true
				}
				if e.cmd {
					seenIn["CommandLine"] = true
				}
			}
			times := conns
			if len(times) == 0 {
				times = queries
			}
			poll := Poll(times)
			polling := poll.Judged && poll.Score >= PollThreshold
			one := ev
			reached := hosts
			if baseCat != cat {
				// Else the command line names this service and comes
				// first: its evidence (raw content, URL) counts as it is.
				one.QueryName = []byte(hosts[0]) // the service of this row comes first
				reached = hosts[1:]
			}
			one.Reached = make([][]byte, len(reached))
			for i, h := range reached {
				one.Reached[i] = []byte(h)
			}
			if polling {
				one.Poll = &detect.Polling{Host: hosts[0], Interval: poll.Interval, Requests: poll.Count, Regularity: poll.Score}
			}
			res := s.Score(&one)
			pass := res.Pass // detect's rule, the same as t1102score's
			if !opts.All && !pass {
				continue
			}
			risk := res.RiskScore
			reasons := make([]string, 0, len(res.Reasons))
			for _, rs := range res.Reasons {
				reasons = append(reasons, string(rs))
			}
			w.SetString(col[oHost], g.hostName)
			w.SetString(col[oDest], g.hostName)
			w.SetString(col[oGUID], "{"+g.guid+"}")
			for _, f := range []struct {
				v    string
				cols []int
			}{
				{g.image, []int{oImage, oProcessPath}}, {g.cmd, []int{oCmd, oProcess}}, {g.parent, []int{oParent}},
				{g.user, []int{oUser, oCIMUser}}, {g.ofn, []int{oOFN}},
			} {
				for _, c := range f.cols {
					if f.v != "" {
						w.SetString(col[c], f.v)
					}
				}
			}
			if g.image != "" {
				w.SetString(col[oProcessName], string(detect.Basename([]byte(g.image))))
			}
			if g.parent != "" {
				w.SetString(col[oParentProcessName], string(detect.Basename([]byte(g.parent))))
			}
			w.SetString(col[oService], cat)
			w.SetMulti(col[oDomains], hosts)
			w.SetMulti(col[oSeenIn], sortedKeys(seenIn))
			w.SetInt(col[oConnections], len(conns))
			w.SetInt(col[oQueries], len(queries))
			all := append(append([]float64(nil), conns...), queries...)
			if len(all) > 0 {
				lo, hi := all[0], all[0]
				for _, t := range all {
					lo, hi = math.Min(lo, t), math.Max(hi, t)
				}
				w.SetString(col[oFirstSeen], ftoa(lo))
				w.SetString(col[oLastSeen], ftoa(hi))
				w.SetString(col[oTime], ftoa(lo)) // the row's time is when the process first reached the service
			} else if g.start > 0 {
				w.SetString(col[oTime], ftoa(g.start)) // only the command line names it: when the process started
			}
			w.SetInt(col[oPollCount], poll.Count)
			if poll.Count >= 2 {
				w.SetString(col[oPollInterval], ftoa(math.Round(poll.Interval*1000)/1000))
				w.SetString(col[oPollJitter], ftoa(math.Round(poll.Jitter*1000)/1000))
			}
			if poll.Judged {
				w.SetString(col[oPollScore], ftoa(poll.Score))
			}
			w.SetInt(col[oPolling], detect.B2I(polling))
			w.SetInt(col[oSuspicious], detect.B2I(res.Suspicious))
			w.SetInt(col[oEncoded], detect.B2I(res.Encoded))
			w.SetInt(col[oOfficeParent], detect.B2I(res.OfficeParent))
			w.SetInt(col[oServiceSpawn], detect.B2I(res.ServiceSpawn))
			w.SetInt(col[oSuspicion], res.SuspicionScore)
			w.SetInt(col[oRisk], risk)
			w.SetMulti(col[oReasons], reasons)
			if baseURL != "" && baseCat == cat {
				w.SetString(col[oURL], baseURL)
				w.SetString(col[oCIMURL], baseURL)
			}
			if baseDecoded != "" {
				w.SetString(col[oDecoded], baseDecoded)
			}
			if pass {
				w.SetString(col[oTechniqueID], detect.MitreTechniqueID)
				w.SetString(col[oTechnique], detect.MitreTechnique)
				w.SetString(col[oTacticID], detect.MitreTacticID)
				w.SetString(col[oTactic], detect.MitreTactic)
			}
			w.EndRow()
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
