package objecttest

import (
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

func retention(mode string, d time.Duration) *kura.Retention {
	return &kura.Retention{Mode: mode, Until: start.Add(d)}
}

func on() *bool { b := true; return &b }

func testLockRetentionModes(t *testing.T, e *env) {
	e.lockBucket("bkt", nil)
	tests := []struct {
		name          string
		lock          object.Lock
		deleteBypass  bool          // may a bypassing delete remove it while retained?
		expires       time.Duration // 0: never (legal hold)
		plainDeleteOK bool
	}{
		{"no lock", object.Lock{}, true, 0, true},
		{"GOVERNANCE", object.Lock{Retention: retention(object.Governance, time.Hour)}, true, time.Hour, false},
		{"COMPLIANCE", object.Lock{Retention: retention(object.Compliance, time.Hour)}, false, time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "k-" + tc.name
			v := e.put("bkt", key, "locked?", withLock(tc.lock))
			if tc.lock.Retention != nil && (v.Retention == nil || v.Retention.Mode != tc.lock.Retention.Mode || !v.Retention.Until.Equal(tc.lock.Retention.Until)) {
				t.Fatalf("stored retention %+v, want %+v", v.Retention, tc.lock.Retention)
			}
			// A delete without a version id only adds a delete marker, which
			// Object Lock never prevents.
			if res := e.del("bkt", key, ""); !res.DeleteMarker {
				t.Errorf("delete without version id: %+v, want a delete marker", res)
			}
			_, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: key, VersionID: v.VersionID})
			if tc.plainDeleteOK {
				if err != nil {
					t.Fatalf("delete of an unprotected version: %v", err)
				}
				return
			}
			wantCode(t, "delete of a retained version", err, s3err.AccessDenied)
			_, err = e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: key, VersionID: v.VersionID, BypassGovernance: true})
			if tc.deleteBypass {
				if err != nil {
					t.Fatalf("delete with bypass of a GOVERNANCE version: %v", err)
				}
				if _, err := e.head("bkt", key, v.VersionID); !s3err.Is(err, s3err.NoSuchVersion) {
					t.Errorf("version still there after a bypassing delete: %v", err)
				}
				return
			}
			wantCode(t, "delete with bypass of a COMPLIANCE version", err, s3err.AccessDenied)
			if got := e.get("bkt", key, v.VersionID); got != "locked?" {
				t.Errorf("retained version's data: %q", got)
			}
		})
	}
	// Once the COMPLIANCE period has passed, the version can be deleted.
	vs := e.listVersions(object.ListInput{Bucket: "bkt", Prefix: "k-COMPLIANCE"})
	e.clock.add(time.Hour)
	for _, v := range vs.Objects {
		if _, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: v.Key, VersionID: v.VersionID}); err != nil {
			t.Errorf("delete after the retention period: %v", err)
		}
	}
}

func testLockLegalHold(t *testing.T, e *env) {
	e.lockBucket("bkt", nil)
	v := e.put("bkt", "k", "held", withLock(object.Lock{LegalHold: on()}))
	if !v.LegalHold || !v.LegalHoldSet {
		t.Fatalf("legal hold not stored: %+v", v)
	}
	for _, bypass := range []bool{false, true} {
		_, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: "k", VersionID: v.VersionID, BypassGovernance: bypass})
		wantCode(t, "delete of a held version", err, s3err.AccessDenied)
	}
	got, err := e.svc.LockedVersion(e.ctx(), "bkt", "k", v.VersionID)
	if err != nil || !got.LegalHold {
		t.Fatalf("LockedVersion: %+v, %v", got, err)
	}
	// Holds are placed and lifted on any version, by id.
	w := e.put("bkt", "k", "second")
	if _, err := e.svc.PutLegalHold(e.ctx(), "bkt", "k", w.VersionID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: "k", VersionID: w.VersionID}); !s3err.Is(err, s3err.AccessDenied) {
		t.Errorf("delete of a version held afterwards: %v", err)
	}
	for _, id := range []string{v.VersionID, w.VersionID} {
		if _, err := e.svc.PutLegalHold(e.ctx(), "bkt", "k", id, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: "k", VersionID: id}); err != nil {
			t.Errorf("delete after the hold was lifted: %v", err)
		}
	}
	// A hold outlasts retention: with both, the expired retention does not
	// free the version.
	x := e.put("bkt", "x", "both", withLock(object.Lock{LegalHold: on(), Retention: retention(object.Governance, time.Minute)}))
	e.clock.add(time.Hour)
	_, err = e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: "x", VersionID: x.VersionID, BypassGovernance: true})
	wantCode(t, "delete of a held version with expired retention", err, s3err.AccessDenied)
}

func testLockDefaultRetention(t *testing.T, e *env) {
	e.lockBucket("bkt", &kura.LockRule{Mode: object.Compliance, Days: 2})
	v := e.put("bkt", "k", "data")
	want := v.LastModified.Add(48 * time.Hour)
	if v.Retention == nil || v.Retention.Mode != object.Compliance || !v.Retention.Until.Equal(want) {
		t.Fatalf("default retention %+v, want COMPLIANCE until %v", v.Retention, want)
	}
	// An explicit retention wins over the default.
	w := e.put("bkt", "k2", "data", withLock(object.Lock{Retention: retention(object.Governance, time.Hour)}))
	if w.Retention.Mode != object.Governance {
		t.Errorf("explicit retention replaced by the default: %+v", w.Retention)
	}
	// Delete markers get no retention.
	dm := e.del("bkt", "k", "")
	if _, err := e.tryDelete(object.DeleteInput{Bucket: "bkt", Key: "k", VersionID: dm.VersionID}); err != nil {
		t.Errorf("removing a delete marker in a bucket with default retention: %v", err)
	}
	// Multipart uploads completed get it too.
	u := e.createUpload("bkt", "mp")
	p := e.part(u, 1, "part")
	mv, err := e.tryComplete(u, completePart(p))
	if err != nil {
		t.Fatal(err)
	}
	if mv.Retention == nil || mv.Retention.Mode != object.Compliance {
		t.Errorf("completed upload's retention %+v, want the bucket default", mv.Retention)
	}
	if rule := (&kura.LockRule{Years: 1}); !object.RetainUntil(rule, start).Equal(start.Add(365 * 24 * time.Hour)) {
		t.Error("RetainUntil: a year is not 365 days")
	}
}

