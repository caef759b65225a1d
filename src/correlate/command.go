package correlate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/fieldmap"
)

// Name is the command's name in searches and in commands.conf.
const Name = "t1102correlate"

// Usage is the argument syntax shown with argument errors.
const Usage = "usage: t1102correlate [input=events|state] [output=results|state|fleet] [memory=<seconds>] [max_rows=<n>] [max_mb=<n>] [window=<seconds>] [max_groups=<n>] [max_times=<n>] [all=<bool>] [catalog=default|lots] [fields=sysmon|cim] [<name>_field=<field>]..."

// What the command reads (input=) and writes (output=).
const (
	FromEvents = "events" // Sysmon (or CIM) events, map on the indexers
	FromState  = "state"  // state rows (and fleet baseline rows) from lookups
	ToResults  = "results"
	ToState    = "state"
	ToFleet    = "fleet"
)

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
	Args   []string // the arguments the map phase is given, quoted for SPL (chunked.QuoteArg)

	Input, Output string // FromEvents or FromState; ToResults, ToState or ToFleet
	// Memory overrides [polling] memory: how many seconds of requests the
	// state keeps and the judge weighs (0: the configuration's).
	Memory float64
	// MaxRows and MaxBytes bound the state and baseline written; past them
	// the least recently active rows are left out, with a warning.
	MaxRows  int
	MaxBytes int64
}

// Default bounds of the state and baseline a run writes.
const (
	DefaultMaxRows = 200_000
	DefaultMaxMB   = 256
)

// ParseOptions parses t1102correlate's arguments.
func ParseOptions(args []string) (Options, error) {
	o := Options{Window: 3600, Limits: DefaultLimits, Catalog: detect.WebServicesFile, Fields: fieldmap.Sysmon(),
		Input: FromEvents, Output: ToResults, MaxRows: DefaultMaxRows, MaxBytes: DefaultMaxMB << 20}
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
				return o, badErr(err)
			}
			o.Args = append(o.Args, chunked.QuoteArg(a.Name, a.Value)) // the map phase reads the events
			continue
		}
		switch a.Name {
		case "phase":
			if a.Value != "map" {
				return o, bad("phase=%q: only phase=map exists (splunkd runs it itself)", a.Value)
			}
			o.Map = true
			continue // not forwarded
		case "input":
			if a.Value != FromEvents && a.Value != FromState {
				return o, bad("input=%q: want events or state", a.Value)
			}
			o.Input = a.Value
		case "output":
			if a.Value != ToResults && a.Value != ToState && a.Value != ToFleet {
				return o, bad("output=%q: want results, state or fleet", a.Value)
			}
			o.Output = a.Value
		case "memory":
			f, err := strconv.ParseFloat(a.Value, 64)
			if err != nil || f < 3600 || f > detect.MaxMemory {
				return o, bad("memory=%q: want seconds, from 3600 to %d (seven days)", a.Value, detect.MaxMemory)
			}
			o.Memory = f
		case "max_rows":
			if o.MaxRows, err = positive(a.Name, a.Value); err != nil {
				return o, err
			}
		case "max_mb":
			n, err := positive(a.Name, a.Value)
			if err != nil {
				return o, err
			}
			o.MaxBytes = int64(n) << 20
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
				return o, badErr(cerr)
			}
		default:
			return o, bad("unknown argument %q", a.Name)
		}
		o.Args = append(o.Args, chunked.QuoteArg(a.Name, a.Value))
	}
	if o.Map && o.Input != FromEvents {
		return o, bad("phase=map reads events: input=%s has no map phase", o.Input)
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
		return chunked.Config{Type: chunked.Streaming}, opts.Fields.WarnMissing(Name, &mapper{limits: opts.Limits, fields: opts.Fields, appDir: c.AppDir, catalog: opts.Catalog}), nil
	}
	cat, err := detect.LoadCatalog(c.AppDir, opts.Catalog)
	if err != nil {
		return chunked.Config{}, nil, fmt.Errorf("%s: %w", Name, err)
	}
	red := &reducer{limits: opts.Limits, opts: opts, det: detect.NewDetector(cat), now: searchTime(info.SearchInfo.LatestTime)}
	// The rows and settings the catalog left out, on every search (see
	// detect.Catalog.Warnings): never silent, never fatal.
	var warnings []chunked.InspectorMessage
	for _, w := range cat.WarningTexts() {
		warnings = append(warnings, chunked.InspectorMessage{Level: chunked.LevelWarn, Text: Name + ": " + w})
	}
	if opts.Input == FromState {
		// Rows from lookups, on the search head: no map phase.
		return chunked.Config{Type: chunked.Reporting, RequiredFields: append(stateFields[:], fleetFields[:]...), Messages: warnings}, red, nil
	}
	preop := strings.Join(append([]string{Name, "phase=map"}, opts.Args...), " ")
	cfg := chunked.Config{Type: chunked.Reporting, RequiredFields: partialFields[:], StreamingPreop: preop}
	cfg.Messages = append(cfg.Messages, warnings...)
	return cfg, red, nil
}

// searchTime reads the search's latest time (epoch seconds as splunkd
// sends it; "0" or empty: unbounded).
func searchTime(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return f
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
	oPollRequired
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
	// Identity and the fleet.
	oIdentity
	oInstances
	oFleetHosts
	oFleetSize
	oFleetFirst
	oProcessID
	oTask
	oTaskAuthor
	oScriptPath
	oFile
	nOutput
)

// outputFields are the output field names, in order.
var outputFields = [nOutput]string{
	oHost: "host", oGUID: "ProcessGuid", oImage: "Image", oCmd: "CommandLine", oParent: "ParentImage", oUser: "User", oOFN: "OriginalFileName",
	oService: "is_legit_webservice", oDomains: "t1102_domains", oSeenIn: "t1102_seen_in", oConnections: "connection_count", oQueries: "dns_count",
	oFirstSeen: "first_seen", oLastSeen: "last_seen",
	oPollCount: "poll_count", oPollInterval: "poll_interval", oPollJitter: "poll_jitter", oPollScore: "poll_score", oPollRequired: "poll_required", oPolling: "is_polling",
	oSuspicious: "is_suspicious_process", oEncoded: "is_encoded", oOfficeParent: "is_office_parent", oServiceSpawn: "is_service_spawn",
	oSuspicion: "suspicion_score", oRisk: "risk_score",
	oReasons: "t1102_reasons", oURL: "t1102_url", oDecoded: "t1102_decoded",
	oTechniqueID: "mitre_technique_id", oTechnique: "mitre_technique", oTacticID: "mitre_tactic_id", oTactic: "mitre_tactic",
	oTime: "_time", oDest: "dest", oCIMUser: "user", oProcess: "process", oProcessPath: "process_path", oProcessName: "process_name",
	oParentProcessName: "parent_process_name", oCIMURL: "url",
	oIdentity: "t1102_identity", oInstances: "process_instances", oFleetHosts: "fleet_hosts", oFleetSize: "fleet_size", oFleetFirst: "fleet_first_seen",
	oProcessID: "process_id", oTask: "t1102_task", oTaskAuthor: "t1102_task_author", oScriptPath: "t1102_script_path", oFile: "t1102_file",
}
