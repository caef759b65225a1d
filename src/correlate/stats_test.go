package correlate

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPoll(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		times  []float64
		want   Polling
	}{
		{
			name: "atomic three requests", reason: "the original's test 2: three requests 30 s apart",
			times: []float64{0.3, 30.31, 60.305},
			// intervals 30.01, 29.995: median 30.0025, MAD 0.0075;
			// S_mad = (30.0025-0.0075)/30.0025 = 0.99975; quartiles of two values: Q3-Q1 < 10, skew 0
			// score = round3((1 + 0.99975)/2) = 1.000
			want: Polling{Count: 3, Interval: 30.0025, Jitter: 0.0075, Score: 1, Judged: true},
		},
		{
			name: "too few", reason: "two requests are one interval: not judged",
			times: []float64{0, 60},
			want:  Polling{Count: 2, Interval: 60, Jitter: 0},
		},
		{
			name: "irregular", reason: "intervals 10, 100, 1000, 5000",
			times: []float64{0, 10, 110, 1110, 6110},
			// sorted intervals 10 100 1000 5000: median 550; |d-550| = 540 450 450 4450 → sorted 450 450 540 4450, MAD 495
			// S_mad = (550-495)/550 = 0.1
			// Q1 = med(10,100) = 55, Q3 = med(1000,5000) = 3000, Q2 = 550:
			// skew = (55+3000-1100)/(3000-55) = 1955/2945 = 0.66384; S_skew = 0.33616
			// score = round3((0.33616+0.1)/2) = 0.218
			want: Polling{Count: 5, Interval: 550, Jitter: 495, Skew: 1955.0 / 2945.0, Score: 0.218, Judged: true},
		},
		{
			name: "same second", reason: "events at the same moment are one request",
			times: []float64{5, 5, 5},
			want:  Polling{Count: 1},
		},
		{
			name: "bursts", reason: "a 60 s beacon opening two connections 0.35 s apart each time is four requests 60 s apart",
			times: []float64{0, 0.35, 60, 60.35, 120, 120.35, 180, 180.35},
			want:  Polling{Count: 4, Interval: 60, Jitter: 0, Score: 1, Judged: true},
		},
		{
			name: "unsorted", reason: "times in any order",
			times: []float64{120, 0, 60, 180},
			want:  Polling{Count: 4, Interval: 60, Jitter: 0, Score: 1, Judged: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			got := Poll(tt.times)
			require.Equal(t, tt.want.Count, got.Count)
			require.Equal(t, tt.want.Judged, got.Judged)
			require.InDelta(t, tt.want.Interval, got.Interval, 1e-6)
			require.InDelta(t, tt.want.Jitter, got.Jitter, 1e-6)
			require.InDelta(t, tt.want.Skew, got.Skew, 1e-6)
			require.InDelta(t, tt.want.Score, got.Score, 1e-9)
		})
	}
}
