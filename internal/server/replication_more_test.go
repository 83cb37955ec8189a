package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/server"
)

// Replication wire tests, continued (replication_test.go has the
// environment): permissions, restarts, multipart and copies, metadata
// changes.

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

	// UpdateObjectEncryption is not replicated (seed 000: run it on each
	// side): the source is re-sealed, the replica keeps its encryption.
	if err := uoe(t, r.c, r.src, "obj/meta", v, r.srcKey, false); err != nil {
		t.Fatal(err)
	}
	if n := r.drain(t); n != 0 {
		t.Fatalf("UpdateObjectEncryption was queued for replication (%d)", n)
	}
	if h := r.head(t, r.src, "obj/meta", v); h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || h.ReplicationStatus != types.ReplicationStatusCompleted {
		t.Fatalf("source after UpdateObjectEncryption: %s, %q", h.ServerSideEncryption, h.ReplicationStatus)
	}
	if h := r.head(t, r.dst, "obj/meta", v); h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("replica after the source's UpdateObjectEncryption: %s, want AES256 as replicated", h.ServerSideEncryption)
	}
}

// TestReplicationCrossAccount: a destination bucket of another account
// takes replicas only when its bucket policy lets the role in; with
// AccessControlTranslation the replica belongs to the destination's owner.
func TestReplicationCrossAccount(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	b := r.s3(r.rootB)
	const dstB = "repl-dst-b"
	mustBucket(t, b, dstB)
	enableVersioning(t, b, dstB)
	// Object writers own their objects here, so the owner override shows.
	if _, err := b.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(dstB),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.iam(r.rootA).PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("replication"), PolicyName: aws.String("to-b"),
		PolicyDocument: aws.String(replPolicy(r.src, dstB, r.srcKey, r.dstKey))}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(r.src),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(r.role), Rules: []types.ReplicationRule{{
			ID: aws.String("to-b"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination: &types.Destination{Bucket: aws.String("arn:aws:s3:::" + dstB), Account: aws.String(r.b),
				AccessControlTranslation: &types.AccessControlTranslation{Owner: types.OwnerOverrideDestination}},
		}}}}); err != nil {
		t.Fatal(err)
	}
	// Without B's bucket policy the role of A may not write there.
	v := r.put(t, "x/denied", []byte("x"), nil)
	r.drain(t)
	if h := r.head(t, r.src, "x/denied", v); h.ReplicationStatus != types.ReplicationStatusFailed {
		t.Fatalf("cross-account without the destination's bucket policy: %q, want FAILED", h.ReplicationStatus)
	}
	waitAudit(t, r.ts, func(ev audit.Event) bool {
		return ev.RequestParameters["key"] == "x/denied" && ev.AdditionalEventData["deniedAction"] == "s3:ReplicateObject"
	})

	r.putBucketPolicy(t, b, dstB, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+r.role+`"},`+
		`"Action":["s3:ReplicateObject","s3:ReplicateDelete","s3:ReplicateTags"],"Resource":"arn:aws:s3:::`+dstB+`/*"}]}`)
	v = r.put(t, "x/granted", []byte("granted"), nil)
	r.drain(t)
	if h := r.head(t, r.src, "x/granted", v); h.ReplicationStatus != types.ReplicationStatusCompleted {
		t.Fatalf("cross-account with the bucket policy: %q, want COMPLETED", h.ReplicationStatus)
	}
	acl, err := b.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(dstB), Key: aws.String("x/granted"), VersionId: aws.String(v)})
	if err != nil {
		t.Fatalf("B reads its replica's ACL: %v", err)
	}
	bacl, err := b.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(dstB)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(acl.Owner.ID) != aws.ToString(bacl.Owner.ID) {
		t.Fatalf("replica owner %s, want the destination owner %s (owner override)", aws.ToString(acl.Owner.ID), aws.ToString(bacl.Owner.ID))
	}
	if got := get(t, b, dstB, "x/granted"); string(got) != "granted" {
		t.Fatalf("B reads %q", got)
	}
}

// TestReplicationConfigurationNeedsPassRole: whoever puts a replication
// configuration names the role S3 will act as, so (as in AWS) they need
// iam:PassRole on it besides s3:PutReplicationConfiguration; otherwise a
// user could borrow the permissions of a role they may not use.
func TestReplicationConfigurationNeedsPassRole(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, nil)
	s3only := allow("s3:PutReplicationConfiguration arn:aws:s3:::"+r.src, "s3:GetReplicationConfiguration arn:aws:s3:::"+r.src)
	cases := []struct {
		name, policy string
		ok           bool
	}{
		{"s3 permission alone", s3only, false},
		{"and iam:PassRole on another role", allow("s3:PutReplicationConfiguration arn:aws:s3:::"+r.src,
			"iam:PassRole arn:aws:iam::"+r.a+":role/other"), false},
		{"and iam:PassRole on the role", allow("s3:PutReplicationConfiguration arn:aws:s3:::"+r.src, "iam:PassRole "+r.role), true},
	}
	for i, tc := range cases {
		u := r.user(t, r.rootA, fmt.Sprintf("repl-admin-%d", i), tc.policy)
		_, err := r.s3(u).PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String(r.src),
			ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(r.role), Rules: []types.ReplicationRule{{
				ID: aws.String("all"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
				Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
				DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
				Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::" + r.dst)}}}}})
		var ae smithy.APIError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && (!errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied"):
			t.Errorf("%s: %v, want AccessDenied", tc.name, err)
		}
	}
}
