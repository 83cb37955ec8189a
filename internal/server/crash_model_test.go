package server_test

import (
	"slices"
	"testing"

	"github.com/kurastore/kura/internal/audit"
)

// The crash harness's model: what the clients were told about each key.

// crashKind says which bucket a key is in and what may act on it besides
// its owner.
type crashKind int

const (
	kindPlain crashKind = iota // crash-plain: the owner's requests only
	kindVer                    // crash-ver, versioned: the owner's requests only
	kindLCExp                  // crash-lc exp/: one PUT, then the Expiration rule
	kindLCTr                   // crash-lc tr/: one PUT, then the Transition rule and, two days later, its Expiration
	kindLCUp                   // crash-lc up/: an upload and a part, then AbortIncompleteMultipartUpload
	kindLCV                    // crash-lcv, versioned: one PUT, then Expiration and NoncurrentVersionExpiration
)

func (k crashKind) versioned() bool { return k == kindVer || k == kindLCV }

// crashSSE is an object's encryption as HEAD shows it: Type is AES256,
// aws:kms, aws:kms:dsse or SSE-C.
type crashSSE struct {
	Type string
	Key  string // KMS key ARN
	BK   bool   // S3 Bucket Key
}

// crashVersion is one object version or delete marker.
type crashVersion struct {
	VID    string // "" while unknown: the request that made it was not answered
	Marker bool
	Op     string // the x-amz-meta-op of the request that wrote the data
	Sum    string // SHA-256 of the data, hex
	Size   int64
	SSE    crashSSE
	Class  string
}

// same reports whether o (observed) is v, whose version id may be
// unknown.
func (v crashVersion) same(o crashVersion) bool {
	if v.VID != "" && v.VID != o.VID || v.Marker != o.Marker {
		return false
	}
	return v.Marker || v.Op == o.Op && v.Sum == o.Sum && v.Size == o.Size && v.SSE == o.SSE && v.Class == o.Class
}

type crashPart struct {
	N    int32
	Size int64
	ETag string // "" while unknown
}

// crashUpload is an incomplete multipart upload.
type crashUpload struct {
	ID    string // "" while unknown
	Parts []crashPart
}

// crashState is a key's versions (newest first; unversioned buckets hold
// at most the null version) and its incomplete uploads.
type crashState struct {
	Versions []crashVersion
	Uploads  []crashUpload
}

func (s crashState) clone() crashState {
	c := crashState{Versions: slices.Clone(s.Versions), Uploads: slices.Clone(s.Uploads)}
	for i := range c.Uploads {
		c.Uploads[i].Parts = slices.Clone(c.Uploads[i].Parts)
	}
	return c
}

// current is the newest version, if any.
func (s crashState) current() (crashVersion, bool) {
	if len(s.Versions) == 0 {
		return crashVersion{}, false
	}
	return s.Versions[0], true
}

