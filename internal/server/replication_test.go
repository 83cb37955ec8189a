package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

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
