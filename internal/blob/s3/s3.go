// Package s3 is a blob.Store in a bucket of any S3-compatible store that
// supports conditional writes (If-None-Match: *): AWS S3, another Kura
// (what the tests run against), others. It makes Kura an encryption-and-KMS
// gateway in front of storage a user already has.
//
// The blobs it receives are already ciphertext: the object service
// encrypts every object body (internal/sse, object.Service.put →
// encryptLayers) before it calls blob.Store.Put, so the backing store sees
// neither plaintext nor keys. Blob ids become object keys under a prefix:
// bucket "b", prefix "kura/" and blob id "01JB…" make the key
// "kura/01JB…". The backing bucket should hold nothing else under the
// prefix: Walk reports every key there that is a valid blob id, and the
// orphan sweep deletes those no metadata names.
//
// Put is all-or-nothing. A blob up to one part (Config.PartSize) is one
// PutObject; a longer one is a multipart upload, aborted on any failure so
// that no part is left behind (a crash between parts leaves an incomplete
// upload, which the backing store's own lifecycle rule
// AbortIncompleteMultipartUpload should clean; docs/blob-backends.md).
// Both are conditional writes (If-None-Match: *), so a blob is never
// overwritten and of two concurrent Puts of one id exactly one wins.
//
// Open GETs a blob's first 256 KiB — all of a small blob, so it is read
// with one request — and learns its size from Content-Range. Beyond those,
// a Reader keeps one streaming GET open and serves sequential ReadAts from
// it, and opens a new ranged GET when a read jumps elsewhere, so a 64 MiB
// object is two requests, not one per 64 KiB chunk. Later GETs carry
// If-Match with the ETag Open saw.
//
// Failures to reach the store — connection refused, timeouts, 5xx and
// throttling answers after the SDK's retries — wrap blob.ErrUnavailable,
// which the object service answers with 503 ServiceUnavailable.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/blob"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
)

const (
	// DefaultPartSize is the part size of multipart uploads and the
	// largest blob stored with one PutObject. 16 MiB: a Put holds one part
	// in memory, so it bounds a large upload's memory; S3's 10,000-part
	// limit then allows 156 GiB blobs, far beyond Kura's largest (a 5 GiB
	// PutObject or part plus encryption overhead: 321 parts); and each
	// part's request overhead (one round trip, one signature) is under 1%
	// at the throughput of a LAN or a region.
	DefaultPartSize = 16 << 20
	// MinPartSize is S3's smallest part but the last.
	MinPartSize = 5 << 20
	// MaxPartSize is S3's largest part.
	MaxPartSize = 5 << 30
)

// Config names a bucket and prefix and how to reach them.
type Config struct {
	Bucket string
	// Prefix is prepended to every blob id to make its key ("" or ending
	// in "/" by convention, but any string works).
	Prefix string
	// PartSize: DefaultPartSize when 0; MinPartSize..MaxPartSize.
	PartSize int64
}

// Store is a blob.Store in an S3 bucket. It is safe for concurrent use.
type Store struct {
	c        *awss3.Client
	bucket   string
	prefix   string
	partSize int64
	bufs     sync.Pool
}

var _ blob.Store = (*Store)(nil)

// New returns the store in cfg.Bucket under cfg.Prefix through client c.
// It sends no request; Check does.
func New(c *awss3.Client, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("blob/s3: no bucket")
	}
	ps := cfg.PartSize
	if ps == 0 {
		ps = DefaultPartSize
	}
	if ps < MinPartSize || ps > MaxPartSize {
		return nil, fmt.Errorf("blob/s3: part size %d is outside S3's %d..%d", ps, MinPartSize, MaxPartSize)
	}
	s := &Store{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix, partSize: ps}
	s.bufs.New = func() any { b := make([]byte, ps); return &b }
	return s, nil
}

// String names the store: s3://bucket/prefix.
func (s *Store) String() string { return "s3://" + s.bucket + "/" + s.prefix }

// PartSize returns the multipart part size.
func (s *Store) PartSize() int64 { return s.partSize }

