package server_test

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// sseMode is one way to encrypt an object, as request parameters.
type sseMode struct {
	name string
	put  func(*s3.PutObjectInput)
	get  func(*s3.GetObjectInput)
	// copyDst and copySrc set the destination and source parameters of a
	// CopyObject.
	copyDst func(*s3.CopyObjectInput)
	copySrc func(*s3.CopyObjectInput)
	want    types.ServerSideEncryption // "" for SSE-C
	bk      bool
}

func sseModes(keyARN string) []sseMode {
	key, md := sseCKey(7)
	none := func(*s3.GetObjectInput) {}
	noSrc := func(*s3.CopyObjectInput) {}
	kms := func(t types.ServerSideEncryption, bk bool) sseMode {
		return sseMode{
			name: string(t) + map[bool]string{true: "+bucketkey"}[bk],
			put: func(in *s3.PutObjectInput) {
				in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = t, aws.String(keyARN), aws.Bool(bk)
			},
			get: none,
			copyDst: func(in *s3.CopyObjectInput) {
				in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = t, aws.String(keyARN), aws.Bool(bk)
			},
			copySrc: noSrc, want: t, bk: bk,
		}
	}
	return []sseMode{
		{name: "SSE-S3", put: func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }, get: none,
			copyDst: func(in *s3.CopyObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }, copySrc: noSrc,
			want: types.ServerSideEncryptionAes256},
		kms(types.ServerSideEncryptionAwsKms, false),
		kms(types.ServerSideEncryptionAwsKms, true),
		kms(types.ServerSideEncryptionAwsKmsDsse, false),
		{name: "SSE-C",
			put: func(in *s3.PutObjectInput) {
				in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(md)
			},
			get: func(in *s3.GetObjectInput) {
				in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(md)
			},
			copyDst: func(in *s3.CopyObjectInput) {
				in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(md)
			},
			copySrc: func(in *s3.CopyObjectInput) {
				in.CopySourceSSECustomerAlgorithm, in.CopySourceSSECustomerKey, in.CopySourceSSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(md)
			},
		},
	}
}

// TestCopyBetweenEveryPairOfModes copies an object from every encryption
// mode into every mode and checks bytes and the reported encryption.
func TestCopyBetweenEveryPairOfModes(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AllowInsecureSSEC = true })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "matrix")
	modes := sseModes(createKey(t, ts.kmsClient()))
	data := randBytes(70_000)
	for _, src := range modes {
		in := &s3.PutObjectInput{Bucket: aws.String("matrix"), Key: aws.String("src-" + src.name), Body: bytes.NewReader(data)}
		src.put(in)
		if _, err := c.PutObject(cx, in); err != nil {
			t.Fatalf("PUT %s: %v", src.name, err)
		}
	}
	for _, src := range modes {
		for _, dst := range modes {
			t.Run(src.name+"→"+dst.name, func(t *testing.T) {
				key := "dst-" + src.name + "-" + dst.name
				in := &s3.CopyObjectInput{Bucket: aws.String("matrix"), Key: aws.String(key), CopySource: aws.String("matrix/src-" + src.name)}
				src.copySrc(in)
				dst.copyDst(in)
				out, err := c.CopyObject(cx, in)
				if err != nil {
					t.Fatal(err)
				}
				if out.ServerSideEncryption != dst.want || aws.ToBool(out.BucketKeyEnabled) != dst.bk {
					t.Fatalf("copy reports %s bk=%v, want %s bk=%v", out.ServerSideEncryption, aws.ToBool(out.BucketKeyEnabled), dst.want, dst.bk)
				}
				if got := get(t, c, "matrix", key, dst.get); !bytes.Equal(got, data) {
					t.Fatal("copy has different bytes")
				}
				h := &s3.HeadObjectInput{Bucket: aws.String("matrix"), Key: aws.String(key)}
				if dst.want == "" {
					k, md := sseCKey(7)
					h.SSECustomerAlgorithm, h.SSECustomerKey, h.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k), aws.String(md)
				}
				ho, err := c.HeadObject(cx, h)
				if err != nil || ho.ServerSideEncryption != dst.want {
					t.Fatalf("HEAD = %v, %v", ho, err)
				}
			})
		}
	}
}

func TestMultipartKMSBucketKey(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpkms")
	arn := createKey(t, ts.kmsClient())
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpkms"), Key: aws.String("k"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(arn), BucketKeyEnabled: aws.Bool(true)})
	if err != nil || cr.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(cr.SSEKMSKeyId) != arn {
		t.Fatalf("create = %+v, %v", cr, err)
	}
	data := randBytes(5*mib + 100)
	var parts []types.CompletedPart
	for i, chunk := range [][]byte{data[:5*mib], data[5*mib:]} {
		out, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("mpkms"), Key: aws.String("k"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk)})
		if err != nil || out.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
			t.Fatalf("part = %+v, %v", out, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpkms"), Key: aws.String("k"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil || !aws.ToBool(done.BucketKeyEnabled) || aws.ToString(done.SSEKMSKeyId) != arn {
		t.Fatalf("complete = %+v, %v", done, err)
	}
	got := get(t, c, "mpkms", "k", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=5242800-5242979") })
	if !bytes.Equal(got, data[5242800:5242980]) {
		t.Fatal("range across parts differs")
	}
}
