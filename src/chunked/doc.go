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
// Sources for every rule: the project's protocol notes, reconstructed from
// the Python SDK (splunklib/searchcommands), Splunk's commands.conf.spec and
// recorded splunkd traffic from Splunk 6.3, 8.0.3 and 8.2.1.
package chunked
