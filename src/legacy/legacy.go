// Package legacy is the original T1102.003 detection, its SPL case() and
// match() logic reproduced exactly, kept as the baseline the current logic
// (package detect) is measured against: t1102score logic=legacy runs it.
package legacy

import (
	"bytes"

	"github.com/t1102app/t1102/src/detect"
	"github.com/t1102app/t1102/src/internal/fold"
)

// The original detection, as SPL (quoted in the project's first issue):
//
//	| eval dest_host=lower(DestinationHostname) | eval initiating_image=lower(Image)
//	| eval is_legit_webservice=case(match(dest_host, "(twitter\.com|x\.com|…)"), "twitter", …, true(), "")
//	| where is_legit_webservice != ""
//	| eval is_suspicious_process=if(match(initiating_image, "(powershell\.exe|…)"), 1, 0)
//	| eval is_encoded=if(match(lower(CommandLine), "(-encodedcommand|-enc\s|frombase64string|base64)"), 1, 0)
//	| eval is_office_parent=if(match(lower(ParentImage), "(winword\.exe|…)"), 1, 0)
//	| eval is_service_spawn=if(match(lower(ParentImage), "(svchost\.exe|…)"), 1, 0)
//	| eval suspicion_score=is_suspicious_process + is_encoded + is_office_parent + is_service_spawn
//	| where is_suspicious_process=1
//
// Every pattern is an unanchored regular expression made of literal
// alternatives, so each is exactly "contains one of these substrings"; the
// one exception, "-enc\s", is "-enc" followed by a PCRE whitespace
// character. The tables below reproduce those lists in the SPL's order, so
// the first category that matches wins, as in case(). They are kept as the
// baseline that later, exact matching is measured against: "x.com" here
// also matches "dropbox.com", and that is the point of keeping them.

// Service is one case() branch: a category and its patterns.
type Service struct {
	Category string
	Patterns []string
}

// Services are the case() branches of is_legit_webservice, in order.
var Services = []Service{
	{"twitter", []string{"twitter.com", "x.com", "api.twitter.com", "api.x.com"}},
	{"github", []string{"github.com", "raw.githubusercontent.com", "gist.github.com"}},
	{"gitlab", []string{"gitlab.com"}},
	{"telegram", []string{"api.telegram.org", "t.me"}},
	{"pastebin", []string{"pastebin.com", "paste.ee", "hastebin.com", "pastecode.io"}},
	{"discord", []string{"discord.com", "discordapp.com"}},
	{"google_services", []string{"docs.google.com", "drive.google.com", "googleapis.com"}},
	{"reddit", []string{"reddit.com", "redd.it"}},
	{"other_webservice", []string{"notion.so", "trello.com", "digitalpoint.com"}},
	{"microsoft_personal", []string{"onedrive.live.com", "sharepoint.com"}},
}

// SuspiciousImages are the patterns of is_suspicious_process.
var SuspiciousImages = []string{
	"powershell.exe", "pwsh.exe", "cmd.exe", "wscript.exe", "cscript.exe", "mshta.exe",
	"rundll32.exe", "regsvr32.exe", "certutil.exe", "curl.exe", "wget.exe", "bitsadmin.exe",
	"python.exe", "python3.exe", "ruby.exe", "node.exe", "wmic.exe", "msbuild.exe",
}

// EncodedPatterns are the literal patterns of is_encoded; "-enc"
// followed by whitespace is matched separately.
var EncodedPatterns = []string{"-encodedcommand", "frombase64string", "base64"}

// OfficeParents are the patterns of is_office_parent.
var OfficeParents = []string{
	"winword.exe", "excel.exe", "powerpnt.exe", "outlook.exe", "onenote.exe",
	"msaccess.exe", "acrord32.exe", "acrobat.exe",
}

// ServiceParents are the patterns of is_service_spawn.
var ServiceParents = []string{
	"svchost.exe", "taskeng.exe", "taskhostw.exe", "services.exe", "wmiprvse.exe",
}

// Event holds the fields the original detection reads. An empty
// slice is an absent field (Splunk's CSV has no other null).
type Event struct {
	EventCode, DestinationHostname, Image, CommandLine, ParentImage []byte
}

// Result is what the original detection computes for one event.
// DestHost and InitiatingImage alias the scorer's buffers until its next
// call.
type Result struct {
	DestHost        []byte // lower(DestinationHostname)
	InitiatingImage []byte // lower(Image)
	Service         string // is_legit_webservice: a category or ""
	Suspicious      bool   // is_suspicious_process
	Encoded         bool   // is_encoded
	OfficeParent    bool   // is_office_parent
	ServiceSpawn    bool   // is_service_spawn
	Score           int    // suspicion_score: the sum of the four flags
	// Pass is true when the row survives the SPL's base search
	// (EventCode=3) and its two where clauses.
	Pass bool
}

// Scorer evaluates the original detection. Its zero value is ready;
// it reuses its buffers, so one scorer serves one goroutine.
type Scorer struct {
	host, image, tmp []byte
}

