package forward

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/t1102app/t1102/src/splunkapp"
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

// AdminSettings reads param.<key> of the [t1102_forward] stanza for every
// key of [AdminKeys] from the alert_actions.conf files that apply to it,
// with Splunk's precedence for the global context, where alert_actions.conf
// is read ("Configuration file precedence", Splunk Admin Manual):
// $SPLUNK_HOME/etc/system/local first, then the app's local, then the
// app's default; the first file that sets a key decides it, an empty value
// included (an administrator can clear a default), and within a file the
// last line that sets it (splunkapp.Merge). Other apps' local and default
// folders, which Splunk would merge between the app's and the system's,
// are not read: a key set only there is not applied, and the payload's
// value then differs and is ignored with a warning. The app's
// default/alert_actions.conf must exist and hold the stanza; a missing
// local file is not an error; a line of any of the files that is not
// .conf syntax is (the setting it meant cannot be known). Keys no file
// sets are absent from the map.
func AdminSettings(splunkHome, appDir string) (map[string]string, error) {
	if splunkHome == "" {
		return nil, fmt.Errorf("%w: SPLUNK_HOME is not set: the administrator's settings cannot be read", ErrAdminConf)
	}
	defaults := filepath.Join(appDir, "default", "alert_actions.conf")
	def, err := splunkapp.ReadFile(defaults)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdminConf, err)
	}
	if def.Stanza(Stanza) == nil {
		return nil, fmt.Errorf("%w: %s has no [%s] stanza", ErrAdminConf, defaults, Stanza)
	}
	over, err := splunkapp.ReadFiles(
		filepath.Join(appDir, "local", "alert_actions.conf"),
		filepath.Join(splunkHome, "etc", "system", "local", "alert_actions.conf"),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdminConf, err)
	}
	conf := splunkapp.Merge(append([]*splunkapp.File{def}, over...)...)
	out := map[string]string{}
	for _, k := range AdminKeys {
		if v, ok := conf.Get(Stanza, "param."+k); ok {
			out[k] = v
		}
	}
	return out, nil
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
