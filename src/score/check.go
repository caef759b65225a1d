package score

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
	"github.com/t1102app/t1102/src/detect"
)

// The fields of check_config=true's rows.
var checkFields = [...]string{"level", "file", "line", "message"}

// checkConfig is | t1102score check_config=true: a generating command whose
// rows are the state of the catalog, for the dashboard's configuration
// panel and the configuration check saved search. One row per row or
// setting left out (WARN), the refusal if the catalog cannot be used
// (ERROR), and a summary when it can (INFO). It reports and does not fail:
// a broken catalog is a row an alert can fire on, not a search error
// only the scheduler's log would show.
func checkConfig(appDir, services string) (chunked.Config, chunked.Processor, error) {
	type row struct {
		level, file string
		line        int
		message     string
	}
	var rows []row
	placed := func(level, prefix string, err error) {
		var ce *detect.CatalogError
		if errors.As(err, &ce) {
			rows = append(rows, row{level, ce.File, ce.Line, prefix + ce.Err.Error()})
			return
		}
		rows = append(rows, row{level, "", 0, prefix + err.Error()})
	}
	cat, err := detect.LoadCatalog(appDir, services)
	if err != nil {
		placed("ERROR", "the catalog is refused, every search with t1102score or t1102correlate fails: ", err)
	} else {
		for _, w := range cat.Warnings {
			placed("WARN", "", w)
		}
		summary := fmt.Sprintf("catalog in use: %d web services (%s), %d processes, %d parents, %d allowlist rules, %d context rules, %d not-evidence domains, %d client rules; alert at risk %d; %d rows or settings skipped",
			len(cat.Services), services, len(cat.Processes), len(cat.Parents), len(cat.Allow), len(cat.Context), len(cat.NotEvidence), len(cat.Clients), cat.Behaviour.AlertRisk, len(cat.Warnings))
		if len(cat.Local) > 0 {
			// The rules above count the user's own rows with the shipped.
			summary += "; your own rows read from " + strings.Join(cat.Local, ", ")
		}
		rows = append(rows, row{"INFO", cat.Dir, 0, summary})
	}
	cfg := chunked.Config{Type: chunked.Reporting, Generating: true}
	return cfg, chunked.ProcessorFunc(func(c *chunked.Chunk) error {
		var col [len(checkFields)]int
		for i, f := range checkFields {
			col[i] = c.Out.Field(f)
		}
		for _, r := range rows {
			c.Out.SetString(col[0], r.level)
			c.Out.SetString(col[1], r.file)
			line := "" // the file as a whole
			if r.line > 0 {
				line = strconv.Itoa(r.line)
			}
			c.Out.SetString(col[2], line)
			c.Out.SetString(col[3], r.message)
			c.Out.EndRow()
		}
		rows = nil
		c.Finished = true
		return nil
	}), nil
}
