//go:build unix

package netlimit

import "syscall"

// RaiseFileLimit raises the process's soft limit on open files
// (RLIMIT_NOFILE) to its hard limit and returns the soft limit in force
// afterwards. Go already does this at start on Linux; doing it here makes
// it explicit, covers the other systems, and tells Effective what the
// connection cap must fit into.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= lim.Max {
		return uint64(lim.Cur), nil
	}
	raised := lim
	raised.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		// macOS refuses more than OPEN_MAX with an unlimited hard limit;
		// the soft limit stays what it was.
		return uint64(lim.Cur), err
	}
	return uint64(raised.Cur), nil
}
