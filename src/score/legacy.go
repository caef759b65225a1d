package score

import (
	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/fieldmap"
	"github.com/t1102app/t1102/src/legacy"
)

// The original detection (logic=legacy): its five fields and its eight
// outputs, kept so that the current logic can be compared with it on the
// same data.
var legacyInputs = [...]fieldmap.Field{fieldmap.EventCode, fieldmap.DestinationHostname, fieldmap.Image, fieldmap.CommandLine, fieldmap.ParentImage}

func legacyFields(o Options) []string {
	var out []string
	for _, f := range legacyInputs {
		out = append(out, o.Fields.Name(f))
	}
	return out
}

type legacyRows struct {
	opts   Options
	scorer legacy.Scorer
	in     [fieldmap.NumFields]int
	out    [oSuspicion + 1]int
	outSet bool
}

func (h *legacyRows) Start(in *chunked.Table) error {
	for _, f := range legacyInputs {
		h.in[f] = in.Index(h.opts.Fields.Name(f))
	}
	return nil
}

func (h *legacyRows) Row(in chunked.Row, out *chunked.TableWriter) error {
	r := h.scorer.Score(legacy.Event{
		EventCode: in.Get(h.in[fieldmap.EventCode]), DestinationHostname: in.Get(h.in[fieldmap.DestinationHostname]), Image: in.Get(h.in[fieldmap.Image]),
		CommandLine: in.Get(h.in[fieldmap.CommandLine]), ParentImage: in.Get(h.in[fieldmap.ParentImage]),
	})
	if h.opts.Filter && !r.Pass {
		return nil
	}
	out.Copy(in)
	if !h.outSet {
		for i, f := range outputFields[:oSuspicion+1] { // the original's eight, keyed as the current logic's
			h.out[i] = out.Field(f)
		}
		h.outSet = true
	}
	out.Set(h.out[oDestHost], r.DestHost)
	out.Set(h.out[oImage], r.InitiatingImage)
	out.SetString(h.out[oService], r.Service)
	out.SetInt(h.out[oSuspicious], detect.B2I(r.Suspicious))
	out.SetInt(h.out[oEncoded], detect.B2I(r.Encoded))
	out.SetInt(h.out[oOffice], detect.B2I(r.OfficeParent))
	out.SetInt(h.out[oSpawn], detect.B2I(r.ServiceSpawn))
	out.SetInt(h.out[oSuspicion], r.Score)
	out.EndRow()
	return nil
}
