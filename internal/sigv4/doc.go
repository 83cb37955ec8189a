// Package sigv4 authenticates incoming requests signed with AWS Signature
// Version 4: the Authorization header, presigned (query-string) URLs, and the
// aws-chunked payload encodings (signed chunks, unsigned chunks with
// trailing checksums, signed chunks with signed trailers). It also accepts
// S3's legacy Signature Version 2 (v2.go: "AWS AKID:signature" headers and
// AWSAccessKeyId/Expires/Signature queries) through the same Verify, with
// the body passed through unverified, as V2 defines no payload signature.
// SigV4a is answered NotImplemented.
//
// Verify checks everything it can from the request line and headers, then
// returns a Body that keeps verifying while it is read: the payload hash,
// each chunk signature, the trailer signature and the declared lengths. A
// caller must treat body bytes as unverified until Body has returned io.EOF,
// and must discard what it stored if Body returns any other error.
//
// Rules this package must never break:
//   - never log, print or put into an error a secret key, a signing key or a
//     computed (expected) signature; errors carry only what the client sent;
//   - compare signatures only with hmac.Equal (constant time);
//   - never hand out more body bytes than the client declared, and never
//     hand out a signed chunk's bytes before its signature has been checked;
//   - never buffer a whole object: at most one aws-chunked chunk is held.
//
// Anonymous requests (no Authorization header, no X-Amz-* signature query)
// are not rejected here: Verify reports them as Anonymous and the caller
// decides whether anonymous access is allowed.
package sigv4
