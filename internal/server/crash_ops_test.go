package server_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The crash harness's clients: each worker owns its keys and sends one
// request at a time, so at most one request per key is cut off by a kill.

type crashWorker struct {
	h     *crashHarness
	id    int
	rng   *rand.Rand
	seq   int
	own   map[crashKind][]*crashKey
	opSeq int
}

// crashOps is the mix, with weights.
var crashOps = []struct {
	name   string
	weight int
	run    func(w *crashWorker, c *s3.Client) error
}{
	{"put", 6, func(w *crashWorker, c *s3.Client) error {
		if w.full() {
			return w.deleteCurrent(c, kindPlain)
		}
		return w.putVersion(c, w.newKey(kindPlain, "o"))
	}},
	{"overwrite", 2, func(w *crashWorker, c *s3.Client) error {
		if k := w.pickKey(kindPlain, func(*crashKey) bool { return true }); k != nil {
			return w.putVersion(c, k)
		}
		return nil
	}},
	{"copy", 2, func(w *crashWorker, c *s3.Client) error {
		if src := w.pickKey(kindPlain, hasData); src != nil && !w.full() {
			return w.copyTo(c, src, w.newKey(kindPlain, "c"))
		}
		return nil
	}},
	{"uoe", 2, func(w *crashWorker, c *s3.Client) error { return w.uoe(c, kindPlain) }},
	{"delete", 2, func(w *crashWorker, c *s3.Client) error { return w.deleteCurrent(c, kindPlain) }},
	{"multipart", 1, func(w *crashWorker, c *s3.Client) error { return w.multipart(c, w.newKey(kindPlain, "m"), true) }},
	{"multipart-abandoned", 1, func(w *crashWorker, c *s3.Client) error { return w.multipart(c, w.newKey(kindPlain, "a"), false) }},
	{"abort", 1, func(w *crashWorker, c *s3.Client) error { return w.abort(c) }},
	{"versioned-put", 3, func(w *crashWorker, c *s3.Client) error {
		if k := w.verKey(); len(k.state.Versions) < crashMaxVersions {
			return w.putVersion(c, k)
		}
		return w.deleteVersion(c)
	}},
	{"versioned-delete", 1, func(w *crashWorker, c *s3.Client) error { return w.deleteCurrent(c, kindVer) }},
	{"versioned-delete-version", 1, func(w *crashWorker, c *s3.Client) error { return w.deleteVersion(c) }},
	{"versioned-copy", 1, func(w *crashWorker, c *s3.Client) error {
		if src := w.pickKey(kindVer, hasData); src != nil {
			return w.copyTo(c, src, w.verKey())
		}
		return nil
	}},
	{"versioned-uoe", 1, func(w *crashWorker, c *s3.Client) error { return w.uoe(c, kindVer) }},
	{"lifecycle-expire", 2, func(w *crashWorker, c *s3.Client) error { return w.putVersion(c, w.newKey(kindLCExp, "exp/")) }},
	{"lifecycle-transition", 2, func(w *crashWorker, c *s3.Client) error { return w.putVersion(c, w.newKey(kindLCTr, "tr/")) }},
	{"lifecycle-upload", 1, func(w *crashWorker, c *s3.Client) error { return w.multipart(c, w.newKey(kindLCUp, "up/"), false) }},
	{"lifecycle-versions", 2, func(w *crashWorker, c *s3.Client) error { return w.putVersion(c, w.newKey(kindLCV, "")) }},
}

// Bounds on what a worker keeps, so that the checks of a long run do not
// slow down round after round: beyond them, writes turn into deletes.
const (
	crashMaxLive     = 100 // objects in crash-plain
	crashMaxVersions = 12  // versions and delete markers of one key in crash-ver
)

// full reports whether the worker holds crashMaxLive objects in
// crash-plain.
func (w *crashWorker) full() bool {
	n := 0
	for _, k := range w.own[kindPlain] {
		if hasData(k) {
			n++
		}
	}
	return n >= crashMaxLive
}

