package ops_test

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/metrics/prom"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/policy"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/storetest"
)

// The operation layer's behaviour without HTTP: authorization by bucket
// and identity policies (with the operations' condition keys), the audit
// event each call leaves, the metrics it counts, and the audit outbox
// holding the event whenever a change is committed.

const (
	owner   = "111122223333"
	other   = "444455556666"
	bucket  = "photos"
	locked  = "vault"
	plain   = "plain" // never versioned
	jobRole = "arn:aws:sts::111122223333:assumed-role/batch/job-1"
)

var (
	root  = kura.Principal{Type: kura.PrincipalRoot, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":root", PrincipalID: owner}
	alice = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":user/alice",
		PrincipalID: "AIDAALICE", UserName: "alice", AccessKeyID: "AKIAALICE"}
	job = kura.Principal{Type: kura.PrincipalAssumedRole, AccountID: owner, ARN: jobRole, PrincipalID: "AROAJOB:job-1",
		RoleARN: "arn:aws:iam::" + owner + ":role/batch", SessionName: "job-1"}
	bob = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: other, ARN: "arn:aws:iam::" + other + ":user/bob",
		PrincipalID: "AIDABOB", UserName: "bob"}
	carol = kura.Principal{Type: kura.PrincipalIAMUser, AccountID: owner, ARN: "arn:aws:iam::" + owner + ":user/carol",
		PrincipalID: "AIDACAROL", UserName: "carol", AccessKeyID: "AKIACAROL"}
)

// identityPolicies are the principals' IAM policies.
var identityPolicies = map[string]string{
	alice.ARN: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:PutObjectTagging","s3:DeleteObjectTagging"],"Resource":"*"}}`,
	jobRole:   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
	bob.ARN:   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
	// carol may delete (versions too, except in photos), read tags and
	// set object ACLs (not a version's), but not bypass governance
	// retention.
	carol.ARN: `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:DeleteObject","s3:GetObjectTagging","s3:PutObjectAcl"],"Resource":"*"},
 {"Effect":"Allow","Action":"s3:DeleteObjectVersion","Resource":["arn:aws:s3:::vault/*","arn:aws:s3:::plain/*"]}]}`,
}

