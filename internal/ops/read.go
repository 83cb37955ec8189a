package ops

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var (
	specGetObject = spec{name: "GetObject", existingTags: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetObject"}, versionActions: []string{"s3:GetObjectVersion"}}
	specHeadObject = spec{name: "HeadObject", existingTags: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetObject"}, versionActions: []string{"s3:GetObjectVersion"}}
)

const statusPartialContent = 206

// httpTimeFormat is the date format of HTTP headers (net/http's
// TimeFormat; ops does not import net/http).
const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// ReadConditions are the conditions of a read (If-Match,
// If-Unmodified-Since, If-None-Match, If-Modified-Since); empty or zero
// when not set.
type ReadConditions struct {
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince time.Time
}

// Check evaluates the conditions against a version in S3's order: a
// failed If-Match or If-Unmodified-Since is PreconditionFailed, a
// matching If-None-Match or an unchanged If-Modified-Since NotModified
// (carrying the ETag and Last-Modified S3 sends with it). S3 compares
// times to the second.
func (c ReadConditions) Check(etag string, mtime time.Time) error {
	mtime = mtime.Truncate(time.Second)
	if c.IfMatch != "" {
		if !object.ETagMatches(c.IfMatch, etag) {
			return s3err.PreconditionFailed.With("Condition", "If-Match")
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mtime.After(c.IfUnmodifiedSince) {
		return s3err.PreconditionFailed.With("Condition", "If-Unmodified-Since")
	}
	// Built only when it is the answer: it was three allocations of
	// every read.
	notModified := func() error {
		return s3err.NotModified.WithHeader("ETag", `"`+etag+`"`).WithHeader("Last-Modified", mtime.UTC().Format(httpTimeFormat))
	}
	if c.IfNoneMatch != "" {
		if object.ETagMatches(c.IfNoneMatch, etag) {
			return notModified()
		}
	} else if !c.IfModifiedSince.IsZero() && !mtime.After(c.IfModifiedSince) {
		return notModified()
	}
	return nil
}

// ReadInput is GetObject's and HeadObject's.
type ReadInput struct {
	Target
	// CustomerKey is the SSE-C key of an object stored with one (32
	// bytes); it is only used to open the object, never kept or logged.
	CustomerKey []byte
	// PartNumber reads one part (1-based; part 1 of an object uploaded
	// in one piece is all of it); 0 reads by Range.
	PartNumber int
	// Range is S3's Range value ("bytes=0-9", "bytes=-5"); "" or one S3
	// does not honour reads the whole object. It cannot go with
	// PartNumber.
	Range string
	Cond  ReadConditions
	// Check, when set, is a further check of the version found before
	// its conditions are evaluated (the HTTP front's rules about the
	// request's signature).
	Check func(v *kura.ObjectVersion) error
}

// ReadResult is what GetObject or HeadObject found.
type ReadResult struct {
	// Version is the version read; its Encryption carries no key
	// material (PublicEncryption).
	Version *kura.ObjectVersion
	// Offset and Length are the bytes answered.
	Offset, Length int64
	// Partial says a range or a part is answered (S3's 206 with
	// Content-Range); Whole that the entire object is, so its checksum
	// may be returned.
	Partial, Whole bool
	// PartsCount is the object's number of parts when a part of a
	// multipart object is read; 0 otherwise.
	PartsCount int
	// Restore and RestoreExpiry are the version's archive restore state.
	Restore       object.RestoreState
	RestoreExpiry time.Time
	// Body is the data (GetObject only), decrypted as it is read: the
	// caller must close it. Without a front the operation's event and
	// metrics are recorded when it is closed, with the bytes read.
	Body io.ReadCloser
}

// checkReadInput refuses what S3 refuses before looking at the object.
func checkReadInput(in ReadInput) error {
	if n := in.PartNumber; n < 0 || n > object.MaxParts {
		return s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive").
			With("ArgumentName", "partNumber").With("ArgumentValue", strconv.Itoa(n))
	}
	if in.PartNumber > 0 && in.Range != "" {
		return s3err.InvalidRequest.WithMessage("Cannot specify both Range header and partNumber query parameter")
	}
	return nil
}

// ParseRange resolves a Range value against an object size: ok is false
// when it is empty or not one S3 honours (S3 then serves the whole
// object); an unsatisfiable range is InvalidRange.
func ParseRange(v string, size int64) (off, n int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if v == "" || !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	unsat := s3err.InvalidRange.With("RangeRequested", v).With("ActualObjectSize", strconv.FormatInt(size, 10)).
		WithHeader("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
	if first == "" {
		k, err := strconv.ParseInt(last, 10, 64)
		if err != nil || k < 0 {
			return 0, 0, false, nil
		}
		if k == 0 {
			return 0, 0, false, unsat
		}
		if size == 0 {
			// The last N bytes of an empty object are all of it: S3
			// answers 200 with the empty body (ranged downloaders of
			// empty files send bytes=-N).
			return 0, 0, false, nil
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	end := size - 1
	var err2 error
	if last != "" {
		end, err2 = strconv.ParseInt(last, 10, 64)
	}
	if err1 != nil || err2 != nil || start < 0 {
		return 0, 0, false, nil
	}
	if last != "" && end < start {
		return 0, 0, false, nil // syntactically invalid: S3 serves the whole object, also an empty one
	}
	if start >= size {
		return 0, 0, false, unsat
	}
	end = min(end, size-1)
	return start, end - start + 1, true, nil
}

// readRange resolves the part or range to read of v.
func readRange(in ReadInput, v *kura.ObjectVersion, res *ReadResult) error {
	if n := in.PartNumber; n > 0 {
		off, size, err := object.PartRange(v, n)
		if err != nil {
			return err
		}
		res.Offset, res.Length = off, size
		if len(v.Parts) == 0 {
			// Part 1 of an object uploaded in one piece is all of it, but
			// S3 still answers it as a range and names no part count.
			res.Partial, res.Whole = size > 0, true
			return nil
		}
		res.Partial, res.PartsCount = true, len(v.Parts)
		return nil
	}
	off, n, ok, err := ParseRange(in.Range, v.Size)
	if err != nil {
		return err
	}
	if !ok {
		res.Offset, res.Length, res.Whole = 0, v.Size, true
		return nil
	}
	res.Offset, res.Length, res.Partial, res.Whole = off, n, true, off == 0 && n == v.Size
	return nil
}

// kmsNeedsSigV4 is S3's rule that reads of SSE-KMS (and DSSE-KMS)
// objects are signed with Signature Version 4: SigV2 signs neither the
// host nor the payload, and the KMS serves no anonymous caller.
var errKMSNeedsSigV4 = s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.").
	With("ArgumentName", "Authorization")

// plan finds the version a read addresses and resolves what is answered.
func (s *Service) plan(ctx context.Context, r *run, in ReadInput, get bool) (*kura.ObjectVersion, ReadResult, error) {
	if err := r.authorize(ctx); err != nil {
		return nil, ReadResult{}, err
	}
	if err := checkReadInput(in); err != nil {
		return nil, ReadResult{}, err
	}
	v, err := s.obj.Head(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return nil, ReadResult{}, err
	}
	if in.Check != nil {
		if err := in.Check(v); err != nil {
			return nil, ReadResult{}, err
		}
	}
	if err := object.CheckCustomerKey(v.Encryption, in.CustomerKey); err != nil {
		return nil, ReadResult{}, err
	}
	if t := v.Encryption.Type; get && (t == kura.SSEKMS || t == kura.SSEDSSE) &&
		(r.call.Source.SignatureVersion == "SigV2" || r.call.Principal.IsAnonymous()) {
		return nil, ReadResult{}, errKMSNeedsSigV4
	}
	if err := in.Cond.Check(v.ETag, v.LastModified); err != nil {
		return nil, ReadResult{}, err
	}
	var res ReadResult
	if err := readRange(in, v, &res); err != nil {
		return nil, ReadResult{}, err
	}
	res.Restore, res.RestoreExpiry = s.obj.RestoreStatus(v)
	pub := *v
	pub.Encryption = PublicEncryption(v.Encryption)
	res.Version = &pub
	return v, res, nil
}

// ErrKMSNeedsSigV4 is GetObject's refusal of an SSE-KMS object to a
// caller that did not sign with Signature Version 4; the website
// endpoint, whose requests are all anonymous, answers it as AccessDenied.
func ErrKMSNeedsSigV4() error { return errKMSNeedsSigV4 }

// HeadObject returns what a GET of the same input would answer, without
// the data.
func (s *Service) HeadObject(ctx context.Context, call kura.Call, in ReadInput) (ReadResult, error) {
	r, ctx := s.begin(ctx, call, specHeadObject, in.Target, nil)
	_, res, err := s.plan(ctx, r, in, false)
	status := r.spec.status
	if err == nil && res.Partial {
		status = statusPartialContent
	}
	return res, r.finish(status, err)
}

// GetObject reads an object version, or a range or part of it: the data
// is decrypted as Body is read, never buffered whole. Without a front
// the operation is recorded when Body is closed (its bytes out, and an
// error met while reading).
func (s *Service) GetObject(ctx context.Context, call kura.Call, in ReadInput) (ReadResult, error) {
	r, ctx := s.begin(ctx, call, specGetObject, in.Target, nil)
	v, res, err := s.plan(ctx, r, in, true)
	if err == nil {
		res.Body, err = s.obj.Open(ctx, v, res.Offset, res.Length, object.KeyAccess{Caller: r.call, CustomerKey: in.CustomerKey})
	}
	if err != nil {
		return ReadResult{}, r.finish(r.spec.status, err)
	}
	if r.front != nil {
		return res, nil
	}
	status := r.spec.status
	if res.Partial {
		status = statusPartialContent
	}
	res.Body = &readBody{ReadCloser: res.Body, r: r, status: status}
	return res, nil
}

// readBody is a GetObject's body read without a front: it counts the
// bytes read and finishes the operation when closed.
type readBody struct {
	io.ReadCloser
	r      *run
	status int
	n      int64
	err    error
	once   sync.Once
}

func (b *readBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.count(int64(n), err)
	return n, err
}

// WriteTo keeps the body's own WriteTo (decrypted batches written
// straight from its buffer) when it has one.
func (b *readBody) WriteTo(w io.Writer) (int64, error) {
	wt, ok := b.ReadCloser.(io.WriterTo)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{b})
	}
	n, err := wt.WriteTo(w)
	b.count(n, err)
	return n, err
}

func (b *readBody) count(n int64, err error) {
	b.n += n
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
}

func (b *readBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.r.rec.BytesOut = b.n
		b.r.rec.AdditionalEventData["bytesTransferredOut"] = b.n
		_ = b.r.finish(b.status, b.err)
	})
	return err
}
