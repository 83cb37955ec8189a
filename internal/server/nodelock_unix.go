//go:build unix

package server

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes an exclusive lock on dir (a lock file in it, held
// until unlock), failing with ErrDataDirInUse while another process holds
// it. locked is false where the platform has no such lock.
func lockDataDir(dir string) (unlock func(), locked bool, err error) {
	p := filepath.Join(dir, dataDirLockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("%w (%s is locked): give each node a data directory of its own", ErrDataDirInUse, p)
	}
	return func() { f.Close() }, true, nil
}