// matches reports whether o, the state observed over the wire (the
// current version first), is s: the same current version, the same
// versions, the same uploads with the same parts. A version or upload
// whose id s does not know matches any id.
func (s crashState) matches(o crashState) bool {
	if len(s.Versions) != len(o.Versions) || len(s.Uploads) != len(o.Uploads) {
		return false
	}
	if len(s.Versions) > 0 && !s.Versions[0].same(o.Versions[0]) {
		return false
	}
	used := make([]bool, len(o.Versions))
	if len(used) > 0 {
		used[0] = true
	}
	// Known ids first, so that an unknown one cannot take another's match.
	for pass := range 2 {
		for _, v := range s.Versions[min(1, len(s.Versions)):] {
			if (v.VID == "") != (pass == 1) {
				continue
			}
			found := false
			for j, ov := range o.Versions {
				if !used[j] && v.same(ov) {
					used[j], found = true, true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	usedU := make([]bool, len(o.Uploads))
	for _, u := range s.Uploads {
		found := false
		for j, ou := range o.Uploads {
			if !usedU[j] && (u.ID == "" || u.ID == ou.ID) && sameParts(u.Parts, ou.Parts) {
				usedU[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// filled is s with what only the store knows filled in from o, which
// matches s: the ids of versions and uploads whose answers never came,
// and part ETags. The order stays s's: the order the requests were made
// in, newest first (a listing gives versions and delete markers apart).
func (s crashState) filled(o crashState) crashState {
	f := s.clone()
	known := map[string]bool{}
	for _, v := range f.Versions {
		known[v.VID] = true
	}
	for i, v := range f.Versions {
		if v.VID != "" {
			continue
		}
		for _, ov := range o.Versions {
			if !known[ov.VID] && v.same(ov) {
				f.Versions[i].VID, known[ov.VID] = ov.VID, true
				break
			}
		}
	}
	for i := range f.Uploads {
		u := &f.Uploads[i]
		for _, ou := range o.Uploads {
			if u.ID != "" && u.ID != ou.ID || u.ID == "" && slices.ContainsFunc(f.Uploads, func(x crashUpload) bool { return x.ID == ou.ID }) {
				continue
			}
			u.ID = ou.ID
			for j := range u.Parts {
				if k := slices.IndexFunc(ou.Parts, func(p crashPart) bool { return p.N == u.Parts[j].N }); k >= 0 {
					u.Parts[j].ETag = ou.Parts[k].ETag
				}
			}
			break
		}
	}
	return f
}

func sameParts(want, got []crashPart) bool {
	if len(want) != len(got) {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g crashPart) bool {
			return g.N == w.N && g.Size == w.Size && (w.ETag == "" || w.ETag == g.ETag)
		}) {
			return false
		}
	}
	return true
}

// crashKey is one key, owned by one worker: its state as acknowledged (or
// as observed at the last check), the change events its applied requests
// must have in the audit trail, and the request a kill cut off, if any.
type crashKey struct {
	bucket, key string
	kind        crashKind
	state       crashState
	events      map[string]int // change events by name
	inflight    *crashPending
	verified    map[string]bool // version id + op: bytes read back and compared
	history     []string        // what happened to the key, for failure messages
}

// crashPending is a request sent but never answered: the kill came first.
// It may have been applied or not, but nothing in between.
type crashPending struct {
	event string     // the name of its event
	after crashState // the key's state had it been applied
}

// withVersion is the state after a write of v: v on top of a versioned
// key, the only version of an unversioned one.
func (k *crashKey) withVersion(v crashVersion) crashState {
	s := k.state.clone()
	if k.kind.versioned() {
		s.Versions = append([]crashVersion{v}, s.Versions...)
	} else {
		s.Versions = []crashVersion{v}
	}
	return s
}

// The harness's checker must reject what it exists to find: a test of
// validate on made-up states, so that a change that makes it accept
// anything fails here rather than passing every crash round.
func TestCrashHarnessCheckerRejects(t *testing.T) {
	t.Parallel()
	kms := crashSSE{Type: "aws:kms", Key: "arn:aws:kms:us-east-1:000000000000:key/a"}
	v1 := crashVersion{VID: "v1", Op: "op1", Sum: "aa", Size: 10, SSE: kms, Class: "STANDARD"}
	v2 := crashVersion{VID: "v2", Op: "op2", Sum: "bb", Size: 20, SSE: crashSSE{Type: "AES256"}, Class: "STANDARD"}
	state := func(vs ...crashVersion) crashState { return crashState{Versions: vs} }
	events := func(kv ...any) *crashEvents {
		e := &crashEvents{counts: map[string]int{}}
		for i := 0; i < len(kv); i += 2 {
			e.counts[kv[i].(string)] = kv[i+1].(int)
		}
		return e
	}
	lcEvent := func(name, vid, marker string) audit.Event {
		ev := audit.Event{EventName: name, RequestParameters: map[string]any{"versionId": vid}, ResponseElements: map[string]any{}}
		if marker != "" {
			ev.ResponseElements["x-amz-version-id"] = marker
		}
		return ev
	}
	rekeyed := v1
	rekeyed.SSE.Key = "arn:aws:kms:us-east-1:000000000000:key/b"
	otherBytes := v1
	otherBytes.Sum = "cc"
	unknown := v2
	unknown.VID = ""
	glacier := v1
	glacier.Class = "GLACIER_IR"
	marker := crashVersion{VID: "m1", Marker: true}
	for _, c := range []struct {
		name   string
		kind   crashKind
		model  crashCandidate
		obs    crashState
		events *crashEvents
		list   []audit.Event
		ok     bool
	}{
		{"as told", kindVer, crashCandidate{st: state(v2, v1), ev: map[string]int{"PutObject": 2}}, state(v2, v1), events("PutObject", 2), nil, true},
		{"unknown id binds", kindVer, crashCandidate{st: state(unknown, v1), ev: map[string]int{"PutObject": 2}}, state(v2, v1), events("PutObject", 2), nil, true},
		{"acknowledged version lost", kindVer, crashCandidate{st: state(v2, v1), ev: map[string]int{"PutObject": 2}}, state(v2), events("PutObject", 2), nil, false},
		{"other bytes", kindPlain, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(otherBytes), events("PutObject", 1), nil, false},
		{"other key", kindPlain, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(rekeyed), events("PutObject", 1), nil, false},
		{"other current version", kindVer, crashCandidate{st: state(v2, v1), ev: map[string]int{"PutObject": 2}}, state(v1, v2), events("PutObject", 2), nil, false},
		{"missing event", kindPlain, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(v1), events(), nil, false},
		{"duplicate event", kindPlain, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(v1), events("PutObject", 2), nil, false},
		{"event for nothing sent", kindPlain, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(v1), events("PutObject", 1, "DeleteObject", 1), nil, false},
		{"expired with its event", kindLCExp, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(), events("PutObject", 1, "LifecycleExpirationDelete", 1), nil, true},
		{"gone without an event", kindLCExp, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(), events("PutObject", 1), nil, false},
		{"expiration event, still there", kindLCExp, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(v1), events("PutObject", 1, "LifecycleExpirationDelete", 1), nil, false},
		{"unapplied PUT with an event", kindLCExp, crashCandidate{ev: map[string]int{}}, state(), events("PutObject", 1), nil, false},
		{"transitioned once", kindLCTr, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(glacier), events("PutObject", 1, "LifecycleTransition", 1), nil, true},
		{"transitioned, then expired", kindLCTr, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(), events("PutObject", 1, "LifecycleTransition", 1, "LifecycleExpirationDelete", 1), nil, true},
		{"transitioned, still there, expiration event", kindLCTr, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(glacier), events("PutObject", 1, "LifecycleTransition", 1, "LifecycleExpirationDelete", 1), nil, false},
		{"transitioned twice", kindLCTr, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(glacier), events("PutObject", 1, "LifecycleTransition", 2), nil, false},
		{"versions replayed", kindLCV, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(marker),
			events("PutObject", 1, "LifecycleExpirationDeleteMarkerCreated", 1, "LifecycleExpirationDelete", 1),
			[]audit.Event{lcEvent("LifecycleExpirationDeleteMarkerCreated", "", "m1"), lcEvent("LifecycleExpirationDelete", "v1", "")}, true},
		{"version deleted twice", kindLCV, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(marker),
			events("PutObject", 1, "LifecycleExpirationDeleteMarkerCreated", 1, "LifecycleExpirationDelete", 2),
			[]audit.Event{lcEvent("LifecycleExpirationDeleteMarkerCreated", "", "m1"), lcEvent("LifecycleExpirationDelete", "v1", ""), lcEvent("LifecycleExpirationDelete", "v1", "")}, false},
		{"marker without its event", kindLCV, crashCandidate{st: state(v1), ev: map[string]int{"PutObject": 1}}, state(marker, v1), events("PutObject", 1), nil, false},
	} {
		c.events.list = c.list
		err := validate(&crashKey{kind: c.kind}, c.model, c.obs, c.events)
		if (err == nil) != c.ok {
			t.Errorf("%s: validate = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// filled learns only ids from the store and keeps the model's order: a
// listing returns versions and delete markers apart, so its order says
// nothing about which one follows the current version.
func TestCrashModelFilledKeepsOrder(t *testing.T) {
	t.Parallel()
	v1 := crashVersion{VID: "v1", Op: "op1", Sum: "aa", Class: "STANDARD"}
	v2 := crashVersion{VID: "v2", Op: "op2", Sum: "bb", Class: "STANDARD"}
	m := crashVersion{VID: "m1", Marker: true}
	unknown := v2
	unknown.VID = ""
	model := crashState{Versions: []crashVersion{unknown, m, v1}, Uploads: []crashUpload{{Parts: []crashPart{{N: 1, Size: 5}}}}}
	listed := crashState{Versions: []crashVersion{v2, v1, m}, Uploads: []crashUpload{{ID: "u1", Parts: []crashPart{{N: 1, Size: 5, ETag: `"e"`}}}}}
	if !model.matches(listed) {
		t.Fatal("model does not match the listing")
	}
	got := model.filled(listed)
	want := crashState{Versions: []crashVersion{v2, m, v1}, Uploads: []crashUpload{{ID: "u1", Parts: []crashPart{{N: 1, Size: 5, ETag: `"e"`}}}}}
	if fmtState(got) != fmtState(want) || got.Uploads[0].Parts[0].ETag != `"e"` {
		t.Fatalf("filled = %s, want %s", fmtState(got), fmtState(want))
	}
}
