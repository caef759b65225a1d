package forward

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Stanza is the alert action's stanza in alert_actions.conf.
const Stanza = "t1102_forward"

// AdminKeys are the parameters that decide where the binary writes, what
// it trusts and whether it sends in clear text. Only the administrator
// sets them, in alert_actions.conf. A saved search's
// action.t1102_forward.param.* and "| sendalert t1102_forward param.<k>=…"
// reach the binary in the same payload configuration, merged with
// alert_actions.conf's param.* (splunkd's custom alert action workflow,
// "Create a custom alert action script"), so the payload cannot tell
// the administrator's values from a searcher's: the binary reads these
// from the conf files themselves. restmap.conf's [validation:savedsearch]
// refuses them only when a saved search is saved through REST, never for
// sendalert.
var AdminKeys = []string{"spool_dir", "ca_file", "allow_http"}

// ErrAdminConf is wrapped by errors reading the administrator's
// alert_actions.conf.
var ErrAdminConf = errors.New("forward: alert_actions.conf")

// AppDir returns the app folder of the executable at exe: splunkd runs an
// alert action from <app>/<platform>/bin/<stanza> or <app>/bin/<stanza>
// (alert_actions.conf.spec; the platform folders are searched first), so
// the app is the nearest folder above it that holds
// default/alert_actions.conf — as the search commands find theirs
// (package cli, detect.FindAppDir). On indexers the app runs from the
// knowledge bundle; alert actions run on the search head only.
func AppDir(exe string) (string, error) {
	dir := filepath.Dir(exe)
	for i := 0; i < 3; i++ {
		dir = filepath.Dir(dir)
		if _, err := os.Stat(filepath.Join(dir, "default", "alert_actions.conf")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: no default/alert_actions.conf above %s (is the binary inside the app's <platform>/bin folder?)", ErrAdminConf, exe)
}

// AdminSettings reads param.<key> of the [t1102_forward] stanza for every
// key of [AdminKeys] from the alert_actions.conf files that apply to it,
// with Splunk's precedence for the global context, where alert_actions.conf
// is read ("Configuration file precedence", Splunk Admin Manual):
// $SPLUNK_HOME/etc/system/local first, then the app's local, then the
// app's default; the first file that sets a key decides it, an empty value
// included (an administrator can clear a default). Other apps' local and
// default folders, which Splunk would merge between the app's and the
// system's, are not read: a key set only there is not applied, and the
// payload's value then differs and is ignored with a warning. The app's
// default/alert_actions.conf must exist and hold the stanza; a missing
// local file is not an error. Keys no file sets are absent from the map.
func AdminSettings(splunkHome, appDir string) (map[string]string, error) {
	if splunkHome == "" {
		return nil, fmt.Errorf("%w: SPLUNK_HOME is not set: the administrator's settings cannot be read", ErrAdminConf)
	}
	files := []string{
		filepath.Join(splunkHome, "etc", "system", "local", "alert_actions.conf"),
		filepath.Join(appDir, "local", "alert_actions.conf"),
		filepath.Join(appDir, "default", "alert_actions.conf"),
	}
	out := map[string]string{}
	for i, f := range files {
		params, found, err := readStanza(f, Stanza)
		if errors.Is(err, fs.ErrNotExist) && i < len(files)-1 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrAdminConf, err)
		}
		if !found && i == len(files)-1 {
			return nil, fmt.Errorf("%w: %s has no [%s] stanza", ErrAdminConf, f, Stanza)
		}
		for _, k := range AdminKeys {
			if _, done := out[k]; done {
				continue
			}
			if v, ok := params["param."+k]; ok {
				out[k] = v
			}
		}
	}
	return out, nil
}

// readStanza returns the keys of one stanza of a .conf file: "[name]"
// lines open stanzas, "key = value" lines (split at the first "=", both
// sides trimmed) fill them, lines starting with "#" are comments, and a
// line ending in a backslash continues on the next (Splunk's .conf syntax,
// "About configuration files"). A key set twice keeps its last value, as
// Splunk does within one file.
func readStanza(path, name string) (map[string]string, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	keys := map[string]string{}
	in, found := false, false
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		for strings.HasSuffix(text, `\`) && sc.Scan() {
			line++
			text = strings.TrimSuffix(text, `\`) + "\n" + sc.Text()
		}
		t := strings.TrimSpace(text)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
		case strings.HasPrefix(t, "["):
			if !strings.HasSuffix(t, "]") {
				return nil, false, fmt.Errorf("%s:%d: stanza not closed: %q", path, line, t)
			}
			in = t[1:len(t)-1] == name
			found = found || in
		case in:
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				return nil, false, fmt.Errorf("%s:%d: not key = value", path, line)
			}
			keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return keys, found, nil
}

// Ignored is an admin key whose value in the payload differed from the
// administrator's.
type Ignored struct {
	Key, Payload, Admin string
}

// applyAdmin replaces the admin keys of conf, the payload's merged
// configuration, with the administrator's values, and returns the keys
// whose payload value differed (the alert or sendalert tried to set them).
func applyAdmin(conf, admin map[string]string) []Ignored {
	var ignored []Ignored
	for _, k := range AdminKeys {
		if v, ok := conf[k]; ok && strings.TrimSpace(v) != admin[k] {
			ignored = append(ignored, Ignored{Key: k, Payload: v, Admin: admin[k]})
		}
		if v, ok := admin[k]; ok {
			conf[k] = v
		} else {
			delete(conf, k)
		}
	}
	return ignored
}
