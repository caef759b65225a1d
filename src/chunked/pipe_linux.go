package chunked

import (
	"os"
	"syscall"
)

// pipeSize is what [GrowPipes] asks for: 1 MiB, Linux's default
// /proc/sys/fs/pipe-max-size for unprivileged processes.
const pipeSize = 1 << 20

// GrowPipes enlarges the kernel buffers of the given files when they are
// pipes (Linux F_SETPIPE_SZ). splunkd writes chunks of megabytes; with the
// default 64 KiB pipe each chunk costs dozens of sleeps and wake-ups on
// both sides. Failure is harmless and ignored: the pipe keeps its size.
func GrowPipes(files ...*os.File) {
	for _, f := range files {
		if f == nil {
			continue
		}
		if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			continue
		}
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_SETPIPE_SZ, pipeSize)
	}
}
