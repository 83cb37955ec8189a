package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeS3 is a tiny in-memory S3 speaking just enough of the protocol for
// Run: HeadBucket, CreateBucket, DeleteBucket, PutObject, GetObject and
// DeleteObjects, path-style only. Signatures are not checked, but the
// payload hash header is, so a broken body or signing mode shows up.
type fakeS3 struct {
	t  *testing.T
	mu sync.Mutex
	// buckets maps bucket -> key -> object body.
	buckets map[string]map[string][]byte

	failPuts   atomic.Bool  // answer every PUT object with 403
	puts       atomic.Int64 // PUT object requests received
	sseHeaders atomic.Int64 // PUTs carrying x-amz-server-side-encryption
	lastSSE    atomic.Value // last x-amz-server-side-encryption value
	unsigned   atomic.Int64 // PUTs with UNSIGNED-PAYLOAD
}

func newFakeS3(t *testing.T) (*fakeS3, *httptest.Server) {
	f := &fakeS3{t: t, buckets: map[string]map[string][]byte{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeS3) s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket == "" {
		f.s3Error(w, http.StatusNotImplemented, "NotImplemented")
		return
	}
	if key == "" {
		f.serveBucket(w, r, bucket)
		return
	}
	f.serveObject(w, r, bucket, key)
}

func (f *fakeS3) serveBucket(w http.ResponseWriter, r *http.Request, bucket string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs, exists := f.buckets[bucket]
	switch {
	case r.Method == http.MethodHead:
		if !exists {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPut:
		if exists {
			f.s3Error(w, http.StatusConflict, "BucketAlreadyOwnedByYou")
			return
		}
		f.buckets[bucket] = map[string][]byte{}
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodDelete:
		if !exists {
			f.s3Error(w, http.StatusNotFound, "NoSuchBucket")
			return
		}
		if len(objs) > 0 {
			f.s3Error(w, http.StatusConflict, "BucketNotEmpty")
			return
		}
		delete(f.buckets, bucket)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && r.URL.Query().Has("delete"):
		if !exists {
			f.s3Error(w, http.StatusNotFound, "NoSuchBucket")
			return
		}
		var req struct {
			Quiet   bool `xml:"Quiet"`
			Objects []struct {
				Key string `xml:"Key"`
			} `xml:"Object"`
		}
		if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
			f.s3Error(w, http.StatusBadRequest, "MalformedXML")
			return
		}
		if len(req.Objects) > 1000 {
			f.s3Error(w, http.StatusBadRequest, "MalformedXML")
			return
		}
		var deleted strings.Builder
		for _, o := range req.Objects {
			delete(objs, o.Key)
			if !req.Quiet {
				fmt.Fprintf(&deleted, "<Deleted><Key>%s</Key></Deleted>", o.Key)
			}
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</DeleteResult>`, deleted.String())
	default:
		f.s3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

func (f *fakeS3) serveObject(w http.ResponseWriter, r *http.Request, bucket, key string) {
	switch r.Method {
	case http.MethodPut:
		f.puts.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			f.s3Error(w, http.StatusBadRequest, "IncompleteBody")
			return
		}
		if f.failPuts.Load() {
			f.s3Error(w, http.StatusForbidden, "AccessDenied")
			return
		}
		if cl := r.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
			f.t.Errorf("PUT %s: Content-Length %q, body %d bytes", key, cl, len(body))
		}
		switch h := r.Header.Get("X-Amz-Content-Sha256"); h {
		case "UNSIGNED-PAYLOAD":
			f.unsigned.Add(1)
		default:
			sum := sha256.Sum256(body)
			if h != hex.EncodeToString(sum[:]) {
				f.t.Errorf("PUT %s: x-amz-content-sha256 %q does not match the body", key, h)
				f.s3Error(w, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
				return
			}
		}
		if v := r.Header.Get("X-Amz-Server-Side-Encryption"); v != "" {
			f.sseHeaders.Add(1)
			f.lastSSE.Store(v)
		}
		f.mu.Lock()
		objs, ok := f.buckets[bucket]
		if ok {
			objs[key] = body
		}
		f.mu.Unlock()
		if !ok {
			f.s3Error(w, http.StatusNotFound, "NoSuchBucket")
			return
		}
		w.Header().Set("ETag", `"fake"`)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		f.mu.Lock()
		body, ok := f.buckets[bucket][key]
		f.mu.Unlock()
		if !ok {
			f.s3Error(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("ETag", `"fake"`)
		_, _ = w.Write(body)
	default:
		f.s3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

// objectCount returns the number of objects in bucket and whether the
// bucket exists.
func (f *fakeS3) objectCount(bucket string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs, ok := f.buckets[bucket]
	return len(objs), ok
}

func (f *fakeS3) bucketNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for b := range f.buckets {
		names = append(names, b)
	}
	return names
}

func (f *fakeS3) createBucket(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buckets[name] = map[string][]byte{}
}
