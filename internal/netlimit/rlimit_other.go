//go:build !unix

package netlimit

// RaiseFileLimit does nothing where there is no RLIMIT_NOFILE; 0 tells
// Effective the limit is unknown.
func RaiseFileLimit() (uint64, error) { return 0, nil }
