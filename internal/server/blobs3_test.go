package server_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
	"github.com/kurastore/kura/internal/server"
)

// startOnS3 runs a Kura whose blobs live in bucket "backing" under
// "front/" on another Kura (--blobs s3://backing/front/?endpoint=…), with
// the credentials in the AWS environment variables as an operator would
// give them, and a 5 MiB part size.
func startOnS3(t *testing.T) (*testServer, *s3test.Backing) {
	b := s3test.Start(t)
	b.Bucket("backing")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	blobs, err := backend.ParseBlobs("s3://backing/front/?endpoint=" + b.URL() + "&path_style=true&region=us-east-1&part_size=5MiB")
	if err != nil {
		t.Fatal(err)
	}
	ts := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Blobs = blobs
		c.AllowInsecureSSEC = true
		c.BlobGrace = -1 // released blobs go at once, so the backing bucket can be counted
		c.InlineMax = -1 // every object a blob: the backing bucket is the subject
	})
	return ts, b
}

// backingObjects returns every object under front/ in the backing bucket.
func backingObjects(t *testing.T, b *s3test.Backing) map[string][]byte {
	t.Helper()
	c := b.Client()
	out := map[string][]byte{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("backing"), Prefix: aws.String("front/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			g, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("backing"), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(g.Body)
			g.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			out[aws.ToString(o.Key)] = data
		}
	}
	return out
}

// backingCount counts the objects under front/ in the backing bucket.
func backingCount(t *testing.T, b *s3test.Backing) int {
	t.Helper()
	out, err := b.Client().ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("backing"), Prefix: aws.String("front/")})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Contents)
}

// marked returns n bytes of plaintext in which every 64-byte window holds
// the marker, so any plaintext that reached the backing store is found.
func marked(n int, tag string) []byte {
	line := []byte(fmt.Sprintf("PLAINTEXT-MARKER %s 0123456789abcdef;", tag))
	return bytes.Repeat(line, n/len(line)+1)[:n]
}

const plainMarker = "PLAINTEXT-MARKER"

// TestBlobsOnS3 runs a Kura on another Kura as its blob store: objects of
// every kind of encryption go in and come out intact through the wire,
// the backing bucket holds only ciphertext, a delete removes the blob
// there, and an outage of the backing store answers 503, never 500.
func TestBlobsOnS3(t *testing.T) {
	ts, b := startOnS3(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "data")
	key := createKey(t, ts.kmsClient())
	ssecKey := make([]byte, 32)
	rand.Read(ssecKey)
	ssecB64 := base64.StdEncoding.EncodeToString(ssecKey)
	sum := md5.Sum(ssecKey)
	ssecMD5 := base64.StdEncoding.EncodeToString(sum[:])

	type enc struct {
		name string
		put  func(*s3.PutObjectInput)
		get  func(*s3.GetObjectInput)
	}
	encs := []enc{
		{"default", nil, nil},
		{"sse-kms", func(p *s3.PutObjectInput) {
			p.ServerSideEncryption, p.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(key)
		}, nil},
		{"sse-c", func(p *s3.PutObjectInput) {
			p.SSECustomerAlgorithm, p.SSECustomerKey, p.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ssecB64), aws.String(ssecMD5)
		}, func(g *s3.GetObjectInput) {
			g.SSECustomerAlgorithm, g.SSECustomerKey, g.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ssecB64), aws.String(ssecMD5)
		}},
	}
	sizes := []int{0, 4 << 10, 12<<20 + 123} // the last is a multipart blob (5 MiB parts) in the backing store
	bodies := map[string][]byte{}
	for _, e := range encs {
		for _, n := range sizes {
			k := fmt.Sprintf("%s/%d", e.name, n)
			body := marked(n, k)
			in := &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(k), Body: bytes.NewReader(body)}
			if e.put != nil {
				e.put(in)
			}
			if _, err := c.PutObject(cx, in); err != nil {
				t.Fatalf("PUT %s: %v", k, err)
			}
			bodies[k] = body
			for _, rng := range []string{"", "bytes=5000000-5300000"} {
				if rng != "" && n < 5300000 {
					continue
				}
				g := &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String(k)}
				if rng != "" {
					g.Range = aws.String(rng)
				}
				if e.get != nil {
					e.get(g)
				}
				out, err := c.GetObject(cx, g)
				if err != nil {
					t.Fatalf("GET %s %s: %v", k, rng, err)
				}
				got, err := io.ReadAll(out.Body)
				out.Body.Close()
				want := body
				if rng != "" {
					want = body[5000000:5300001]
				}
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("GET %s %s: %d bytes, %v; want the %d bytes put", k, rng, len(got), err, len(want))
				}
			}
		}
	}

	// A multipart upload through the front: each part is a blob.
	mp := marked(6<<20+1, "multipart")
	up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("data"), Key: aws.String("mp"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, chunk := range [][]byte{mp[:5<<20], mp[5<<20:]} {
		pout, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("data"), Key: aws.String("mp"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: pout.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("data"), Key: aws.String("mp"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, mp) {
		t.Fatalf("GET mp: %d bytes, want the %d put", len(got), len(mp))
	}
	bodies["mp"] = mp

	// The backing store holds ciphertext only: one blob per object (two
	// for mp), none containing any plaintext.
	objs := backingObjects(t, b)
	if want := len(encs)*len(sizes) + 2; len(objs) != want {
		t.Fatalf("backing bucket holds %d blobs, want %d", len(objs), want)
	}
	var total int
	for k, data := range objs {
		total += len(data)
		if bytes.Contains(data, []byte(plainMarker)) {
			t.Fatalf("backing object %s holds plaintext", k)
		}
		for name, body := range bodies {
			if len(body) >= 64 && bytes.Contains(data, body[len(body)/2:len(body)/2+64]) {
				t.Fatalf("backing object %s holds plaintext of %s", k, name)
			}
		}
		if bytes.Contains(data, ssecKey) || bytes.Contains(data, []byte(ssecB64)) {
			t.Fatalf("backing object %s holds the SSE-C key", k)
		}
	}
	t.Logf("backing bucket: %d blobs, %d bytes, no plaintext", len(objs), total)

	// DELETE removes the object's blob from the backing store.
	for _, k := range []string{"sse-c/12583035", "mp"} {
		if _, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("mp")}); err == nil {
		t.Fatal("HEAD mp after DELETE succeeded")
	}
	waitFor(t, "the deleted objects' 3 blobs to leave the backing bucket", func() bool { return backingCount(t, b) == len(objs)-3 })

	// The backing store goes away: requests get 503 ServiceUnavailable.
	b.Stop()
	one := ts.client(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	for _, op := range []struct {
		name string
		fn   func() error
	}{
		{"GET", func() error {
			out, err := one.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("default/4096")})
			if err == nil {
				out.Body.Close()
			}
			return err
		}},
		{"PUT", func() error {
			_, err := one.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("new"), Body: strings.NewReader("x")})
			return err
		}},
	} {
		err := op.fn()
		var ae smithy.APIError
		var re *smithyhttp.ResponseError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" || !errors.As(err, &re) || re.Response.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s with the backing store down = %v, want 503 ServiceUnavailable", op.name, err)
		}
		if strings.Contains(err.Error(), s3test.SecretKey) {
			t.Fatalf("%s: the error reveals the backing store's secret key", op.name)
		}
	}
}
