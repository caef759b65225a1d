package detect

import (
	"bytes"

	"github.com/t1102app/t1102/src/internal/fold"
)

// Evidence beyond the command line: what PowerShell ran (script block
// logging, event 4104), what a scheduled task will run (Security 4698, see
// task.go) and where a process wrote files (Sysmon 11).

// MaxScript bounds the script text judged per process: script block
// logging splits a long script into parts of about 32 KB; a downloader's
// loop is a few hundred bytes.
const MaxScript = 64 << 10

// scriptCode returns a PowerShell script with its comments blanked out:
// <# … #> blocks and lines that start with #. Help text names project
// pages (.LINK https://github.com/…) that are no request at all; what a
// script does is in its code. Strings that hold "#" stay as they are: only
// a # that starts a line (after white space) opens a line comment here.
func scriptCode(dst, script []byte) []byte {
	dst = dst[:0]
	for len(script) > 0 {
		if bytes.HasPrefix(script, []byte("<#")) {
			end := bytes.Index(script[2:], []byte("#>"))
			if end < 0 {
				return dst
			}
			script = script[2+end+2:]
			dst = append(dst, ' ')
			continue
		}
		line := script
		next := []byte(nil)
		if j := bytes.IndexByte(script, '\n'); j >= 0 {
			line, next = script[:j+1], script[j+1:]
		}
		if k := bytes.Index(line, []byte("<#")); k > 0 {
			// A block comment opens inside the line: keep what precedes it.
			dst = append(dst, line[:k]...)
			script = script[k:]
			continue
		}
		if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] == '#' {
			dst = append(dst, '\n')
		} else {
			dst = append(dst, line...)
		}
		script = next
	}
	return dst
}

// TempWrite reports whether a file a process created (Sysmon 11
// TargetFilename) is where droppers put what they fetched: a temp or
// public folder, as tempPlace reads a command line. PowerShell's own files
// there are not: the execution-policy probe
// (__PSScriptPolicyTest_<random>.ps1 and .psm1, written at every start)
// and Add-Type's compilation (Temp\<random>\<random>.dll, .cs, .cmdline,
// .out, .err, .tmp, the folder and the files sharing one random name).
// Both show in real Sysmon 11 events of powershell.exe.
func TempWrite(path []byte) bool {
	var buf [512]byte // most paths: no allocation per file event
	low := fold.AppendASCIILower(buf[:0], path)
	if tempPlace(low) == "" {
		return false
	}
	base := Basename(low)
	if bytes.HasPrefix(base, []byte("__psscriptpolicytest_")) {
		return false
	}
	dir := low[:len(low)-len(base)]
	dir = bytes.TrimRight(dir, `\/`)
	parent := Basename(dir)
	stem, _, _ := bytes.Cut(base, []byte("."))
	return !(len(stem) == 8 && bytes.Equal(parent, stem))
}

// ScriptOfInterest reports whether a script block can add evidence to its
// process's row: its code (comments left out) names a catalogued service,
// runs or fetches content (Invoke-Expression as a command, a fetch cmdlet
// or class, a URL), asks for a hidden window, or holds an encoded command
// that decodes. Judging a block that shows none of these changes no row:
// t1102correlate's map phase leaves such blocks out (the whole of a block
// in several parts is kept, as a part alone may show only half of it).
func (d *Detector) ScriptOfInterest(script []byte) bool {
	code := scriptCode(nil, script[:min(len(script), MaxScript)])
	low := appendNoBackticks(nil, fold.AppendASCIILower(nil, code))
	if bytes.Contains(low, []byte("http")) || anyCommand(low, psInvoke) || anyWord(low, psFetch) || hiddenWindow(low, true) {
		return true
	}
	named := false
	var norm []byte
	ScanHosts(code, func(ref HostRef) bool {
		norm = NormalizeHost(norm[:0], ref.Host)
		if _, _, ok := d.Service(norm); ok {
			named = true
			return false
		}
		return true
	})
	if named {
		return true
	}
	enc, ok := FindEncoded(code, false)
	return ok && enc.Decoded != nil
}
