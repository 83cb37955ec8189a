package ops_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// DeleteObjects as a principal, without HTTP: each key decided as its
// DeleteObject would be, refusals and failures as the keys' results, one
// event and one count for the whole call.
func TestDeleteObjects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "a.jpg")
	old := e.put(bucket, "old.jpg")
	e.put(bucket, "old.jpg")
	e.put(bucket, "keep/x.jpg")
	gov := func() string {
		id := e.put(locked, "gov.pdf")
		if _, err := e.obj.PutRetention(ctx, locked, "gov.pdf", id, &kura.Retention{Mode: object.Governance,
			Until: e.now.Add(time.Hour)}, false); err != nil {
			t.Fatal(err)
		}
		return id
	}
	g1, g2 := gov(), gov()
	keys := func(ids ...ops.ObjectIdentifier) []ops.ObjectIdentifier { return ids }
	k := func(key string) ops.ObjectIdentifier { return ops.ObjectIdentifier{Key: key} }
	kv := func(key, id string) ops.ObjectIdentifier { return ops.ObjectIdentifier{Key: key, VersionID: id} }
	// outcome is one key's result as the test compares it: its error
	// code ("" when deleted) and whether a marker was involved.
	type outcome struct {
		code   string
		marker bool
	}

	for _, tc := range []struct {
		name    string
		p       kura.Principal
		in      ops.DeleteObjectsInput
		want    *s3err.Error // the call's error
		keys    []outcome    // each key's, in order
		status  int
		changes bool
	}{
		{name: "keys decided one by one", p: carol, status: 200, changes: true,
			in: ops.DeleteObjectsInput{Bucket: bucket, Objects: keys(k("a.jpg"), kv("old.jpg", old), k("keep/x.jpg"), k("never.jpg"))},
			// carol may delete keys but not photos' versions; keep/* is
			// protected by the bucket policy; a missing key is deleted
			// all the same (a marker in a versioned bucket).
			keys: []outcome{{marker: true}, {code: "AccessDenied"}, {code: "AccessDenied"}, {marker: true}}},
		{name: "a version by a role", p: job, status: 200, changes: true,
			in:   ops.DeleteObjectsInput{Bucket: bucket, Objects: keys(kv("old.jpg", old))},
			keys: []outcome{{}}},
		{name: "GOVERNANCE version, bypass without the permission", p: carol, status: 200,
			in:   ops.DeleteObjectsInput{Bucket: locked, Objects: keys(kv("gov.pdf", g1)), BypassGovernance: true},
			keys: []outcome{{code: "AccessDenied"}}},
		{name: "GOVERNANCE version with the bypass", p: job, status: 200, changes: true,
			in:   ops.DeleteObjectsInput{Bucket: locked, Objects: keys(kv("gov.pdf", g1), kv("gov.pdf", g2)), BypassGovernance: true},
			keys: []outcome{{}, {}}},
		{name: "another account not granted", p: bob, status: 200,
			in:   ops.DeleteObjectsInput{Bucket: bucket, Objects: keys(k("a.jpg"))},
			keys: []outcome{{code: "AccessDenied"}}},
		{name: "bypass in a bucket without Object Lock", p: job, want: ops.ErrBypassWithoutLock().(*s3err.Error), status: 400,
			in: ops.DeleteObjectsInput{Bucket: bucket, Objects: keys(k("a.jpg")), BypassGovernance: true}},
		{name: "no keys", p: job, want: s3err.MalformedXML, status: 400,
			in: ops.DeleteObjectsInput{Bucket: bucket}},
		{name: "expected bucket owner mismatch", p: job, want: s3err.AccessDenied, status: 403,
			in: ops.DeleteObjectsInput{Bucket: bucket, ExpectedBucketOwner: other, Objects: keys(k("a.jpg"))}},
		{name: "no such bucket", p: job, want: s3err.NoSuchBucket, status: 404,
			in: ops.DeleteObjectsInput{Bucket: "nowhere", Objects: keys(k("a.jpg"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count("DeleteObjects", tc.status)
			res, err := e.ops.DeleteObjects(ctx, call(tc.p, id), tc.in)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.want != nil && !s3err.Is(err, tc.want):
				t.Fatalf("error %v, want %s", err, tc.want.Code)
			}
			var got []outcome
			for i, o := range res.Objects {
				if o.ObjectIdentifier != tc.in.Objects[i] {
					t.Errorf("result %d names %+v, want %+v", i, o.ObjectIdentifier, tc.in.Objects[i])
				}
				c := outcome{marker: o.DeleteMarker}
				if o.Err != nil {
					c.code = o.Err.Code
				}
				if o.DeleteMarker && o.VersionID == "" && o.DeleteMarkerVersionID == "" {
					t.Errorf("key %s: a marker was created but its version id is not given", o.Key)
				}
				got = append(got, c)
			}
			if !slices.Equal(got, tc.keys) {
				t.Errorf("outcomes %+v, want %+v", got, tc.keys)
			}
			if got := e.count("DeleteObjects", tc.status) - before; got != 1 {
				t.Errorf("kura_operations_total{operation=\"DeleteObjects\",code=\"%d\"} grew by %v, want 1", tc.status, got)
			}
			ev := e.eventByID("DeleteObjects", id)
			if ev == nil {
				t.Fatalf("no DeleteObjects event with requestID %s in the trail", id)
			}
			wantCode := ""
			if tc.want != nil {
				wantCode = tc.want.Code
			}
			if ev.ErrorCode != wantCode || ev.UserIdentity.ARN != tc.p.ARN || ev.EventCategory != "Data" {
				t.Errorf("event errorCode %q identity %s category %s, want %q, %s, Data", ev.ErrorCode, ev.UserIdentity.ARN, ev.EventCategory, wantCode, tc.p.ARN)
			}
			if len(ev.Resources) != 1 || ev.Resources[0].ARN != "arn:aws:s3:::"+tc.in.Bucket {
				t.Errorf("resources = %+v, want the bucket", ev.Resources)
			}
			if _, ok := ev.RequestParameters["delete"]; !ok || ev.RequestParameters["key"] != nil {
				t.Errorf("requestParameters = %v, want bucketName and delete", ev.RequestParameters)
			}
			if _, staged := e.commits.stagedEvent(ev.EventID); staged != tc.changes {
				t.Errorf("event in the audit outbox at commit: %v, want %v", staged, tc.changes)
			}
		})
	}
	if _, err := e.obj.Head(ctx, locked, "gov.pdf", g2); err == nil {
		t.Error("GOVERNANCE version still readable after DeleteObjects with the bypass")
	}
}

