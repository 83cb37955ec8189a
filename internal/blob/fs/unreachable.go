//go:build !windows

package fs

import (
	"errors"
	"syscall"
)

// unreachable reports whether err is a network filesystem's way of saying
// its server cannot be reached: a soft NFS mount timing out, a stale
// handle after the server restarted or failed over, a lost connection.
func unreachable(err error) bool {
	for _, e := range []syscall.Errno{syscall.ETIMEDOUT, syscall.ESTALE, syscall.ENOTCONN, syscall.ECONNREFUSED,
		syscall.ECONNRESET, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EHOSTDOWN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
