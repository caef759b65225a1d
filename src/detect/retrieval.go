package detect

import (
	"bytes"
	"strings"

	"github.com/t1102app/t1102/src/internal/fold"
)

// Signals of command retrieval: what a process does with what it fetched.
// One-way C2 reads instructions and runs them, hides while doing so, and
// often drops what it read where any user can write; an ordinary download
// saves a file where the user asked. Each finder reads a command line or a
// decoded script without allocating and says what it saw, for the reason.

// Words are compared ignoring ASCII case; the lists are lower case.
var (
	// PowerShell's ways to run a string as code.
	psInvoke = words("iex", "invoke-expression", "[scriptblock]::create")
	// PowerShell's (and .NET's, and COM's) ways to fetch a string or file.
	psFetch = words("downloadstring", "downloaddata", "downloadfile", "invoke-webrequest", "iwr", "invoke-restmethod", "irm",
		"net.webclient", "start-bitstransfer", "httpclient", "getstringasync", "msxml2.xmlhttp", "msxml2.serverxmlhttp",
		"winhttp.winhttprequest", "system.net.webrequest", "wget", "curl")
	// Python, Node.js and Ruby one-liners: code evaluated …
	scriptEval = words("exec(", "eval(", "eval ", "(eval)", "new function(", "instance_eval", "runinthiscontext", "runinnewcontext")
	// … from a body they fetched.
	scriptFetch = words("urlopen", "urlretrieve", "requests.get", "requests.post", "httpx.get", "http.client", "urllib",
		"https.get", "http.get", "fetch(", "require('https')", `require("https")`, "require('http')", `require("http")`, "axios",
		"open-uri", "net::http", "uri.open", "msxml2.xmlhttp", "msxml2.serverxmlhttp", "winhttp.winhttprequest")
	// A download piped into an interpreter.
	pipeInto = words("|iex", "| iex", "|sh", "| sh", "|bash", "| bash", "|python", "| python", "|powershell", "| powershell",
		"|pwsh", "| pwsh", "|cmd", "| cmd")
	// Windows binaries that run a script fetched from a URL they are
	// given (the LOLBAS project's "Execute" entries with a remote source).
	remoteScript = words("/i:http", "-i:http", `/i:"http`, `-i:"http`, "script:http", `/format:http`, `/format:"http`, `-format:http`, `-format:"http`,
		"/i http", `/i "http`, "/package http", `/package "http`) // regsvr32 /i:, script: monikers, wmic /format:, msiexec /i
	// Where any user can write, and where droppers put what they fetched.
	tempNames = []string{"%temp%", "%tmp%", "$env:temp", "$env:tmp", `\appdata\local\temp\`, `\windows\temp\`, `\users\public\`,
		"%public%", "$env:public", "gettemppath", "/tmp/", "/dev/shm/"}
	tempPlaces = words(tempNames...)
)

// DownloadExecute reports how a command line or script runs what it
// fetches, or "" when it does not: PowerShell's Invoke-Expression of a
// fetched string, eval/exec of a fetched body in Python, Node.js or Ruby, a
// download piped into an interpreter, a scriptlet or stylesheet run from a
// URL (regsvr32 /i:, script: monikers, wmic /format:), or mshta given a URL.
// mshta is whether the process is mshta.exe (by name or PE metadata).
func DownloadExecute(text []byte, mshta bool) string {
	return downloadExecute(fold.AppendASCIILower(nil, text), mshta)
}

var (
	pipeFetch   = words("curl", "wget", "iwr", "irm", "invoke-webrequest", "invoke-restmethod")
	mshtaWord   = words("mshta", "mshta.exe")
	schemes     = words("http://", "https://")
	windowFlags = words("-w", "/w", "\u2013w", "\u2014w", "\u2015w") // a dash PowerShell accepts, then -WindowStyle's first letter
)

// words turns a list of lower-case words into byte slices once.
func words(ws ...string) [][]byte {
	out := make([][]byte, len(ws))
	for i, w := range ws {
		out[i] = []byte(w)
	}
	return out
}

// downloadExecute is DownloadExecute on text already in lower case (the
// scorer lowers a command line once for every finder: bytes.Index on it is
// several times faster than a case-folding search per pattern).
func downloadExecute(low []byte, mshta bool) string {
	http := bytes.Contains(low, []byte("http"))
	// Invoke-Expression as a command, not a word of a path or URL
	// (github.com/elixir-lang/elixir/raw/main/bin/iex).
	if anyCommand(low, psInvoke) && (http || anyWord(low, psFetch)) {
		return "Invoke-Expression of fetched content"
	}
	if anyWordStart(low, scriptEval) && anyIn(low, scriptFetch) {
		return "eval of a fetched body"
	}
	// The interpreter is a whole word: "| sha256sum" is not "| sh".
	if bytes.IndexByte(low, '|') >= 0 && anyWordEnd(low, pipeInto) && anyWord(low, pipeFetch) {
		return "download piped into an interpreter"
	}
	if !http {
		return "" // every remaining way runs a URL
	}
	if anyIn(low, remoteScript) {
		return "script run from a URL"
	}
	if (mshta || anyWord(low, mshtaWord)) && anyIn(low, schemes) {
		return "mshta on a URL"
	}
	return ""
}

// HiddenWindow reports whether PowerShell parameters in text ask for a
// hidden window: -WindowStyle under any prefix PowerShell accepts (-w,
// -win, …) with Hidden under any prefix, or 1 (the enum's value), the way
// FindEncoded reads -EncodedCommand; or conhost.exe --headless. text is
// what follows a PowerShell invocation (or a PowerShell script), so that
// another program's -w (curl's write-out) is not read as PowerShell's.
func HiddenWindow(text []byte, powershell bool) bool {
	return hiddenWindow(fold.AppendASCIILower(nil, text), powershell)
}

// hiddenWindow is HiddenWindow on lower-case text.
func hiddenWindow(low []byte, powershell bool) bool {
	hidden := false
	if powershell && anyIn(low, windowFlags) {
		forEachArg(low, func(arg, next []byte) bool {
			name, ok := paramName(arg)
			if !ok || len(next) == 0 || !isPrefixFold(name, "windowstyle") {
				return true
			}
			hidden = isPrefixFold(next, "hidden") || string(next) == "1"
			return !hidden
		})
	}
	return hidden || bytes.Contains(low, []byte("--headless")) && bytes.Contains(low, []byte("conhost"))
}

// TempPlace returns the temp or public folder text writes to or runs from
// (as written in the list above), or "".
func TempPlace(text []byte) string { return tempPlace(fold.AppendASCIILower(nil, text)) }

// tempPlace is TempPlace on lower-case text.
func tempPlace(low []byte) string {
	for i, p := range tempPlaces {
		if p[0] != '/' {
			if bytes.Contains(low, p) {
				return tempNames[i]
			}
			continue
		}
		// A POSIX folder starts an argument (or follows = or a quote):
		// "/tmp/" inside a URL's path (github.com/a/tmp/x) is not one.
		for off := 0; ; {
			j := bytes.Index(low[off:], p)
			if j < 0 {
				break
			}
			at := off + j
			if at == 0 || strings.IndexByte(" \t'\"=>", low[at-1]) >= 0 {
				return tempNames[i]
			}
			off = at + 1
		}
	}
	return ""
}

// isPrefixFold reports whether b, ignoring ASCII case, is a non-empty
// prefix of the lower-case word w.
func isPrefixFold(b []byte, w string) bool {
	return len(b) > 0 && len(b) <= len(w) && fold.Eq(b, w[:len(b)])
}

// anyIn reports whether lower-case text contains one of words.
func anyIn(low []byte, words [][]byte) bool {
	for _, w := range words {
		if bytes.Contains(low, w) {
			return true
		}
	}
	return false
}

// anyWord reports whether one of words occurs in lower-case text as a
// word: not preceded or followed by a letter, a digit, '-' or '_' ("iex"
// but not "index", "irm" but not "firm", "curl" but not "curly").
func anyWord(text []byte, words [][]byte) bool {
	return anyBounded(text, words, wordByte, true, true)
}

// anyWordStart is anyWord with only the start bounded ("exec(" is followed
// by anything).
func anyWordStart(text []byte, words [][]byte) bool {
	return anyBounded(text, words, wordByte, true, false)
}

// anyWordEnd is anyWord with only the end bounded ("| sh" starts with its
// own separator).
func anyWordEnd(text []byte, words [][]byte) bool {
	return anyBounded(text, words, wordByte, false, true)
}

// anyCommand is anyWord where a path or URL separator ('/', '\', '.',
// ':') before the word also disqualifies it: a command, not a file name.
func anyCommand(text []byte, words [][]byte) bool {
	return anyBounded(text, words, func(c byte) bool { return wordByte(c) || c == '/' || c == '\\' || c == '.' || c == ':' }, true, true)
}

func anyBounded(text []byte, words [][]byte, inWord func(byte) bool, start, end bool) bool {
	for _, w := range words {
		for off := 0; off < len(text); {
			i := bytes.Index(text[off:], w)
			if i < 0 {
				break
			}
			at, e := off+i, off+i+len(w)
			// A boundary matters only where the word itself starts or
			// ends with a word byte ("(eval)" may follow "then").
			start, end := start && wordByte(w[0]), end && wordByte(w[len(w)-1])
			if (!start || at == 0 || !inWord(text[at-1])) && (!end || e == len(text) || !wordByte(text[e])) {
				return true
			}
			off = at + 1
		}
	}
	return false
}

func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// appendNoBackticks appends b without PowerShell's escape character.
func appendNoBackticks(dst, b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '`')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		b = b[i+1:]
	}
	return dst
}
