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
// Errors wrap the sentinels ErrUnsupported, ErrSyntax, ErrConf, ErrLookup,
// ErrCommand, ErrMissingField and ErrEvents (or a splunkd error, through
// ErrCommand), and errors of a search are *SearchError values naming the
// saved search, the scheduled run and the pipeline segment. Nothing panics
// on bad input.
package backtest