// Check makes sure the bucket exists and these credentials may list it.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix, MaxKeys: aws.Int32(1)})
	if err != nil {
		return s.wrap("check bucket", "", err)
	}
	return nil
}

// HasData reports whether any object exists under the prefix (a blob or
// anything else).
func (s *Store) HasData(ctx context.Context) (bool, error) {
	out, err := s.c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix, MaxKeys: aws.Int32(1)})
	if err != nil {
		return false, s.wrap("list", "", err)
	}
	return len(out.Contents) > 0, nil
}

func (s *Store) key(id string) string { return s.prefix + id }

func checkID(id string) error {
	if !blobfs.ValidID(id) {
		return fmt.Errorf("%w: %q", blobfs.ErrInvalidID, id)
	}
	return nil
}

// Put stores r under id: one PutObject up to the part size, a multipart
// upload beyond. It returns blob.ErrExists if id is stored already (for a
// multipart upload found before anything is uploaded), and if a
// concurrent Put of id wins. A blob of one part costs one request: its
// conditional PutObject is the existence check.
func (s *Store) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Read into a small buffer first, and take a part-sized one only for
	// a blob that does not fit: most blobs are small, and a pool of
	// part-sized buffers would grow to one per concurrent Put.
	cr := ctxReader{ctx, r}
	sp := smallBufs.Get().(*[]byte)
	defer smallBufs.Put(sp)
	n, err := io.ReadFull(cr, *sp)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return s.putSingle(ctx, id, (*sp)[:n])
	case err != nil:
		return 0, fmt.Errorf("blob/s3: put %s: %w", id, err)
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	copy(buf, (*sp)[:n])
	m, err := io.ReadFull(cr, buf[n:])
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return s.putSingle(ctx, id, buf[:n+m])
	case err != nil:
		return 0, fmt.Errorf("blob/s3: put %s: %w", id, err)
	}
	key := s.key(id)
	if _, err := s.c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key}); err == nil {
		return 0, blob.ErrExists
	} else if !isNotFound(err) {
		return 0, s.wrap("put", id, err)
	}
	return s.putMultipart(ctx, id, buf, cr)
}

// smallLen is the first buffer of a Put: blobs up to it never touch a
// part-sized buffer.
const smallLen = 256 << 10

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallLen); return &b }}

func (s *Store) putSingle(ctx context.Context, id string, data []byte) (int64, error) {
	key := s.key(id)
	_, err := s.c.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), IfNoneMatch: aws.String("*"),
		ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		return 0, s.putFailed(ctx, id, err)
	}
	return int64(len(data)), nil
}

// putFailed turns the error of a conditional write into blob.ErrExists
// when another Put of id won.
func (s *Store) putFailed(ctx context.Context, id string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch code(err) {
	case "PreconditionFailed":
		return blob.ErrExists
	case "ConditionalRequestConflict":
		// Another conditional write of the key was in progress (AWS's
		// answer to a race): it exists now if that one won.
		key := s.key(id)
		if _, herr := s.c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key}); herr == nil {
			return blob.ErrExists
		}
	}
	return s.wrap("put", id, err)
}

// putMultipart uploads first (a full part) and the rest of r as a
// multipart upload, aborting it on any failure.
func (s *Store) putMultipart(ctx context.Context, id string, first []byte, r io.Reader) (n int64, err error) {
	key := s.key(id)
	up, err := s.c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		return 0, s.wrap("put", id, err)
	}
	uploadID := up.UploadId
	defer func() {
		if err == nil {
			return
		}
		// Abort with a context of its own: ctx may be what ended.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := s.c.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &key, UploadId: uploadID}); aerr != nil && !isNoSuchUpload(aerr) {
			err = fmt.Errorf("%w (and aborting multipart upload %s failed, so its parts stay until the bucket's AbortIncompleteMultipartUpload rule removes them: %v)", err, aws.ToString(uploadID), aerr)
		}
	}()
	var parts []types.CompletedPart
	buf := first
	for num := int32(1); ; num++ {
		out, perr := s.c.UploadPart(ctx, &awss3.UploadPartInput{
			Bucket: &s.bucket, Key: &key, UploadId: uploadID, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(buf), ContentLength: aws.Int64(int64(len(buf))),
		})
		if perr != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, s.wrap("put", id, perr)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num), ChecksumCRC32: out.ChecksumCRC32,
			ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME, ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256})
		n += int64(len(buf))
		buf = first[:cap(first)]
		m, rerr := io.ReadFull(r, buf)
		if rerr == io.EOF {
			break
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			return 0, fmt.Errorf("blob/s3: put %s: %w", id, rerr)
		}
		buf = buf[:m]
	}
	_, err = s.c.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: uploadID, IfNoneMatch: aws.String("*"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return 0, s.putFailed(ctx, id, err)
	}
	return n, nil
}