// run sends requests until the kill. It returns an error only for a
// request that failed or was answered wrongly while the server was up.
func (w *crashWorker) run(c *s3.Client, killed *atomic.Bool) error {
	total := 0
	for _, op := range crashOps {
		total += op.weight
	}
	for !killed.Load() {
		n := w.rng.IntN(total)
		i := 0
		for n >= crashOps[i].weight {
			n -= crashOps[i].weight
			i++
		}
		err := crashOps[i].run(w, c)
		var wrong *crashWrong
		switch {
		case err == nil:
		case errors.As(err, &wrong), answered(err), !killed.Load():
			return fmt.Errorf("%s: %w", crashOps[i].name, err)
		default:
			return nil // cut off by the kill: the key keeps it as in flight
		}
	}
	return nil
}

// answered reports whether err carries an HTTP response: the server
// answered, so the request was not cut off by the kill.
func answered(err error) bool {
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() != 0
}

// crashWrong is an answer that contradicts the request.
type crashWrong struct{ msg string }

func (e *crashWrong) Error() string { return e.msg }

func wrongf(format string, args ...any) error { return &crashWrong{fmt.Sprintf(format, args...)} }

// apply sends one request on k. The request's outcome, had it been
// applied, is after; call sends it and fills in what the answer tells
// (version and upload ids, ETags). Until the answer is in, the request is
// k's in-flight request: a kill leaves it there for the check to resolve.
func (w *crashWorker) apply(k *crashKey, event string, after crashState, call func(after *crashState) error) error {
	k.inflight = &crashPending{event: event, after: after}
	if err := call(&k.inflight.after); err != nil {
		if answered(err) {
			k.inflight = nil // S3 applies nothing of a request it refuses
			k.history = append(k.history, fmt.Sprintf("r%d %s refused: %v", w.h.round, event, err))
		} else {
			k.history = append(k.history, fmt.Sprintf("r%d %s unanswered → %s", w.h.round, event, fmtState(k.inflight.after)))
		}
		return err
	}
	k.history = append(k.history, fmt.Sprintf("r%d %s → %s", w.h.round, event, fmtState(k.inflight.after)))
	k.state, k.inflight = k.inflight.after, nil
	k.events[event]++
	w.h.mu.Lock()
	w.h.stats.acked[event]++
	w.h.mu.Unlock()
	return nil
}

// newKey is a key of kind no request has named yet. Lifecycle keys start
// with their rule's prefix.
func (w *crashWorker) newKey(kind crashKind, prefix string) *crashKey {
	w.seq++
	name := fmt.Sprintf("w%d/%s%05d", w.id, prefix, w.seq)
	if kind >= kindLCExp {
		name = fmt.Sprintf("%sw%d/%05d", prefix, w.id, w.seq)
	}
	k := &crashKey{bucket: crashBuckets[kind], key: name, kind: kind, events: map[string]int{}, verified: map[string]bool{}}
	if w.own == nil {
		w.own = map[crashKind][]*crashKey{}
	}
	w.own[kind] = append(w.own[kind], k)
	w.h.addKey(k)
	return k
}

// verKey is one of the worker's four keys in the versioned bucket, where
// versions and delete markers pile up.
func (w *crashWorker) verKey() *crashKey {
	if len(w.own[kindVer]) < 4 {
		return w.newKey(kindVer, "v")
	}
	return w.own[kindVer][w.rng.IntN(4)]
}

