// Package chunked implements the command side of Splunk's chunked custom
// search command protocol, version 2 ("SCP v2", commands.conf chunked = true).
//
// splunkd starts the command with no protocol arguments and talks to it over
// stdin and stdout in strict alternation: it writes one message, the command
// writes exactly one reply. Every message in either direction is
//
//	chunked 1.0,<meta_bytes>,<body_bytes>\n<metadata JSON><body CSV>
//
// where the two lengths are decimal byte (not character) counts and nothing
// separates the metadata from the body or one message from the next.
//
// The first message is getinfo: its metadata describes the search
// ([SearchInfo]) and the command answers with its declaration ([Config]):
// its type (streaming, stateful, events, reporting), the fields it needs,
// an optional streaming_preop (the map phase of a map/reduce command), and
// inspector messages. Then come execute messages, each a CSV body of rows
// with a finished flag; each gets one reply carrying the output rows and the
// same finished flag. End of input (EOF on stdin) ends the session; a process
// that receives getinfo and then EOF is a probe started by splunkd's search
// optimizer and must answer and exit with status 0. The input is whole only
// once an execute message said finished=true (or a generating command
// answered finished=true): a message after that is refused with
// [ErrAfterFinished], and EOF after execute messages but before it is
// [ErrUnfinished] (exit status 1; no reply, as splunkd has closed stdin).
//
// A command implements [Command]; [Run] drives the whole exchange, turns
// every failure into a message the user sees (the reply's error plus an
// inspector ERROR naming the chunk, byte offset, row or field) and returns
// the exit status. [Table] decodes a body in one pass without per-row
// allocations and [Writer] encodes a reply. [PerRow] and [Accumulate] adapt
// row-wise and whole-input logic to the [Processor] interface.
//
// # CSV dialect
//
// Bodies are RFC 4180-like: comma separated, '"' quotes with '""' as an
// escaped quote, first row = field names. Lines end in LF (splunkd) or CRLF
// (the Python SDK); both are accepted and CR or LF inside a quoted value are
// data. splunkd quotes every non-empty cell that is not ^[A-Za-z0-9]+$; the
// writer here quotes only what needs it (comma, quote, CR, LF, or a leading or
// trailing space), which splunkd accepts.
//
// A multivalue field f travels in two columns: f holds the values joined by
// "\n", and __mv_f holds each value wrapped in '$', joined by ';', with '$'
// doubled inside a value ("$a$;$b$$c$" is a and b$c). A non-empty __mv_ cell
// takes precedence over the plain one. __mv_ columns are matched by name,
// wherever they are, and are optional in both directions.
//
// # Invalid UTF-8
//
// Bodies are meant to be UTF-8. A body that is not valid UTF-8 is repaired
// before it is parsed: each run of invalid bytes becomes one U+FFFD (the
// Python SDK's errors="replace" decoding makes one per bad byte; both give
// valid text). Values a command writes are repaired the same way, so a reply
// is always valid UTF-8. The command is told through [Table.Repaired] and
// [Run] adds one inspector WARN per process.
//
// # Handlers
//
// Four shapes of command logic fit [Processor]: [PerRow] for streaming and
// stateful commands (one row at a time, a reply per chunk);
// [PerRowParallel] for rows independent of each other, a large chunk cut
// into one slice per core, since splunkd sends the next chunk only after
// the reply; [Accumulate] for events and reporting commands and for the
// reduce phase of a map/reduce command (declared through streaming_preop),
// whose output goes with the reply to the last chunk; and [ProcessorFunc]
// for anything else, generating commands included.
//
// # Limits
//
// Lengths are read before anything is allocated: metadata above
// [DefaultMaxMetadata] (16 MiB) or a body above [DefaultMaxBody] (1 GiB;
// commands take -max-chunk-bytes) is refused, and memory grows with the
// bytes actually received, never with a declared length: a gigabyte
// announced with 8 MiB sent costs under 64 MiB. Reads
// loop over short reads, and nothing is ever written unasked: one reply per
// message.
//
// # How a reply is written
//
// A copied input row is one cell (its bytes from the first field to the
// last, commas included) unless one of its fields is set again. Each row is
// encoded in one pass over its cells in column order (a row whose cells
// were set out of order is put in order first, the last value set
// winning); runs of empty fields become runs of commas, and quoting and
// multivalue encoding copy the runs between special bytes rather than byte
// by byte. The output header is the union of the fields set in the reply;
// _chunked_idx and every input cell are copied byte for byte. The body's
// length is computed first and the body then written to the pipe in
// pieces, so it is never held encoded whole beside its rows.
//
// Replies built whole before they are sent (a reduce phase's, tens of
// megabytes) call [TableWriter.EncodeEachRow]: each row is encoded when it
// ends and the reply is held once, as the bytes to send, in 1 MiB blocks,
// rather than as cells pointing at values. A processor done with a large
// input chunk calls [Table.Release] so that the body and its parsed cells
// can be collected before the output is built; the reader keeps no body
// buffer larger than 32 MiB between chunks.
//
// Sources for every rule: the project's protocol notes, reconstructed from
// the Python SDK (splunklib/searchcommands), Splunk's commands.conf.spec and
// recorded splunkd traffic from Splunk 6.3, 8.0.3 and 8.2.1.
package chunked