func testLockRetentionChanges(t *testing.T, e *env) {
	e.lockBucket("bkt", nil)
	tests := []struct {
		name   string
		cur    *kura.Retention
		next   *kura.Retention
		bypass bool
		ok     bool
	}{
		{"extend GOVERNANCE", retention(object.Governance, time.Hour), retention(object.Governance, 2*time.Hour), false, true},
		{"shorten GOVERNANCE", retention(object.Governance, time.Hour), retention(object.Governance, time.Minute), false, false},
		{"shorten GOVERNANCE with bypass", retention(object.Governance, time.Hour), retention(object.Governance, time.Minute), true, true},
		{"remove GOVERNANCE", retention(object.Governance, time.Hour), nil, false, false},
		{"remove GOVERNANCE with bypass", retention(object.Governance, time.Hour), nil, true, true},
		{"GOVERNANCE to COMPLIANCE", retention(object.Governance, time.Hour), retention(object.Compliance, time.Hour), false, false},
		{"GOVERNANCE to COMPLIANCE with bypass", retention(object.Governance, time.Hour), retention(object.Compliance, time.Hour), true, true},
		{"extend COMPLIANCE", retention(object.Compliance, time.Hour), retention(object.Compliance, 2*time.Hour), false, true},
		{"shorten COMPLIANCE with bypass", retention(object.Compliance, time.Hour), retention(object.Compliance, time.Minute), true, false},
		{"COMPLIANCE to GOVERNANCE with bypass", retention(object.Compliance, time.Hour), retention(object.Governance, 2*time.Hour), true, false},
		{"remove COMPLIANCE with bypass", retention(object.Compliance, time.Hour), nil, true, false},
		{"set on an unretained version", nil, retention(object.Compliance, time.Hour), false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := e.put("bkt", "k", "x", withLock(object.Lock{Retention: tc.cur}))
			got, err := e.svc.PutRetention(e.ctx(), "bkt", "k", v.VersionID, tc.next, tc.bypass)
			if !tc.ok {
				if !s3err.Is(err, s3err.AccessDenied) {
					t.Fatalf("PutRetention: %v, want AccessDenied", err)
				}
				if h := e.mustHead("bkt", "k", v.VersionID); *h.Retention != *tc.cur {
					t.Errorf("refused change altered the retention: %+v", h.Retention)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutRetention: %v", err)
			}
			h := e.mustHead("bkt", "k", v.VersionID)
			if (tc.next == nil) != (h.Retention == nil) || (tc.next != nil && *h.Retention != *tc.next) || (got.Retention == nil) != (tc.next == nil) {
				t.Errorf("retention %+v, want %+v", h.Retention, tc.next)
			}
		})
	}
	// Expired retention may be changed freely.
	v := e.put("bkt", "old", "x", withLock(object.Lock{Retention: retention(object.Compliance, time.Minute)}))
	e.clock.add(time.Hour)
	if _, err := e.svc.PutRetention(e.ctx(), "bkt", "old", v.VersionID, nil, false); err != nil {
		t.Errorf("removing expired COMPLIANCE retention: %v", err)
	}
}

func testLockNotEnabled(t *testing.T, e *env) {
	e.bucket("plain", "Enabled")
	e.bucket("unversioned", "")
	_, err := e.tryPut("plain", "k", "x", withLock(object.Lock{Retention: retention(object.Governance, time.Hour)}))
	wantCode(t, "retention in a bucket without Object Lock", err, s3err.InvalidRequest)
	_, err = e.tryPut("plain", "k", "x", withLock(object.Lock{LegalHold: on()}))
	wantCode(t, "legal hold in a bucket without Object Lock", err, s3err.InvalidRequest)
	v := e.put("plain", "k", "x")
	_, err = e.svc.PutLegalHold(e.ctx(), "plain", "k", v.VersionID, true)
	wantCode(t, "PutLegalHold without Object Lock", err, s3err.InvalidRequest)
	_, err = e.svc.PutRetention(e.ctx(), "plain", "k", v.VersionID, retention(object.Governance, time.Hour), false)
	wantCode(t, "PutRetention without Object Lock", err, s3err.InvalidRequest)
	_, err = e.svc.LockedVersion(e.ctx(), "plain", "k", v.VersionID)
	wantCode(t, "LockedVersion without Object Lock", err, s3err.InvalidRequest)
	wantCode(t, "PutBucketLock on an unversioned bucket", e.svc.PutBucketLock(e.ctx(), "unversioned", nil), s3err.InvalidBucketState)
	if err := e.svc.PutBucketLock(e.ctx(), "plain", nil); err != nil {
		t.Errorf("PutBucketLock on a versioned bucket: %v", err)
	}
}
