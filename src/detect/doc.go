// Package detect holds the detection logic of T1102.003 (Web Service:
// One-Way Communication): which web service a process reached, what kind of
// process it is, what it does with what it fetched, and how suspicious that
// is, with a reason for each signal.
//
// A [Catalog] is what users tune (the app's lookups and t1102.conf), loaded
// once by [LoadCatalog] and compiled by [NewDetector] into exact domain
// sets, name maps and [Glob] patterns; a [Scorer] then judges one [Event]
// at a time without allocating. Both search commands, t1102score per event
// and t1102correlate per process and service, take their flags, risk_score,
// reasons and pass rule from [Scorer.Score] (one event) and [Scorer.Judge]
// (an [Activity]: one process identity with one service over time): the
// judgement lives here only. The original detection's SPL, kept as the
// baseline, is package legacy.
//
// # Where the service shows
//
// Sysmon 3: DestinationHostname, unless it is the reverse DNS of shared
// infrastructure (t1102_not_evidence.csv: *.1e100.net,
// *.bc.googleusercontent.com, …). Sysmon 22: QueryName. CommandLine, on
// every event that carries one (process creations, and network or DNS
// events enriched with their process's fields): every host written there —
// after a scheme, after //, inside quotes or script text, after /i:,
// script:, /FORMAT:, -Uri, or bare (iwr raw.githubusercontent.com/x) — but
// not a path or file name (C:\tools\x.com) nor a host inside another URL's
// path; and inside a decoded -EncodedCommand. Events without EventCode
// (CIM) are looked at in all three places. Script blocks (4104), task
// definitions (4698) and created files (Sysmon 11) are judged as a command
// line would be (see [Detector.ScriptOfInterest], [ParseTaskXML], [TempWrite]).
//
// Domains match exactly: a host matches an entry when it equals it or ends
// with "." + the entry, ignoring ASCII case and a trailing dot; never a
// substring (www.dropbox.com is not x.com, smart.meraki.com is not t.me,
// raw.githubusercontent.com.evil.example is not GitHub). The allowlist's
// domains match the same way.
//
// # The signals
//
// Processes are matched by the exact basename of Image (either path
// separator) against t1102_processes.csv (script engines, shells, LOLBins,
// downloaders); a renamed copy is caught by OriginalFileName, or by
// Description when that is missing. The class is a weight of the risk
// ([process_class] of t1102.conf), never a condition: a program outside the
// catalog still passes on its evidence.
//
// Encoded PowerShell, in PowerShell (by name, PE name, or a command line
// that runs it): -EncodedCommand under any prefix PowerShell accepts (-e,
// -en, -enc, … and the alias -ec), introduced by -, /, an en dash, em dash
// or horizontal bar and followed by white space and a value, cmd's ^
// escapes ignored, not -ea, -ep, -Exec or -ExecutionPolicy;
// FromBase64String anywhere; a base64 argument of 40 or more characters
// that decodes to UTF-16LE text. The decoded script is reported (first 512
// bytes) and searched for services.
//
// Parents by exact basename (t1102_parents.csv): Office and PDF readers;
// service and scheduled-task hosts.
//
// Command retrieval, looked for on rows that name a service, each a reason
// and a weight of [risk]: command endpoints, URL paths that exist to hand
// out commands or payloads (command_paths of the web-service lookup: a
// Telegram bot's getUpdates, a paste's /raw/, gist raw files, Discord
// webhooks and attachments); raw content (raw_paths); download and execute
// (IEX or Invoke-Expression of fetched content, exec( or eval( of a
// fetched body in Python, Node.js or Ruby one-liners, a download piped into
// sh or iex, regsvr32 /i:http…, script:http… monikers, wmic /format:http…,
// mshta on a URL); a hidden window (-WindowStyle Hidden under any
// abbreviation, or 1; conhost --headless); a temp or public folder (%TEMP%,
// $env:TEMP, AppData\Local\Temp, Windows\Temp, Users\Public, /tmp/). With
// an [Activity], polling ([Poll]) and the fleet add theirs.
//
// # What lowers the risk
//
// Context lowers, never hides (t1102_context.csv:
// kind,process,path,parent_path,command_line,url,user,comment,source; *
// wildcards, the whole value must match, ASCII case ignored, every
// non-empty column must match, and a rule must name a path, parent path,
// command line or URL): release assets and source archives
// (artifact_download; every URL of the command line must be one), package
// managers, IT agents by install path and only as NT AUTHORITY\SYSTEM,
// security agents, CI runners run as services, browsers at their install
// paths. The first matching rule, the user's t1102_context_local.csv
// first, takes its kind's weight ([context]) off risk_score; the row stays,
// with the reason "context: <kind> (<file>:<line>)".
//
// The program's identity: a program that is no interpreter or LOLBin, whose
// PE Company is the service provider's and whose image is where the
// provider installs it (t1102_clients.csv) is the service's own client,
// context own_client. Version info copied onto a file of the client's name
// elsewhere (an implant named OneDrive.exe in AppData\Roaming) is no
// client: unexpected_path.
//
// The allowlist (t1102_allowlist.csv: host,user,process,path,pe_name,
// domain,comment): every rule names the domains (a;b) the program may
// reach, and at least a host, user, process, path or PE name; path is a
// wildcard pattern on Image, pe_name the exact OriginalFileName. An
// allowlisted row gets risk_score 0 and never passes. A file named like an
// allowlisted program but outside every path the list gives it
// (C:\Users\Public\MsMpEng.exe) is not allowlisted and gets the
// unexpected_path weight.
//
// None of what lowers the risk (context, own client, allowlist, a common or
// established pair) applies to a process that runs what it fetched, asks a
// command endpoint, is a renamed binary or runs outside its expected path.
//
// # Polling
//
// [Poll] works on a process identity's requests to one service: its
// connections, or its DNS queries when it made none (Sysmon logs a query
// only when the resolver's cache misses); events less than [BurstGap]
// apart are one request. On the intervals between them, with median m and
// pauses left out (intervals over 3·m, a laptop asleep, while they are at
// most a fifth of the intervals), the regularity is 1 − mean(|x − m|)/m: 1
// for a fixed period, 0.75–0.83 for 50 % jitter of either kind (Cobalt
// Strike's [(1−j)P, P] or [(1−j)P, (1+j)P]), about 0.2 for requests at
// random times. RITA's MAD and Bowley skew are left out: on the handful of
// intervals a period of hours gives in a day they make chance look regular.
// Few intervals can look regular by chance, so the score required is the
// larger of [polling] threshold (0.65) and 0.40 + 0.95/√k for k intervals:
// requests at random times pass it less than 1.5 % of the time
// (TestPollChance), which matters because the alert judges each process
// every hour over a sliding day. From [polling] min_requests (4, as RITA)
// requests, regular polling adds the polling weight. TestPollFindsImplants
// (a day, 30 seeds each) finds periods of 1 minute to 2 hours with 0–50 %
// jitter of either kind in at least 95 % of series, 6 hours with up to 10 %
// jitter in at least 90 %; 6 hours with 25–50 % jitter needs a three-day
// memory (at least 85 % then), and a daily poller several days.
//
// # The fleet
//
// A [FleetView] says how many of the fleet's hosts showed the pair of
// process identity and service, and since when. New and rare weigh
// behaviour, as RITA weighs a beacon's prevalence: when the process polls,
// runs what it fetched, asks a command endpoint or fetches raw content, a
// pair first seen within [fleet] new_days (or not in the baseline) adds
// new_pair, and one on at most rare_prevalence of the hosts (or rare_hosts)
// adds rare_pair. The fleet lowers only what the program itself is: never
// for a catalogued interpreter, shell, LOLBin or downloader (that
// PowerShell is common says nothing of this script), nor where lowering
// never applies (above). A pair on at least common_prevalence of the hosts,
// neither rare nor new (a campaign reaching every host at once stays
// suspicious), takes off common_pair; one first seen over old_days ago
// takes off established_pair.
//
// # risk_score and the pass rule
//
// risk_score is the sum of the signals' weights ([risk], [process_class]),
// less the context's, kept within 0–100; every point has a reason that
// names it, "(+n)" or "(-n)". A row passes (t1102score filter=true,
// t1102correlate without all=true) when its risk_score reaches [alert]
// risk_threshold and it is not allowlisted: the class, the polling and the
// fleet are weights of it, not gates.
//
// # A catalog that cannot be used
//
// A lookup without a column the detection reads, a web-service, process or
// parent lookup with no usable row, a weight out of range or missing, or a
// class or context kind without a weight, makes [LoadCatalog] fail with a
// [*CatalogError] naming the file and line: every search of the commands
// fails. A bad row (a bad domain, a wrong number of fields, a pattern of
// only *, an allowlist rule without a domain, a context rule with only a
// file name) or an unknown t1102.conf stanza or key is left out and listed
// in [Catalog] Warnings, which the commands show as inspector WARNs and
// t1102score check_config=true as rows. The user's own files
// (*_local.csv, [Catalog] Local) are read with the same checks and placed
// so that the user's row decides where one row does: before the shipped
// rows where the first match decides (context), after them where the last
// row for a domain does (web services).
package detect

// B2I is 1 for true and 0 for false, as Splunk's boolean fields are written.
func B2I(b bool) int {
	if b {
		return 1
	}
	return 0
}
