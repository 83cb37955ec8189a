package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kurastore/kura/internal/s3err"
)

// x-amz-content-sha256 values.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSA           = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSATrailer    = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

	// maxBufferedBody caps the bodies of non-S3 services (KMS, IAM, STS),
	// which must be hashed before the signature can be checked.
	maxBufferedBody = 1 << 20
)

type payloadMode int

const (
	modePlain           payloadMode = iota // unsigned or unknown: pass through
	modeHash                               // verify the SHA-256 at EOF
	modeBuffered                           // non-S3 body, already read and hashed
	modeSignedChunks                       // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
	modeSignedTrailer                      // ...-PAYLOAD-TRAILER
	modeUnsignedTrailer                    // STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

// payload is the body's plan: the hash that goes into the canonical request
// and how Body will decode and verify it.
type payload struct {
	mode     payloadMode
	hash     string // canonical-request payload hash
	sum      []byte // modeHash: expected SHA-256
	body     io.ReadCloser
	declared int64 // aws-chunked: x-amz-decoded-content-length, or -1
	trailers []string
}

func contentSHA256Header(r *http.Request) string { return r.Header.Get("X-Amz-Content-Sha256") }

// preparePayload decides the payload mode before the signature is checked.
// For S3 the client states the hash (or a streaming mode) in
// x-amz-content-sha256; other services sign the real body hash, so their
// small bodies are read here.
func preparePayload(r *http.Request, service, contentSHA string) (*payload, error) {
	if service != "s3" {
		return bufferBody(r, contentSHA)
	}
	if contentSHA == "" {
		return nil, errMissingContentSHA
	}
	return classify(r, contentSHA)
}

func classify(r *http.Request, v string) (*payload, error) {
	p := &payload{hash: v, body: r.Body, declared: r.ContentLength}
	switch v {
	case unsignedPayload:
		p.mode = modePlain
		return p, nil
	case streamingSigned:
		p.mode = modeSignedChunks
	case streamingSignedTrailer:
		p.mode = modeSignedTrailer
	case streamingUnsignedTrailer:
		p.mode = modeUnsignedTrailer
	case streamingECDSA, streamingECDSATrailer:
		return nil, errSigV4a
	default:
		sum, ok := decodeSHA256(v)
		if !ok {
			return nil, badContentSHA(v)
		}
		p.mode, p.sum = modeHash, sum
		return p, nil
	}
	return p, p.chunkHeaders(r)
}

// chunkHeaders reads the aws-chunked companions of x-amz-content-sha256.
func (p *payload) chunkHeaders(r *http.Request) error {
	p.declared = -1 // Content-Length counts the framing, not the payload
	if s := r.Header.Get("X-Amz-Decoded-Content-Length"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return s3err.InvalidArgument.WithMessage("Invalid x-amz-decoded-content-length").
				With("ArgumentName", "x-amz-decoded-content-length").With("ArgumentValue", clip(s))
		}
		p.declared = n
	}
	for _, v := range r.Header.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				p.trailers = append(p.trailers, name)
			}
		}
	}
	if len(p.trailers) > maxTrailers {
		return badTrailer("Too many headers in x-amz-trailer")
	}
	return nil
}

func decodeSHA256(v string) ([]byte, bool) {
	if len(v) != 64 {
		return nil, false
	}
	sum, err := hex.DecodeString(v)
	return sum, err == nil
}

// bufferBody reads a non-S3 body (at most maxBufferedBody) and settles the
// payload hash. An explicit x-amz-content-sha256 is honoured if it is
// UNSIGNED-PAYLOAD or the correct hash.
func bufferBody(r *http.Request, contentSHA string) (*payload, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBufferedBody+1))
	if err != nil {
		return nil, readError(err)
	}
	if len(data) > maxBufferedBody {
		return nil, errBodyTooLarge
	}
	sum := sha256.Sum256(data)
	p := &payload{mode: modeBuffered, hash: hex.EncodeToString(sum[:]), declared: int64(len(data)),
		body: readCloser{bytes.NewReader(data), r.Body}}
	switch want, isHash := decodeSHA256(contentSHA); {
	case contentSHA == "":
	case contentSHA == unsignedPayload:
		p.hash = contentSHA
	case !isHash:
		return nil, badContentSHA(contentSHA)
	case !bytes.Equal(want, sum[:]):
		return nil, s3err.XAmzContentSHA256Mismatch
	default:
		p.hash = contentSHA
	}
	return p, nil
}

// attach fills in the body-related fields of res.
func (p *payload) attach(res *Result, signer *chunkSigner) {
	res.Trailer = func() http.Header { return nil }
	res.DecodedLength = p.declared
	switch p.mode {
	case modePlain:
		res.Body = &plainReader{rc: p.body}
	case modeHash:
		res.Body = &hashReader{plainReader: plainReader{rc: p.body}, h: sha256.New(), want: p.sum}
	case modeBuffered:
		res.Body = p.body
	default:
		if p.mode == modeUnsignedTrailer {
			signer = nil
		}
		cr := newChunkedReader(p.body, signer, p.mode != modeSignedChunks, p.declared, p.trailers)
		res.Body, res.Trailer, res.Chunked = cr, cr.Trailer, true
	}
}

// anonymous passes an unauthenticated request through. Its body is still
// decoded (unsigned aws-chunked) and checked against an x-amz-content-sha256
// hash if one is given, since that costs nothing and protects the caller.
func anonymous(r *http.Request) (*Result, error) {
	res := &Result{Anonymous: true}
	v := contentSHA256Header(r)
	p := &payload{mode: modePlain, body: r.Body, declared: r.ContentLength}
	if v != "" {
		var err error
		if p, err = classify(r, v); err != nil {
			return nil, err
		}
		if p.signedChunks() {
			return nil, s3err.InvalidRequest.WithMessage(
				"x-amz-content-sha256 %s requires a signed request", v)
		}
	}
	p.attach(res, nil)
	return res, nil
}

func (p *payload) signedChunks() bool {
	return p.mode == modeSignedChunks || p.mode == modeSignedTrailer
}

// readCloser reads from one reader and closes another (the original body).
type readCloser struct {
	io.Reader
	io.Closer
}

// plainReader passes the body through, turning transport errors (a body
// shorter than Content-Length, a dropped connection) into *s3err.Error.
type plainReader struct {
	rc  io.ReadCloser
	err error
}

func (b *plainReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		b.err = readError(err)
		err = b.err
	}
	return n, err
}

func (b *plainReader) Close() error { return b.rc.Close() }

// hashReader checks the signed SHA-256 once the body is exhausted; the
// mismatch replaces io.EOF, so a caller that stores until EOF never commits
// a body that does not match its signature.
type hashReader struct {
	plainReader
	h    hash.Hash
	want []byte
}

func (b *hashReader) Read(p []byte) (int, error) {
	n, err := b.plainReader.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF {
		if !bytes.Equal(b.h.Sum(nil), b.want) {
			b.err = s3err.XAmzContentSHA256Mismatch
			return n, b.err
		}
		b.err = io.EOF
	}
	return n, err
}
