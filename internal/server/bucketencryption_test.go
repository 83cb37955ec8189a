package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PutBucketEncryption refuses a KMSMasterKeyID that no write could use,
// with the error such a write would get, and stores nothing; well-formed
// ids are stored whether or not the key exists, as S3 stores them.
func TestPutBucketEncryptionKMSKeyID(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "enc")
	keyARN := createKey(t, ts.kmsClient())
	keyID := keyARN[strings.LastIndex(keyARN, "/")+1:]
	acct := ts.Root.AccountID

	put := func(alg types.ServerSideEncryption, id string) error {
		_, err := c.PutBucketEncryption(cx, &s3.PutBucketEncryptionInput{Bucket: aws.String("enc"),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg, KMSMasterKeyID: aws.String(id)},
			}}}})
		return err
	}
	stored := func() string {
		t.Helper()
		out, err := c.GetBucketEncryption(cx, &s3.GetBucketEncryptionInput{Bucket: aws.String("enc")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID)
	}

	valid := []struct {
		name string
		alg  types.ServerSideEncryption
		id   string
	}{
		{"key id", types.ServerSideEncryptionAwsKms, keyID},
		{"key arn", types.ServerSideEncryptionAwsKms, keyARN},
		{"alias name", types.ServerSideEncryptionAwsKms, "alias/team-key"},
		{"alias arn", types.ServerSideEncryptionAwsKms, "arn:aws:kms:us-east-1:" + acct + ":alias/team-key"},
		{"key of another account", types.ServerSideEncryptionAwsKms, "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		{"unknown key id", types.ServerSideEncryptionAwsKms, "1234abcd-12ab-34cd-56ef-1234567890ab"},
		{"dsse key arn", types.ServerSideEncryptionAwsKmsDsse, keyARN},
	}
	for _, tc := range valid {
		if err := put(tc.alg, tc.id); err != nil {
			t.Fatalf("%s %q: %v", tc.name, tc.id, err)
		}
		if got := stored(); got != tc.id {
			t.Fatalf("%s: stored %q, want %q", tc.name, got, tc.id)
		}
	}

	if err := put(types.ServerSideEncryptionAwsKms, keyARN); err != nil {
		t.Fatal(err)
	}
	tooLong := "alias/" + strings.Repeat("k", 100_000)
	invalid := []struct {
		name, id, code, msg string
	}{
		{"100,000 characters", tooLong, "KMS.ValidationException", "Member must have length less than or equal to 2048"},
		{"2049 characters", strings.Repeat("a", 2049), "KMS.ValidationException", "length less than or equal to 2048"},
		{"aws/s3 without alias/", "aws/s3", "KMS.NotFoundException", "Invalid keyId 'aws/s3'"},
		{"no form at all", "my-key", "KMS.NotFoundException", "Invalid keyId 'my-key'"},
		{"key id not a uuid", "1234abcd-12ab", "KMS.NotFoundException", "Invalid keyId '1234abcd-12ab'"},
		{"empty alias", "alias/", "KMS.NotFoundException", "Invalid keyId 'alias/'"},
		{"alias with a space", "alias/team key", "KMS.NotFoundException", "Invalid keyId 'alias/team key'"},
		{"arn of another service", "arn:aws:s3:::enc", "KMS.NotFoundException", "Invalid keyId 'arn:aws:s3:::enc'"},
		{"arn without a key", "arn:aws:kms:us-east-1:" + acct + ":key/", "KMS.NotFoundException", "Invalid keyId"},
		{"arn of another region", "arn:aws:kms:us-west-2:" + acct + ":key/" + keyID, "KMS.NotFoundException", "Invalid arn us-west-2"},
		{"arn with a bad account", "arn:aws:kms:us-east-1:12345:key/" + keyID, "KMS.NotFoundException", "Invalid keyId"},
	}
	for _, tc := range invalid {
		err := put(types.ServerSideEncryptionAwsKms, tc.id)
		wantErr(t, err, http.StatusBadRequest, tc.code, tc.msg)
		if tc.id == tooLong && strings.Contains(errMessage(err), strings.Repeat("k", 100)) {
			t.Fatalf("%s: the error echoes the id", tc.name)
		}
		if got := stored(); got != keyARN {
			t.Fatalf("%s: a refused id was stored: %q", tc.name, got)
		}
	}
	// The bucket still takes writes under its default.
	putText(t, c, "enc", "after", "still writable")
	head, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("enc"), Key: aws.String("after")})
	if err != nil || aws.ToString(head.SSEKMSKeyId) != keyARN {
		t.Fatalf("write under the default: %+v, %v", head, err)
	}
}
