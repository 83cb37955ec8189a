// Package lifecycle executes bucket lifecycle configurations the way S3
// does: once a "day", at 00:00 UTC, every enabled rule is evaluated against
// every object version and incomplete multipart upload of its bucket, and
// what has come due is expired, transitioned or aborted.
//
// The package has two halves. rules.go and due.go are pure: they decide,
// from a bucket's rules and one version (or upload) in the context of its
// key, which action is due at a given midnight, and never touch a store.
// runner.go walks the buckets in pages and applies what the pure half
// decides through object.Service, which re-decides inside the transaction
// that applies each action, so a lifecycle run never undoes a concurrent
// write and never deletes a version under Object Lock. Every action it
// applies leaves one audit event (audit.go).
//
// lifecycle never reads or writes object data: expiration releases blobs
// through the object service and a transition only relabels a version.
package lifecycle

import (
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
)

// Kind is what a lifecycle action does.
type Kind int

// The lifecycle actions.
const (
	None Kind = iota
	// ExpireCurrent expires a current version: deleted in a bucket that
	// never had versioning, hidden under a delete marker otherwise.
	ExpireCurrent
	// RemoveDeleteMarker removes an expired object delete marker: a delete
	// marker that is its key's only version.
	RemoveDeleteMarker
	// ExpireNoncurrent permanently deletes a noncurrent version.
	ExpireNoncurrent
	// Transition changes a current version's storage class.
	Transition
	// TransitionNoncurrent changes a noncurrent version's storage class.
	TransitionNoncurrent
	// AbortUpload aborts an incomplete multipart upload.
	AbortUpload
)

var kindNames = [...]string{"None", "ExpireCurrent", "RemoveDeleteMarker", "ExpireNoncurrent", "Transition", "TransitionNoncurrent", "AbortUpload"}

func (k Kind) String() string { return kindNames[k] }

// Action is the action due for one version or upload, and the rule that
// calls for it.
type Action struct {
	Kind         Kind
	RuleID       string
	StorageClass string // the target class of a transition
}

// TransitionMinSize is the size below which objects are not transitioned
// unless the rule has an object size filter: S3's default for new
// configurations (x-amz-transition-default-minimum-object-size:
// all_storage_classes_128K).
const TransitionMinSize = 128 << 10

// Enabled reports whether any rule is enabled: a bucket without one is not
// walked at all.
func Enabled(rules []kura.LifecycleRule) bool {
	for i := range rules {
		if rules[i].Status == "Enabled" {
			return true
		}
	}
	return false
}

// CountLimit is how far a version's newer noncurrent versions must be
// counted to judge NewerNoncurrentVersions for every rule.
func CountLimit(rules []kura.LifecycleRule) int {
	n := 0
	for _, r := range rules {
		if e := r.NoncurrentVersionExpiration; e != nil && e.NewerNoncurrentVersions != nil {
			n = max(n, *e.NewerNoncurrentVersions)
		}
		for _, t := range r.NoncurrentVersionTransitions {
			if t.NewerNoncurrentVersions != nil {
				n = max(n, *t.NewerNoncurrentVersions)
			}
		}
	}
	return n
}

// Matches reports whether rule r's filter selects an object with this key,
// size and tags: the prefix matches, every tag named is on the object with
// the same value, and the size is strictly above ObjectSizeGreaterThan and
// strictly below ObjectSizeLessThan. An empty filter selects everything.
func Matches(r *kura.LifecycleRule, key string, size int64, tags []kura.Tag) bool {
	if r.Filter == nil {
		return r.Prefix == nil || strings.HasPrefix(key, *r.Prefix)
	}
	f := r.Filter
	if !prefixOK(f.Prefix, key) || !sizeOK(f.ObjectSizeGreaterThan, f.ObjectSizeLessThan, size) {
		return false
	}
	if f.Tag != nil && !hasTag(tags, *f.Tag) {
		return false
	}
	if a := f.And; a != nil {
		if !prefixOK(a.Prefix, key) || !sizeOK(a.ObjectSizeGreaterThan, a.ObjectSizeLessThan, size) {
			return false
		}
		for _, t := range a.Tags {
			if !hasTag(tags, t) {
				return false
			}
		}
	}
	return true
}

func prefixOK(p *string, key string) bool { return p == nil || strings.HasPrefix(key, *p) }

func sizeOK(gt, lt *int64, size int64) bool {
	return (gt == nil || size > *gt) && (lt == nil || size < *lt)
}

func hasTag(tags []kura.Tag, want kura.Tag) bool {
	for _, t := range tags {
		if t.Key == want.Key {
			return t.Value == want.Value
		}
	}
	return false
}

// hasSizeFilter reports whether r names an object size, which replaces the
// default minimum size of transitions.
func hasSizeFilter(r *kura.LifecycleRule) bool {
	f := r.Filter
	if f == nil {
		return false
	}
	if f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
		return true
	}
	return f.And != nil && (f.And.ObjectSizeGreaterThan != nil || f.And.ObjectSizeLessThan != nil)
}