// headLen is how much of a blob Open reads at once: the whole of a small
// blob, so that reading it costs one request in all, and the encryption
// header and first chunks of a larger one.
const headLen = 256 << 10

// Open returns a reader for blob id. It GETs the first headLen bytes,
// which also tell the size and ETag (Content-Range); reads beyond them
// stream further GETs.
func (s *Store) Open(ctx context.Context, id string) (blob.Reader, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	key := s.key(id)
	rng := fmt.Sprintf("bytes=0-%d", headLen-1)
	out, err := s.c.GetObject(ctx, &awss3.GetObjectInput{Bucket: &s.bucket, Key: &key, Range: &rng})
	if err != nil {
		switch {
		case isNotFound(err):
			return nil, blob.ErrNotFound
		case status(err) == http.StatusRequestedRangeNotSatisfiable:
			return s.openEmpty(ctx, id, key) // a range of an empty object
		}
		return nil, s.wrap("open", id, err)
	}
	defer out.Body.Close()
	size := aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" {
		i := strings.LastIndexByte(cr, '/')
		n, perr := strconv.ParseInt(cr[i+1:], 10, 64)
		if i < 0 || perr != nil {
			return nil, fmt.Errorf("blob/s3: open %s (%s): unreadable Content-Range %q", id, s, cr)
		}
		size = n
	}
	head, err := io.ReadAll(io.LimitReader(out.Body, headLen))
	if err != nil {
		return nil, s.wrap("open", id, err)
	}
	if int64(len(head)) != min(size, headLen) {
		return nil, s.wrap("open", id, fmt.Errorf("got %d bytes of the first %d of a %d-byte blob", len(head), min(size, headLen), size))
	}
	return &Reader{s: s, ctx: ctx, id: id, key: key, size: size, etag: aws.ToString(out.ETag), head: head}, nil
}

func (s *Store) openEmpty(ctx context.Context, id, key string) (blob.Reader, error) {
	out, err := s.c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if isNotFound(err) {
			return nil, blob.ErrNotFound
		}
		return nil, s.wrap("open", id, err)
	}
	return &Reader{s: s, ctx: ctx, id: id, key: key, size: aws.ToInt64(out.ContentLength), etag: aws.ToString(out.ETag)}, nil
}

// Delete removes blob id; an absent one is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	key := s.key(id)
	_, err := s.c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil && !isNotFound(err) {
		return s.wrap("delete", id, err)
	}
	return nil
}

