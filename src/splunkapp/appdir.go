package splunkapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoAppDir is wrapped by [FindAppDir]'s error.
var ErrNoAppDir = errors.New("app folder not found")

// FindAppDir returns the app folder of the executable at exe: the nearest
// of its ancestors, at most three levels up, whose default/ folder holds
// conf (a file name such as "t1102.conf" or "alert_actions.conf"). splunkd
// runs a chunked command or an alert action from <app>/<platform>/bin/<exe>
// (the platform folders are searched first) or <app>/bin/<exe>
// (commands.conf.spec and alert_actions.conf.spec), on search heads and,
// for search commands, on indexers from the knowledge bundle's copy of the
// app. exe should have its symbolic links resolved.
func FindAppDir(exe, conf string) (string, error) {
	dir := filepath.Dir(exe)
	for i := 0; i < 3; i++ {
		dir = filepath.Dir(dir)
		if _, err := os.Stat(filepath.Join(dir, "default", conf)); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: no default/%s above %s (is the binary inside the app's <platform>/bin folder?)", ErrNoAppDir, conf, exe)
}
