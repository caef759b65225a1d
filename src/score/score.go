// Package score implements the t1102score search command: it annotates
// Sysmon events with the T1102.003 classification and score of package
// detect and, with filter=true, keeps only the events the original
// detection alerts on.
package score

import (
	"fmt"
	"runtime"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
)

// Name is the command's name in searches and in commands.conf.
const Name = "t1102score"

// Usage is the argument syntax shown with argument errors.
const Usage = "usage: t1102score [filter=<bool>]"

// Input fields the command reads; declared as required_fields, so splunkd
// extracts them (on indexers too) and sends only these plus _chunked_idx.
var inputFields = []string{"EventCode", "DestinationHostname", "Image", "CommandLine", "ParentImage"}

// Output fields, with the original SPL's names.
const (
	fieldDestHost     = "dest_host"
	fieldImage        = "initiating_image"
	fieldService      = "is_legit_webservice"
	fieldSuspicious   = "is_suspicious_process"
	fieldEncoded      = "is_encoded"
	fieldOfficeParent = "is_office_parent"
	fieldServiceSpawn = "is_service_spawn"
	fieldScore        = "suspicion_score"
)

// Command is t1102score. Its zero value is ready to use.
type Command struct{}

// Options are the parsed search-time arguments.
type Options struct {
	// Filter keeps only rows the original detection keeps (EventCode 3, a
	// known web service, a suspicious process); false annotates every row.
	Filter bool
}

// ParseOptions parses t1102score's arguments.
func ParseOptions(args []string) (Options, error) {
	var o Options
	parsed, err := chunked.ParseArgs(args)
	if err != nil {
		return o, fmt.Errorf("%s: %w; %s", Name, err, Usage)
	}
	seen := map[string]bool{}
	for _, a := range parsed {
		switch {
		case a.Name == "":
			return o, fmt.Errorf("%s: %w: unexpected %q; %s", Name, chunked.ErrArgument, a.Value, Usage)
		case seen[a.Name]:
			return o, fmt.Errorf("%s: %w: %s given twice; %s", Name, chunked.ErrArgument, a.Name, Usage)
		case a.Name == "filter":
			if o.Filter, err = chunked.ParseBool(a.Value); err != nil {
				return o, fmt.Errorf("%s: filter: %w; %s", Name, err, Usage)
			}
		default:
			return o, fmt.Errorf("%s: %w: unknown argument %q; %s", Name, chunked.ErrArgument, a.Name, Usage)
		}
		seen[a.Name] = true
	}
	return o, nil
}

// Configure implements [chunked.Command]: a streaming (distributable)
// command that needs the five fields the detection reads.
func (Command) Configure(info *chunked.GetInfo) (chunked.Config, chunked.Processor, error) {
	opts, err := ParseOptions(info.SearchInfo.Args)
	if err != nil {
		return chunked.Config{}, nil, err
	}
	cfg := chunked.Config{
		Type:           chunked.Streaming,
		RequiredFields: inputFields,
	}
	// Rows are scored independently: a large chunk is split over the cores
	// while splunkd waits for the reply.
	newRows := func() chunked.RowHandler { return &rows{opts: opts} }
	return cfg, chunked.PerRowParallel(newRows, runtime.GOMAXPROCS(0)), nil
}

// rows is the per-row handler.
type rows struct {
	opts   Options
	scorer detect.LegacyScorer
	in     [5]int // columns of inputFields in the current chunk
	out    [8]int // output columns, registered after the first row's input
	outSet bool
}

func (h *rows) Start(in *chunked.Table) error {
	for i, f := range inputFields {
		h.in[i] = in.Index(f)
	}
	return nil
}

func (h *rows) Row(in chunked.Row, out *chunked.TableWriter) error {
	r := h.scorer.Score(detect.LegacyEvent{
		EventCode:           in.Get(h.in[0]),
		DestinationHostname: in.Get(h.in[1]),
		Image:               in.Get(h.in[2]),
		CommandLine:         in.Get(h.in[3]),
		ParentImage:         in.Get(h.in[4]),
	})
	if h.opts.Filter && !r.Pass {
		return nil
	}
	out.Copy(in)
	if !h.outSet {
		for i, f := range []string{fieldDestHost, fieldImage, fieldService, fieldSuspicious,
			fieldEncoded, fieldOfficeParent, fieldServiceSpawn, fieldScore} {
			h.out[i] = out.Field(f)
		}
		h.outSet = true
	}
	out.Set(h.out[0], r.DestHost)
	out.Set(h.out[1], r.InitiatingImage)
	out.SetString(h.out[2], r.Service)
	out.SetInt(h.out[3], b2i(r.Suspicious))
	out.SetInt(h.out[4], b2i(r.Encoded))
	out.SetInt(h.out[5], b2i(r.OfficeParent))
	out.SetInt(h.out[6], b2i(r.ServiceSpawn))
	out.SetInt(h.out[7], r.Score)
	out.EndRow()
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
