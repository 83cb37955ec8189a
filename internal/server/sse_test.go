package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

func (ts *testServer) kmsClient() *kms.Client {
	return kms.New(kms.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:  &http.Client{Timeout: time.Minute},
	})
}

func createKey(t *testing.T, k *kms.Client) string {
	t.Helper()
	out, err := k.CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

type sseCase struct {
	name   string
	apply  func(*s3.PutObjectInput)
	typ    types.ServerSideEncryption
	keyARN string
}

func TestSSEKMSAndDSSE(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "kms")
	arn := createKey(t, k)
	if _, err := k.CreateAlias(cx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	data := randBytes(3*65536 + 17)
	for _, tc := range []struct {
		name  string
		sse   types.ServerSideEncryption
		keyID string
		want  string // key ARN expected in responses; "" = the aws/s3 managed key
	}{
		{"kms by ARN", types.ServerSideEncryptionAwsKms, arn, arn},
		{"kms by alias", types.ServerSideEncryptionAwsKms, "alias/app", arn},
		{"kms managed aws/s3", types.ServerSideEncryptionAwsKms, "", ""},
		{"dsse", types.ServerSideEncryptionAwsKmsDsse, arn, arn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String(tc.name), Body: bytes.NewReader(data), ServerSideEncryption: tc.sse,
				SSEKMSEncryptionContext: aws.String(base64.StdEncoding.EncodeToString([]byte(`{"team":"storage"}`)))}
			if tc.keyID != "" {
				in.SSEKMSKeyId = aws.String(tc.keyID)
			}
			out, err := c.PutObject(cx, in)
			if err != nil {
				t.Fatal(err)
			}
			if out.ServerSideEncryption != tc.sse || (tc.want != "" && aws.ToString(out.SSEKMSKeyId) != tc.want) || aws.ToString(out.SSEKMSKeyId) == "" {
				t.Fatalf("PUT response SSE = %s %s", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
			}
			h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("kms"), Key: aws.String(tc.name)})
			if err != nil || h.ServerSideEncryption != tc.sse || aws.ToString(h.SSEKMSKeyId) != aws.ToString(out.SSEKMSKeyId) {
				t.Fatalf("HEAD SSE = %+v, %v", h, err)
			}
			if got := get(t, c, "kms", tc.name); !bytes.Equal(got, data) {
				t.Fatal("GET returned different bytes")
			}
			got := get(t, c, "kms", tc.name, func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=65530-131080") })
			if !bytes.Equal(got, data[65530:131081]) {
				t.Fatal("ranged GET returned different bytes")
			}
		})
	}

	// Disabled key: reads fail the way S3 surfaces KMS errors.
	if _, err := k.DisableKey(cx, &kms.DisableKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("kms"), Key: aws.String("kms by ARN")})
	wantCode(t, err, "KMS.DisabledException")
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("x"), Body: bytes.NewReader(data),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(arn)})
	wantCode(t, err, "KMS.DisabledException")
	if _, err := k.EnableKey(cx, &kms.EnableKeyInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	// Rotation: old objects still decrypt, new ones use the new material.
	if _, err := k.RotateKeyOnDemand(cx, &kms.RotateKeyOnDemandInput{KeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "kms", "kms by ARN"); !bytes.Equal(got, data) {
		t.Fatal("object written before rotation no longer reads")
	}
	// Unknown key.
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("kms"), Key: aws.String("x"), Body: bytes.NewReader(data),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/missing")})
	wantCode(t, err, "KMS.NotFoundException")
}

func TestBucketDefaultEncryptionAndBucketKeys(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" })
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "bkeys")
	arn := createKey(t, k)
	_, err := c.GetBucketEncryption(cx, &s3.GetBucketEncryptionInput{Bucket: aws.String("bkeys")})
	wantCode(t, err, "ServerSideEncryptionConfigurationNotFoundError")
	put(t, c, "bkeys", "before", []byte("old"))
	if _, err := c.PutBucketEncryption(cx, &s3.PutBucketEncryptionInput{Bucket: aws.String("bkeys"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(arn)},
			BucketKeyEnabled:                   aws.Bool(true),
		}}}}); err != nil {
		t.Fatal(err)
	}
	ge, err := c.GetBucketEncryption(cx, &s3.GetBucketEncryptionInput{Bucket: aws.String("bkeys")})
	if err != nil || aws.ToString(ge.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != arn {
		t.Fatalf("GetBucketEncryption = %+v, %v", ge, err)
	}
	before := ts.kmsCalls()
	for i := 0; i < 50; i++ {
		out := put(t, c, "bkeys", fmt.Sprintf("k%d", i), []byte("v"))
		if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !aws.ToBool(out.BucketKeyEnabled) || aws.ToString(out.SSEKMSKeyId) != arn {
			t.Fatalf("default encryption not applied: %+v", out)
		}
	}
	for i := 0; i < 50; i++ {
		if got := get(t, c, "bkeys", fmt.Sprintf("k%d", i)); string(got) != "v" {
			t.Fatal("bucket-keyed object reads back wrong")
		}
	}
	// Each node caches the bucket key once (one node, or each of a
	// cluster's).
	if calls := ts.kmsCalls() - before; calls > 2*int64(len(ts.nodes)) {
		t.Fatalf("100 requests under a bucket key made %d KMS calls", calls)
	}
	resp, err := http.Get(ts.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("kura_kms_crypto_calls_total %d\n", ts.KMS.CallCount()); !strings.Contains(string(body), want) {
		t.Fatalf("metrics = %q, want a line %q", body, want)
	}
	// Existing objects are not re-encrypted; request headers override the default.
	if h, _ := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("bkeys"), Key: aws.String("before")}); h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("existing object changed encryption: %s", h.ServerSideEncryption)
	}
	out, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("bkeys"), Key: aws.String("s3"), Body: bytes.NewReader([]byte("x")), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("override = %+v, %v", out, err)
	}
	if _, err := c.DeleteBucketEncryption(cx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("bkeys")}); err != nil {
		t.Fatal(err)
	}
	if out := put(t, c, "bkeys", "after", []byte("x")); out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("after DeleteBucketEncryption: %s", out.ServerSideEncryption)
	}
}