// pickKey is a random key of the worker's of kind that ok accepts, or nil.
func (w *crashWorker) pickKey(kind crashKind, ok func(*crashKey) bool) *crashKey {
	var cands []*crashKey
	for _, k := range w.own[kind] {
		if ok(k) {
			cands = append(cands, k)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[w.rng.IntN(len(cands))]
}

func hasData(k *crashKey) bool {
	v, ok := k.state.current()
	return ok && !v.Marker
}

func (w *crashWorker) opID() string {
	w.opSeq++
	return fmt.Sprintf("r%d-w%d-%d", w.h.round, w.id, w.opSeq)
}

// crashSizes are the object sizes, around the 64 KiB chunks of the blob
// format among them; the list's repetitions weigh the small ones.
var crashSizes = []int{0, 1, 1000, 1000, 4096, 20_000, 65535, 65536, 65537, 100_000, 100_000, 300_000, 1_000_000}

func (w *crashWorker) data(n int) []byte {
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		v := w.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b[:n]
}

func (w *crashWorker) objectData(kind crashKind) []byte {
	n := crashSizes[w.rng.IntN(len(crashSizes))]
	if kind == kindLCTr && n == 0 {
		n = 1 // the transition rule filters on size > 0
	}
	return w.data(n)
}

// pickSSE chooses a request's encryption: none (the default, SSE-S3),
// SSE-S3, SSE-KMS with or without a bucket key, DSSE-KMS or SSE-C.
func (w *crashWorker) pickSSE() (req, want crashSSE) {
	key := w.h.keyA
	if w.rng.IntN(2) == 0 {
		key = w.h.keyB
	}
	switch w.rng.IntN(6) {
	case 0:
		return crashSSE{}, crashSSE{Type: "AES256"}
	case 1:
		req = crashSSE{Type: "AES256"}
	case 2, 3:
		req = crashSSE{Type: "aws:kms", Key: key, BK: w.rng.IntN(2) == 0}
	case 4:
		req = crashSSE{Type: "aws:kms:dsse", Key: key}
	default:
		req = crashSSE{Type: "SSE-C"}
	}
	return req, req
}

// sseFields are a request's encryption headers.
type sseFields struct {
	sse           types.ServerSideEncryption
	keyID         *string
	bk            *bool
	alg, key, md5 *string
}

func (h *crashHarness) sseFields(s crashSSE) sseFields {
	switch s.Type {
	case "":
		return sseFields{}
	case "SSE-C":
		return h.ssecFields()
	}
	f := sseFields{sse: types.ServerSideEncryption(s.Type)}
	if s.Key != "" {
		f.keyID = aws.String(s.Key)
	}
	if s.Type == "aws:kms" {
		f.bk = aws.Bool(s.BK)
	}
	return f
}

func (h *crashHarness) ssecFields() sseFields {
	return sseFields{alg: aws.String("AES256"), key: aws.String(h.ssecKey), md5: aws.String(h.ssecMD)}
}

// answeredSSE is the encryption an answer or HEAD reports.
func answeredSSE(sse types.ServerSideEncryption, keyID *string, bk *bool, alg *string) crashSSE {
	if aws.ToString(alg) != "" {
		return crashSSE{Type: "SSE-C"}
	}
	s := crashSSE{Type: string(sse), Key: aws.ToString(keyID)}
	if sse == types.ServerSideEncryptionAwsKms {
		s.BK = aws.ToBool(bk)
	}
	return s
}

func versionOf(id *string) string {
	if id == nil {
		return "null"
	}
	return *id
}

// putVersion PUTs new data to k.
func (w *crashWorker) putVersion(c *s3.Client, k *crashKey) error {
	data := w.objectData(k.kind)
	req, want := w.pickSSE()
	op := w.opID()
	in := &s3.PutObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), Body: bytes.NewReader(data),
		Metadata: map[string]string{"op": op}}
	f := w.h.sseFields(req)
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = f.sse, f.keyID, f.bk
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = f.alg, f.key, f.md5
	v := crashVersion{Op: op, Sum: sha256hex(data), Size: int64(len(data)), SSE: want, Class: "STANDARD"}
	return w.apply(k, "PutObject", k.withVersion(v), func(after *crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		out, err := c.PutObject(cx, in)
		if err != nil {
			return err
		}
		if got := answeredSSE(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, out.SSECustomerAlgorithm); got != want {
			return wrongf("PutObject %s/%s answered encryption %+v for %+v", k.bucket, k.key, got, want)
		}
		after.Versions[0].VID = versionOf(out.VersionId)
		return nil
	})
}

