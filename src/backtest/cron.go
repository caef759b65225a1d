package backtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed 5-field cron_schedule: minute (0-59), hour (0-23), day
// of month (1-31), month (1-12), day of week (0-6, 0 is Sunday). Each field
// is *, a number, a range a-b, a list of those separated by commas, and any
// of *, a or a-b followed by /step ("*/5", "0-30/10"; "a/step" runs from a
// to the field's maximum). Names of months or days are refused, as
// Splunk's cron does not support them (savedsearches.conf.spec,
// cron_schedule; ranges per the Alerting Manual, "Use cron expressions for
// alert scheduling",
// https://help.splunk.com/splunk-enterprise/alert-and-respond/alerting-manual/9.2/create-alerts/use-cron-expressions-for-alert-scheduling).
//
// When both day fields are restricted (neither starts with *), a day
// matches if either does, as in standard cron (crontab(5)); otherwise both
// must match.
type Cron struct {
	text                     string
	minute, hour, dom, month uint64 // bit i set: value i matches
	dow                      uint64
	domStar, dowStar         bool
}

// ParseCron parses a 5-field cron schedule.
func ParseCron(s string) (*Cron, error) {
	f := strings.Fields(s)
	if len(f) != 5 {
		return nil, fmt.Errorf("%w: cron_schedule %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", ErrSyntax, s, len(f))
	}
	c := &Cron{text: s}
	specs := []struct {
		name     string
		dst      *uint64
		min, max int
	}{
		{"minute", &c.minute, 0, 59}, {"hour", &c.hour, 0, 23}, {"day of month", &c.dom, 1, 31},
		{"month", &c.month, 1, 12}, {"day of week", &c.dow, 0, 6},
	}
	for i, sp := range specs {
		bits, err := cronField(f[i], sp.min, sp.max)
		if err != nil {
			return nil, fmt.Errorf("%w: cron_schedule %q, %s field %q: %w", ErrSyntax, s, sp.name, f[i], err)
		}
		*sp.dst = bits
	}
	c.domStar = strings.HasPrefix(f[2], "*")
	c.dowStar = strings.HasPrefix(f[4], "*")
	return c, nil
}

func cronField(s string, lo, hi int) (uint64, error) {
	var bits uint64
	for _, item := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		a, b := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = cronNumber(x, lo, hi); err != nil {
				return 0, err
			}
			if b, err = cronNumber(y, lo, hi); err != nil {
				return 0, err
			}
			if a > b {
				return 0, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			n, err := cronNumber(rng, lo, hi)
			if err != nil {
				return 0, err
			}
			a, b = n, n
			if hasStep {
				b = hi
			}
		}
		for v := a; v <= b; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func cronNumber(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number (names of months and days are not supported)", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", n, lo, hi)
	}
	return n, nil
}

// Match reports whether the schedule fires in t's minute (in t's location).
func (c *Cron) Match(t time.Time) bool {
	has := func(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }
	if !has(c.minute, t.Minute()) || !has(c.hour, t.Hour()) || !has(c.month, int(t.Month())) {
		return false
	}
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	if !c.domStar && !c.dowStar {
		return dom || dow
	}
	return dom && dow
}

// String returns the schedule as written.
func (c *Cron) String() string { return c.text }
