package sigv4

import (
	"encoding/hex"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// CredentialFunc returns the secret key for an access key, or an error
// (return s3err.InvalidAccessKeyID for unknown keys).
type CredentialFunc func(accessKey string) (secret string, err error)

// Verifier authenticates SigV4 requests. Its fields are read-only once in
// use; one Verifier serves concurrent requests.
type Verifier struct {
	// Region is the only region accepted in credential scopes; "" accepts
	// any region.
	Region string
	// Domain is the base domain of virtual-host-style requests
	// (bucket.<Domain>[:port]), as the S3 handler addresses them. SigV2
	// signs "/bucket" ahead of the path for those, so the verifier must
	// know which Host names a bucket; SigV4 signs the Host itself.
	Domain  string
	Lookup  CredentialFunc
	Now     func() time.Time // nil means time.Now
	MaxSkew time.Duration    // 0 means 15 minutes

	keys keyCache // signing keys by scope (keycache.go)
}

// Result describes an authenticated (or anonymous) request.
type Result struct {
	AccessKey string
	Anonymous bool // no Authorization header, no X-Amz-Algorithm/-Credential/-Signature query
	Presigned bool
	// SignatureVersion is "4" for SigV4 (header or presigned), "2" for
	// SigV2 (header or query), "" for anonymous requests. Audit and the
	// s3:signatureversion condition key read it.
	SignatureVersion string
	Service          string // scope service: "s3", "kms", "iam", "sts", ...; always "s3" for SigV2
	Region           string
	SignedHeaders    []string
	// SessionToken is X-Amz-Security-Token (header or query), if sent. It is
	// covered by the signature but not validated here: a caller that issues
	// temporary credentials must check it belongs to AccessKey.
	SessionToken string
	// Body yields the decoded payload and verifies while it is read: the
	// signed x-amz-content-sha256 (XAmzContentSHA256Mismatch at EOF),
	// aws-chunked framing and chunk/trailer signatures
	// (SignatureDoesNotMatch), x-amz-decoded-content-length and a short
	// Content-Length body (IncompleteBody). Read errors are *s3err.Error.
	// Data is trustworthy only once Body has returned io.EOF.
	Body io.ReadCloser
	// DecodedLength is the payload length if known (Content-Length or
	// x-amz-decoded-content-length), else -1.
	DecodedLength int64
	// Trailer returns the trailing headers (e.g. X-Amz-Checksum-Crc32) of an
	// aws-chunked body once Body has returned io.EOF; before that, and for
	// bodies without trailers, it returns nil. Never nil itself.
	Trailer func() http.Header
	// Chunked reports an aws-chunked body: the HTTP layer should strip
	// "aws-chunked" from Content-Encoding before storing it.
	Chunked bool
}

const defaultMaxSkew = 15 * time.Minute

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

// Verify authenticates r. Anonymous requests return Result{Anonymous: true}
// and no error: the caller decides whether anonymous access is allowed.
// Verify does not read the body of S3 requests, so a failed authentication
// never triggers "100 Continue"; for other services (small JSON or form
// bodies, part of the signature) it reads up to 1 MiB.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	authz := r.Header.Values("Authorization")
	qs, qerr := parseQuery(r.URL.RawQuery)
	presigned := qs.has(qAlgorithm) || qs.has(qCredential) || qs.has(qSignature)
	sigV2Query := !presigned && (qs.has(qV2AccessKey) || qs.has(qV2Signature))
	switch {
	case len(authz) > 0 && (presigned || sigV2Query):
		return nil, errOneAuthOnly
	case len(authz) > 1:
		return nil, headerMalformed("only one Authorization header is allowed.")
	case len(authz) == 1 && isV2Header(authz[0]):
		return v.verifyV2Header(r, authz[0], qerr)
	case len(authz) == 1:
		return v.verifyHeader(r, authz[0], qs, qerr)
	case presigned:
		return v.verifyPresign(r, qs, qerr)
	case sigV2Query:
		return v.verifyV2Query(r, qs, qerr)
	}
	return anonymous(r)
}

// request gathers what header and query authentication have in common.
type request struct {
	auth      Authorization
	amzDate   string
	token     string
	presigned bool
	query     string // canonical query
}

