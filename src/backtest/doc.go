// Package backtest replays a Splunk app's scheduled searches over exported
// events, as splunkd's scheduler would, and reports the alerts they would
// have raised and when: for a detection engineer trying an alert on their
// own data before enabling it, and for the project's tests.
//
// It is built on the splunkd emulator (package splunkd): the app's custom
// search commands run as their real executables, over the chunked
// protocol, on simulated indexers. The SPL around them is evaluated by
// [Engine], which knows only what moves data (the base search with the
// app's macros and time modifiers, search, where, sort, fields, table,
// head, eval assignments, inputlookup, outputlookup, collect, fieldformat,
// timechart ... count by) and refuses anything else with [ErrUnsupported]:
// the judgement belongs in the Go commands.
//
// [Run] is the scheduler: savedsearches.conf's enableSched = 1 stanzas,
// cron_schedule ([Cron]), dispatch.earliest_time and dispatch.latest_time
// ([ParseTime]) relative to each scheduled minute, then the alert
// condition, digest mode and throttling. A [State] keeps lookups (in a
// working folder initialised from the app's) and summary indexes across
// runs.
//
// The custom commands run as the real binaries (the app's bin/ or
// <platform>/bin/, or Engine.Commands) through the emulator on
// Engine.Indexers simulated peers. Besides the schedule, Run honours
// earliest= and latest= in a search, the app's macros (default, then
// local), the alert condition, alert.digest_mode and throttling
// (alert.suppress.fields, alert.suppress.period). Options.First runs saved
// searches once before the schedule, as a user runs a backfill.
//
// # Command line
//
// splunkdemu backtest (src/internal/emucli) is Run for a user's exported
// events; splunkdemu backtest -h lists its flags:
//
//	bin/splunkdemu backtest -app . -events export.csv -from 2026-11-02T00:00:00Z -to 2026-11-05T00:00:00Z \
//	    -first "T1102.003 - Fleet baseline backfill" \
//	    -search "T1102.003 - Web Service One-Way C2" -search "T1102.003 - Fleet baseline" \
//	    -fields dest,process_name,is_legit_webservice,risk_score,t1102_reasons
//
// It prints one line per alert raised (trigger time, search, the -fields),
// then runs, results, alerts and suppressed alerts per search. Lookups live
// in a working copy of the app's (-state keeps it, with the summary indexes
// collect fills, for a later backtest); events without a source get
// -source (Sysmon's channel by default, what t1102_sysmon matches).
//
// Errors wrap the sentinels ErrUnsupported, ErrSyntax, ErrConf, ErrLookup,
// ErrCommand, ErrMissingField and ErrEvents (or a splunkd error, through
// ErrCommand), and errors of a search are *SearchError values naming the
// saved search, the scheduled run and the pipeline segment. Nothing panics
// on bad input.
package backtest