// copyTo copies src's current version to dst, with new metadata and an
// encryption of its own.
func (w *crashWorker) copyTo(c *s3.Client, src, dst *crashKey) error {
	sv, _ := src.state.current()
	req, want := w.pickSSE()
	op := w.opID()
	source := src.bucket + "/" + src.key
	if src.kind.versioned() {
		source += "?versionId=" + sv.VID
	}
	in := &s3.CopyObjectInput{Bucket: aws.String(dst.bucket), Key: aws.String(dst.key), CopySource: aws.String(source),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"op": op}}
	f := w.h.sseFields(req)
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled = f.sse, f.keyID, f.bk
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = f.alg, f.key, f.md5
	if sv.SSE.Type == "SSE-C" {
		s := w.h.ssecFields()
		in.CopySourceSSECustomerAlgorithm, in.CopySourceSSECustomerKey, in.CopySourceSSECustomerKeyMD5 = s.alg, s.key, s.md5
	}
	v := crashVersion{Op: op, Sum: sv.Sum, Size: sv.Size, SSE: want, Class: "STANDARD"}
	return w.apply(dst, "CopyObject", dst.withVersion(v), func(after *crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		out, err := c.CopyObject(cx, in)
		if err != nil {
			return err
		}
		if got := answeredSSE(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, out.SSECustomerAlgorithm); got != want {
			return wrongf("CopyObject %s → %s/%s answered encryption %+v for %+v", source, dst.bucket, dst.key, got, want)
		}
		after.Versions[0].VID = versionOf(out.VersionId)
		return nil
	})
}

// uoe moves a version encrypted with SSE-S3 or SSE-KMS to the other KMS
// key (the current version on an unversioned bucket, any on a versioned
// one).
func (w *crashWorker) uoe(c *s3.Client, kind crashKind) error {
	eligible := func(v crashVersion) bool {
		return !v.Marker && (v.SSE.Type == "AES256" || v.SSE.Type == "aws:kms")
	}
	k := w.pickKey(kind, func(k *crashKey) bool {
		return slices.ContainsFunc(k.state.Versions, eligible)
	})
	if k == nil {
		return nil
	}
	var idx []int
	for i, v := range k.state.Versions {
		if eligible(v) {
			idx = append(idx, i)
		}
	}
	i := idx[w.rng.IntN(len(idx))]
	v := k.state.Versions[i]
	target := crashSSE{Type: "aws:kms", Key: w.h.keyA, BK: w.rng.IntN(2) == 0}
	if v.SSE.Key == w.h.keyA {
		target.Key = w.h.keyB
	}
	after := k.state.clone()
	after.Versions[i].SSE = target
	vid := ""
	if kind.versioned() {
		vid = v.VID
	}
	return w.apply(k, "UpdateObjectEncryption", after, func(*crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		_, err := c.UpdateObjectEncryption(cx, uoeInput(k.bucket, k.key, vid, target.Key, target.BK))
		return err
	})
}

// deleteCurrent is a DeleteObject without a version id: the object goes
// from an unversioned bucket, a delete marker goes on top in a versioned
// one.
func (w *crashWorker) deleteCurrent(c *s3.Client, kind crashKind) error {
	var k *crashKey
	if kind == kindVer {
		k = w.verKey()
	} else if k = w.pickKey(kind, hasData); k == nil {
		return nil // deleting what is not there changes nothing: no event to expect
	}
	after := k.state.clone()
	if kind.versioned() {
		after.Versions = append([]crashVersion{{Marker: true}}, after.Versions...)
	} else {
		after.Versions = nil
	}
	return w.apply(k, "DeleteObject", after, func(after *crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		out, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key)})
		if err != nil {
			return err
		}
		if kind.versioned() {
			if !aws.ToBool(out.DeleteMarker) || out.VersionId == nil {
				return wrongf("DeleteObject %s/%s on a versioned bucket: delete marker %v, version %v", k.bucket, k.key, out.DeleteMarker, out.VersionId)
			}
			after.Versions[0].VID = *out.VersionId
		}
		return nil
	})
}

// deleteVersion deletes one version or delete marker for good.
func (w *crashWorker) deleteVersion(c *s3.Client) error {
	k := w.pickKey(kindVer, func(k *crashKey) bool { return len(k.state.Versions) > 0 })
	if k == nil {
		return nil
	}
	i := w.rng.IntN(len(k.state.Versions))
	vid := k.state.Versions[i].VID
	after := k.state.clone()
	after.Versions = append(after.Versions[:i:i], after.Versions[i+1:]...)
	return w.apply(k, "DeleteObject", after, func(*crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		_, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), VersionId: aws.String(vid)})
		return err
	})
}

