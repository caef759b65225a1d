package fieldmap

import (
	"github.com/t1102app/t1102/src/chunked"
)

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
	command string
	next    chunked.Processor
	renamed []Renamed
	done    bool
}

func (c *checkRenamed) Process(ch *chunked.Chunk) error {
	if !c.done && ch.In.Len() > 0 {
		c.done = true
		for _, r := range c.renamed {
			if ch.In.Index(r.Field) < 0 {
				ch.Message(chunked.LevelWarn, "%s: %s=%s: the input has no field %q (none of the first %d events has it); check the field name", c.command, r.Arg, r.Field, r.Field, ch.In.Len())
			}
		}
	}
	return c.next.Process(ch)
}

// WarnMissing returns p, wrapped in the check of the map's <name>_field=
// arguments when there are some; command names the command in the
// warning.
func (m *Map) WarnMissing(command string, p chunked.Processor) chunked.Processor {
	if len(m.Renamed) == 0 {
		return p
	}
	return &checkRenamed{command: command, next: p, renamed: m.Renamed}
}
