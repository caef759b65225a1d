package backtest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	// A Friday, 13:47:29.5 UTC.
	now := time.Date(2026, 11, 20, 13, 47, 29, 500_000_000, time.UTC)
	cases := []struct {
		name, reason, mod string
		want              time.Time
	}{
		{"now", "now is the dispatch time", "now", now},
		{"+0", "a zero offset needs no unit", "+0", now},
		{"-70m@m", "the app's dispatch.earliest_time: back 70 minutes, then to the minute", "-70m@m", time.Date(2026, 11, 20, 12, 37, 0, 0, time.UTC)},
		{"-10m@m", "the app's dispatch.latest_time", "-10m@m", time.Date(2026, 11, 20, 13, 37, 0, 0, time.UTC)},
		{"-24h", "no snap keeps the seconds", "-24h", now.Add(-24 * time.Hour)},
		{"-1d@d", "yesterday's midnight", "-1d@d", time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)},
		{"@h", "a snap alone: this hour's start", "@h", time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)},
		{"-h", "the count defaults to 1", "-h", now.Add(-time.Hour)},
		{"long unit", "units have long spellings", "-2hours", now.Add(-2 * time.Hour)},
		{"@w", "@w is the latest Sunday", "@w", time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)},
		{"@w5", "@w5 on a Friday is that day", "@w5", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)},
		{"@w1", "@w1 is the latest Monday", "@w1", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)},
		{"@mon", "the month's first day", "@mon", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"@q", "the quarter's first day (October)", "@q", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
		{"-1y@y", "last year's first day", "-1y@y", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"snap then offset", "modifiers apply left to right", "-1d@d+8h", time.Date(2026, 11, 19, 8, 0, 0, 0, time.UTC)},
		{"+1mon", "months add as calendar months", "+1mon", now.AddDate(0, 1, 0)},
		{"epoch", "epoch seconds are absolute", "1795165200", time.Unix(1795165200, 0).UTC()},
		{"epoch 0", "0 is the start of time", "0", time.Unix(0, 0).UTC()},
		{"absolute", "%m/%d/%Y:%H:%M:%S", "11/19/2026:20:00:00", time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC)},
		{"rfc3339", "dispatch.time_format's default", "2026-11-19T20:00:00Z", time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTime(c.mod, now, time.UTC)
			require.NoError(t, err)
			require.True(t, c.want.Equal(got), "%s: %s gives %s, want %s (%s)", c.name, c.mod, got, c.want, c.reason)
		})
	}
}

func TestParseTimeZone(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	now := time.Date(2026, 11, 20, 1, 30, 0, 0, time.UTC) // 03:30 at UTC+2
	got, err := ParseTime("@d", now, loc)
	require.NoError(t, err)
	require.True(t, time.Date(2026, 11, 20, 0, 0, 0, 0, loc).Equal(got), "@d snaps to the search head's midnight, not UTC's: %s", got)
}

func TestParseTimeRefuses(t *testing.T) {
	cases := []struct{ name, reason, mod string }{
		{"empty", "the caller decides what unset means", ""},
		{"no unit", "an offset other than 0 needs a unit", "-5"},
		{"bad unit", "x is no unit", "-5x"},
		{"bad snap", "@ needs a unit", "-1d@"},
		{"real time", "rt modifiers are for real-time searches", "rt-5m"},
		{"junk", "not a modifier", "yesterday"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTime(c.mod, time.Now(), time.UTC)
			require.Error(t, err, c.reason)
			require.True(t, errors.Is(err, ErrSyntax))
		})
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		name, reason, in string
		want             time.Duration
		fails            bool
	}{
		{"seconds", "a bare number is seconds (spec: 60 = 60 seconds)", "60", time.Minute, false},
		{"minutes", "1m = 1 minute", "1m", time.Minute, false},
		{"hours", "the app's 24h", "24h", 24 * time.Hour, false},
		{"days", "d is a day", "2d", 48 * time.Hour, false},
		{"empty", "a period is required", "", 0, true},
		{"weeks", "w is not a period unit here", "1w", 0, true},
		{"negative", "no sign", "-1h", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDuration(c.in)
			if c.fails {
				require.ErrorIs(t, err, ErrSyntax, c.reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got, c.reason)
		})
	}
}
