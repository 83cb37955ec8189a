package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestObjectEncryptionCommands(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00001", "kura-cli-test-secret-00000000000000000000"
	srv := startCLIServer(t, ak, sk, nil)
	t.Setenv("AWS_ACCESS_KEY_ID", ak)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
	cx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(ak, sk, "")
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true, Credentials: creds})
	kc := awskms.New(awskms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: creds})
	if _, err := sc.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("cli")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("cli"), Key: aws.String("doc"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	ck, err := kc.CreateKey(cx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(ck.KeyMetadata.Arn)

	run := func(args ...string) (objectEncryption, error) {
		t.Helper()
		cmd := newObjectCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append(args, "--endpoint", srv.URL()))
		cmd.SetContext(cx)
		var doc objectEncryption
		if err := cmd.Execute(); err != nil {
			return doc, err
		}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%v: output %q is not JSON", args, out.String())
		}
		return doc, nil
	}

	got, err := run("encryption", "--bucket", "cli", "--key", "doc")
	if err != nil || got.ServerSideEncryption != "AES256" || got.KMSKey != nil || got.StorageClass != "STANDARD" {
		t.Fatalf("encryption of an SSE-S3 object = %+v, %v", got, err)
	}
	// The seed's spelling, as in `aws s3api update-object-encryption`.
	got, err = run("update-encryption", "--bucket", "cli", "--key", "doc", "--server-side-encryption", "aws:kms", "--ssekms-key-id", arn)
	if err != nil || got.ServerSideEncryption != "aws:kms" || got.SSEKMSKeyId != arn || got.BucketKeyEnabled {
		t.Fatalf("update-encryption = %+v, %v", got, err)
	}
	if got.KMSKey == nil || got.KMSKey.KeyState != "Enabled" || got.KMSKey.CurrentKeyMaterialId == "" || got.KMSKey.Rotations == nil || *got.KMSKey.Rotations != 0 {
		t.Fatalf("KMS key info = %+v", got.KMSKey)
	}
	material := got.KMSKey.CurrentKeyMaterialId
	if _, err := kc.RotateKeyOnDemand(cx, &awskms.RotateKeyOnDemandInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	got, err = run("update-encryption", "--bucket", "cli", "--key", "doc", "--kms-key-id", arn, "--bucket-key-enabled")
	if err != nil || !got.BucketKeyEnabled || got.KMSKey == nil || *got.KMSKey.Rotations != 1 || got.KMSKey.CurrentKeyMaterialId == material {
		t.Fatalf("update-encryption with a bucket key after a rotation = %+v (key %+v), %v", got, got.KMSKey, err)
	}
	o, err := sc.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("cli"), Key: aws.String("doc")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if string(b) != "hello" {
		t.Fatalf("object reads %q after the updates", b)
	}

	for _, args := range [][]string{
		{"update-encryption", "--bucket", "cli", "--key", "doc", "--server-side-encryption", "AES256", "--kms-key-id", arn},
		{"update-encryption", "--bucket", "cli", "--key", "doc"},
		{"update-encryption", "--bucket", "cli", "--key", "doc", "--kms-key-id", "alias/aws/s3"},
		{"encryption", "--bucket", "cli"},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
