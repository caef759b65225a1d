package backtest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTime resolves a Splunk time modifier (dispatch.earliest_time,
// dispatch.latest_time, earliest=/latest= in a search) against now, in loc
// (the search head's time zone; snapping to days, weeks, months, quarters
// and years depends on it). Accepted forms (Search Reference, "Time
// modifiers", https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/time-format-variables-and-modifiers/time-modifiers,
// and the Search Manual's "Specify time modifiers in your search"):
//
//   - "now": now itself;
//   - epoch seconds, such as "0" or "1700000000.5";
//   - an absolute time as %m/%d/%Y:%H:%M:%S (the modifiers' default format)
//     or RFC 3339 (savedsearches.conf dispatch.time_format's default, %FT%T.%Q%:z);
//   - a relative time: a sequence of offsets [+|-]<n><unit> (n defaults to
//     1; "+0" and "-0" need no unit) and snaps @<unit>, applied left to
//     right, such as -70m@m, -1d@d, @h, -24h, @w1, -1d@d+8h. Units: s, m, h,
//     d, w, mon, q, y and their long spellings (sec, secs, second, seconds,
//     min, ..., month, months, qtr, quarter, yr, year, ...); a snap rounds
//     down to the start of the unit, @w (or @w0, @w7) to Sunday, @w1..@w6 to
//     the latest Monday..Saturday.
//
// An empty string is an error: the caller decides what an unset time means.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, fmt.Errorf("%w: empty time modifier", ErrSyntax)
	case strings.EqualFold(s, "now"):
		return now, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '+' && s[0] != '-' && !math.IsInf(f, 0) && !math.IsNaN(f) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).In(loc), nil
	}
	if t, err := time.ParseInLocation("01/02/2006:15:04:05", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(loc), nil
	}
	t := now
	rest := s
	for rest != "" {
		switch rest[0] {
		case '+', '-':
			sign := 1
			if rest[0] == '-' {
				sign = -1
			}
			rest = rest[1:]
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			n := 1
			if i > 0 {
				v, err := strconv.Atoi(rest[:i])
				if err != nil {
					return time.Time{}, fmt.Errorf("%w: time modifier %q: %w", ErrSyntax, s, err)
				}
				n = v
			}
			j := i
			for j < len(rest) && isLetter(rest[j]) {
				j++
			}
			unitText := rest[i:j]
			rest = rest[j:]
			if unitText == "" {
				if i > 0 && n == 0 {
					continue // "+0", "-0": no offset
				}
				return time.Time{}, fmt.Errorf("%w: time modifier %q: an offset needs a unit", ErrSyntax, s)
			}
			u, ok := timeUnit(unitText)
			if !ok {
				return time.Time{}, fmt.Errorf("%w: time modifier %q: unknown unit %q", ErrSyntax, s, unitText)
			}
			t = addUnit(t, u, sign*n)
		case '@':
			rest = rest[1:]
			j := 0
			for j < len(rest) && isLetter(rest[j]) {
				j++
			}
			unitText := rest[:j]
			rest = rest[j:]
			u, ok := timeUnit(unitText)
			if !ok {
				return time.Time{}, fmt.Errorf("%w: time modifier %q: unknown snap unit %q", ErrSyntax, s, unitText)
			}
			day := 0
			if u == "w" && rest != "" && rest[0] >= '0' && rest[0] <= '7' {
				day = int(rest[0]-'0') % 7
				rest = rest[1:]
			}
			t = snap(t, u, day)
		default:
			return time.Time{}, fmt.Errorf("%w: time modifier %q: unexpected %q", ErrSyntax, s, rest)
		}
	}
	return t, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// timeUnit maps a unit's spellings to s, m, h, d, w, mon, q or y.
func timeUnit(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "s", "sec", "secs", "second", "seconds":
		return "s", true
	case "m", "min", "mins", "minute", "minutes":
		return "m", true
	case "h", "hr", "hrs", "hour", "hours":
		return "h", true
	case "d", "day", "days":
		return "d", true
	case "w", "week", "weeks":
		return "w", true
	case "mon", "month", "months":
		return "mon", true
	case "q", "qtr", "qtrs", "quarter", "quarters":
		return "q", true
	case "y", "yr", "yrs", "year", "years":
		return "y", true
	}
	return "", false
}

func addUnit(t time.Time, unit string, n int) time.Time {
	switch unit {
	case "s":
		return t.Add(time.Duration(n) * time.Second)
	case "m":
		return t.Add(time.Duration(n) * time.Minute)
	case "h":
		return t.Add(time.Duration(n) * time.Hour)
	case "d":
		return t.AddDate(0, 0, n)
	case "w":
		return t.AddDate(0, 0, 7*n)
	case "mon":
		return t.AddDate(0, n, 0)
	case "q":
		return t.AddDate(0, 3*n, 0)
	}
	return t.AddDate(n, 0, 0)
}

// snap rounds t down to the start of unit in t's location; for weeks, to
// the latest weekday (0 Sunday .. 6 Saturday) at or before t.
func snap(t time.Time, unit string, weekday int) time.Time {
	y, mo, d := t.Date()
	loc := t.Location()
	switch unit {
	case "s":
		return t.Truncate(time.Second)
	case "m":
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, loc)
	case "h":
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, loc)
	case "d":
		return time.Date(y, mo, d, 0, 0, 0, 0, loc)
	case "w":
		back := (int(t.Weekday()) - weekday + 7) % 7
		return time.Date(y, mo, d-back, 0, 0, 0, 0, loc)
	case "mon":
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc)
	case "q":
		return time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(y, 1, 1, 0, 0, 0, 0, loc)
}

// ParseDuration reads alert.suppress.period: [number][unit] with units s,
// m, h, d (and their long spellings); a bare number is seconds
// (savedsearches.conf.spec: "60 = 60 seconds, 1m = 1 minute, 1h = 60
// minutes").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%w: period %q: want <number>[s|m|h|d]", ErrSyntax, s)
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, fmt.Errorf("%w: period %q: %w", ErrSyntax, s, err)
	}
	unit := "s"
	if s[i:] != "" {
		u, ok := timeUnit(s[i:])
		if !ok || u == "w" || u == "mon" || u == "q" || u == "y" {
			return 0, fmt.Errorf("%w: period %q: unit %q (want s, m, h or d)", ErrSyntax, s, s[i:])
		}
		unit = u
	}
	mult := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[unit]
	return time.Duration(n) * mult, nil
}
