package backtest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AlertFields is the default column list of [WriteAlerts]: every field
// of the alerts that is not internal (no leading underscore), in order of
// first appearance.
func AlertFields(rep *Report) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range rep.Alerts {
		for j, f := range a.Fields {
			if strings.HasPrefix(f, "_") || seen[f] || j >= len(a.Values) {
				continue
			}
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// WriteAlerts writes one line per alert: trigger_time (RFC 3339), search,
// results (1 per result alert; the run's count in digest mode), then
// fields (nil: [AlertFields]). format is "table" (aligned columns, a
// multivalue's values joined by " | ") or "csv" (a multivalue's values
// joined by newlines).
func WriteAlerts(w io.Writer, rep *Report, fields []string, format string) error {
	if fields == nil {
		fields = AlertFields(rep)
	}
	header := append([]string{"trigger_time", "search", "results"}, fields...)
	rows := make([][]string, 0, len(rep.Alerts))
	sep := " | "
	if format == "csv" {
		sep = "\n"
	}
	for _, a := range rep.Alerts {
		r := []string{a.Time.Format(time.RFC3339), a.Search, strconv.Itoa(a.Results)}
		for _, f := range fields {
			r = append(r, strings.Join(a.Get(f), sep))
		}
		rows = append(rows, r)
	}
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		if err := cw.WriteAll(rows); err != nil {
			return err
		}
		return cw.Error()
	case "table", "":
		return writeTable(w, header, rows)
	}
	return fmt.Errorf("%w: output format %q: want table or csv", ErrUnsupported, format)
}

// WriteSummary writes a table of runs, results, triggered runs, alerts
// and suppressed alerts per search.
func WriteSummary(w io.Writer, rep *Report) error {
	header := []string{"search", "runs", "results", "triggered", "alerts", "suppressed"}
	var rows [][]string
	for _, s := range rep.Stats {
		rows = append(rows, []string{s.Search, strconv.Itoa(s.Runs), strconv.Itoa(s.Results), strconv.Itoa(s.Triggered), strconv.Itoa(s.Alerts), strconv.Itoa(s.Suppressed)})
	}
	return writeTable(w, header, rows)
}

func writeTable(w io.Writer, header []string, rows [][]string) error {
	clean := func(s string) string { return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", " ").Replace(s) }
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(clean(c)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			c = clean(c)
			l.WriteString(c)
			l.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(header)
	dashes := make([]string, len(header))
	for i := range header {
		dashes[i] = strings.Repeat("-", widths[i])
	}
	line(dashes)
	for _, r := range rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
