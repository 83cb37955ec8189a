package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/blob/blobtest"
	blobs3 "github.com/kurastore/kura/internal/blob/s3"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
)

var bg = context.Background()

// TestSuite runs blobtest against a bucket on another Kura, with the
// smallest part size so that the suite's larger blobs (1, 4 and 20 MiB)
// go through multipart uploads.
func TestSuite(t *testing.T) {
	b := s3test.Start(t)
	b.Bucket("blobs")
	var mu sync.Mutex
	n := 0
	blobtest.Run(t, func(t *testing.T) blob.Store {
		mu.Lock()
		n++
		prefix := fmt.Sprintf("suite-%d/", n) // a fresh, empty store per subtest
		mu.Unlock()
		s, err := blobs3.New(b.Client(), blobs3.Config{Bucket: "blobs", Prefix: prefix, PartSize: blobs3.MinPartSize})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func newStore(t *testing.T, b *s3test.Backing, prefix string) *blobs3.Store {
	t.Helper()
	s, err := blobs3.New(b.Client(), blobs3.Config{Bucket: "blobs", Prefix: prefix, PartSize: blobs3.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// failAfter yields n bytes, then fails.
type failAfter struct {
	r io.Reader
}

var errBoom = errors.New("reader failed")

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

// TestMultipartAbort: a Put whose reader fails after several parts leaves
// no object and no incomplete multipart upload in the backing bucket.
func TestMultipartAbort(t *testing.T) {
	b := s3test.Start(t)
	b.Bucket("blobs")
	s := newStore(t, b, "p/")
	for _, n := range []int{blobs3.MinPartSize, 2*blobs3.MinPartSize + 17, 3 * blobs3.MinPartSize} {
		_, err := s.Put(bg, "01JB8ZK6QG3XH4Y7W2N5R9T0AB", &failAfter{io.LimitReader(zeros{}, int64(n))})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Put failing after %d bytes = %v, want the reader's error", n, err)
		}
		ups, err := b.Client().ListMultipartUploads(bg, &awss3.ListMultipartUploadsInput{Bucket: aws.String("blobs")})
		if err != nil {
			t.Fatal(err)
		}
		if len(ups.Uploads) != 0 {
			t.Fatalf("after a failed Put of %d bytes the backing bucket holds %d incomplete uploads", n, len(ups.Uploads))
		}
		objs, err := b.Client().ListObjectsV2(bg, &awss3.ListObjectsV2Input{Bucket: aws.String("blobs")})
		if err != nil {
			t.Fatal(err)
		}
		if len(objs.Contents) != 0 {
			t.Fatalf("after a failed Put of %d bytes the backing bucket holds %d objects", n, len(objs.Contents))
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestPrefixIsolation: Walk reports only valid blob ids under the store's
// prefix; other keys in the bucket are left alone.
func TestPrefixIsolation(t *testing.T) {
	b := s3test.Start(t)
	b.Bucket("blobs")
	c := b.Client()
	for _, k := range []string{"other/01JB8ZK6QG3XH4Y7W2N5R9T0AB", "p/not a blob id", "p/sub/x", "top"} {
		if _, err := c.PutObject(bg, &awss3.PutObjectInput{Bucket: aws.String("blobs"), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	s := newStore(t, b, "p/")
	if _, err := s.Put(bg, "a1", strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := s.Walk(bg, func(i blob.Info) error { ids = append(ids, i.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != "a1" {
		t.Fatalf("Walk = %q, want [a1]", ids)
	}
	if ok, err := s.HasData(bg); err != nil || !ok {
		t.Fatalf("HasData = %v, %v; want true", ok, err)
	}
	if ok, err := newStore(t, b, "empty/").HasData(bg); err != nil || ok {
		t.Fatalf("HasData of an empty prefix = %v, %v; want false", ok, err)
	}
}

// TestSequentialReadsOneGET: reading a blob front to back in small
// chunks, as the decrypting reader does, streams one GET.
func TestSequentialReads(t *testing.T) {
	b := s3test.Start(t)
	b.Bucket("blobs")
	s := newStore(t, b, "p/")
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	if _, err := s.Put(bg, "seq", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(bg, "seq")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []byte
	p := make([]byte, 65536+28)
	for off := int64(0); ; {
		n, err := r.ReadAt(p, off)
		got = append(got, p[:n]...)
		off += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatal("sequential reads returned wrong bytes")
	}
}

// TestUnavailable: with the backing store down, every operation fails
// with blob.ErrUnavailable (503 at the S3 layer), not a bare error.
func TestUnavailable(t *testing.T) {
	b := s3test.Start(t)
	b.Bucket("blobs")
	s := newStore(t, b, "p/")
	if _, err := s.Put(bg, "kept", bytes.NewReader(make([]byte, 1<<20))); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(bg, "kept")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b.Stop()
	ops := []struct {
		name string
		fn   func() error
	}{
		{"Put", func() error { _, err := s.Put(bg, "new", strings.NewReader("x")); return err }},
		{"Open", func() error { _, err := s.Open(bg, "kept"); return err }},
		{"ReadAt", func() error { _, err := r.ReadAt(make([]byte, 4), 900<<10); return err }}, // beyond what Open read
		{"Delete", func() error { return s.Delete(bg, "kept") }},
		{"Walk", func() error { return s.Walk(bg, func(blob.Info) error { return nil }) }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			err := op.fn()
			if !errors.Is(err, blob.ErrUnavailable) {
				t.Fatalf("%s with the backing store down = %v, want blob.ErrUnavailable", op.name, err)
			}
			if strings.Contains(err.Error(), s3test.SecretKey) {
				t.Fatalf("error reveals the secret key: %v", err)
			}
		})
	}
}

// countingTransport counts requests by method.
type countingTransport struct {
	mu sync.Mutex
	n  map[string]int
	rt http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Method]++
	c.mu.Unlock()
	return c.rt.RoundTrip(r)
}

func (c *countingTransport) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// TestRequestCounts pins the backing requests each operation costs: a
// small blob is one PUT to store and one GET to read whole; a multipart
// one a HEAD (is the id free?), the upload's requests, and two GETs to
// read front to back.
func TestRequestCounts(t *testing.T) {
	b := s3test.Start(t)
	b.Bucket("blobs")
	ct := &countingTransport{n: map[string]int{}, rt: http.DefaultTransport}
	c := b.Client(func(o *awss3.Options) { o.HTTPClient = &http.Client{Transport: ct, Timeout: time.Minute} })
	s, err := blobs3.New(c, blobs3.Config{Bucket: "blobs", Prefix: "p/", PartSize: blobs3.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	readAll := func(id string, chunk int) []byte {
		r, err := s.Open(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []byte
		p := make([]byte, chunk)
		for off := int64(0); ; {
			n, err := r.ReadAt(p, off)
			out = append(out, p[:n]...)
			off += int64(n)
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name     string
		size     int
		put, get map[string]int
	}{
		{"4 KiB", 4 << 10, map[string]int{"PUT": 1}, map[string]int{"GET": 1}},
		{"200 KiB", 200 << 10, map[string]int{"PUT": 1}, map[string]int{"GET": 1}},
		{"12 MiB", 12 << 20, map[string]int{"HEAD": 1, "POST": 2, "PUT": 3}, map[string]int{"GET": 2}},
	} {
		data := bytes.Repeat([]byte{byte(tc.size)}, tc.size)
		id := fmt.Sprintf("c%d", tc.size)
		ct.take()
		if _, err := s.Put(bg, id, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if got := ct.take(); fmt.Sprint(got) != fmt.Sprint(tc.put) {
			t.Errorf("%s: Put sent %v, want %v", tc.name, got, tc.put)
		}
		if got := readAll(id, 64<<10+28); !bytes.Equal(got, data) {
			t.Fatalf("%s: read back wrong bytes", tc.name)
		}
		if got := ct.take(); fmt.Sprint(got) != fmt.Sprint(tc.get) {
			t.Errorf("%s: reading it whole sent %v, want %v", tc.name, got, tc.get)
		}
	}
}
