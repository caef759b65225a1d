package score

import (
	"github.com/t1102app/t1102/src/chunked"
)

// Renamed is one <name>_field=<field> argument.
type Renamed struct {
	Arg   string // the argument's name, e.g. "image_field"
	Field string // the input field it names
}

// checkRenamed wraps next: at the first chunk that has rows, it adds an
// inspector WARN for each <name>_field= argument whose field is not among
// the chunk's fields, so that a misspelt field name does not silently
// score every row as if the field were empty. splunkd sends a streaming
// command the required_fields that exist in the events and leaves out the
// ones that do not (commands.conf.spec, required_fields; the emulator
// does the same), so a field absent from the first chunk's header is
// absent from its events. The check runs once per process (on indexers,
// once per indexer), on the header only: the rows are not looked at.
type checkRenamed struct {
	next    chunked.Processor
	renamed []Renamed
	done    bool
}

func (c *checkRenamed) Process(ch *chunked.Chunk) error {
	if !c.done && ch.In.Len() > 0 {
		c.done = true
		for _, r := range c.renamed {
			if ch.In.Index(r.Field) < 0 {
				ch.Message(chunked.LevelWarn, "%s: %s=%s: the input has no field %q (none of the first %d events has it); check the field name", Name, r.Arg, r.Field, r.Field, ch.In.Len())
			}
		}
	}
	return c.next.Process(ch)
}

// withRenameCheck returns p, wrapped in the check when there are renamed
// fields.
func withRenameCheck(p chunked.Processor, renamed []Renamed) chunked.Processor {
	if len(renamed) == 0 {
		return p
	}
	return &checkRenamed{next: p, renamed: renamed}
}
