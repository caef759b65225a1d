package backtest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCronMatch(t *testing.T) {
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return ts
	}
	cases := []struct {
		name, reason, cron, at string
		want                   bool
	}{
		{"every minute", "* matches any value", "* * * * *", "2026-11-20T13:47:00Z", true},
		{"number hit", "the app's own schedule, hh:07", "7 * * * *", "2026-11-20T13:07:00Z", true},
		{"number miss", "only minute 7", "7 * * * *", "2026-11-20T13:08:00Z", false},
		{"list", "00,20,40 runs three times an hour (spec example)", "00,20,40 * * * *", "2026-11-20T13:40:00Z", true},
		{"list miss", "not in the list", "00,20,40 * * * *", "2026-11-20T13:30:00Z", false},
		{"step", "*/5 every five minutes (spec example)", "*/5 * * * *", "2026-11-20T13:35:00Z", true},
		{"step miss", "36 is not a multiple of 5", "*/5 * * * *", "2026-11-20T13:36:00Z", false},
		{"range", "9-17 is inclusive of its end", "0 9-17 * * *", "2026-11-20T17:00:00Z", true},
		{"range miss", "18 is past the range", "0 9-17 * * *", "2026-11-20T18:00:00Z", false},
		{"range with step", "0-30/10 is 0, 10, 20, 30", "0-30/10 * * * *", "2026-11-20T13:30:00Z", true},
		{"range with step miss", "15 is not on the step", "0-30/10 * * * *", "2026-11-20T13:15:00Z", false},
		{"start with step", "5/20 is 5, 25, 45", "5/20 * * * *", "2026-11-20T13:45:00Z", true},
		{"day of week", "0 is Sunday; 2026-11-22 is a Sunday", "0 0 * * 0", "2026-11-22T00:00:00Z", true},
		{"day of week miss", "2026-11-20 is a Friday", "0 0 * * 0", "2026-11-20T00:00:00Z", false},
		{"weekdays", "1-5 is Monday to Friday", "0 8 * * 1-5", "2026-11-20T08:00:00Z", true},
		{"month", "month 11 is November", "0 0 1 11 *", "2026-11-01T00:00:00Z", true},
		{"month miss", "December is not 11", "0 0 1 11 *", "2026-12-01T00:00:00Z", false},
		{"both days restricted, dom hit", "either day field matches when both are restricted", "0 0 20 * 1", "2026-11-20T00:00:00Z", true},
		{"both days restricted, dow hit", "Monday 2026-11-23 matches though it is not the 20th", "0 0 20 * 1", "2026-11-23T00:00:00Z", true},
		{"both days restricted, neither", "Saturday the 21st matches neither", "0 0 20 * 1", "2026-11-21T00:00:00Z", false},
		{"dom with dow star", "with day of week *, day of month alone decides", "0 0 20 * *", "2026-11-21T00:00:00Z", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr, err := ParseCron(c.cron)
			require.NoError(t, err)
			require.Equal(t, c.want, cr.Match(at(c.at)), "%s: %s at %s (%s)", c.name, c.cron, c.at, c.reason)
		})
	}
}

func TestCronRefuses(t *testing.T) {
	cases := []struct{ name, reason, cron string }{
		{"four fields", "5 fields are required", "* * * *"},
		{"six fields", "no seconds or years field", "0 * * * * *"},
		{"minute 60", "minutes are 0-59", "60 * * * *"},
		{"hour 24", "hours are 0-23", "0 24 * * *"},
		{"day 0", "days of month start at 1", "0 0 0 * *"},
		{"day of week 7", "Splunk's days of week are 0-6", "0 0 * * 7"},
		{"month name", "Splunk's cron does not support names", "0 0 * JAN *"},
		{"day name", "Splunk's cron does not support names", "0 0 * * MON"},
		{"backwards range", "a range must not run backwards", "0 17-9 * * *"},
		{"zero step", "a step must be positive", "*/0 * * * *"},
		{"empty item", "an empty list item is not a number", "1,,2 * * * *"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCron(c.cron)
			require.Error(t, err, c.reason)
			require.True(t, errors.Is(err, ErrSyntax), "%v wraps ErrSyntax", err)
		})
	}
}
