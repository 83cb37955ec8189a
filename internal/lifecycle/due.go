package lifecycle

import (
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
)

// S3's lifecycle clock. Rules are evaluated once a day at 00:00 UTC. An
// action Days days after an instant (an object's creation, the moment a
// version became noncurrent, an upload's initiation) is due at that instant
// plus Days, rounded up to the next midnight UTC; an action on a Date is due
// from that midnight on. With a shortened day (tests, demos), "midnight" is
// every multiple of the day's length since the Unix epoch, which for a real
// day is exactly 00:00 UTC.

// Day is the length of a real lifecycle day.
const Day = 24 * time.Hour

// Midnight returns the last midnight at or before t.
func Midnight(t time.Time, day time.Duration) time.Time {
	ns, d := t.UnixNano(), int64(day)
	m := ns % d
	if m < 0 {
		m += d
	}
	return time.Unix(0, ns-m).UTC()
}

// NextMidnight returns the first midnight at or after t: t itself when it
// is a midnight.
func NextMidnight(t time.Time, day time.Duration) time.Time {
	m := Midnight(t, day)
	if m.Equal(t) {
		return m
	}
	return m.Add(day)
}

// DueAfter returns when an action days days after from is due: from plus
// days, rounded up to the next midnight. ok is false when that lies beyond
// what a time.Duration can reach (about 292 years), that is never.
func DueAfter(from time.Time, days int, day time.Duration) (due time.Time, ok bool) {
	if days < 0 || days > 0 && int64(days) > (1<<63-1)/int64(day) {
		return time.Time{}, false
	}
	return NextMidnight(from.Add(time.Duration(days)*day), day), true
}

// dueOn reports whether an action given by Days (counted from created) or
// by Date is due at midnight at.
func dueOn(days *int, date string, created, at time.Time, day time.Duration) bool {
	if days != nil {
		due, ok := DueAfter(created, *days, day)
		return ok && !due.After(at)
	}
	if date != "" {
		d, err := time.Parse(time.RFC3339, date)
		return err == nil && !d.After(at)
	}
	return false
}

// expiredMarkerDue reports whether an Expiration removes an expired object
// delete marker created at created: at once with ExpiredObjectDeleteMarker,
// and, as S3 does for Days and Date, once the marker is old enough to
// satisfy them.
func expiredMarkerDue(e *kura.LifecycleExpiration, created, at time.Time, day time.Duration) bool {
	if e == nil {
		return false
	}
	if e.ExpiredObjectDeleteMarker != nil {
		return *e.ExpiredObjectDeleteMarker
	}
	return dueOn(e.Days, e.Date, created, at, day)
}

// noncurrentDue reports whether a noncurrent action is due for v: it has
// been noncurrent for days (counted from its successor's creation), and at
// least newer noncurrent versions are newer than it.
func noncurrentDue(days, newer *int, v object.VersionState, at time.Time, day time.Duration) bool {
	if days == nil || v.NoncurrentSince.IsZero() {
		return false
	}
	if newer != nil && v.NewerNoncurrent < *newer {
		return false
	}
	due, ok := DueAfter(v.NoncurrentSince, *days, day)
	return ok && !due.After(at)
}