func (v *Verifier) verifyHeader(r *http.Request, h string, qs queryParams, qerr error) (*Result, error) {
	a, err := ParseAuthorization(h)
	if err != nil {
		return nil, err
	}
	t, amzDate, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.Credential, amzDate, false); err != nil {
		return nil, err
	}
	secret, err := v.lookup(a.Credential.AccessKey)
	if err != nil {
		return nil, err
	}
	if now := v.now(); absDuration(now.Sub(t)) > v.maxSkew() {
		return nil, tooSkewed(amzDate, now, v.maxSkew())
	}
	if qerr != nil {
		return nil, qerr
	}
	req := request{auth: a, amzDate: amzDate, token: r.Header.Get("X-Amz-Security-Token"),
		query: qs.canonical("")}
	return v.authenticate(r, req, secret, contentSHA256Header(r))
}

func (v *Verifier) verifyPresign(r *http.Request, qs queryParams, qerr error) (*Result, error) {
	if qerr != nil {
		return nil, qerr
	}
	p, err := parsePresign(qs)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(p.Credential, p.AmzDate, true); err != nil {
		return nil, err
	}
	secret, err := v.lookup(p.Credential.AccessKey)
	if err != nil {
		return nil, err
	}
	now := v.now()
	if p.Date.Sub(now) > v.maxSkew() {
		return nil, errNotYetValid
	}
	// Valid strictly before X-Amz-Date + X-Amz-Expires, so X-Amz-Expires=0
	// never is.
	if at := p.Date.Add(time.Duration(p.Expires) * time.Second); !now.Before(at) {
		return nil, expired(p.Expires, at, now)
	}
	// S3 presigned URLs sign "UNSIGNED-PAYLOAD" unless the signer put a
	// hash in the query; other services always sign the body hash.
	payload := p.ContentSHA256
	if payload == "" && p.Credential.Service == "s3" {
		payload = unsignedPayload
	}
	req := request{auth: p.Authorization, amzDate: p.AmzDate, token: p.SecurityToken,
		presigned: true, query: qs.canonical(qSignature)}
	return v.authenticate(r, req, secret, payload)
}

// authenticate is the part common to both schemes: settle the payload
// hash, check that no x-amz-* header escaped the signature, verify the
// signature and wrap the body.
func (v *Verifier) authenticate(r *http.Request, req request, secret, contentSHA string) (*Result, error) {
	c := req.auth.Credential
	p, err := preparePayload(r, c.Service, contentSHA)
	if err != nil {
		return nil, err
	}
	if err := checkAllSigned(r, req.auth.SignedHeaders, req.presigned); err != nil {
		return nil, err
	}
	key := v.keys.signingKey(secret, c)
	scope := c.Scope()
	if !req.matches(r, key, scope, p.hash) {
		// S3 names the key and echoes the signature, so a client can see
		// which credentials it used.
		return nil, s3err.SignatureDoesNotMatch.With("AWSAccessKeyId", clip(c.AccessKey)).
			With("SignatureProvided", hex.EncodeToString(req.auth.Signature[:]))
	}
	res := &Result{
		AccessKey:        c.AccessKey,
		Presigned:        req.presigned,
		SignatureVersion: "4",
		Service:          c.Service,
		Region:           c.Region,
		SignedHeaders:    req.auth.SignedHeaders,
		SessionToken:     req.token,
	}
	seed := chunkSigner{key: key, amzDate: req.amzDate, scope: scope, prev: req.auth.Signature}
	p.attach(res, &seed)
	return res, nil
}

// matches computes the signature over each acceptable rendering of the
// request (see uriCandidates and hostCandidates; normally there is one) and
// compares it with the client's.
func (req *request) matches(r *http.Request, key []byte, scope, payloadHash string) bool {
	c := req.auth.Credential
	for _, uri := range uriCandidates(r, c.Service) {
		for _, host := range hostCandidates(r.Host) {
			cr := canonicalRequest(r, uri, req.query, req.auth.SignedHeaders, host, payloadHash)
			if signatureMatches(key, stringToSign(req.amzDate, scope, cr), req.auth.Signature) {
				return true
			}
		}
	}
	return false
}