// bucketPolicy: bob (another account) may tag; nobody may set a tag
// class=secret, remove the tags of an object tagged keep=yes, or place a
// COMPLIANCE retention; alice may not tag under private/.
const bucketPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"},"Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::photos/*"},
 {"Effect":"Deny","Principal":"*","Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"s3:RequestObjectTag/class":"secret"}}},
 {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObjectTagging","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/keep":"yes"}}},
 {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::photos/private/*"},
 {"Effect":"Deny","Principal":"*","Action":["s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::photos/keep/*"},
 {"Effect":"Deny","Principal":"*","Action":"s3:PutObjectAcl","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read-write"}}}
]}`

const lockPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Deny","Principal":"*","Action":"s3:PutObjectRetention","Resource":"arn:aws:s3:::vault/*","Condition":{"StringEquals":{"s3:object-lock-mode":"COMPLIANCE"}}}
]}`

// env is an operation layer over a bolt store and a blob directory, with
// its audit trail and outbox as the server wires them.
type env struct {
	t       testing.TB
	dir     string
	trail   *audit.Log
	metrics *prom.Ops
	obj     *object.Service
	ops     *ops.Service
	commits *commitWatch
	now     time.Time
	keyARN  string // a KMS key of the bucket owner
}

func newEnv(t testing.TB, opts ...func(*object.Config)) *env {
	t.Helper()
	st := storetest.OpenLocal(t)
	ms, dir := st.Meta, st.Dir
	trail, err := audit.Open(audit.PathIn(dir), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	outbox := audit.NewOutbox(ms, trail, logger)
	t.Cleanup(func() { // before the metadata store is closed
		outbox.Close()
		trail.Close()
	})
	e := &env{t: t, dir: dir, trail: trail, metrics: prom.New(), now: time.Now().UTC()}
	e.commits = &commitWatch{Store: outbox.Store(), raw: ms}
	pols := policies(t)
	keys, err := kms.New(kms.Config{Meta: e.commits, RootKey: make([]byte, 32), Region: "us-east-1", Audit: trail,
		Logger: logger, IdentityPolicies: pols})
	if err != nil {
		t.Fatal(err)
	}
	ocfg := object.Config{Meta: e.commits, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), KMS: keys, Region: "us-east-1", Logger: logger}
	for _, o := range opts {
		o(&ocfg)
	}
	e.obj = object.New(ocfg)
	e.ops = ops.New(ops.Config{Objects: e.obj, Policies: pols, Accounts: directory{}, Audit: trail, Metrics: e.metrics,
		Region: "us-east-1", Logger: logger})

	ctx := context.Background()
	k, err := keys.CreateKey(ctx, kura.Call{Principal: root}, kms.CreateKeyInput{Description: "re-key target"})
	if err != nil {
		t.Fatal(err)
	}
	e.keyARN = k.Arn
	for _, b := range []kura.Bucket{
		{Name: bucket, Owner: owner, Versioning: "Enabled", Policy: bucketPolicy},
		{Name: locked, Owner: owner, Versioning: "Enabled", ObjectLockEnabled: true, Policy: lockPolicy},
		{Name: plain, Owner: owner},
	} {
		if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: b.Name, Owner: b.Owner}); err != nil {
			t.Fatal(err)
		}
		if err := e.obj.UpdateBucket(ctx, b.Name, func(x *kura.Bucket) error {
			x.Versioning, x.ObjectLockEnabled, x.Policy = b.Versioning, b.ObjectLockEnabled, b.Policy
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// The account directory: the owner's canonical id is its account id (as
// S3 shows an owner the directory does not know, and as the test
// principals, which carry none, name themselves); the other account has
// a canonical id and an e-mail address.
const (
	otherCID   = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	otherEmail = "bob@example.com"
)

type directory struct{}

func (directory) CanonicalID(_ context.Context, account string) (string, bool, error) {
	switch account {
	case owner:
		return owner, true, nil
	case other:
		return otherCID, true, nil
	}
	return "", false, nil
}

func (directory) HasCanonicalID(_ context.Context, cid string) (bool, error) {
	return cid == owner || cid == otherCID, nil
}

func (directory) CanonicalIDByEmail(_ context.Context, email string) (string, bool, error) {
	if email == otherEmail {
		return otherCID, true, nil
	}
	return "", false, nil
}

func policies(t testing.TB) func(context.Context, kura.Principal) ([]*policy.Document, []*policy.Document, error) {
	docs := map[string]*policy.Document{}
	for arn, text := range identityPolicies {
		d, err := policy.Parse([]byte(text), policy.Identity)
		if err != nil {
			t.Fatalf("identity policy of %s: %v", arn, err)
		}
		docs[arn] = d
	}
	return func(_ context.Context, p kura.Principal) ([]*policy.Document, []*policy.Document, error) {
		if d := docs[p.ARN]; d != nil {
			return []*policy.Document{d}, nil, nil
		}
		return nil, nil, nil
	}
}

// put writes an object (as the object service does for a PUT) and
// returns its version id.
func (e *env) put(b, key string, tags ...kura.Tag) string {
	e.t.Helper()
	v, err := e.obj.PutObject(context.Background(), object.PutInput{Bucket: b, Key: key, Body: strings.NewReader("data"),
		Size: 4, Tags: tags, Owner: owner})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", b, key, err)
	}
	return v.VersionID
}

// events is the trail's events named name, oldest first.
func (e *env) events(name string) []audit.Event {
	e.t.Helper()
	if err := e.trail.Sync(); err != nil {
		e.t.Fatal(err)
	}
	evs, err := audit.Read(audit.PathIn(e.dir), func(ev audit.Event) bool { return ev.EventName == name })
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// count is kura_operations_total for an s3 operation and status.
func (e *env) count(name string, status int) float64 {
	return e.sample("kura_operations_total", name, status)
}

// sample is the value of one s3 operation's counter (status: its code
// label, 0 for none).
func (e *env) sample(metric, name string, status int) float64 {
	e.t.Helper()
	mfs, err := e.metrics.Registry().Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["service"] == "s3" && labels["operation"] == name && (status == 0 || labels["code"] == itoa(status)) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}

// commitWatch is the outbox's store, noting after each committed change
// which events the outbox table holds at that moment.
type commitWatch struct {
	meta.Store
	raw meta.Store // beneath the outbox; nil in benchmarks, which watch no events

	mu      sync.Mutex
	staged  map[string]audit.Event // the outbox's entries right after a commit, by event id
	commits int                    // changes committed
	views   int                    // read transactions begun
}

func (c *commitWatch) View(ctx context.Context, fn func(meta.Tx) error) error {
	c.mu.Lock()
	c.views++
	c.mu.Unlock()
	return c.Store.View(ctx, fn)
}

// reads is how many read transactions were begun so far.
func (c *commitWatch) reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.views
}

func (c *commitWatch) Update(ctx context.Context, fn func(meta.Tx) error) error {
	if err := c.Store.Update(ctx, fn); err != nil {
		return err
	}
	c.mu.Lock()
	c.commits++
	c.mu.Unlock()
	if c.raw == nil { // a benchmark: no outbox scan per commit
		return nil
	}
	return c.raw.View(ctx, func(tx meta.Tx) error {
		cur := tx.Cursor(meta.TableAuditOutbox)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.staged == nil {
			c.staged = map[string]audit.Event{}
		}
		for k, v := cur.Seek(nil); k != nil; k, v = cur.Next() {
			var ev audit.Event
			if err := meta.Decode(v, &ev); err != nil {
				return err
			}
			c.staged[string(k)] = ev
		}
		return nil
	})
}

// count is how many changes were committed so far.
func (c *commitWatch) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.commits
}

// stagedEvent is the outbox entry of event id found right after a
// commit, if any.
func (c *commitWatch) stagedEvent(id string) (audit.Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, ok := c.staged[id]
	return ev, ok
}

func call(p kura.Principal, id string) kura.Call {
	return kura.Call{Principal: p, Source: kura.Source{IP: "10.0.0.7", UserAgent: "kura-batch/1 job-1",
		InvokedBy: "batchoperations.s3.amazonaws.com", RequestID: id}}
}

func TestOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	v1 := e.put(bucket, "a.jpg")
	e.put(bucket, "private/b.jpg")
	e.put(bucket, "kept.jpg", kura.Tag{Key: "keep", Value: "yes"})
	e.put(locked, "doc.pdf")
	future := e.now.Add(48 * time.Hour).Truncate(time.Millisecond)
	tags := []kura.Tag{{Key: "class", Value: "public"}}
	tgt := func(b, key string) ops.Target { return ops.Target{Bucket: b, Key: key} }
	ver := func(b, key, id string) ops.Target { return ops.Target{Bucket: b, Key: key, VersionID: id} }
	e.put(bucket, "gone.jpg")
	old := e.put(bucket, "old.jpg")
	e.put(bucket, "old.jpg")
	e.put(bucket, "keep/x.jpg")
	e.put(plain, "p.txt")
	gov := e.put(locked, "gov.pdf")
	if _, err := e.obj.PutRetention(ctx, locked, "gov.pdf", gov, &kura.Retention{Mode: object.Governance, Until: future}, false); err != nil {
		t.Fatal(err)
	}
	e.put(bucket, "acl.jpg")
	aclOld := e.put(bucket, "acl-v.jpg")
	e.put(bucket, "acl-v.jpg")
	for name, set := range map[string]func(*kura.Bucket){
		"enforced": func(b *kura.Bucket) { b.ObjectOwnership = kura.BucketOwnerEnforced },
		"blocked":  func(b *kura.Bucket) { b.PublicAccessBlock = &kura.PublicAccessBlock{BlockPublicAcls: true} },
	} {
		if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: name, Owner: owner}); err != nil {
			t.Fatal(err)
		}
		if err := e.obj.UpdateBucket(ctx, name, func(b *kura.Bucket) error { set(b); return nil }); err != nil {
			t.Fatal(err)
		}
		e.put(name, "x")
	}
	putACL := func(in ops.ACLInput) func(kura.Call) error {
		return func(c kura.Call) error { _, err := e.ops.PutObjectAcl(ctx, c, in); return err }
	}
	aclIs := func(b, key, versionID string, want *kura.ACL) func(t *testing.T) {
		return func(t *testing.T) {
			v, err := e.obj.Head(ctx, b, key, versionID)
			if err != nil {
				t.Fatal(err)
			}
			if (v.ACL == nil) != (want == nil) || v.ACL != nil && !slices.Equal(v.ACL.Grants, want.Grants) {
				t.Errorf("ACL of %s/%s = %+v, want %+v", b, key, v.ACL, want)
			}
		}
	}
	fullControl := kura.Grant{Type: "CanonicalUser", ID: owner, Permission: kura.PermissionFullControl}
	allRead := kura.Grant{Type: "Group", URI: kura.GroupAllUsers, Permission: kura.PermissionRead}
	del := func(in ops.DeleteInput, want ops.DeleteResult) func(kura.Call) error {
		return func(c kura.Call) error {
			res, err := e.ops.DeleteObject(ctx, c, in)
			if err == nil && (res.DeleteMarker != want.DeleteMarker || want.VersionID != "" && res.VersionID != want.VersionID) {
				t.Errorf("DeleteObject = %+v, want %+v", res, want)
			}
			return err
		}
	}
	// lastResponse is the responseElements of the last event named name.
	lastResponse := func(name string) map[string]any {
		evs := e.events(name)
		return evs[len(evs)-1].ResponseElements
	}
	gone := func(b, key, versionID string) func(t *testing.T) {
		return func(t *testing.T) {
			if _, err := e.obj.Head(ctx, b, key, versionID); err == nil {
				t.Errorf("%s/%s (version %q) still readable after DeleteObject", b, key, versionID)
			}
		}
	}

	for _, tc := range []struct {
		name string
		op   string // eventName
		p    kura.Principal
		run  func(c kura.Call) error
		want *s3err.Error // nil: success
		// exact: the error's message must be want's too
		exact bool
		// status the metrics count it under
		status int
		// changes: a change is committed (the outbox must have held the event)
		changes bool
		// check, when set, looks at the object after a success
		check func(t *testing.T)
		// readOnly: the event is a read's
		readOnly bool
	}{
		{name: "owner root tags", op: "PutObjectTagging", p: root, status: 200, changes: true,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: tgt(bucket, "a.jpg"), Tags: tags})
				return err
			},
			check: func(t *testing.T) {
				v, _ := e.obj.Head(ctx, bucket, "a.jpg", "")
				if len(v.Tags) != 1 || v.Tags[0] != tags[0] {
					t.Errorf("tags after PutObjectTagging = %v, want %v", v.Tags, tags)
				}
			}},
		{name: "IAM user allowed by identity policy", op: "PutObjectTagging", p: alice, status: 200, changes: true,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: tgt(bucket, "a.jpg"), Tags: tags})
				return err
			}},
		{name: "IAM user denied by bucket policy", op: "PutObjectTagging", p: alice, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: tgt(bucket, "private/b.jpg"), Tags: tags})
				return err
			}},
		{name: "IAM user without the version action", op: "PutObjectTagging", p: alice, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: ops.Target{Bucket: bucket, Key: "a.jpg", VersionID: v1}, Tags: tags})
				return err
			}},
		{name: "role allowed for a version", op: "PutObjectTagging", p: job, status: 200, changes: true,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: ops.Target{Bucket: bucket, Key: "a.jpg", VersionID: v1}, Tags: tags})
				return err
			}},
		{name: "request tag denied by s3:RequestObjectTag", op: "PutObjectTagging", p: job, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: tgt(bucket, "a.jpg"), Tags: []kura.Tag{{Key: "class", Value: "secret"}}})
				return err
			}},
		{name: "other account allowed by bucket policy", op: "PutObjectTagging", p: bob, status: 200, changes: true,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: tgt(bucket, "a.jpg"), Tags: tags})
				return err
			}},
		{name: "other account not granted by bucket policy", op: "DeleteObjectTagging", p: bob, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error { _, err := e.ops.DeleteObjectTagging(ctx, c, tgt(bucket, "a.jpg")); return err }},
		{name: "invalid tags refused after authorization", op: "PutObjectTagging", p: root, want: s3err.InvalidTag, status: 400,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: tgt(bucket, "a.jpg"), Tags: []kura.Tag{{Key: "aws:x", Value: "1"}}})
				return err
			}},
		{name: "expected bucket owner mismatch", op: "PutObjectTagging", p: root, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectTagging(ctx, c, ops.TaggingInput{Target: ops.Target{Bucket: bucket, Key: "a.jpg", ExpectedBucketOwner: other}, Tags: tags})
				return err
			}},
		{name: "no such bucket", op: "DeleteObjectTagging", p: root, want: s3err.NoSuchBucket, status: 404,
			run: func(c kura.Call) error {
				_, err := e.ops.DeleteObjectTagging(ctx, c, tgt("nowhere", "a.jpg"))
				return err
			}},
		{name: "existing tag denies removal", op: "DeleteObjectTagging", p: job, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.DeleteObjectTagging(ctx, c, tgt(bucket, "kept.jpg"))
				return err
			}},
		{name: "tags removed", op: "DeleteObjectTagging", p: alice, status: 204, changes: true,
			run: func(c kura.Call) error { _, err := e.ops.DeleteObjectTagging(ctx, c, tgt(bucket, "a.jpg")); return err },
			check: func(t *testing.T) {
				if v, _ := e.obj.Head(ctx, bucket, "a.jpg", ""); len(v.Tags) != 0 {
					t.Errorf("tags after DeleteObjectTagging = %v, want none", v.Tags)
				}
			}},
		{name: "retention in a bucket without Object Lock", op: "PutObjectRetention", p: root, want: object.ErrLockNotEnabled, exact: true, status: 400,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectRetention(ctx, c, ops.RetentionInput{Target: tgt(bucket, "a.jpg"),
					Retention: &kura.Retention{Mode: object.Governance, Until: future}})
				return err
			}},
		{name: "COMPLIANCE denied by s3:object-lock-mode", op: "PutObjectRetention", p: job, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectRetention(ctx, c, ops.RetentionInput{Target: tgt(locked, "doc.pdf"),
					Retention: &kura.Retention{Mode: object.Compliance, Until: future}})
				return err
			}},
		{name: "GOVERNANCE retention set", op: "PutObjectRetention", p: job, status: 200, changes: true,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectRetention(ctx, c, ops.RetentionInput{Target: tgt(locked, "doc.pdf"),
					Retention: &kura.Retention{Mode: object.Governance, Until: future}})
				return err
			},
			check: func(t *testing.T) {
				v, _ := e.obj.Head(ctx, locked, "doc.pdf", "")
				if v.Retention == nil || v.Retention.Mode != object.Governance || !v.Retention.Until.Equal(future) {
					t.Errorf("retention = %+v, want GOVERNANCE until %s", v.Retention, future)
				}
			}},
		{name: "retention in the past", op: "PutObjectRetention", p: root, want: s3err.InvalidArgument, status: 400,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectRetention(ctx, c, ops.RetentionInput{Target: tgt(locked, "doc.pdf"),
					Retention: &kura.Retention{Mode: object.Governance, Until: e.now.Add(-time.Hour)}})
				return err
			}},
		{name: "legal hold by an IAM user without permission", op: "PutObjectLegalHold", p: alice, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectLegalHold(ctx, c, ops.LegalHoldInput{Target: tgt(locked, "doc.pdf"), On: true})
				return err
			}},
		{name: "legal hold placed", op: "PutObjectLegalHold", p: job, status: 200, changes: true,
			run: func(c kura.Call) error {
				_, err := e.ops.PutObjectLegalHold(ctx, c, ops.LegalHoldInput{Target: tgt(locked, "doc.pdf"), On: true})
				return err
			},
			check: func(t *testing.T) {
				if v, _ := e.obj.Head(ctx, locked, "doc.pdf", ""); !v.LegalHold {
					t.Error("legal hold not placed")
				}
			}},
		{name: "restore of an object not archived", op: "RestoreObject", p: job, want: s3err.InvalidObjectState, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.RestoreObject(ctx, c, ops.RestoreInput{Target: tgt(bucket, "a.jpg"), Days: 1})
				return err
			}},
		{name: "UpdateObjectEncryption by an IAM user without permission", op: "UpdateObjectEncryption", p: alice, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.UpdateObjectEncryption(ctx, c, ops.EncryptionInput{Target: tgt(bucket, "a.jpg"),
					Encryption: object.EncryptionTarget{KMSKeyARN: "arn:aws:kms:us-east-1:" + owner + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"}})
				return err
			}},
		{name: "UpdateObjectEncryption by a role without KMS permissions", op: "UpdateObjectEncryption", p: job, want: s3err.AccessDenied, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.UpdateObjectEncryption(ctx, c, ops.EncryptionInput{Target: tgt(bucket, "a.jpg"),
					Encryption: object.EncryptionTarget{KMSKeyARN: e.keyARN}})
				return err
			}},
		{name: "UpdateObjectEncryption by the owner", op: "UpdateObjectEncryption", p: root, status: 200, changes: true,
			run: func(c kura.Call) error {
				kmsBefore := e.sample("kura_operation_kms_calls_total", "UpdateObjectEncryption", 0)
				readsBefore := e.commits.reads()
				res, err := e.ops.UpdateObjectEncryption(ctx, c, ops.EncryptionInput{Target: tgt(bucket, "a.jpg"),
					Encryption: object.EncryptionTarget{KMSKeyARN: e.keyARN}})
				// The bucket (operation layer), the target key once for
				// its permission check and its Encrypt, the version.
				if n := e.commits.reads() - readsBefore; err == nil && n > 3 {
					t.Errorf("read transactions for one re-key: %d, want at most 3", n)
				}
				if err == nil && (res.Before.Type != kura.SSES3 || res.After.Type != kura.SSEKMS || res.After.KMSKeyARN != e.keyARN) {
					t.Errorf("encryption %v -> %v, want SSE-S3 -> SSE-KMS under %s", res.Before, res.After, e.keyARN)
				}
				if n := e.sample("kura_operation_kms_calls_total", "UpdateObjectEncryption", 0) - kmsBefore; err == nil && n != 1 {
					t.Errorf("KMS calls counted for the re-seal: %v, want 1 (Encrypt)", n)
				}
				return err
			},
			check: func(t *testing.T) {
				ev := e.events("UpdateObjectEncryption")
				x := ev[len(ev)-1].AdditionalEventData
				if prev, _ := x["previousEncryption"].(map[string]any); prev["type"] != "SSE-S3" {
					t.Errorf("previousEncryption = %v, want SSE-S3", x["previousEncryption"])
				}
				if next, _ := x["newEncryption"].(map[string]any); next["type"] != "SSE-KMS" || next["kmsKeyArn"] != e.keyARN {
					t.Errorf("newEncryption = %v, want SSE-KMS under %s", x["newEncryption"], e.keyARN)
				}
			}},
		{name: "UpdateObjectEncryption with a key of another account", op: "UpdateObjectEncryption", p: job, want: object.ErrUOEKeyAccount, exact: true, status: 403,
			run: func(c kura.Call) error {
				_, err := e.ops.UpdateObjectEncryption(ctx, c, ops.EncryptionInput{Target: tgt(bucket, "a.jpg"),
					Encryption: object.EncryptionTarget{KMSKeyARN: "arn:aws:kms:us-east-1:" + other + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"}})
				return err
			}},
		{name: "delete adds a delete marker", op: "DeleteObject", p: root, status: 204, changes: true,
			run: del(ops.DeleteInput{Target: tgt(bucket, "gone.jpg")}, ops.DeleteResult{DeleteMarker: true}),
			check: func(t *testing.T) {
				gone(bucket, "gone.jpg", "")(t)
				v, err := e.obj.Head(ctx, bucket, "gone.jpg", "")
				if err == nil || v != nil && !v.DeleteMarker {
					t.Errorf("current version after DeleteObject: %+v, %v; want a delete marker", v, err)
				}
				r := lastResponse("DeleteObject")
				if r["x-amz-delete-marker"] != "true" || r["x-amz-version-id"] == nil || r["x-amz-version-id"] == "" {
					t.Errorf("responseElements = %v, want the delete marker and its version id", r)
				}
			}},
		{name: "delete in an unversioned bucket by an IAM user", op: "DeleteObject", p: carol, status: 204, changes: true,
			run:   del(ops.DeleteInput{Target: tgt(plain, "p.txt")}, ops.DeleteResult{}),
			check: gone(plain, "p.txt", "")},
		{name: "delete of a key that is not there", op: "DeleteObject", p: carol, status: 204,
			run: del(ops.DeleteInput{Target: tgt(plain, "never.txt")}, ops.DeleteResult{})},
		{name: "delete by an IAM user without s3:DeleteObject", op: "DeleteObject", p: alice, want: s3err.AccessDenied, status: 403,
			run: del(ops.DeleteInput{Target: tgt(bucket, "old.jpg")}, ops.DeleteResult{})},
		{name: "delete by another account not granted", op: "DeleteObject", p: bob, want: s3err.AccessDenied, status: 403,
			run: del(ops.DeleteInput{Target: tgt(bucket, "old.jpg")}, ops.DeleteResult{})},
		{name: "delete denied by bucket policy", op: "DeleteObject", p: job, want: s3err.AccessDenied, status: 403,
			run: del(ops.DeleteInput{Target: tgt(bucket, "keep/x.jpg")}, ops.DeleteResult{})},
		{name: "delete of a version without s3:DeleteObjectVersion", op: "DeleteObject", p: carol, want: s3err.AccessDenied, status: 403,
			run: del(ops.DeleteInput{Target: ver(bucket, "old.jpg", old)}, ops.DeleteResult{})},
		{name: "delete of a version by a role", op: "DeleteObject", p: job, status: 204, changes: true,
			run: del(ops.DeleteInput{Target: ver(bucket, "old.jpg", old)}, ops.DeleteResult{VersionID: old}),
			check: func(t *testing.T) {
				gone(bucket, "old.jpg", old)(t)
				if r := lastResponse("DeleteObject"); r["x-amz-version-id"] != old || r["x-amz-delete-marker"] != nil {
					t.Errorf("responseElements = %v, want x-amz-version-id %s and no delete marker", r, old)
				}
			}},
		{name: "delete of a GOVERNANCE version without the bypass", op: "DeleteObject", p: job, want: object.ErrLocked, exact: true, status: 403,
			run: del(ops.DeleteInput{Target: ver(locked, "gov.pdf", gov)}, ops.DeleteResult{})},
		{name: "bypass asked without s3:BypassGovernanceRetention", op: "DeleteObject", p: carol, want: object.ErrLocked, exact: true, status: 403,
			run: del(ops.DeleteInput{Target: ver(locked, "gov.pdf", gov), BypassGovernance: true}, ops.DeleteResult{})},
		{name: "bypass in a bucket without Object Lock", op: "DeleteObject", p: job, want: ops.ErrBypassWithoutLock().(*s3err.Error), exact: true, status: 400,
			run: del(ops.DeleteInput{Target: tgt(bucket, "old.jpg"), BypassGovernance: true}, ops.DeleteResult{})},
		{name: "delete of a GOVERNANCE version with the bypass", op: "DeleteObject", p: job, status: 204, changes: true,
			run:   del(ops.DeleteInput{Target: ver(locked, "gov.pdf", gov), BypassGovernance: true}, ops.DeleteResult{VersionID: gov}),
			check: gone(locked, "gov.pdf", gov)},
		{name: "tags read by an IAM user", op: "GetObjectTagging", p: carol, status: 200, readOnly: true,
			run: func(c kura.Call) error {
				res, err := e.ops.GetObjectTagging(ctx, c, tgt(bucket, "kept.jpg"))
				if err == nil && (len(res.Tags) != 1 || res.Tags[0] != (kura.Tag{Key: "keep", Value: "yes"}) || res.VersionID == "") {
					t.Errorf("GetObjectTagging = %+v, want keep=yes and the version id", res)
				}
				return err
			},
			check: func(t *testing.T) {
				if r := lastResponse("GetObjectTagging"); r != nil {
					t.Errorf("responseElements of a read = %v, want none", r)
				}
			}},
		{name: "tags read without s3:GetObjectTagging", op: "GetObjectTagging", p: alice, want: s3err.AccessDenied, status: 403, readOnly: true,
			run: func(c kura.Call) error { _, err := e.ops.GetObjectTagging(ctx, c, tgt(bucket, "kept.jpg")); return err }},
		{name: "version tags read without s3:GetObjectVersionTagging", op: "GetObjectTagging", p: carol, want: s3err.AccessDenied, status: 403, readOnly: true,
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectTagging(ctx, c, ver(bucket, "old.jpg", old))
				return err
			}},
		{name: "tags of a key that is not there", op: "GetObjectTagging", p: job, want: s3err.NoSuchKey, status: 404, readOnly: true,
			run: func(c kura.Call) error {
				_, err := e.ops.GetObjectTagging(ctx, c, tgt(bucket, "nothing.jpg"))
				return err
			}},
		{name: "canned ACL set by the owner", op: "PutObjectAcl", p: root, status: 200, changes: true,
			run:   putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "public-read"}),
			check: aclIs(bucket, "acl.jpg", "", &kura.ACL{Grants: []kura.Grant{fullControl, allRead}})},
		{name: "e-mail grantee resolved to its canonical id", op: "PutObjectAcl", p: carol, status: 200, changes: true,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Grants: []kura.Grant{fullControl,
				{Type: "AmazonCustomerByEmail", ID: otherEmail, Permission: kura.PermissionRead},
				{Type: "AmazonCustomerByEmail", ID: otherEmail, Permission: kura.PermissionRead}}}),
			check: aclIs(bucket, "acl.jpg", "", &kura.ACL{Grants: []kura.Grant{fullControl,
				{Type: "CanonicalUser", ID: otherCID, Permission: kura.PermissionRead}}})},
		{name: "private ACL stored as none", op: "PutObjectAcl", p: job, status: 200, changes: true,
			run:   putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "private"}),
			check: aclIs(bucket, "acl.jpg", "", nil)},
		{name: "no grants: an ACL granting nothing", op: "PutObjectAcl", p: job, status: 200, changes: true,
			run:   putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg")}),
			check: aclIs(bucket, "acl.jpg", "", &kura.ACL{Grants: []kura.Grant{}})},
		{name: "ACL of a version", op: "PutObjectAcl", p: job, status: 200, changes: true,
			run: putACL(ops.ACLInput{Target: ver(bucket, "acl-v.jpg", aclOld), Canned: "authenticated-read"}),
			check: func(t *testing.T) {
				aclIs(bucket, "acl-v.jpg", aclOld, &kura.ACL{Grants: []kura.Grant{fullControl,
					{Type: "Group", URI: kura.GroupAuthenticatedUsers, Permission: kura.PermissionRead}}})(t)
				aclIs(bucket, "acl-v.jpg", "", nil)(t)
				if r := lastResponse("PutObjectAcl"); r["x-amz-version-id"] != aclOld {
					t.Errorf("responseElements = %v, want x-amz-version-id %s", r, aclOld)
				}
			}},
		{name: "ACL by an IAM user without s3:PutObjectAcl", op: "PutObjectAcl", p: alice, want: s3err.AccessDenied, status: 403,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "private"})},
		{name: "ACL of a version without s3:PutObjectVersionAcl", op: "PutObjectAcl", p: carol, want: s3err.AccessDenied, status: 403,
			run: putACL(ops.ACLInput{Target: ver(bucket, "acl-v.jpg", aclOld), Canned: "private"})},
		{name: "ACL by another account not granted", op: "PutObjectAcl", p: bob, want: s3err.AccessDenied, status: 403,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "private"})},
		{name: "canned ACL denied by s3:x-amz-acl", op: "PutObjectAcl", p: job, want: s3err.AccessDenied, status: 403,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "public-read-write"})},
		{name: "NoSuchKey before the ACL's own errors", op: "PutObjectAcl", p: job, want: s3err.NoSuchKey, status: 404,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "nothing.jpg"), Canned: "no-such-acl"})},
		{name: "unknown canned ACL", op: "PutObjectAcl", p: job, want: ops.ErrUnknownCannedACL("no-such-acl").(*s3err.Error), exact: true, status: 400,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "no-such-acl"})},
		{name: "canned ACL and grants together", op: "PutObjectAcl", p: job, want: ops.ErrACLBothWays, exact: true, status: 400,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Canned: "private", Grants: []kura.Grant{fullControl}})},
		{name: "unresolvable e-mail grantee", op: "PutObjectAcl", p: job, want: s3err.UnresolvableGrantByEmailAddress, status: 400,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Grants: []kura.Grant{
				{Type: "AmazonCustomerByEmail", ID: "nobody@example.com", Permission: kura.PermissionRead}}})},
		{name: "unknown canonical id", op: "PutObjectAcl", p: job, want: s3err.InvalidArgument, status: 400,
			run: putACL(ops.ACLInput{Target: tgt(bucket, "acl.jpg"), Grants: []kura.Grant{
				{Type: "CanonicalUser", ID: "0000", Permission: kura.PermissionRead}}})},
		{name: "public ACL with ACLs disabled", op: "PutObjectAcl", p: job, want: s3err.AccessControlListNotSupported, status: 400,
			run: putACL(ops.ACLInput{Target: tgt("enforced", "x"), Canned: "public-read"})},
		{name: "bucket-owner-full-control with ACLs disabled", op: "PutObjectAcl", p: job, status: 200, changes: true,
			run:   putACL(ops.ACLInput{Target: tgt("enforced", "x"), Canned: "bucket-owner-full-control"}),
			check: aclIs("enforced", "x", "", nil)},
		{name: "public ACL under BlockPublicAcls", op: "PutObjectAcl", p: job, want: s3err.AccessDenied, status: 403,
			run: putACL(ops.ACLInput{Target: tgt("blocked", "x"), Canned: "public-read"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := strings.ReplaceAll(tc.name, " ", "-")
			before := e.count(tc.op, tc.status)
			err := tc.run(call(tc.p, id))
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("error %v, want success", err)
			case tc.want != nil && !s3err.Is(err, tc.want):
				t.Fatalf("error %v, want %s", err, tc.want.Code)
			case tc.exact && s3err.As(err).Message != tc.want.Message:
				t.Errorf("message %q, want %q", s3err.As(err).Message, tc.want.Message)
			}
			if tc.check != nil {
				tc.check(t)
			}
			if got := e.count(tc.op, tc.status) - before; got != 1 {
				t.Errorf("kura_operations_total{operation=%q,code=\"%d\"} grew by %v, want 1", tc.op, tc.status, got)
			}

			var ev *audit.Event
			for _, x := range e.events(tc.op) {
				if x.RequestID == id {
					ev = &x
				}
			}
			if ev == nil {
				t.Fatalf("no %s event with requestID %s in the trail", tc.op, id)
			}
			wantCode := ""
			if tc.want != nil {
				wantCode = tc.want.Code
			}
			for _, f := range []struct{ what, got, want string }{
				{"eventSource", ev.EventSource, "s3.amazonaws.com"},
				{"eventCategory", ev.EventCategory, "Data"},
				{"userIdentity.arn", ev.UserIdentity.ARN, tc.p.ARN},
				{"userIdentity.type", ev.UserIdentity.Type, tc.p.Type},
				{"userIdentity.accountId", ev.UserIdentity.AccountID, tc.p.AccountID},
				{"userIdentity.invokedBy", ev.UserIdentity.InvokedBy, "batchoperations.s3.amazonaws.com"},
				{"sourceIPAddress", ev.SourceIPAddress, "10.0.0.7"},
				{"userAgent", ev.UserAgent, "kura-batch/1 job-1"},
				{"awsRegion", ev.AWSRegion, "us-east-1"},
				{"errorCode", ev.ErrorCode, wantCode},
			} {
				if f.got != f.want {
					t.Errorf("event %s = %q, want %q", f.what, f.got, f.want)
				}
			}
			if ev.EventID == "" || ev.ReadOnly != tc.readOnly || ev.ManagementEvent {
				t.Errorf("event id %q readOnly %v managementEvent %v, want an id, readOnly %v, a data event", ev.EventID, ev.ReadOnly, ev.ManagementEvent, tc.readOnly)
			}
			if tc.want == nil {
				if ev.RecipientAccountID != owner {
					t.Errorf("recipientAccountId = %q, want the bucket owner %s", ev.RecipientAccountID, owner)
				}
			}
			if len(ev.Resources) != 2 || ev.Resources[0].Type != "AWS::S3::Object" || ev.Resources[1].Type != "AWS::S3::Bucket" {
				t.Errorf("resources = %+v, want the object and its bucket", ev.Resources)
			}
			if ev.RequestParameters["bucketName"] == nil || ev.RequestParameters["key"] == nil {
				t.Errorf("requestParameters = %v, want bucketName and key", ev.RequestParameters)
			}
			intent, staged := e.commits.stagedEvent(ev.EventID)
			if staged != tc.changes {
				t.Fatalf("event in the audit outbox at commit: %v, want %v", staged, tc.changes)
			}
			if staged {
				// What a crash right after the commit would ship: the same
				// operation, caller and resources, without the outcome.
				if intent.EventName != ev.EventName || intent.UserIdentity != ev.UserIdentity ||
					intent.RecipientAccountID != owner || intent.RequestID != id || intent.ErrorCode != "" {
					t.Errorf("staged intent %+v does not match the event %+v", intent, *ev)
				}
			}
		})
	}
}

// Called by a front (the HTTP handler), an operation neither decides the
// actions the front decided nor writes an event or counts metrics: the
// front records the request. Its run-time checks go through the front's
// decider, and what it adds to the event goes to the front's.
func TestFront(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "a.jpg")
	e.put(locked, "doc.pdf")
	b, err := e.obj.Bucket(ctx, locked)
	if err != nil {
		t.Fatal(err)
	}
	// A GOVERNANCE retention ten days out; shortening it needs the bypass.
	if _, err := e.obj.PutRetention(ctx, locked, "doc.pdf", "", &kura.Retention{Mode: object.Governance,
		Until: e.now.Add(240 * time.Hour)}, false); err != nil {
		t.Fatal(err)
	}
	type decision struct{ action, resource string }
	for _, tc := range []struct {
		name      string
		bypass    bool
		allow     bool // the front's decider's answer
		decisions []decision
		wantErr   *s3err.Error
	}{
		// alice has no permission on the locked bucket of her own: only
		// the front's word lets her operations run.
		{name: "lengthening, no bypass asked: nothing decided"},
		{name: "shortening without the bypass", wantErr: s3err.AccessDenied},
		{name: "shortening with the bypass refused", bypass: true, wantErr: s3err.AccessDenied,
			decisions: []decision{{"s3:BypassGovernanceRetention", "arn:aws:s3:::vault/doc.pdf"}}},
		{name: "shortening with the bypass allowed", bypass: true, allow: true,
			decisions: []decision{{"s3:BypassGovernanceRetention", "arn:aws:s3:::vault/doc.pdf"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []decision
			fctx := ops.WithFront(ctx, &ops.Front{Bucket: b,
				Decide: func(_ context.Context, r access.Request) error {
					got = append(got, decision{r.Action, r.Resource})
					if !tc.allow {
						return s3err.AccessDenied
					}
					return nil
				},
			})
			v, _ := e.obj.Head(ctx, locked, "doc.pdf", "")
			until := v.Retention.Until.Add(24 * time.Hour)
			if strings.HasPrefix(tc.name, "shortening") {
				until = v.Retention.Until.Add(-24 * time.Hour)
			}
			before := e.count("PutObjectRetention", 200) + e.count("PutObjectRetention", 403)
			_, err := e.ops.PutObjectRetention(fctx, call(alice, "front"), ops.RetentionInput{Target: ops.Target{Bucket: locked, Key: "doc.pdf"},
				Retention: &kura.Retention{Mode: object.Governance, Until: until}, BypassGovernance: tc.bypass})
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !s3err.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.decisions) {
				t.Errorf("front decided %v, want %v", got, tc.decisions)
			}
			if n := e.count("PutObjectRetention", 200) + e.count("PutObjectRetention", 403) - before; n != 0 {
				t.Errorf("metrics counted %v operations, want none (the front counts)", n)
			}
			if evs := e.events("PutObjectRetention"); len(evs) != 0 {
				t.Errorf("%d events written, want none (the front writes)", len(evs))
			}
		})
	}

	// RestoreObject's notes go to the front.
	if _, err := e.obj.PutObject(ctx, object.PutInput{Bucket: bucket, Key: "cold", Body: strings.NewReader("x"), Size: 1,
		StorageClass: "GLACIER", Owner: owner}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		run  func(context.Context) error
		want map[string]any
	}{
		{name: "restore started", want: map[string]any{"restoreTier": "Bulk", "restoreDays": 3},
			run: func(fctx context.Context) error {
				_, err := e.ops.RestoreObject(fctx, call(alice, "front-restore"), ops.RestoreInput{Target: ops.Target{Bucket: bucket, Key: "cold"}, Days: 3, Tier: "Bulk"})
				return err
			}},
		{name: "restore refused", want: map[string]any{},
			run: func(fctx context.Context) error {
				_, err := e.ops.RestoreObject(fctx, call(alice, "front-restore"), ops.RestoreInput{Target: ops.Target{Bucket: bucket, Key: "a.jpg"}, Days: 1})
				if !s3err.Is(err, s3err.InvalidObjectState) {
					return err
				}
				return nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			notes := map[string]any{}
			fctx := ops.WithFront(ctx, &ops.Front{Decide: func(context.Context, access.Request) error { return nil },
				Note: func(k string, v any) { notes[k] = v }})
			if err := tc.run(fctx); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(notes, tc.want) {
				t.Errorf("notes %v, want %v", notes, tc.want)
			}
			if evs := e.events("RestoreObject"); len(evs) != 0 {
				t.Errorf("%d events written, want none (the front writes)", len(evs))
			}
		})
	}
}

// DeleteObject called by a front decides only the governance bypass, and
// only when asked for in a bucket with Object Lock; the front records the
// request.
func TestFrontDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	type decision struct{ action, resource string }
	for _, tc := range []struct {
		name      string
		bypass    bool
		allow     bool
		decisions []decision
		wantErr   *s3err.Error
	}{
		{name: "no bypass asked: nothing decided", wantErr: object.ErrLocked},
		{name: "bypass refused by the front", bypass: true, wantErr: object.ErrLocked,
			decisions: []decision{{"s3:BypassGovernanceRetention", "arn:aws:s3:::vault/gov.pdf"}}},
		{name: "bypass allowed by the front", bypass: true, allow: true,
			decisions: []decision{{"s3:BypassGovernanceRetention", "arn:aws:s3:::vault/gov.pdf"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := e.put(locked, "gov.pdf")
			if _, err := e.obj.PutRetention(ctx, locked, "gov.pdf", id, &kura.Retention{Mode: object.Governance,
				Until: e.now.Add(time.Hour)}, false); err != nil {
				t.Fatal(err)
			}
			var got []decision
			fctx := ops.WithFront(ctx, &ops.Front{Decide: func(_ context.Context, r access.Request) error {
				got = append(got, decision{r.Action, r.Resource})
				if !tc.allow {
					return s3err.AccessDenied
				}
				return nil
			}})
			before := e.count("DeleteObject", 204) + e.count("DeleteObject", 403)
			_, err := e.ops.DeleteObject(fctx, call(alice, "front-delete"), ops.DeleteInput{
				Target: ops.Target{Bucket: locked, Key: "gov.pdf", VersionID: id}, BypassGovernance: tc.bypass})
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !s3err.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.decisions) {
				t.Errorf("front decided %v, want %v", got, tc.decisions)
			}
			if n := e.count("DeleteObject", 204) + e.count("DeleteObject", 403) - before; n != 0 {
				t.Errorf("metrics counted %v operations, want none (the front counts)", n)
			}
			if evs := e.events("DeleteObject"); len(evs) != 0 {
				t.Errorf("%d events written, want none (the front writes)", len(evs))
			}
		})
	}
}

// PutObjectAcl called by a front decides nothing itself (the front
// decided s3:PutObjectAcl with the request's x-amz-acl) and records
// nothing; it still applies the ACL rules.
func TestFrontPutObjectAcl(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "a.jpg")
	for _, tc := range []struct {
		name    string
		in      ops.ACLInput
		wantErr *s3err.Error
	}{
		{name: "canned ACL", in: ops.ACLInput{Target: ops.Target{Bucket: bucket, Key: "a.jpg"}, Canned: "public-read"}},
		{name: "no such key", in: ops.ACLInput{Target: ops.Target{Bucket: bucket, Key: "b.jpg"}, Canned: "public-read"}, wantErr: s3err.NoSuchKey},
		{name: "unknown canonical id", wantErr: s3err.InvalidArgument, in: ops.ACLInput{Target: ops.Target{Bucket: bucket, Key: "a.jpg"},
			Grants: []kura.Grant{{Type: "CanonicalUser", ID: "0000", Permission: kura.PermissionRead}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decided := 0
			fctx := ops.WithFront(ctx, &ops.Front{Decide: func(context.Context, access.Request) error { decided++; return nil }})
			_, err := e.ops.PutObjectAcl(fctx, call(alice, "front-acl"), tc.in)
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !s3err.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if decided != 0 {
				t.Errorf("front asked to decide %d checks, want none", decided)
			}
			if evs := e.events("PutObjectAcl"); len(evs) != 0 {
				t.Errorf("%d events written, want none (the front writes)", len(evs))
			}
		})
	}
}
