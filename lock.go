package kura

import "time"

// LockRule is a bucket's Object Lock default retention: Mode with exactly
// one of Days or Years.
type LockRule struct {
	Mode  string // GOVERNANCE or COMPLIANCE
	Days  int
	Years int
}

// Retention is one object version's Object Lock retention.
type Retention struct {
	Mode  string // GOVERNANCE or COMPLIANCE
	Until time.Time
}
