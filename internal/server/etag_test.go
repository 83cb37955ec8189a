package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// A PUT's ETag through the wire: the quoted MD5 of the data under SSE-S3;
// opaque under SSE-KMS, DSSE-KMS and SSE-C, as S3 answers (32 hex digits
// that are not the MD5), the same from HEAD, GET and ListObjectsV2, and
// usable with If-Match. A wrong Content-MD5 is still BadDigest.
func TestPutETags(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "etags")
	arn := createKey(t, ts.kmsClient())
	data := randBytes(200_000)
	sum := md5.Sum(data)
	md5Hex := `"` + hex.EncodeToString(sum[:]) + `"`
	wrong := md5.Sum([]byte("other"))
	ssec := randBytes(32)
	ssecSum := md5.Sum(ssec)
	withSSEC := func(alg, key, keyMD5 **string) {
		*alg, *key, *keyMD5 = aws.String("AES256"), aws.String(base64.StdEncoding.EncodeToString(ssec)),
			aws.String(base64.StdEncoding.EncodeToString(ssecSum[:]))
	}
	quotedHex := regexp.MustCompile(`^"[0-9a-f]{32}"$`)
	for _, tc := range []struct {
		name   string
		apply  func(*s3.PutObjectInput)
		opaque bool
	}{
		{"SSE-S3", func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }, false},
		{"SSE-KMS", func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(arn)
		}, true},
		{"DSSE-KMS", func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKmsDsse, aws.String(arn)
		}, true},
		{"SSE-C", func(in *s3.PutObjectInput) {
			withSSEC(&in.SSECustomerAlgorithm, &in.SSECustomerKey, &in.SSECustomerKeyMD5)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "k-" + tc.name
			put := func(contentMD5 []byte) (*s3.PutObjectOutput, error) {
				in := &s3.PutObjectInput{Bucket: aws.String("etags"), Key: aws.String(key), Body: bytes.NewReader(data)}
				if contentMD5 != nil {
					in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(contentMD5))
				}
				tc.apply(in)
				return c.PutObject(cx, in)
			}
			out, err := put(sum[:])
			if err != nil {
				t.Fatal(err)
			}
			etag := aws.ToString(out.ETag)
			if !quotedHex.MatchString(etag) || (etag != md5Hex) != tc.opaque {
				t.Fatalf("PUT ETag %s (MD5 %s), want opaque %v", etag, md5Hex, tc.opaque)
			}
			head := &s3.HeadObjectInput{Bucket: aws.String("etags"), Key: aws.String(key)}
			get := &s3.GetObjectInput{Bucket: aws.String("etags"), Key: aws.String(key), IfMatch: aws.String(etag)}
			if tc.name == "SSE-C" {
				withSSEC(&head.SSECustomerAlgorithm, &head.SSECustomerKey, &head.SSECustomerKeyMD5)
				withSSEC(&get.SSECustomerAlgorithm, &get.SSECustomerKey, &get.SSECustomerKeyMD5)
			}
			if h, err := c.HeadObject(cx, head); err != nil || aws.ToString(h.ETag) != etag {
				t.Errorf("HEAD ETag %v (%v), PUT answered %s", h, err, etag)
			}
			g, err := c.GetObject(cx, get)
			if err != nil {
				t.Fatalf("GET If-Match the PUT's ETag: %v", err)
			}
			g.Body.Close()
			if aws.ToString(g.ETag) != etag {
				t.Errorf("GET ETag %s, PUT answered %s", aws.ToString(g.ETag), etag)
			}
			l, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("etags"), Prefix: aws.String(key)})
			if err != nil || len(l.Contents) != 1 || aws.ToString(l.Contents[0].ETag) != etag {
				t.Errorf("ListObjectsV2: %v %+v, want the ETag %s", err, l, etag)
			}
			_, err = put(wrong[:])
			wantCode(t, err, "BadDigest")
		})
	}
}
