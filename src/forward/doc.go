// Package forward implements the t1102_forward custom alert action: it
// reads the payload splunkd writes on stdin (payload_format = json) and
// every row of the alert's results file, and delivers each result as an
// event to a Splunk HTTP Event Collector, a JSON webhook or Splunk Cloud
// Services' ingest API, with retries, a spool that keeps undelivered
// events for the next run, and secrets read from splunkd's credential
// store, never from configuration.
//
// splunkd runs <app>/<platform>/bin/t1102_forward --execute. [Run] reads
// results_file (gzipped CSV, __mv_ multivalues as lists) and turns each row
// into an event with the detection fields, the search name, sid, results
// link, MITRE fields and a stable id, a hash of the search name and the
// result: the same result has the same id, so receivers de-duplicate on it.
//
// # Delivery and the spool
//
// Delivery is at least once with stable ids: every event is written to the
// spool before anything is sent and removed only once the receiver has
// acknowledged its batch, so a process killed between sending and the
// acknowledgement sends the same event again next time, under the same id;
// events already waiting are not spooled twice. Alerts that fire together
// share the spool: each run spools its events, then one run at a time sends
// (a lock file naming the sender's process; a lock whose process is gone,
// or older than max_time plus two minutes, is taken over), so every event
// goes once (TestConcurrentRuns, TestRunDuringDrain). Results the spool
// cannot take (a read-only or full filesystem) are sent directly, and an
// ERROR line counts them, delivered and lost.
//
// Batches go to HEC (/services/collector/event, gzip, index, sourcetype and
// source), to a webhook (a JSON array, Authorization: Bearer <token> when a
// credential is set) or to Splunk Cloud Services (the SDK's ingest
// PostEvents, with the event id). Network errors, 429 and 5xx are retried
// with exponential backoff and ±50 % jitter within max_time. A batch
// rejected for its content (400, 413, 422) is set aside as
// <batch>.jsonl.refused in the spool, with an ERROR line, and the batches
// after it still go (rename it back to .jsonl to send it again once fixed);
// other refusals (401, 403, 404) stop the run at once. Redirects are not
// followed, by the SDK's client either: a redirected POST is not a
// delivery. A damaged spool file is set aside as .bad, with a WARN.
//
// # Secrets and what the logs show
//
// The token is read from storage/passwords (GET
// /servicesNS/nobody/<app>/storage/passwords/<realm>:<name>: with the
// payload's server_uri and session_key), never from a conf value, and never
// appears in a log line, an error or the spool. The URL, allow_http and
// ca_file are checked before a token is fetched or anything is spooled.
// Messages and the spool folder's name show only the receiver's scheme and
// host, never the URL's path, where webhook URLs keep their secret; the
// receiver's own text is quoted so that it cannot forge log lines, and
// redacted first: the token and Authorization value (also escaped, or
// cut), any Bearer, Basic or Splunk credential and credential-named fields.
// TLS is verified (system roots or ca_file); plain http is refused unless
// allow_http = 1. Log lines on stderr start with their level (INFO, WARN,
// ERROR).
//
// # Administrator-only settings
//
// spool_dir, ca_file and allow_http decide where the binary writes, what it
// trusts and whether it sends in clear text. splunkd hands the binary one
// merged configuration (the [t1102_forward] defaults plus the alert's
// action.t1102_forward.param.* or | sendalert t1102_forward
// param.<name>=…), and restmap.conf's validation applies only to saved
// searches saved through REST, so [AdminSettings] reads those three keys
// from the conf files itself: $SPLUNK_HOME/etc/system/local/
// alert_actions.conf, then the app's local/, then its default/ (Splunk's
// precedence in the global context; the app folder found from the binary's
// own path). A different value in the payload is ignored with a WARN naming
// the key; [t1102_forward] in another app's local/ is not read.
//
// # Exit statuses
//
// [ExitOK] 0 delivered; [ExitUsage] 2 not started with --execute, a payload
// or parameter error, or the administrator's alert_actions.conf unreadable
// (or SPLUNK_HOME unset); [ExitSecret] 3 the credential could not be read;
// [ExitRefused] 4 the receiver refused (fix the configuration; events stay
// spooled) or rejected batches (set aside); [ExitUnavailable] 5 the receiver
// stayed unavailable (events stay spooled for the next run); [ExitResults]
// 6 the results file is unreadable; [ExitSpool] 7 the spool could not be
// written or read (what it could not take was sent directly; the ERROR line
// says how many were lost).
//
// The tests run the real executable with real payload files against local
// stand-ins for HEC, a webhook, Splunk Cloud Services (through the SDK's
// host override) and storage/passwords; 10,000 results go in about 0.4 s in
// 20 batches of 500 (TestWebhookAndTenThousand).
package forward
