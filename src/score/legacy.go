package score

import (
	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
)

// The original detection (logic=legacy): its five fields and its eight
// outputs, kept so that the current logic can be compared with it on the
// same data.
var legacyInputs = []string{"eventcode", "destinationhostname", "image", "commandline", "parentimage"}

func legacyFields(o Options) []string {
	var out []string
	for _, f := range legacyInputs {
		out = append(out, o.Fields[f])
	}
	return out
}

type legacyRows struct {
	opts   Options
	scorer detect.LegacyScorer
	in     [5]int
	out    [8]int
	outSet bool
}

func (h *legacyRows) Start(in *chunked.Table) error {
	for i, f := range legacyInputs {
		h.in[i] = in.Index(h.opts.Fields[f])
	}
	return nil
}

func (h *legacyRows) Row(in chunked.Row, out *chunked.TableWriter) error {
	r := h.scorer.Score(detect.LegacyEvent{
		EventCode: in.Get(h.in[0]), DestinationHostname: in.Get(h.in[1]), Image: in.Get(h.in[2]),
		CommandLine: in.Get(h.in[3]), ParentImage: in.Get(h.in[4]),
	})
	if h.opts.Filter && !r.Pass {
		return nil
	}
	out.Copy(in)
	if !h.outSet {
		for i, f := range outputFields[:8] {
			h.out[i] = out.Field(f)
		}
		h.outSet = true
	}
	out.Set(h.out[0], r.DestHost)
	out.Set(h.out[1], r.InitiatingImage)
	out.SetString(h.out[2], r.Service)
	out.SetInt(h.out[3], detect.B2I(r.Suspicious))
	out.SetInt(h.out[4], detect.B2I(r.Encoded))
	out.SetInt(h.out[5], detect.B2I(r.OfficeParent))
	out.SetInt(h.out[6], detect.B2I(r.ServiceSpawn))
	out.SetInt(h.out[7], r.Score)
	out.EndRow()
	return nil
}
