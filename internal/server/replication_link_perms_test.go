package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/audit"
)

// The destination-side permissions across the link that the permission
// table does not cover: tags need s3:ReplicateTags, a delete marker
// s3:ReplicateDelete, and a replica in a destination bucket with an S3
// Bucket Key kms:GenerateDataKey on the replica key. Without each, the
// version is FAILED (a delete marker is not replicated) and both audit
// trails name the permission osaka denied; with it, COMPLETED.
func TestReplicationLinkedTagsDeletesBucketKey(t *testing.T) {
	lp := startLinkedPair(t)
	srcKey, dstKey := lp.setup(t, linkedPolicy("ap-northeast-3"))
	tc, oc := regionClient(lp.tokyo, "ap-northeast-1"), regionClient(lp.osaka, "ap-northeast-3")
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(lp.tokyo.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	bucketKeyContext := false
	policy := func(t *testing.T, without ...string) {
		t.Helper()
		doc := linkedPolicyWithout(without...)(srcKey, dstKey)
		if bucketKeyContext {
			// With an S3 Bucket Key the encryption context is the
			// bucket's ARN, not the object's (as in AWS).
			doc = strings.Replace(doc, `"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::dst/*"`, `"kms:EncryptionContext:aws:s3:arn":["arn:aws:s3:::dst/*","arn:aws:s3:::dst"]`, 1)
		}
		if _, err := ic.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("replication"), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		lp.waitIAM(t)
	}
	put := func(t *testing.T, in *s3.PutObjectInput) string {
		t.Helper()
		in.Bucket, in.Body = aws.String("src"), strings.NewReader("linked")
		out, err := tc.PutObject(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	final := func(t *testing.T, key, v string) string {
		t.Helper()
		return waitStatuses(t, tc, "src", map[string]string{v: key}, 30*time.Second)[v]
	}
	deniedBoth := func(t *testing.T, key, action string) {
		t.Helper()
		for _, ts := range []*testServer{lp.tokyo, lp.osaka} {
			waitAudit(t, ts, func(ev audit.Event) bool {
				return ev.RequestParameters["key"] == key && ev.AdditionalEventData["deniedAction"] == action
			})
		}
	}

	t.Run("tags need s3:ReplicateTags", func(t *testing.T) {
		policy(t, "s3:ReplicateTags")
		v := put(t, &s3.PutObjectInput{Key: aws.String("tags/denied"), Tagging: aws.String("team=tokyo")})
		if got := final(t, "tags/denied", v); got != "FAILED" {
			t.Fatalf("tagged version without s3:ReplicateTags: %s, want FAILED", got)
		}
		deniedBoth(t, "tags/denied", "s3:ReplicateTags")
		policy(t)
		v = put(t, &s3.PutObjectInput{Key: aws.String("tags/allowed"), Tagging: aws.String("team=tokyo")})
		if got := final(t, "tags/allowed", v); got != "COMPLETED" {
			t.Fatalf("tagged version with s3:ReplicateTags: %s, want COMPLETED", got)
		}
		tg, err := oc.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String("dst"), Key: aws.String("tags/allowed"), VersionId: aws.String(v)})
		if err != nil || len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Key) != "team" || aws.ToString(tg.TagSet[0].Value) != "tokyo" {
			t.Fatalf("replica's tags: %+v %v, want team=tokyo", tg, err)
		}
	})

	t.Run("delete markers need s3:ReplicateDelete", func(t *testing.T) {
		policy(t)
		v := put(t, &s3.PutObjectInput{Key: aws.String("del/k")})
		if got := final(t, "del/k", v); got != "COMPLETED" {
			t.Fatalf("version before the delete: %s", got)
		}
		markers := func() []string {
			lv, err := oc.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String("dst"), Prefix: aws.String("del/")})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range lv.DeleteMarkers {
				ids = append(ids, aws.ToString(m.VersionId))
			}
			return ids
		}
		policy(t, "s3:ReplicateDelete")
		if _, err := tc.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("del/k")}); err != nil {
			t.Fatal(err)
		}
		deniedBoth(t, "del/k", "s3:ReplicateDelete")
		if m := markers(); len(m) != 0 {
			t.Fatalf("without s3:ReplicateDelete osaka has delete markers %v", m)
		}
		policy(t)
		out, err := tc.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("del/k")})
		if err != nil {
			t.Fatal(err)
		}
		want := aws.ToString(out.VersionId)
		deadline := time.Now().Add(30 * time.Second)
		for {
			m := markers()
			if len(m) == 1 && m[0] == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("with s3:ReplicateDelete osaka's delete markers are %v, want [%s]", m, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("a bucket key needs kms:GenerateDataKey", func(t *testing.T) {
		if _, err := oc.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{Bucket: aws.String("dst"),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(dstKey)},
				BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
			t.Fatal(err)
		}
		kms := func(key string) *s3.PutObjectInput {
			return &s3.PutObjectInput{Key: aws.String(key), ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(srcKey)}
		}
		bucketKeyContext = true
		policy(t, "kms:GenerateDataKey")
		v := put(t, kms("bk/denied"))
		if got := final(t, "bk/denied", v); got != "FAILED" {
			t.Fatalf("SSE-KMS version to a bucket-key bucket without kms:GenerateDataKey: %s, want FAILED", got)
		}
		deniedBoth(t, "bk/denied", "kms:GenerateDataKey")
		policy(t)
		v = put(t, kms("bk/allowed"))
		if got := final(t, "bk/allowed", v); got != "COMPLETED" {
			t.Fatalf("with kms:GenerateDataKey: %s, want COMPLETED", got)
		}
		h, err := oc.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("bk/allowed"), VersionId: aws.String(v)})
		if err != nil {
			t.Fatal(err)
		}
		if !aws.ToBool(h.BucketKeyEnabled) || aws.ToString(h.SSEKMSKeyId) != dstKey || h.ReplicationStatus != types.ReplicationStatusReplica {
			t.Fatalf("replica: bucket key %v, key %s, status %s; want a REPLICA under %s with its bucket key", aws.ToBool(h.BucketKeyEnabled), aws.ToString(h.SSEKMSKeyId), h.ReplicationStatus, dstKey)
		}
	})
}
