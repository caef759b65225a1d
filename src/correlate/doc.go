// Package correlate implements the t1102correlate search command: it joins
// Sysmon process creation (EventCode 1), network connection (3), file
// creation (11) and DNS query (22) events, PowerShell script blocks (4104)
// and scheduled task creations (Security 4698) per process, names each
// connection's destination through the same process's DNS answers, and
// returns one row per process identity and web service with the merged
// evidence, the t1102score fields and how regularly the process polled the
// service. The judgement itself is package detect's ([detect.Scorer.Judge]).
//
// # Map and reduce
//
// It scales the way Splunk's reporting commands do: getinfo declares
// type reporting with a streaming_preop, "t1102correlate phase=map <args>"
// (the arguments quoted per SPL: image_field="Process Image", a | kept
// inside its quotes), which splunkd runs as a streaming command next to the
// events, one process per indexer; each map process folds its whole share
// of events into one partial row per process, sent with its last reply,
// and the reduce process merges the partials. The map phase declares no
// required_fields, so splunkd sends whole events and adds no _chunked_idx:
// a partial row stands for many events, and the reduce receives at most one
// row per process and indexer.
//
// The merge is order-independent (process fields: the process creation's,
// else the smallest value; times: the earliest max_times of the union), so
// the result does not depend on how events were spread over indexers or
// chunks (TestCorpus: identical over 1, 3 and 7 simulated indexers;
// TestCapsDoNotDependOnSpread: past max_times too). Past max_groups, both
// phases keep the max_groups smallest processes by a hash of lower-case
// host and ProcessGuid, a fixed sample spread over every host whatever the
// order or spread of arrival, with all their events (keep.go,
// TestMaxGroupsDeterministic).
//
// # Grouping and naming
//
// Events are grouped by host and ProcessGuid (case-insensitive, braces
// optional). The command line, parent, user and PE names come from the
// process creation. A connection is named by its DestinationHostname when
// that names a catalogued service (not reverse DNS of shared
// infrastructure), else by the same process's DNS answers: the QueryResults
// addresses of the nearest query within window seconds on either side
// (default 3600). Events without EventCode (CIM) are a DNS query when they
// have a query, a connection when they have a destination, else a process
// creation. Field names are package fieldmap's, shared with t1102score.
//
// The unit judged is an activity: one process identity on one host with
// one web service category. A process's identity is its image and command
// line, so a scheduled task that starts a new process every hour is one
// identity (process_instances counts them); t1102_identity names it, an
// FNV-64a hash of the lower-case image and the command line, for the
// alert's throttling. A process whose creation an earlier hour saw is joined
// to it by ProcessGuid when that hour's state holds it; one whose creation
// no run kept is judged on its own, without command line or PE metadata.
//
// # Script blocks, task creations and file events
//
// A 4104 script block's parts (ScriptBlockId, MessageNumber of
// MessageTotal) are joined in order in the reduce phase, whichever indexers
// they came from. The event names no ProcessGuid: the block goes to the
// process of its Execution ProcessID on its host that started last before
// it (Sysmon's ProcessId), else it makes a row of its own for the host,
// process id and user (no ProcessGuid is made up). Its code, comments left
// out, is judged as a command line is; the reason quotes it, shortened, and
// the row gets t1102_script_path and t1102_seen_in=ScriptBlockText. The map
// phase leaves out single-part blocks that can add no evidence
// ([detect.Detector.ScriptOfInterest]), so full script block logging does
// not flood the reduce.
//
// A 4698 task creation (or schtasks.exe /create on Sysmon 1): the first
// Exec action is judged as a command line at the task's creation, before it
// has ever run; a trigger's repetition interval is declared polling, a
// hidden task counts as a hidden window. The row names the task
// (t1102_task) and its author (t1102_task_author). The task's runs (the
// same host and service, the action's program and arguments) take the
// creation's t1102_identity, so the alert's throttling treats them as one.
// A definition that cannot be read is counted in a WARN.
//
// A Sysmon 11 TargetFilename in a temp or public folder is the evidence a
// -o %TEMP%\… on a command line would be (t1102_file,
// t1102_seen_in=FileCreate), counted once whichever shows it; PowerShell's
// own files there (__PSScriptPolicyTest_*, Add-Type's compilation) are not
// evidence, and other file events are dropped in the map phase.
//
// # State and fleet rows
//
// input=events (the default) reads events through the map phase;
// input=state reads, on the search head and with no map phase, the rows
// of the state (t1102s_* columns) and of the fleet baseline (t1102f_*) from
// lookups. output=results (the default) returns result rows (only those
// that pass unless all=true); output=state returns the state; output=fleet
// folds activities into the baseline. A row that cannot be read is left out
// and counted in a WARN, never fatal.
//
// A state row is one activity: t1102s_host, the process fields
// (t1102s_image, _cmd, _parent, _user, _ofn, _desc, _product, _company),
// t1102s_service, t1102s_hosts (the service's hosts with their request
// counts, "name=count;…", the most requested first), t1102s_conns and
// t1102s_queries (times, compactly: the first in full, then differences, to
// the millisecond: "1764000000.25;300;299.875"), t1102s_cmdseen, the
// instances (t1102s_guid, _guid_start, _guids), t1102s_start and _last, and
// what telemetry added (t1102s_script, _script_path, _written, _pid, and
// the task's _task, _task_author, _task_every, _task_hidden, _task_runas,
// _task_source, _task_def, _task_id). input=state output=state merges rows
// of the same activity (the union of their requests), keeps the last
// memory seconds ([polling] memory, a day; at most seven) and the latest
// max_times requests of each kind.
//
// A fleet row is one pair of process identity and service: t1102f_identity
// (the image path with the user's folder generalised, and the PE original
// name), t1102f_service, t1102f_hosts (a sketch: the hosts' hashes exactly
// up to 64, then HyperLogLog with 256 registers, about 6.5 % off, 512 bytes
// however many hosts; both merge, so folding the state in again never counts
// a host twice), t1102f_first and t1102f_last. Pairs no host showed for
// [fleet] keep_days are dropped. Result rows carry the baseline's view as
// fleet_hosts, fleet_size and fleet_first_seen.
//
// What output=state and output=fleet write is bounded by max_rows (200,000)
// and max_mb (256), the least recently active rows left out first, with a
// WARN.
//
// # Limits
//
// Each run keeps at most max_groups processes (default 20,000) and the
// earliest max_times (default 100) connections and queries of each, before
// they are attributed to services; connection_count, dns_count, last_seen
// and the polling figures then count the kept ones. The command line is
// kept and judged whole up to Windows' 32,767 characters (padding cannot
// push a URL past a cut: TestPaddedCommandLine); other process fields are
// cut to 4 KB, names to 256 bytes, DNS answers to 512 bytes after the last
// whole answer; script blocks and task definitions to 64 MiB per phase.
// Reaching any cap is an inspector WARN.
//
// What these rows cannot show: a process whose creation fell in an earlier
// hour than its first request, and that no state row holds, has no
// command line, parent or PE metadata (Sysmon's network events carry none);
// a connection whose DNS query fell in an earlier hour and whose
// DestinationHostname is empty is not counted; Sysmon logs TCP connections,
// not requests, so a client that polls inside one kept-alive connection
// shows fewer, less regular connections than its polls.
//
// # Memory of the reduce
//
// The reduce receives the map phases' partial rows as one chunk (59 MB for
// BenchmarkMapReduce's million events of 20,000 processes): every recording
// shows events and reporting input as a single finished chunk, and a reply
// answers the whole chunk it follows, so the emulator sends it that way and
// the reply (98,672 rows there, with all=true) goes out as one chunk.
// Memory is kept to what must exist at each moment: the partial rows are
// folded one by one from the parsed chunk (process fields compared in place
// and converted only when kept, lists grown exactly, values interned), the
// chunk and its cells are released (chunked's Table.Release) before the
// reply is built, and each result row is encoded when it ends
// (TableWriter.EncodeEachRow). With the caps reached the state stops
// growing (BenchmarkMemoryBoundedByCaps, which allows 1.5× from 100,000 to
// 400,000 events). make bench prints the reduce's peak memory and events/s
// against their goals, and the alert's state searches over a day of 10,000
// hosts (BenchmarkStateSearches: 60,000 activities, 36 MiB as a lookup).
// The map phase alone (BenchmarkMapPhase, in process) makes 0.40
// allocations per event: the kept connection and query entries.
package correlate