// requestTime reads X-Amz-Date, falling back to Date; it returns the
// ISO 8601 basic form used in the string to sign.
func requestTime(r *http.Request) (time.Time, string, error) {
	if s := r.Header.Get("X-Amz-Date"); s != "" {
		t, err := time.Parse(iso8601Basic, s)
		if err != nil || len(s) != len(iso8601Basic) {
			return t, "", errNoDate
		}
		return t, s, nil
	}
	t, err := parseDateHeader(r.Header.Get("Date"))
	if err != nil {
		return t, "", errNoDate
	}
	return t.UTC(), t.UTC().Format(iso8601Basic), nil
}

// parseDateHeader parses a Date header in the HTTP forms or in RFC 1123
// with a numeric zone, which is what botocore sends when the caller set a
// Date header: it then signs with Date alone ("Thu, 01 Jan 2026 00:00:00
// -0000") and drops X-Amz-Date, and S3 accepts that.
func parseDateHeader(s string) (time.Time, error) {
	t, err := http.ParseTime(s)
	if err != nil {
		t, err = time.Parse(time.RFC1123Z, s)
	}
	return t, err
}

// checkScope validates the credential scope against the request date and
// the configured region.
func (v *Verifier) checkScope(c Credential, amzDate string, presigned bool) error {
	if day := amzDate[:len(scopeDate)]; c.Date != day {
		return wrongCredentialDate(presigned, c.Date, day)
	}
	if v.Region != "" && c.Region != v.Region && !(globalService(c.Service) && (c.Region == "" || c.Region == "us-east-1")) {
		return wrongRegion(presigned, c.Region, v.Region)
	}
	return nil
}

// globalService reports whether a scope's service is IAM or STS. IAM is a
// global service that SDKs sign for us-east-1 whatever their configured
// region, STS is signed for the global endpoint's us-east-1 too, and
// clients created with an empty region (boto3 with region_name="", as the
// Ceph s3-tests IAM client is) sign with an empty region:
// "AK/20261123//iam/aws4_request". For these two services the verifier
// therefore accepts "" and us-east-1 besides its own region; the signature
// is computed over the scope as the client sent it, so nothing else is
// relaxed.
func globalService(service string) bool { return service == "iam" || service == "sts" }

func (v *Verifier) lookup(accessKey string) (string, error) {
	if v.Lookup == nil {
		return "", s3err.InvalidAccessKeyID.With("AWSAccessKeyId", clip(accessKey))
	}
	secret, err := v.Lookup(accessKey)
	if err != nil {
		e := s3err.As(err)
		if e.Code == s3err.InvalidAccessKeyID.Code {
			e = e.With("AWSAccessKeyId", clip(accessKey))
		}
		return "", e
	}
	return secret, nil
}

// checkAllSigned enforces AWS's rule that every x-amz-* header present must
// be signed, so a man in the middle cannot add, say, x-amz-copy-source or
// x-amz-acl. X-Amz-Content-Sha256 is exempt for presigned URLs, whose
// payload hash comes from the query.
func checkAllSigned(r *http.Request, signed []string, presigned bool) error {
	var missing []string
	for name := range r.Header {
		// Compared case-insensitively rather than lower-cased first: that
		// allocated a string per header of every request.
		if len(name) < len("x-amz-") || !strings.EqualFold(name[:len("x-amz-")], "x-amz-") ||
			slices.ContainsFunc(signed, func(s string) bool { return strings.EqualFold(s, name) }) {
			continue
		}
		if presigned && strings.EqualFold(name, "x-amz-content-sha256") {
			continue
		}
		missing = append(missing, strings.ToLower(name))
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return unsignedHeaders(clip(strings.Join(missing, ", ")))
}

// absDuration is |d|. time.Time.Sub saturates at the extremes of Duration
// (a Date in year 9999), and -math.MinInt64 would stay negative and pass
// every skew check, so the minimum maps to the maximum.
func absDuration(d time.Duration) time.Duration {
	switch {
	case d == math.MinInt64:
		return math.MaxInt64
	case d < 0:
		return -d
	}
	return d
}
