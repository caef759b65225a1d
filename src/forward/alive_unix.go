//go:build unix

package forward

import (
	"errors"
	"syscall"
)

// processAlive: signal 0 checks that a process exists without touching it
// (EPERM: it exists, under another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
