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
// reasons and pass rule from [Scorer.Score]: the judgement lives here only.
// The original detection's SPL, kept as the baseline, is package legacy.
package detect

// B2I is 1 for true and 0 for false, as Splunk's boolean fields are written.
func B2I(b bool) int {
	if b {
		return 1
	}
	return 0
}