// The pattern lists compiled once: hosts by first byte, process names by
// their shared ".exe" ending.
var (
	legacyHosts      = compileHosts(Services)
	legacySuspicious = compileExe(SuspiciousImages)
	legacyOffice     = compileExe(OfficeParents)
	legacyService    = compileExe(ServiceParents)
)

// Score evaluates one event. A field that is absent matches nothing, the
// way match() on a null field does not select its case() branch.
func (s *Scorer) Score(ev Event) Result {
	s.host = fold.Lower(s.host[:0], ev.DestinationHostname)
	s.image = fold.Lower(s.image[:0], ev.Image)
	r := Result{DestHost: s.host, InitiatingImage: s.image}
	if c := legacyHosts.first(s.host); c >= 0 {
		r.Service = Services[c].Category
	}
	r.Suspicious = legacySuspicious.match(s.image)
	// CommandLine and ParentImage are only matched, not output: when they
	// are ASCII, compare case-insensitively in place instead of lowering a
	// copy (non-ASCII text can lower into ASCII, so it takes the slow way).
	cmd, parent := ev.CommandLine, ev.ParentImage
	if !fold.IsASCII(cmd) {
		s.tmp = fold.Lower(s.tmp[:0], cmd)
		cmd = s.tmp
	}
	r.Encoded = encoded(cmd)
	if !fold.IsASCII(parent) {
		s.tmp = fold.Lower(s.tmp[:0], parent)
		parent = s.tmp
	}
	r.OfficeParent = legacyOffice.match(parent)
	r.ServiceSpawn = legacyService.match(parent)
	r.Score = detect.B2I(r.Suspicious) + detect.B2I(r.Encoded) + detect.B2I(r.OfficeParent) + detect.B2I(r.ServiceSpawn)
	r.Pass = string(bytes.TrimSpace(ev.EventCode)) == "3" && r.Service != "" && r.Suspicious
	return r
}

// hostSet finds which case() branch is the first to match anywhere in a
// string: an unanchored match of any alternative of branch k is a pattern
// of branch k occurring at some position, so every position is tried
// against the patterns that start with its byte.
type hostSet struct {
	byFirst [256][]hostPattern
}

type hostPattern struct {
	text     []byte
	category int
}

func compileHosts(services []Service) *hostSet {
	hs := &hostSet{}
	for c, svc := range services {
		for _, p := range svc.Patterns {
			hs.byFirst[p[0]] = append(hs.byFirst[p[0]], hostPattern{[]byte(p), c})
		}
	}
	return hs
}

// first returns the lowest category with a pattern in s, or -1.
func (hs *hostSet) first(s []byte) int {
	best := -1
	for i, c := range s {
		for _, p := range hs.byFirst[c] {
			if (best < 0 || p.category < best) && bytes.HasPrefix(s[i:], p.text) {
				best = p.category
			}
		}
	}
	return best
}

// exeSet matches names that all end in ".exe": every occurrence of such a
// pattern ends at an occurrence of ".exe", so only those places are tried.
type exeSet struct {
	names [][]byte
}

func compileExe(names []string) *exeSet {
	es := &exeSet{}
	for _, n := range names {
		if !bytes.HasSuffix([]byte(n), []byte(".exe")) {
			panic("detect: legacy process pattern without .exe: " + n)
		}
		es.names = append(es.names, []byte(n))
	}
	return es
}

// match reports whether s, compared ASCII case-insensitively, contains
// one of the names.
func (es *exeSet) match(s []byte) bool {
	for off := 0; ; {
		i := bytes.IndexByte(s[off:], '.')
		if i < 0 {
			return false
		}
		end := off + i + 4
		if end <= len(s) && fold.Eq(s[end-3:end], "exe") {
			for _, n := range es.names {
				if len(n) <= end && fold.Eq(s[end-len(n):end], string(n)) {
					return true
				}
			}
		}
		off += i + 1
	}
}

// encoded matches (-encodedcommand|-enc\s|frombase64string|base64), with
// \s as PCRE defines it: space, \t, \n, \v, \f, \r. "frombase64string"
// contains "base64", and "-encodedcommand" is "-enc" followed by
// "odedcommand", so two searches cover the four alternatives.
// The comparison is ASCII case-insensitive, found from the two bytes
// ('6', '-') that case cannot change.
func encoded(s []byte) bool {
	for off := 0; ; {
		i := bytes.IndexByte(s[off:], '6')
		if i < 0 {
			break
		}
		at := off + i
		if at >= 4 && at+1 < len(s) && s[at+1] == '4' && fold.Eq(s[at-4:at], "base") {
			return true
		}
		off = at + 1
	}
	for off := 0; ; {
		i := bytes.IndexByte(s[off:], '-')
		if i < 0 {
			return false
		}
		at := off + i
		if at+4 <= len(s) && fold.Eq(s[at+1:at+4], "enc") {
			rest := s[at+4:]
			if len(rest) > 0 {
				switch rest[0] {
				case ' ', '\t', '\n', '\v', '\f', '\r':
					return true
				}
			}
			if len(rest) >= 11 && fold.Eq(rest[:11], "odedcommand") {
				return true
			}
		}
		off = at + 1
	}
}