// DeleteObjects commits its keys' deletes in one metadata transaction,
// not one per key (issue 18): markers in a versioned bucket, and in an
// unversioned one the objects removed. The test's objects are small and
// inline in their records, so no blob is queued and no collection commit
// follows (a blob-backed object's blob would be queued and then collected
// in one more commit, as this test store keeps no grace period).
func TestDeleteObjectsOneCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		bucket  string
		commits int
	}{{bucket, 1}, {plain, 1}} {
		in := ops.DeleteObjectsInput{Bucket: tc.bucket}
		for i := range 50 {
			key := "one-commit/" + itoa(i)
			e.put(tc.bucket, key)
			in.Objects = append(in.Objects, ops.ObjectIdentifier{Key: key})
		}
		before := e.commits.count()
		res, err := e.ops.DeleteObjects(ctx, call(root, "one-commit-"+tc.bucket), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			if o.Err != nil || o.DeleteMarker != (tc.bucket == bucket) {
				t.Errorf("%s/%s: marker %v, error %v", tc.bucket, o.Key, o.DeleteMarker, o.Err)
			}
		}
		if got := e.commits.count() - before; got != tc.commits {
			t.Errorf("DeleteObjects of 50 keys in %s: %d metadata commits, want %d", tc.bucket, got, tc.commits)
		}
		if l, err := e.obj.ListObjects(ctx, object.ListInput{Bucket: tc.bucket, Prefix: "one-commit/", MaxKeys: 100}); err != nil || len(l.Objects) != 0 {
			t.Errorf("%s: %d objects listed after DeleteObjects (%v)", tc.bucket, len(l.Objects), err)
		}
	}
}

// DeleteObjects called by a front: the route decided nothing (its keys
// are only known from the body), so every key and the bypass are decided
// through the front, and nothing is recorded.
func TestFrontDeleteObjects(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.put(locked, "a.pdf")
	type decision struct{ action, resource string }
	var got []decision
	fctx := ops.WithFront(ctx, &ops.Front{Decide: func(_ context.Context, r access.Request) error {
		got = append(got, decision{r.Action, r.Resource})
		if r.Resource == "arn:aws:s3:::vault/no.pdf" {
			return s3err.AccessDenied
		}
		return nil
	}})
	res, err := e.ops.DeleteObjects(fctx, call(alice, "front-deletes"), ops.DeleteObjectsInput{Bucket: locked, BypassGovernance: true,
		Objects: []ops.ObjectIdentifier{{Key: "a.pdf", VersionID: id}, {Key: "no.pdf"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []decision{{"s3:BypassGovernanceRetention", "arn:aws:s3:::vault/*"},
		{"s3:DeleteObjectVersion", "arn:aws:s3:::vault/a.pdf"}, {"s3:DeleteObject", "arn:aws:s3:::vault/no.pdf"}}
	if !slices.Equal(got, want) {
		t.Errorf("front decided %v, want %v", got, want)
	}
	if len(res.Objects) != 2 || res.Objects[0].Err != nil || res.Objects[1].Err == nil || res.Objects[1].Err.Code != "AccessDenied" {
		t.Errorf("results %+v, want a.pdf deleted and no.pdf refused", res.Objects)
	}
	if evs := e.events("DeleteObjects"); len(evs) != 0 {
		t.Errorf("%d events written, want none (the front writes)", len(evs))
	}
}
