// Package splunkd emulates splunkd's side of the chunked search command
// protocol (v2, "SCP v2", "chunked 1.0"): it starts a real command
// executable as a child process, talks to it over stdin and stdout exactly
// as splunkd does, and checks every rule of the protocol on the way, so
// that tests, demos and benchmarks can trust a command that passes it. It
// is independent of any command-side implementation of the protocol: its
// framing and CSV code are its own, and reply bodies are parsed with the
// standard library's encoding/csv in strict mode as an oracle.
//
// Section numbers in brackets, like [§4.2], refer to the project's
// protocol notes (SCPV2.md).
//
// # A search
//
// [Run] plays one search described by a [Search]:
//
//  1. Probes: the search optimizer's extra processes get getinfo, reply,
//     get EOF and must exit 0 [§1.3].
//  2. The main process gets getinfo (splunkd 8.x shape, compact JSON,
//     percent-encoded search) and replies with its [Config] [§3].
//  3. Execute messages follow, shaped by the declared type [§4, §7]:
//     streaming and stateful commands get the input in chunks of
//     Search.ChunkRows rows (only the required fields plus _chunked_idx,
//     when required_fields is declared, and output rows are merged back with
//     the withheld fields); events commands get all fields in one chunk;
//     reporting commands get their required fields in one chunk; generating
//     commands get header-only chunks until they answer finished:true. A
//     streaming_preop runs its map phase on every simulated indexer first
//     and the reduce process gets the union of the map outputs.
//  4. stdin is closed; the process must write nothing more and exit 0
//     within the timeout (non-zero after an error reply) [§1.4, §8].
//
// # What is checked
//
// Replies must have a header matching exactly
//
//	^chunked 1\.0,(0|[1-9][0-9]*),(0|[1-9][0-9]*)\n$
//
// with byte counts; exactly one reply per request (bytes arriving when no
// reply is due are unsolicited); metadata that is a JSON object with only
// the allowed keys (no "partial", no "requires_preop"); "finished" echoed
// on execute replies; bodies that are valid UTF-8 and parse with
// encoding/csv (header row, unique names, rows as wide as the header);
// well-formed $-encoded __mv_ cells that agree with their plain cells; and
// _chunked_idx kept, never invented nor repeated. Every read and write has a
// timeout and reply sizes are capped before any allocation, so a broken
// command can make Run fail but never hang or exhaust memory. A broken
// rule is reported as a [*Violation] naming the process, the message
// exchange and the byte offset in the command's stdout; it wraps one of the
// Err* sentinels for [errors.Is]. A command that reports a fatal error
// properly yields a [*CommandError].
//
// # Recordings
//
// [SplitStream] parses recorded splunkd→command traffic and [Replay] feeds
// it to a command, one message at a time, with the same reply checks.
//
// # Command line
//
// The splunkdemu command (src/cmd/splunkdemu, its flags in
// src/internal/emucli) runs a search over a CSV or JSON-lines file and
// prints the results as a table, or replays a recording:
//
//	make build
//	bin/splunkdemu -input testdata/events/atomic.csv -indexers 3 -chunk-rows 2 -- bin/t1102score filter=true
//	bin/splunkdemu -replay ../shared/scpv2/recordings/ndietrich-scp2/extracted/stateful.splunk-to-command.bin -no-args -- bin/t1102score
//
// (the recordings are in ../shared beside the checkout, not in a clone).
// Its exit status is 0 on success, 1 when the command reported an error or
// could not run, 2 when it broke a rule of the protocol (the message names
// the process, the exchange and the byte offset) and 64 on bad flags.
// splunkdemu backtest is package backtest's scheduler.
package splunkd