// multipart creates an upload on k, uploads its parts and, with complete,
// completes it. One upload in four has a 5 MiB first part and a second
// one; the others one part. Lifecycle uploads may be aborted by the
// lifecycle runner between two requests: S3 then answers NoSuchUpload.
func (w *crashWorker) multipart(c *s3.Client, k *crashKey, complete bool) error {
	req, want := w.pickSSE()
	op := w.opID()
	f := w.h.sseFields(req)
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), Metadata: map[string]string{"op": op}}
	create.ServerSideEncryption, create.SSEKMSKeyId, create.BucketKeyEnabled = f.sse, f.keyID, f.bk
	create.SSECustomerAlgorithm, create.SSECustomerKey, create.SSECustomerKeyMD5 = f.alg, f.key, f.md5
	after := k.state.clone()
	after.Uploads = append(after.Uploads, crashUpload{})
	var id string
	err := w.apply(k, "CreateMultipartUpload", after, func(after *crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		out, err := c.CreateMultipartUpload(cx, create)
		if err != nil {
			return err
		}
		if got := answeredSSE(out.ServerSideEncryption, out.SSEKMSKeyId, out.BucketKeyEnabled, out.SSECustomerAlgorithm); got != want {
			return wrongf("CreateMultipartUpload %s/%s answered encryption %+v for %+v", k.bucket, k.key, got, want)
		}
		id = aws.ToString(out.UploadId)
		after.Uploads[len(after.Uploads)-1].ID = id
		return nil
	})
	if err != nil {
		return err
	}
	sizes := []int{1 + w.rng.IntN(300_000)}
	if w.rng.IntN(4) == 0 {
		sizes = []int{5 << 20, w.rng.IntN(100_000)}
	}
	var all []byte
	var parts []types.CompletedPart
	ssec := sseFields{}
	if req.Type == "SSE-C" {
		ssec = w.h.ssecFields()
	}
	for i, size := range sizes {
		n := int32(i + 1)
		data := w.data(size)
		all = append(all, data...)
		after := k.state.clone()
		u := &after.Uploads[len(after.Uploads)-1]
		u.Parts = append(u.Parts, crashPart{N: n, Size: int64(size)})
		err := w.apply(k, "UploadPart", after, func(after *crashState) error {
			cx, cancel := crashCtx()
			defer cancel()
			out, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), UploadId: aws.String(id),
				PartNumber: aws.Int32(n), Body: bytes.NewReader(data),
				SSECustomerAlgorithm: ssec.alg, SSECustomerKey: ssec.key, SSECustomerKeyMD5: ssec.md5})
			if err != nil {
				return err
			}
			u := &after.Uploads[len(after.Uploads)-1]
			u.Parts[len(u.Parts)-1].ETag = aws.ToString(out.ETag)
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
			return nil
		})
		if k.kind == kindLCUp && apiCode(err) == "NoSuchUpload" {
			return nil // the lifecycle runner was faster
		}
		if err != nil {
			return err
		}
	}
	if !complete {
		return nil
	}
	v := crashVersion{Op: op, Sum: sha256hex(all), Size: int64(len(all)), SSE: want, Class: "STANDARD"}
	done := k.withVersion(v)
	done.Uploads = done.Uploads[:len(done.Uploads)-1]
	return w.apply(k, "CompleteMultipartUpload", done, func(after *crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		out, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key),
			UploadId: aws.String(id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
			SSECustomerAlgorithm: ssec.alg, SSECustomerKey: ssec.key, SSECustomerKeyMD5: ssec.md5})
		if err != nil {
			return err
		}
		after.Versions[0].VID = versionOf(out.VersionId)
		return nil
	})
}

// abort aborts one of the worker's incomplete uploads.
func (w *crashWorker) abort(c *s3.Client) error {
	k := w.pickKey(kindPlain, func(k *crashKey) bool { return len(k.state.Uploads) > 0 })
	if k == nil {
		return nil
	}
	id := k.state.Uploads[0].ID
	after := k.state.clone()
	after.Uploads = after.Uploads[1:]
	return w.apply(k, "AbortMultipartUpload", after, func(*crashState) error {
		cx, cancel := crashCtx()
		defer cancel()
		_, err := c.AbortMultipartUpload(cx, &s3.AbortMultipartUploadInput{Bucket: aws.String(k.bucket), Key: aws.String(k.key), UploadId: aws.String(id)})
		return err
	})
}
