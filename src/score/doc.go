// Package score implements the t1102score search command: it classifies
// and scores Sysmon (or CIM) events for T1102.003 with package detect and,
// with filter=true, keeps only the events worth an alert.
//
// One event is judged on its own: a streaming command, declared with its
// required_fields, so splunkd runs it on the indexers and sends it only the
// fields it reads. Besides Sysmon's fields it reads a script block's
// ScriptBlockText and Path (4104, with UserID as its user), a task
// definition (TaskContent, TaskName, SubjectUserName, SubjectDomainName:
// 4698, judged as its action's command line with its declared repetition;
// a definition it cannot read keeps its row, with the error as a reason) and
// Sysmon 11's TargetFilename. | t1102score check_config=true is a
// generating command instead: one row (level, file, line, message) per
// lookup row or t1102.conf setting left out, the refusal of a catalog that
// cannot be used, and a summary of the catalog in use.
//
// A bad argument, broken framing, metadata that is not JSON, a CSV error or
// a chunk over the size cap gives an error naming the chunk, byte offset,
// row and field (t1102score: chunk 1, byte 214, row 1, field "Image": bad
// quoting: 'y' after closing quote) in the reply and as an inspector ERROR;
// the process exits 1 and writes one ERROR line on stderr (search.log).
// The session key never appears in any output.
//
// # Cost
//
// make bench runs BenchmarkThroughput (100,000 Sysmon-like rows of 12
// fields in chunks of 10,000, half of them naming a catalogued service,
// through real processes and pipes) against a command that sends each body
// back untouched, the two alternated in each run, and prints the ratio of
// rows per second. Most of what separates them is not the command's: the
// strict emulator decodes and checks every reply with encoding/csv, about
// 115 ms per 100,000 rows for t1102score's replies (43 columns, 52 MB: the
// input's 16 columns copied back, the original detection's fields,
// risk_score, the reasons plain and as __mv_, and on half of the rows the
// evidence and MITRE fields) against 45 ms for the echo's (16 columns,
// 29 MB); the command itself takes about 135 ms of wall time on two cores,
// a third of it detect's scoring. Peak memory does not grow with the
// number of chunks (BenchmarkMemoryFlatInChunks), and one large chunk peaks
// at a small multiple of its size (BenchmarkMemoryPerChunk, which fails
// past 11× annotating and 8× with filter=true; a soft memory limit of 6×
// the chunk, floor 256 MiB, keeps it there).
//
// The original logic as a splunklib StreamingCommand could not be measured
// for comparison: splunklib is on PyPI only, which the project's machines
// cannot reach, and no Debian package carries it.
package score
