package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/server"
)

// Replication inside one deployment (phase 1 of issue 14): the
// configuration API and its refusals, every encryption type replicated
// under seeds 001/004's role and KMS permissions, each permission removed
// making the version FAILED with the denied action in the audit trail,
// delete markers, no loops, and a queue that survives a restart. The
// worker is off (ReplicationInterval -1) and the tests drain the queue
// themselves, so every status is observed, not raced.

const replTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// replPolicy is seed 004's permission policy with seed 001's KMS
// statements (kms:ViaService and kms:EncryptionContext:aws:s3:arn), less
// the actions in without.
func replPolicy(src, dst, srcKey, dstKey string, without ...string) string {
	skip := map[string]bool{}
	for _, a := range without {
		skip[a] = true
	}
	stmt := func(actions []string, resource, cond string) string {
		var keep []string
		for _, a := range actions {
			if !skip[a] {
				keep = append(keep, `"`+a+`"`)
			}
		}
		if len(keep) == 0 {
			return ""
		}
		s := `{"Effect":"Allow","Action":[` + strings.Join(keep, ",") + `],"Resource":"` + resource + `"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + `}`
	}
	kmsCond := func(bucket string) string {
		return `{"StringLike":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::` + bucket + `/*"}}`
	}
	var stmts []string
	for _, s := range []string{
		stmt([]string{"s3:GetReplicationConfiguration", "s3:ListBucket"}, "arn:aws:s3:::"+src, ""),
		stmt([]string{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"}, "arn:aws:s3:::"+src+"/*", ""),
		stmt([]string{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}, "arn:aws:s3:::"+dst+"/*", ""),
		stmt([]string{"kms:Decrypt"}, srcKey, kmsCond(src)),
		stmt([]string{"kms:Encrypt", "kms:GenerateDataKey"}, dstKey, kmsCond(dst)),
	} {
		if s != "" {
			stmts = append(stmts, s)
		}
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

type replEnv struct {
	*authzEnv
	c              *s3.Client
	src, dst       string
	srcKey, dstKey string
	role           string
}

// newReplEnv makes two versioned buckets, a KMS key for each, the
// replication role with seed 004's policy, and the source's configuration:
// rule "kms" (prefix obj/, SSE-KMS opted in, delete markers replicated)
// and rule "plain" (prefix nokms/, no SSE-KMS opt-in).
func newReplEnv(t *testing.T, adjust func(*server.Config)) *replEnv {
	t.Helper()
	e := newAuthzEnv(t, func(c *server.Config) {
		c.AllowInsecureSSEC, c.ReplicationInterval = true, -1
		if adjust != nil {
			adjust(c)
		}
	})
	r := &replEnv{authzEnv: e, c: e.s3(e.rootA), src: "repl-src", dst: "repl-dst"}
	for _, b := range []string{r.src, r.dst} {
		mustBucket(t, r.c, b)
		enableVersioning(t, r.c, b)
	}
	k := e.kms(e.rootA)
	r.srcKey, r.dstKey = createKey(t, k), createKey(t, k)
	ic := e.iam(e.rootA)
	out, err := ic.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("replication"), AssumeRolePolicyDocument: aws.String(replTrust)})
	if err != nil {
		t.Fatal(err)
	}
	r.role = aws.ToString(out.Role.Arn)
	r.setRolePolicy(t)
	r.putConfig(t, r.src, r.dst)
	return r
}

func (r *replEnv) setRolePolicy(t *testing.T, without ...string) {
	t.Helper()
	if _, err := r.iam(r.rootA).PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("replication"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(replPolicy(r.src, r.dst, r.srcKey, r.dstKey, without...))}); err != nil {
		t.Fatal(err)
	}
}

func (r *replEnv) putConfig(t *testing.T, src, dst string) {
	t.Helper()
	_, err := r.c.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(src),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(r.role), Rules: []types.ReplicationRule{{
			ID: aws.String("kms"), Priority: aws.Int32(2), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("obj/")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusEnabled},
			SourceSelectionCriteria: &types.SourceSelectionCriteria{SseKmsEncryptedObjects: &types.SseKmsEncryptedObjects{Status: types.SseKmsEncryptedObjectsStatusEnabled}},
			Destination: &types.Destination{Bucket: aws.String("arn:aws:s3:::" + dst),
				EncryptionConfiguration: &types.EncryptionConfiguration{ReplicaKmsKeyID: aws.String(r.dstKey)}},
		}, {
			ID: aws.String("plain"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("nokms/")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::" + dst)},
		}}}})
	if err != nil {
		t.Fatalf("PutBucketReplication %s → %s: %v", src, dst, err)
	}
}

func enableVersioning(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
}

// drain runs the replicator over its queue once.
func (r *replEnv) drain(t *testing.T) int {
	t.Helper()
	n, err := r.ts.Replication.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *replEnv) head(t *testing.T, bucket, key, version string, opts ...func(*s3.HeadObjectInput)) *s3.HeadObjectOutput {
	t.Helper()
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	for _, o := range opts {
		if o != nil {
			o(in)
		}
	}
	out, err := r.c.HeadObject(ctx(t), in)
	if err != nil {
		t.Fatalf("HEAD %s/%s@%s: %v", bucket, key, version, err)
	}
	return out
}

func TestReplicationConfigurationAPI(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	got, err := r.c.GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String(r.src)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.ReplicationConfiguration
	if aws.ToString(cfg.Role) != r.role || len(cfg.Rules) != 2 || aws.ToString(cfg.Rules[0].ID) != "kms" ||
		aws.ToString(cfg.Rules[0].Destination.EncryptionConfiguration.ReplicaKmsKeyID) != r.dstKey ||
		cfg.Rules[0].SourceSelectionCriteria.SseKmsEncryptedObjects.Status != types.SseKmsEncryptedObjectsStatusEnabled ||
		aws.ToInt32(cfg.Rules[1].Priority) != 1 || cfg.Rules[1].DeleteMarkerReplication.Status != types.DeleteMarkerReplicationStatusDisabled {
		t.Fatalf("GetBucketReplication answered %+v", cfg)
	}

	mustBucket(t, r.c, "repl-unversioned")
	rule := func(mod func(*types.ReplicationRule)) []types.ReplicationRule {
		x := types.ReplicationRule{ID: aws.String("r"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::" + r.dst)}}
		if mod != nil {
			mod(&x)
		}
		return []types.ReplicationRule{x}
	}
	put := func(bucket string, rules []types.ReplicationRule) error {
		_, err := r.c.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(bucket),
			ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(r.role), Rules: rules}})
		return err
	}
	for _, tc := range []struct {
		name, bucket string
		rules        []types.ReplicationRule
		code, msg    string
	}{
		{"source not versioned", "repl-unversioned", rule(nil), "InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration"},
		{"destination not versioned", r.src, rule(func(x *types.ReplicationRule) { x.Destination.Bucket = aws.String("arn:aws:s3:::repl-unversioned") }),
			"InvalidRequest", "Destination bucket must have versioning enabled."},
		{"destination missing", r.src, rule(func(x *types.ReplicationRule) { x.Destination.Bucket = aws.String("arn:aws:s3:::repl-nowhere") }),
			"InvalidRequest", "Destination bucket must exist."},
		{"duplicate priority", r.src, append(rule(nil), rule(func(x *types.ReplicationRule) { x.ID = aws.String("s") })...),
			"InvalidRequest", "Found duplicate priority 1. Replication configuration cannot have more than one rule with the same priority."},
		{"duplicate id", r.src, append(rule(nil), rule(func(x *types.ReplicationRule) { x.Priority = aws.Int32(2) })...),
			"InvalidArgument", "Rule Id must be unique."},
		{"filter without DeleteMarkerReplication", r.src, rule(func(x *types.ReplicationRule) { x.DeleteMarkerReplication = nil }),
			"InvalidRequest", "DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information."},
		{"SSE-KMS without a replica key", r.src, rule(func(x *types.ReplicationRule) {
			x.SourceSelectionCriteria = &types.SourceSelectionCriteria{SseKmsEncryptedObjects: &types.SseKmsEncryptedObjects{Status: types.SseKmsEncryptedObjectsStatusEnabled}}
		}), "InvalidArgument", "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."},
	} {
		err := put(tc.bucket, tc.rules)
		wantStatus(t, err, tc.code, 400)
		if errMessage(err) != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.name, errMessage(err), tc.msg)
		}
	}

	if _, err := r.c.DeleteBucketReplication(ctx(t), &s3.DeleteBucketReplicationInput{Bucket: aws.String(r.src)}); err != nil {
		t.Fatal(err)
	}
	_, err = r.c.GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String(r.src)})
	wantStatus(t, err, "ReplicationConfigurationNotFoundError", 404)

	// The permissions: a user without s3:PutReplicationConfiguration is
	// refused; s3:GetReplicationConfiguration lets one read it.
	u := r.user(t, r.rootA, "reader", allow("s3:GetReplicationConfiguration arn:aws:s3:::"+r.dst))
	r.putConfig(t, r.dst, r.src)
	if _, err := r.s3(u).GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String(r.dst)}); err != nil {
		t.Fatalf("GetBucketReplication with s3:GetReplicationConfiguration: %v", err)
	}
	_, err = r.s3(u).PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(r.dst),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(r.role), Rules: rule(nil)}})
	wantDenied(t, err, "")
}

// replCase is one object written to the source.
type replCase struct {
	name, key string
	put       func(*s3.PutObjectInput)
	// read adds what a GET or HEAD of the object needs (SSE-C's key).
	read func(*s3.HeadObjectInput)
	get  func(*s3.GetObjectInput)
	// want is the replica's encryption and key.
	want    types.ServerSideEncryption
	wantKey string
}

func (r *replEnv) cases() []replCase {
	ck, cmd5 := sseCKey(7)
	ssec := func(alg, key, md **string) { *alg, *key, *md = aws.String("AES256"), aws.String(ck), aws.String(cmd5) }
	return []replCase{
		{name: "default (SSE-S3)", key: "obj/default", want: types.ServerSideEncryptionAes256},
		{name: "SSE-S3", key: "obj/sse-s3", put: func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 },
			want: types.ServerSideEncryptionAes256},
		{name: "SSE-KMS", key: "obj/sse-kms", put: func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(r.srcKey)
		}, want: types.ServerSideEncryptionAwsKms, wantKey: r.dstKey},
		{name: "DSSE-KMS", key: "obj/dsse", put: func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKmsDsse, aws.String(r.srcKey)
		}, want: types.ServerSideEncryptionAwsKmsDsse, wantKey: r.dstKey},
		{name: "SSE-C", key: "obj/sse-c",
			put: func(in *s3.PutObjectInput) { ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5) },
			read: func(in *s3.HeadObjectInput) {
				ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
			},
			get: func(in *s3.GetObjectInput) { ssec(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5) }},
	}
}

func (r *replEnv) put(t *testing.T, key string, body []byte, mod func(*s3.PutObjectInput)) string {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(r.src), Key: aws.String(key), Body: bytes.NewReader(body),
		Tagging: aws.String("team=storage"), ContentType: aws.String("text/x-kura"), Metadata: map[string]string{"origin": "tokyo"}}
	if mod != nil {
		mod(in)
	}
	out, err := r.c.PutObject(ctx(t), in)
	if err != nil {
		t.Fatalf("PUT %s: %v", key, err)
	}
	return aws.ToString(out.VersionId)
}

func TestReplicationEncryptedObjects(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" })
	body := bytes.Repeat([]byte("replicate me "), 1000)
	versions := map[string]string{}
	for _, tc := range r.cases() {
		versions[tc.key] = r.put(t, tc.key, body, tc.put)
		h := r.head(t, r.src, tc.key, "", tc.read)
		if h.ReplicationStatus != types.ReplicationStatusPending {
			t.Fatalf("%s: source status %q before the worker ran, want PENDING", tc.name, h.ReplicationStatus)
		}
	}
	// A rule without SseKmsEncryptedObjects does not select SSE-KMS
	// objects (seed 001): no status, no replica.
	kmsOff := r.put(t, "nokms/k", body, func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(r.srcKey)
	})
	if h := r.head(t, r.src, "nokms/k", ""); h.ReplicationStatus != "" {
		t.Fatalf("SSE-KMS object under a rule without SseKmsEncryptedObjects: status %q, want none", h.ReplicationStatus)
	}
	r.put(t, "nokms/plain", body, nil)

	if n := r.drain(t); n != len(r.cases())+1 {
		t.Fatalf("drained %d entries, want %d", n, len(r.cases())+1)
	}
	for _, tc := range r.cases() {
		src := r.head(t, r.src, tc.key, "", tc.read)
		if src.ReplicationStatus != types.ReplicationStatusCompleted {
			t.Errorf("%s: source status %q, want COMPLETED", tc.name, src.ReplicationStatus)
			continue
		}
		rep := r.head(t, r.dst, tc.key, versions[tc.key], tc.read)
		if rep.ReplicationStatus != types.ReplicationStatusReplica || aws.ToString(rep.VersionId) != versions[tc.key] {
			t.Errorf("%s: replica status %q version %q, want REPLICA %s", tc.name, rep.ReplicationStatus, aws.ToString(rep.VersionId), versions[tc.key])
		}
		if aws.ToString(rep.ETag) != aws.ToString(src.ETag) || !aws.ToTime(rep.LastModified).Equal(aws.ToTime(src.LastModified)) ||
			aws.ToString(rep.ContentType) != "text/x-kura" || rep.Metadata["origin"] != "tokyo" || aws.ToInt32(rep.TagCount) != 1 {
			t.Errorf("%s: replica metadata differs: etag %s/%s, mtime %v/%v, type %q, meta %v, tags %d", tc.name,
				aws.ToString(rep.ETag), aws.ToString(src.ETag), rep.LastModified, src.LastModified, aws.ToString(rep.ContentType), rep.Metadata, aws.ToInt32(rep.TagCount))
		}
		if tc.want != "" && (rep.ServerSideEncryption != tc.want || aws.ToString(rep.SSEKMSKeyId) != tc.wantKey) {
			t.Errorf("%s: replica encryption %s under %q, want %s under %q", tc.name, rep.ServerSideEncryption, aws.ToString(rep.SSEKMSKeyId), tc.want, tc.wantKey)
		}
		if tc.want == "" && aws.ToString(rep.SSECustomerAlgorithm) != "AES256" {
			t.Errorf("%s: replica is not SSE-C: %+v", tc.name, rep)
		}
		got := get(t, r.c, r.dst, tc.key, func(in *s3.GetObjectInput) {
			in.VersionId = aws.String(versions[tc.key])
			if tc.get != nil {
				tc.get(in)
			}
		})
		if !bytes.Equal(got, body) {
			t.Errorf("%s: the replica reads %d different bytes", tc.name, len(got))
		}
	}
	// The SSE-C replica needs the customer's key, as the source does.
	_, err := r.c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(r.dst), Key: aws.String("obj/sse-c")})
	wantStatus(t, err, "InvalidRequest", 400)
	if _, err := r.c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(r.dst), Key: aws.String("nokms/k"), VersionId: aws.String(kmsOff)}); err == nil {
		t.Fatal("the SSE-KMS object of a rule without SseKmsEncryptedObjects was replicated")
	}
	if h := r.head(t, r.dst, "nokms/plain", ""); h.ReplicationStatus != types.ReplicationStatusReplica {
		t.Fatalf("nokms/plain replica status %q", h.ReplicationStatus)
	}

	// Delete markers follow DeleteMarkerReplication: rule kms replicates
	// them, rule plain does not; a version delete is never replicated.
	dm, err := r.c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(r.src), Key: aws.String("obj/default")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(r.src), Key: aws.String("nokms/plain")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(r.src), Key: aws.String("obj/sse-s3"),
		VersionId: aws.String(versions["obj/sse-s3"])}); err != nil {
		t.Fatal(err)
	}
	if n := r.drain(t); n != 1 {
		t.Fatalf("drained %d entries after the deletes, want 1 (the replicated delete marker)", n)
	}
	lv, err := r.c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(r.dst)})
	if err != nil {
		t.Fatal(err)
	}
	markers := map[string]string{}
	for _, m := range lv.DeleteMarkers {
		markers[aws.ToString(m.Key)] = aws.ToString(m.VersionId)
	}
	if markers["obj/default"] != aws.ToString(dm.VersionId) || markers["nokms/plain"] != "" {
		t.Fatalf("destination delete markers %v, want obj/default's %s only", markers, aws.ToString(dm.VersionId))
	}
	r.head(t, r.dst, "obj/sse-s3", versions["obj/sse-s3"]) // the version delete stayed on the source

	// Bidirectional: the destination replicates back to the source, and
	// replicas are never queued again (no loop).
	r.putConfig(t, r.dst, r.src)
	r.put(t, "obj/loop", body, nil)
	if n := r.drain(t); n != 1 {
		t.Fatalf("first pass: %d entries, want 1", n)
	}
	if n := r.drain(t); n != 0 {
		t.Fatalf("the replica was queued again: %d entries", n)
	}

	var completed int64
	for _, s := range r.ts.Replication.Stats() {
		completed += s.Completed
		if s.PendingOps != 0 {
			t.Errorf("rule %s/%s: %d pending after the queue drained", s.Bucket, s.RuleID, s.PendingOps)
		}
	}
	if completed != int64(len(r.cases())+3) {
		t.Errorf("completed replications counted %d, want %d", completed, len(r.cases())+3)
	}
	for sample, want := range map[string]int64{
		`kura_replication_completed_total{bucket="repl-src",rule="kms"}`:    int64(len(r.cases()) + 2),
		`kura_replication_completed_total{bucket="repl-src",rule="plain"}`:  1,
		`kura_replication_pending_operations{bucket="repl-src",rule="kms"}`: 0,
	} {
		if got := r.ts.metric(t, sample); got != want {
			t.Errorf("%s = %d, want %d", sample, got, want)
		}
	}
	waitAudit(t, r.ts, func(ev audit.Event) bool {
		return ev.EventName == "ReplicateObject" && ev.ErrorCode == "" && ev.UserIdentity.InvokedBy == "s3.amazonaws.com" &&
			strings.Contains(ev.UserIdentity.ARN, ":assumed-role/replication/")
	})
}

// TestReplicationPermissionFailures removes each permission of seeds 001
// and 004 in turn: the version becomes FAILED, and the audit trail names
// the denied action; with the permission back, the next version
// replicates.
func TestReplicationPermissionFailures(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	kms := func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(r.srcKey)
	}
	for i, tc := range []struct {
		action string
		put    func(*s3.PutObjectInput)
		del    bool // the version is a delete marker
	}{
		{action: "s3:GetReplicationConfiguration"},
		{action: "s3:ListBucket"},
		{action: "s3:GetObjectVersionForReplication"},
		{action: "s3:GetObjectVersionAcl"},
		{action: "s3:GetObjectVersionTagging"},
		{action: "s3:ReplicateObject"},
		{action: "s3:ReplicateTags"},
		{action: "s3:ReplicateDelete", del: true},
		{action: "kms:Decrypt", put: kms},
		{action: "kms:Encrypt", put: kms},
	} {
		key := "obj/perm-" + strings.NewReplacer(":", "-").Replace(tc.action)
		r.setRolePolicy(t, tc.action)
		v := r.put(t, key, []byte("x"), tc.put)
		if tc.del {
			r.setRolePolicy(t)
			r.drain(t)
			r.setRolePolicy(t, tc.action)
			out, err := r.c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(r.src), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			v = aws.ToString(out.VersionId)
		}
		if n := r.drain(t); n != 1 {
			t.Fatalf("%s: drained %d, want 1", tc.action, n)
		}
		if !tc.del {
			if h := r.head(t, r.src, key, v); h.ReplicationStatus != types.ReplicationStatusFailed {
				t.Errorf("without %s: source status %q, want FAILED", tc.action, h.ReplicationStatus)
			}
			if _, err := r.c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(r.dst), Key: aws.String(key)}); err == nil {
				t.Errorf("without %s: a replica was written", tc.action)
			}
		} else {
			lv, err := r.c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(r.dst), Prefix: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if len(lv.DeleteMarkers) != 0 {
				t.Errorf("without %s: the delete marker was replicated", tc.action)
			}
		}
		waitAudit(t, r.ts, func(ev audit.Event) bool {
			return ev.RequestParameters["key"] == key && ev.ErrorCode == "AccessDenied" &&
				ev.AdditionalEventData["deniedAction"] == tc.action
		})
		var failed int64
		for _, s := range r.ts.Replication.Stats() {
			for _, n := range s.Failures {
				failed += n
			}
		}
		if failed != int64(i+1) {
			t.Errorf("after %s: %d failures counted, want %d", tc.action, failed, i+1)
		}
	}

	// The trust policy must allow s3.amazonaws.com.
	r.setRolePolicy(t)
	if _, err := r.iam(r.rootA).UpdateAssumeRolePolicy(ctx(t), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("replication"),
		PolicyDocument: aws.String(strings.Replace(replTrust, "s3.amazonaws.com", "batchoperations.s3.amazonaws.com", 1))}); err != nil {
		t.Fatal(err)
	}
	v := r.put(t, "obj/untrusted", []byte("x"), nil)
	r.drain(t)
	if h := r.head(t, r.src, "obj/untrusted", v); h.ReplicationStatus != types.ReplicationStatusFailed {
		t.Fatalf("role not trusting s3.amazonaws.com: status %q, want FAILED", h.ReplicationStatus)
	}
	waitAudit(t, r.ts, func(ev audit.Event) bool {
		return ev.RequestParameters["key"] == "obj/untrusted" && ev.AdditionalEventData["failureReason"] == "AssumeRoleNotPermitted" &&
			ev.AdditionalEventData["deniedAction"] == "sts:AssumeRole"
	})

	// Everything granted again: the next version replicates.
	if _, err := r.iam(r.rootA).UpdateAssumeRolePolicy(ctx(t), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("replication"),
		PolicyDocument: aws.String(replTrust)}); err != nil {
		t.Fatal(err)
	}
	v = r.put(t, "obj/granted", []byte("x"), kms)
	r.drain(t)
	if h := r.head(t, r.src, "obj/granted", v); h.ReplicationStatus != types.ReplicationStatusCompleted {
		t.Fatalf("with every permission: status %q, want COMPLETED", h.ReplicationStatus)
	}
}

// TestReplicationQueueSurvivesRestart stops the server while versions are
// queued (the worker never ran) and starts it again with the worker on:
// they replicate.
func TestReplicationQueueSurvivesRestart(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	body := bytes.Repeat([]byte("durable "), 5000)
	versions := map[string]string{}
	for _, tc := range r.cases() {
		versions[tc.key] = r.put(t, tc.key, body, tc.put)
	}
	r.ts.stop(t)
	ts := startWith(t, r.ts.dir, func(c *server.Config) {
		c.AllowInsecureSSEC, c.ReplicationInterval = true, 10*time.Millisecond
	})
	c := ts.client()
	for _, tc := range r.cases() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			in := &s3.HeadObjectInput{Bucket: aws.String(r.src), Key: aws.String(tc.key)}
			if tc.read != nil {
				tc.read(in)
			}
			h, err := c.HeadObject(ctx(t), in)
			if err != nil {
				t.Fatal(err)
			}
			if h.ReplicationStatus == types.ReplicationStatusCompleted {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %q after the restart", tc.name, h.ReplicationStatus)
			}
			time.Sleep(10 * time.Millisecond)
		}
		got := get(t, c, r.dst, tc.key, func(in *s3.GetObjectInput) {
			in.VersionId = aws.String(versions[tc.key])
			if tc.get != nil {
				tc.get(in)
			}
		})
		if !bytes.Equal(got, body) {
			t.Errorf("%s: the replica differs after the restart", tc.name)
		}
	}
}

// TestReplicationMultipartAndCopy: CompleteMultipartUpload and CopyObject
// commit versions that replicate too; a multipart SSE-KMS object's parts
// are copied as ciphertext and read back under the replica key.
func TestReplicationMultipartAndCopy(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	part1 := bytes.Repeat([]byte("a"), 5<<20)
	part2 := []byte("tail")
	cr, err := r.c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(r.src), Key: aws.String("obj/mpu"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(r.srcKey), Tagging: aws.String("a=b")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, body := range [][]byte{part1, part2} {
		up, err := r.c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(r.src), Key: aws.String("obj/mpu"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	done, err := r.c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(r.src), Key: aws.String("obj/mpu"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := r.c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(r.src), Key: aws.String("obj/copy"),
		CopySource: aws.String(r.src + "/obj/mpu")})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"obj/mpu", "obj/copy"} {
		if h := r.head(t, r.src, k, ""); h.ReplicationStatus != types.ReplicationStatusPending {
			t.Fatalf("%s: status %q, want PENDING", k, h.ReplicationStatus)
		}
	}
	if n := r.drain(t); n != 2 {
		t.Fatalf("drained %d, want 2", n)
	}
	want := append(append([]byte{}, part1...), part2...)
	for k, v := range map[string]string{"obj/mpu": aws.ToString(done.VersionId), "obj/copy": aws.ToString(cp.VersionId)} {
		rep := r.head(t, r.dst, k, v)
		if rep.ReplicationStatus != types.ReplicationStatusReplica {
			t.Errorf("%s: replica status %q", k, rep.ReplicationStatus)
		}
		if got := get(t, r.c, r.dst, k, func(in *s3.GetObjectInput) { in.VersionId = aws.String(v) }); !bytes.Equal(got, want) {
			t.Errorf("%s: replica bytes differ", k)
		}
	}
	rep := r.head(t, r.dst, "obj/mpu", aws.ToString(done.VersionId))
	if aws.ToString(rep.ETag) != aws.ToString(done.ETag) || rep.ServerSideEncryption != types.ServerSideEncryptionAwsKms ||
		aws.ToString(rep.SSEKMSKeyId) != r.dstKey {
		t.Fatalf("multipart replica: etag %s (source %s), %s under %s", aws.ToString(rep.ETag), aws.ToString(done.ETag),
			rep.ServerSideEncryption, aws.ToString(rep.SSEKMSKeyId))
	}
}

// TestReplicationMetadataChanges: a tag change of a replicated version
// reaches its replica; a tag change of the replica comes back only under a
// rule with ReplicaModifications Enabled; neither loops.
func TestReplicationMetadataChanges(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	// The way back (dst → src) under the same role, which may act on both.
	if _, err := r.iam(r.rootA).PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("replication"), PolicyName: aws.String("back"),
		PolicyDocument: aws.String(replPolicy(r.dst, r.src, r.dstKey, r.srcKey))}); err != nil {
		t.Fatal(err)
	}
	back := func(mods types.ReplicaModificationsStatus) {
		_, err := r.c.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(r.dst),
			ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(r.role), Rules: []types.ReplicationRule{{
				ID: aws.String("back"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
				Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("obj/")},
				DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
				SourceSelectionCriteria: &types.SourceSelectionCriteria{ReplicaModifications: &types.ReplicaModifications{Status: mods}},
				Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::" + r.src)},
			}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	back(types.ReplicaModificationsStatusDisabled)
	v := r.put(t, "obj/meta", []byte("x"), nil)
	r.drain(t)
	tags := func(bucket string) string {
		t.Helper()
		out, err := r.c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("obj/meta"), VersionId: aws.String(v)})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tg := range out.TagSet {
			s = append(s, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return strings.Join(s, ",")
	}
	setTags := func(bucket, kv string) {
		t.Helper()
		k, val, _ := strings.Cut(kv, "=")
		if _, err := r.c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("obj/meta"), VersionId: aws.String(v),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(k), Value: aws.String(val)}}}}); err != nil {
			t.Fatal(err)
		}
	}

	setTags(r.src, "stage=2")
	if h := r.head(t, r.src, "obj/meta", v); h.ReplicationStatus != types.ReplicationStatusPending {
		t.Fatalf("after a tag change: source %q, want PENDING", h.ReplicationStatus)
	}
	if n := r.drain(t); n != 1 {
		t.Fatalf("tag change: drained %d, want 1", n)
	}
	if got := tags(r.dst); got != "stage=2" {
		t.Fatalf("replica tags %q, want stage=2", got)
	}
	if h := r.head(t, r.src, "obj/meta", v); h.ReplicationStatus != types.ReplicationStatusCompleted {
		t.Fatalf("source %q, want COMPLETED", h.ReplicationStatus)
	}
	if n := r.drain(t); n != 0 {
		t.Fatalf("the replica's update was queued again (%d)", n)
	}

	setTags(r.dst, "edited=replica")
	if n := r.drain(t); n != 0 || tags(r.src) != "stage=2" {
		t.Fatalf("without ReplicaModifications a replica change went back (%d, %q)", n, tags(r.src))
	}
	back(types.ReplicaModificationsStatusEnabled)
	setTags(r.dst, "edited=again")
	if n := r.drain(t); n != 1 {
		t.Fatalf("with ReplicaModifications: drained %d, want 1", n)
	}
	if got := tags(r.src); got != "edited=again" {
		t.Fatalf("source tags %q, want the replica's edited=again", got)
	}
	if h := r.head(t, r.dst, "obj/meta", v); h.ReplicationStatus != types.ReplicationStatusReplica {
		t.Fatalf("replica status %q after syncing back", h.ReplicationStatus)
	}
	if n := r.drain(t); n != 0 {
		t.Fatalf("the sync back looped (%d)", n)
	}
}
