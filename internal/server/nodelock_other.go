//go:build !unix

package server

// lockDataDir: no file lock on this platform, so a restarted node cannot
// know that its previous process is gone and does not release its leases.
func lockDataDir(dir string) (unlock func(), locked bool, err error) {
	return func() {}, false, nil
}
