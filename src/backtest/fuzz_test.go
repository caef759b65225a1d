package backtest

import (
	"context"
	"testing"
	"time"
)

// FuzzEngineRun: any query gives results or an error, never a panic.
func FuzzEngineRun(f *testing.F) {
	for _, q := range []string{
		`host=h1`, "`ev` | where n >= 7 AND isnull(tag) OR NOT (host=\"h2\")", `* | sort 0 - n, +host | head 2 | fields - _*`,
		`* | eval a="x", b=3, c=host | table a, b, c`, `| inputlookup hosts | outputlookup append=true seen.csv`,
		`* | collect index=s | timechart span=1m count by host`, `index=s earliest=-1d@d latest=@h`, `(((`, `a=`, `* | where (`,
		`* | where isnull(`, "`atleast(x)`", `x IN (`, `| `, `* | sort`, `"unterminated`, `* | eval =`, `* | head -1`,
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		app := writeApp(t, engineApp)
		e := testEngine(t, app, engineEvents())
		e.Commands = nil
		e.Run(context.Background(), q, day)
	})
}

// FuzzTimeAndCron: time modifiers and cron schedules parse or fail, never
// panic.
func FuzzTimeAndCron(f *testing.F) {
	for _, s := range []string{"-70m@m", "@w7", "+0", "-1d@d+8h", "0", "*/5 * * * *", "0-30/10 9-17 1,15 * 1-5", "5/0 * * * *", "-99999999999y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseTime(s, time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC), time.UTC)
		if c, err := ParseCron(s); err == nil {
			c.Match(time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC))
		}
		ParseDuration(s)
	})
}