func sseCKey(b byte) (key, md5b64 string) {
	raw := bytes.Repeat([]byte{b}, 32)
	sum := md5.Sum(raw)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sum[:])
}

func TestSSEC(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "ssec")
	key, md := sseCKey(1)
	wrong, wrongMD := sseCKey(2)
	data := randBytes(100_000)
	out, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(md)})
	if err != nil || aws.ToString(out.SSECustomerKeyMD5) != md {
		t.Fatalf("SSE-C PUT = %+v, %v", out, err)
	}
	got := get(t, c, "ssec", "k", func(in *s3.GetObjectInput) {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(md)
	})
	if !bytes.Equal(got, data) {
		t.Fatal("SSE-C GET differs")
	}
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k")})
	wantCode(t, err, "InvalidRequest")
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(wrong), SSECustomerKeyMD5: aws.String(wrongMD)})
	wantCode(t, err, "AccessDenied")
	// Copy out of SSE-C into SSE-S3 with the copy-source key.
	if _, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("ssec"), Key: aws.String("plain"), CopySource: aws.String("ssec/k"),
		CopySourceSSECustomerAlgorithm: aws.String("AES256"), CopySourceSSECustomerKey: aws.String(key), CopySourceSSECustomerKeyMD5: aws.String(md)}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, "ssec", "plain"); !bytes.Equal(got, data) {
		t.Fatal("copy from SSE-C differs")
	}
	// Multipart with SSE-C: every part carries the key.
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("ssec"), Key: aws.String("mpu"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(md)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("ssec"), Key: aws.String("mpu"), UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(data)})
	wantCode(t, err, "InvalidRequest")
	up, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("ssec"), Key: aws.String("mpu"), UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(md)})
	if err != nil {
		t.Fatal(err)
	}
	// Complete carries the key too (S3 requires it for objects created with
	// a checksum algorithm; every Kura object has its CRC64NVME): missing
	// or different, the upload stays open.
	complete := func(k, m string) error {
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String("ssec"), Key: aws.String("mpu"), UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}
		if k != "" {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k), aws.String(m)
		}
		_, err := c.CompleteMultipartUpload(cx, in)
		return err
	}
	wantCode(t, complete("", ""), "InvalidRequest")
	wantCode(t, complete(wrong, wrongMD), "InvalidRequest")
	if err := complete(key, md); err != nil {
		t.Fatal(err)
	}
	got = get(t, c, "ssec", "mpu", func(in *s3.GetObjectInput) {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(md)
	})
	if !bytes.Equal(got, data) {
		t.Fatal("SSE-C multipart differs")
	}
	// Blocking SSE-C on the bucket refuses new SSE-C writes with 403.
	if _, err := c.PutBucketEncryption(cx, &s3.PutBucketEncryptionInput{Bucket: aws.String("ssec"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256},
			BlockedEncryptionTypes:             &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{"SSE-C"}},
		}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("ssec"), Key: aws.String("k2"), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(md)})
	wantCode(t, err, "AccessDenied")
}

func TestSSECRequiresTLS(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "plainhttp")
	key, md := sseCKey(1)
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("plainhttp"), Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(md)})
	wantCode(t, err, "InvalidRequest")
}
