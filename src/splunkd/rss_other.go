//go:build !linux

package splunkd

import "os"

// maxRSS is not measured outside Linux.
func maxRSS(*os.ProcessState) int64 { return 0 }

// peakRSS is not measured outside Linux.
func peakRSS(int) int64 { return 0 }
