package correlate

import (
	"math"
	"sort"
)

// Polling is how regular a process's requests to one service were.
type Polling struct {
	Count    int     // requests (connections, or DNS queries when no connection was seen; a burst is one)
	Interval float64 // median seconds between requests
	Jitter   float64 // median absolute deviation of the intervals, seconds
	Skew     float64 // Bowley skewness of the intervals, 0 when not meaningful
	Score    float64 // 0–1, 1 = perfectly regular; 0 when not judged
	Judged   bool    // Count reached the minimum
}

// BurstGap is how close events must be to count as one request, seconds.
const BurstGap = 2.0

// MinPollCount is the fewest requests a regularity score is given for:
// three requests give two intervals, the least that can agree with each
// other. (RITA asks for four connections; Sysmon logs connections, not
// the flows RITA sees, and the behaviour this detects is a script asking
// again a few times, as the original detection's Atomic test does with
// three requests.)
const MinPollCount = 3

// Poll scores the regularity of request times (seconds, any order).
//
// The statistic is RITA's timestamp score, restated: on the intervals
// between consecutive requests (events less than BurstGap apart merged),
//
//	skew  = (Q1 + Q3 − 2·Q2) / (Q3 − Q1)   Bowley skewness, forced to 0
//	        unless Q3 − Q1 ≥ 10 s and Q2 differs from Q1 and Q3
//	S_skew = 1 − |skew|
//	S_mad  = (median − MAD) / median, clipped to [0, 1] (1 if median < 1 s)
//	score  = (S_skew + S_mad) / 2, rounded to 3 decimals
//
// RITA averages this with a data-size score and a histogram score; Sysmon
// records neither bytes nor a day of flows, so the timestamp score carries
// the whole weight here. Quartiles are medians of the lower and upper
// halves, the middle element left out when the count is odd.
func Poll(times []float64) Polling {
	p := Polling{Count: len(times)}
	if len(times) < 2 {
		return p
	}
	ts := append([]float64(nil), times...)
	sort.Float64s(ts)
	// One request often opens several connections or queries within a
	// second or two (a redirect, a retry, IPv4 and IPv6): events closer than
	// BurstGap to the previous request are the same request. (RITA works
	// on whole seconds and drops zero intervals to the same end.)
	reqs := ts[:1]
	for _, t := range ts[1:] {
		if t-reqs[len(reqs)-1] >= BurstGap {
			reqs = append(reqs, t)
		}
	}
	p.Count = len(reqs)
	var iv []float64
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
	if p.Count < MinPollCount || len(iv) < MinPollCount-1 {
		return p
	}
	p.Judged = true
	q1, q2, q3 := quartiles(iv)
	if q3-q1 >= 10 && q2 != q1 && q2 != q3 {
		p.Skew = (q1 + q3 - 2*q2) / (q3 - q1)
	}
	sSkew := 1 - math.Abs(p.Skew)
	sMad := 1.0
	if p.Interval >= 1 {
		sMad = (p.Interval - p.Jitter) / p.Interval
	}
	sMad = math.Max(0, math.Min(1, sMad))
	p.Score = math.Round((sSkew+sMad)/2*1000) / 1000
	return p
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

// quartiles of sorted values: Q1 and Q3 are the medians of the lower and
// upper halves (without the middle element when the count is odd).
func quartiles(s []float64) (q1, q2, q3 float64) {
	n := len(s)
	q2 = median(s)
	if n < 2 {
		return q2, q2, q2
	}
	lower, upper := s[:n/2], s[(n+1)/2:]
	return median(lower), q2, median(upper)
}
