package correlate

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/t1102app/t1102/src/splunkd"
)

// StateTable is a day of state as the alert keeps it for a fleet of hosts
// (for the state benchmarks), ending at now: on each host one program
// polling every 5 minutes, two every 30 minutes, three asking now and then,
// each with its day of requests (the latest max_times kept, as the state
// keeps them); and the fleet baseline of their pairs.
func StateTable(hosts int, now float64) (state, fleet *splunkd.Table) {
	rng := rand.New(rand.NewSource(1))
	state = &splunkd.Table{Fields: stateFields[:]}
	pairs := map[pairKey]*pair{}
	kinds := []struct {
		image, service, host string
		period               float64
		random               bool
	}{
		{`C:\Users\%s\AppData\Local\Microsoft\OneDrive\OneDrive.exe`, "microsoft_personal", "contoso-my.sharepoint.com", 300, false},
		{`C:\Program Files\Contoso\StatusBar\statusbar.exe`, "github", "raw.githubusercontent.com", 1800, false},
		{`C:\Users\%s\AppData\Local\Programs\Notion\Notion.exe`, "other_webservice", "www.notion.so", 1800, false},
		{`C:\Program Files\Google\Chrome\Application\chrome.exe`, "google_services", "docs.google.com", 3600, true},
		{`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, "reddit", "www.reddit.com", 7200, true},
		{`C:\Users\%s\AppData\Local\Programs\Python\Python311\python.exe`, "github", "api.github.com", 7200, true},
	}
	for h := 0; h < hosts; h++ {
		host := fmt.Sprintf("WKS-%05d", h)
		user := fmt.Sprintf("u%05d", h)
		for k, kind := range kinds {
			image := kind.image
			if strings.Contains(image, "%s") {
				image = fmt.Sprintf(image, user)
			}
			var ts []float64
			for t := now - 86400 + rng.Float64()*kind.period; t < now; {
				ts = append(ts, t)
				if kind.random {
					t += rng.ExpFloat64() * kind.period
				} else {
					t += kind.period * (1 + 0.1*(2*rng.Float64()-1))
				}
			}
			if len(ts) > DefaultLimits.MaxTimes {
				ts = ts[len(ts)-DefaultLimits.MaxTimes:]
			}
			guid := fmt.Sprintf("%08x-0000-0000-0000-%012x", h, k)
			row := make([]splunkd.Value, nState)
			set := func(c int, v string) { row[c] = splunkd.Value{v} }
			set(sHost, host)
			set(sImage, image)
			set(sCmd, `"`+image+`"`)
			set(sUser, `CORP\`+user)
			set(sOFN, image[strings.LastIndexByte(image, '\\')+1:])
			set(sService, kind.service)
			set(sHosts, fmt.Sprintf("%s=%d", kind.host, len(ts)))
			set(sConns, string(appendTimes(nil, ts)))
			set(sGUID, guid)
			set(sGUIDs, guid)
			set(sLast, ftoa(ts[len(ts)-1]))
			state.Rows = append(state.Rows, row)
			pk := pairKey{fleetIdentity(image, image[strings.LastIndexByte(image, '\\')+1:]), kind.service}
			p := pairs[pk]
			if p == nil {
				p = &pair{first: now - 40*86400}
				pairs[pk] = p
			}
			p.hosts.add(host)
			p.last = now
		}
	}
	fleet = &splunkd.Table{Fields: fleetFields[:]}
	for k, p := range pairs {
		fleet.Rows = append(fleet.Rows, []splunkd.Value{{k.identity}, {k.category}, {string(appendSketch(nil, &p.hosts))}, {ftoa(p.first)}, {ftoa(p.last)}})
	}
	return state, fleet
}