// classRank orders the storage classes along S3's transition waterfall: a
// version only ever moves to a class ranked higher than its own.
var classRank = map[string]int{
	"STANDARD": 0, "REDUCED_REDUNDANCY": 0, "STANDARD_IA": 1, "INTELLIGENT_TIERING": 2,
	"ONEZONE_IA": 3, "GLACIER_IR": 4, "GLACIER": 5, "DEEP_ARCHIVE": 6,
}

// CanTransition reports whether S3 supports a lifecycle transition from
// class from to class to: only down the waterfall STANDARD → STANDARD_IA →
// INTELLIGENT_TIERING → ONEZONE_IA → GLACIER_IR → GLACIER → DEEP_ARCHIVE,
// and never from ONEZONE_IA to GLACIER_IR.
func CanTransition(from, to string) bool {
	from = object.ClassName(from)
	rf, ok1 := classRank[from]
	rt, ok2 := classRank[to]
	if !ok1 || !ok2 || from == "ONEZONE_IA" && to == "GLACIER_IR" {
		return false
	}
	return rt > rf
}

// Decide returns the action due at midnight at for version v of a bucket
// with the given rules and versioning state ("", Enabled, Suspended), with
// day as the length of a day. Several rules may apply; as in S3, permanent
// deletion wins over a transition, a transition over placing a delete
// marker, and of two transitions the one further down the waterfall (so
// GLACIER over STANDARD_IA). Among equals, the earlier rule wins.
func Decide(rules []kura.LifecycleRule, versioning string, v object.VersionState, at time.Time, day time.Duration) Action {
	var del, trans, marker Action
	var tags []kura.Tag
	var size int64
	if !v.DeleteMarker {
		tags, size = v.Tags, v.Size
	}
	for i := range rules {
		r := &rules[i]
		if r.Status != "Enabled" || !Matches(r, v.Key, size, tags) {
			continue
		}
		switch {
		case v.DeleteMarker && v.Current:
			if v.Only && del.Kind == None && expiredMarkerDue(r.Expiration, v.LastModified, at, day) {
				del = Action{Kind: RemoveDeleteMarker, RuleID: r.ID}
			}
		case v.Current:
			if e := r.Expiration; e != nil && dueOn(e.Days, e.Date, v.LastModified, at, day) {
				if versioning == "" && del.Kind == None {
					del = Action{Kind: ExpireCurrent, RuleID: r.ID}
				} else if marker.Kind == None {
					marker = Action{Kind: ExpireCurrent, RuleID: r.ID}
				}
			}
			for _, t := range r.Transitions {
				if dueOn(t.Days, t.Date, v.LastModified, at, day) && transitionOK(r, v.ObjectVersion, t.StorageClass) {
					trans = deeper(trans, Action{Kind: Transition, RuleID: r.ID, StorageClass: t.StorageClass})
				}
			}
		default:
			if e := r.NoncurrentVersionExpiration; e != nil && del.Kind == None &&
				noncurrentDue(e.NoncurrentDays, e.NewerNoncurrentVersions, v, at, day) {
				del = Action{Kind: ExpireNoncurrent, RuleID: r.ID}
			}
			if v.DeleteMarker {
				continue
			}
			for _, t := range r.NoncurrentVersionTransitions {
				if noncurrentDue(t.NoncurrentDays, t.NewerNoncurrentVersions, v, at, day) && transitionOK(r, v.ObjectVersion, t.StorageClass) {
					trans = deeper(trans, Action{Kind: TransitionNoncurrent, RuleID: r.ID, StorageClass: t.StorageClass})
				}
			}
		}
	}
	switch {
	case del.Kind != None:
		return del
	case trans.Kind != None:
		return trans
	}
	return marker
}

// transitionOK reports whether rule r may move version v to class: down
// the waterfall, and at least TransitionMinSize unless r filters by size.
func transitionOK(r *kura.LifecycleRule, v *kura.ObjectVersion, class string) bool {
	return CanTransition(v.StorageClass, class) && (v.Size >= TransitionMinSize || hasSizeFilter(r))
}

func deeper(cur, next Action) Action {
	if cur.Kind == None || classRank[next.StorageClass] > classRank[cur.StorageClass] {
		return next
	}
	return cur
}

// DecideUpload returns the AbortUpload action due at midnight at for an
// incomplete multipart upload, or an action of Kind None. Only a rule's
// prefix can select an upload: its final size is not known and tag filters
// cannot be combined with AbortIncompleteMultipartUpload; a rule that
// filters by size is taken not to apply to uploads.
func DecideUpload(rules []kura.LifecycleRule, u *kura.Upload, at time.Time, day time.Duration) Action {
	for i := range rules {
		r := &rules[i]
		a := r.AbortIncompleteMultipartUpload
		if r.Status != "Enabled" || a == nil || a.DaysAfterInitiation == nil || hasSizeFilter(r) || !Matches(r, u.Key, 0, nil) {
			continue
		}
		if due, ok := DueAfter(u.Initiated, *a.DaysAfterInitiation, day); ok && !due.After(at) {
			return Action{Kind: AbortUpload, RuleID: r.ID}
		}
	}
	return Action{}
}
