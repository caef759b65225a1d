package detect

import (
	"math"
	"sort"
)

// Polling is how regularly one process identity asked one web service,
// over the window t1102correlate judged (its own search, or the memory
// kept across scheduled runs).
type Polling struct {
	Count    int     // requests (events less than BurstGap apart are one)
	Interval float64 // median seconds between requests
	Jitter   float64 // median absolute deviation of the intervals, seconds
	Gaps     int     // intervals left out as pauses (more than GapFactor × Interval)
	// Score is 1 − the intervals' mean absolute deviation from their
	// median, relative to it, clipped to 0–1: 1 is a fixed period. It is
	// 0 when not Judged.
	Score  float64
	Judged bool // Count reached the minimum number of requests
	// Required is the Score these requests needed to count as polling:
	// the threshold, or more when there are few intervals (see Poll).
	Required float64
	Regular  bool // Judged and Score >= Required: the process polls
}

// BurstGap is how close events must be to count as one request, seconds:
// one request often opens several connections or queries within a second
// or two (a redirect, a retry, IPv4 and IPv6). RITA works on whole seconds
// and drops zero intervals to the same end (../shared/reference/BEACON.md).
const BurstGap = 2.0

// GapFactor: an interval longer than GapFactor times the median is a pause
// (a laptop asleep, a missed beat, a process restarted later) rather than
// jitter, as long as pauses are at most a fifth of the intervals; more
// than that, and the pauses are the pattern, so every interval counts.
const GapFactor = 3.0

// Poll scores the regularity of request times (seconds, any order);
// minRequests is the fewest requests a score is given for, threshold the
// score from which many requests count as polling.
//
// The statistic. Implants sleep a fixed period with jitter: Cobalt
// Strike's jitter j draws each sleep from [(1−j)·P, P], others from
// [(1−j)·P, (1+j)·P]. On the intervals x between consecutive requests,
// with median m and pauses (x > GapFactor·m) left out,
//
//	D     = mean(|x − m|) / m
//	score = clip(1 − D, 0, 1)
//
// A fixed period scores 1; 50 % jitter of either kind scores 0.75–0.83 in
// expectation; requests at random times (a Poisson process, exponential
// intervals, as people and most event-driven software make them) score
// about 0.2. The mean deviation is used rather than the median one (RITA's
// MAD): with the few intervals a period of hours gives in a day, the
// median deviation of three values is the smaller of two and makes chance
// look regular. RITA's Bowley skewness is left out for the same reason: on
// a handful of intervals it swings between −1 and 1 for any jitter.
//
// Few intervals can look regular by chance: with k intervals, requests at
// random times score at least 0.40 + 0.95/√k about 1 % of the time (under
// 1.5 % for 4 to 100 requests, measured by simulation: TestPollChance). The alert judges the same
// process every hour over a sliding day, so a chance of a few per cent per
// judgement would become a false alert a day on a busy fleet. The score required is the
// larger of that and threshold, so a period of hours needs more requests
// (a longer memory) before it counts, and a period of minutes counts within
// the hour.
func Poll(times []float64, minRequests int, threshold float64) Polling {
	p := Polling{Count: len(times)}
	if len(times) < 2 {
		return p
	}
	ts := append([]float64(nil), times...)
	sort.Float64s(ts)
	reqs := ts[:1]
	for _, t := range ts[1:] {
		if t-reqs[len(reqs)-1] >= BurstGap {
			reqs = append(reqs, t)
		}
	}
	p.Count = len(reqs)
	iv := make([]float64, 0, len(reqs)-1)
	for i := 1; i < len(reqs); i++ {
		iv = append(iv, reqs[i]-reqs[i-1])
	}
	if len(iv) == 0 {
		return p
	}
	sort.Float64s(iv)
	p.Interval = median(iv)
	dev := make([]float64, len(iv))
	for i, d := range iv {
		dev[i] = math.Abs(d - p.Interval)
	}
	sort.Float64s(dev)
	p.Jitter = median(dev)
	if p.Count < max(minRequests, 3) {
		return p
	}
	p.Judged = true
	kept := iv
	if n := sort.SearchFloat64s(iv, GapFactor*p.Interval*(1+1e-12)); n < len(iv) && (len(iv)-n)*5 <= len(iv) && n >= 2 {
		kept, p.Gaps = iv[:n], len(iv)-n
	}
	m := median(kept)
	if m <= 0 {
		return p
	}
	sum := 0.0
	for _, x := range kept {
		sum += math.Abs(x - m)
	}
	p.Score = math.Round(math.Max(0, math.Min(1, 1-sum/float64(len(kept))/m))*1000) / 1000
	p.Required = math.Round(math.Max(threshold, ChanceScore(len(kept)))*1000) / 1000
	p.Regular = p.Score >= p.Required
	return p
}

// ChanceScore is the score that k intervals between requests at random
// times reach about 1 % of the time (see Poll).
func ChanceScore(k int) float64 {
	if k <= 0 {
		return 1
	}
	return 0.40 + 0.95/math.Sqrt(float64(k))
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