// Walk lists the prefix (ListObjectsV2, 1,000 keys a page) and reports
// every key that is a valid blob id. ModTime is S3's LastModified: the
// time the PutObject or CreateMultipartUpload was received, never before
// the Put began.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	p := awss3.NewListObjectsV2Paginator(s.c, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.wrap("walk", "", err)
		}
		for _, o := range page.Contents {
			id, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || !blobfs.ValidID(id) {
				continue
			}
			if err := fn(blob.Info{ID: id, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Reader reads one blob: its first bytes from memory (read by Open), the
// rest with ranged GETs. It keeps the body of the last GET open and serves
// a ReadAt that continues where the previous one ended from it; any other
// offset opens a new GET from there to the end. It is safe for concurrent
// use (reads beyond the head are serialized).
type Reader struct {
	s        *Store
	ctx      context.Context
	id, key  string
	size     int64
	etag     string
	head     []byte // the blob's first bytes; all of it for a small blob
	mu       sync.Mutex
	body     io.ReadCloser
	pos      int64 // offset of body's next byte
	closed   bool
	retrying bool
}

// Size returns the blob's length.
func (r *Reader) Size() int64 { return r.size }

// ReadAt reads len(p) bytes at off; a read reaching past the end returns
// the bytes before it and io.EOF.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("blob/s3: read %s: negative offset %d", r.id, off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := p
	var eof error
	if rest := r.size - off; int64(len(p)) > rest {
		want, eof = p[:rest], io.EOF
	}
	if off < int64(len(r.head)) {
		c := copy(want, r.head[off:])
		if c == len(want) {
			return c, eof
		}
		m, err := r.ReadAt(want[c:], off+int64(c))
		if err == io.EOF {
			err = nil
		}
		if err == nil {
			err = eof
		}
		return c + m, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, fmt.Errorf("blob/s3: read %s: reader closed", r.id)
	}
	n, err := r.read(want, off)
	if err != nil && n < len(want) {
		// A stream cut short (a dropped connection): one new GET.
		r.drop()
		m, err2 := r.read(want[n:], off+int64(n))
		n += m
		err = err2
	}
	if err != nil {
		r.drop()
		return n, err
	}
	return n, eof
}

func (r *Reader) read(p []byte, off int64) (int, error) {
	if r.body == nil || r.pos != off {
		r.drop()
		rng := fmt.Sprintf("bytes=%d-", off)
		out, err := r.s.c.GetObject(r.ctx, &awss3.GetObjectInput{Bucket: &r.s.bucket, Key: &r.key, Range: &rng, IfMatch: nonEmpty(r.etag)})
		if err != nil {
			if isNotFound(err) {
				return 0, fmt.Errorf("blob/s3: read %s: %w", r.id, blob.ErrNotFound)
			}
			return 0, r.s.wrap("read", r.id, err)
		}
		r.body, r.pos = out.Body, off
	}
	n, err := io.ReadFull(r.body, p)
	r.pos += int64(n)
	if err != nil {
		return n, r.s.wrap("read", r.id, fmt.Errorf("%w after %d of %d bytes at offset %d", err, n, len(p), off))
	}
	return n, nil
}

func (r *Reader) drop() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// Close releases the open GET, if any.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop()
	r.closed = true
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// code returns the S3 error code of err, "" when it is no API error.
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

func isNotFound(err error) bool {
	var nk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf) || status(err) == http.StatusNotFound && code(err) != "NoSuchBucket"
}

func isNoSuchUpload(err error) bool {
	var nu *types.NoSuchUpload
	return errors.As(err, &nu)
}

// wrap names the operation and blob in err, and marks it
// blob.ErrUnavailable when the store could not be reached or answered
// that it cannot serve now (5xx, throttling, a dropped connection): a
// client may retry. An answer that the request itself is wrong (403
// AccessDenied, 404 NoSuchBucket) is a configuration error the operator
// must fix; it stays a plain error.
func (s *Store) wrap(op, id string, err error) error {
	what := "blob/s3: " + op
	if id != "" {
		what += " " + id
	}
	what += " (" + s.String() + ")"
	st := status(err)
	var ae smithy.APIError
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	case st >= 500 || st == http.StatusTooManyRequests || code(err) == "SlowDown",
		!errors.As(err, &ae) && st == 0: // no answer at all: connection, DNS, TLS, a cut stream
		return &unavailableError{msg: what, err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unavailableError is a failure to reach the store; it is
// blob.ErrUnavailable and keeps the SDK's error for the logs.
type unavailableError struct {
	msg string
	err error
}

func (e *unavailableError) Error() string {
	return e.msg + ": backing store unavailable: " + e.err.Error()
}
func (e *unavailableError) Unwrap() []error { return []error{blob.ErrUnavailable, e.err} }

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
