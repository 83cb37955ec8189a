package sigv4

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// Signature Version 2 (RESTAuthentication in the S3 user guide): an
// HMAC-SHA1 over
//
//	VERB \n Content-MD5 \n Content-Type \n Date \n
//	CanonicalizedAmzHeaders CanonicalizedResource
//
// carried as "Authorization: AWS AKID:base64(signature)" or as the query
// parameters AWSAccessKeyId, Expires and Signature (Expires then takes the
// Date line). V2 signs neither the host nor the body: Content-MD5, when
// sent, is the only thing tying the payload to the signature, and the
// object layer checks it. That is why Kura keeps refusing V2 where S3 does
// (UpdateObjectEncryption, SSE-KMS): V2 is accepted for compatibility only.

const (
	algorithmV2  = "AWS"
	qV2AccessKey = "AWSAccessKeyId"
	qV2Signature = "Signature"
	qV2Expires   = "Expires"

	// maxEchoedStringToSign bounds the StringToSign echoed in a
	// SignatureDoesNotMatch body; it is made of client text only.
	maxEchoedStringToSign = 16 << 10
)

// v2SubResources are the query parameters that belong to the
// CanonicalizedResource: the user guide's list, plus the ones botocore's
// HmacV1Auth signs (a V2 client signs exactly its own list, so a server
// that omits one of them rejects that client's requests). Every other
// parameter is outside the signature.
var v2SubResources = []string{
	"accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete",
	"inventory", "lifecycle", "location", "logging", "metrics", "notification",
	"object-lock", "partNumber", "policy", "replication", "requestPayment",
	"response-cache-control", "response-content-disposition",
	"response-content-encoding", "response-content-language",
	"response-content-type", "response-expires", "restore", "select",
	"select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
	"versionId", "versioning", "versions", "website",
}

var (
	errV2QueryParams = s3err.AccessDenied.WithMessage(
		"Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
)

func v2HeaderMalformed(h string) *s3err.Error {
	return s3err.InvalidArgument.WithMessage("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature").
		With("ArgumentName", "Authorization").With("ArgumentValue", clip(h))
}

// V2Authorization is a parsed SigV2 "AWS AKID:signature" header (or the
// AWSAccessKeyId and Signature query parameters).
type V2Authorization struct {
	AccessKey string
	Signature string // base64, as sent
}

// isV2Header reports whether an Authorization header uses the "AWS"
// scheme of Signature Version 2.
func isV2Header(h string) bool {
	algorithm, _, _ := strings.Cut(strings.TrimLeft(h, " "), " ")
	return algorithm == algorithmV2
}

// ParseAuthorizationV2 parses an "AWS AKID:signature" header value. It
// checks syntax only (a signature that is not base64 simply never matches).
// Errors are *s3err.Error (InvalidArgument, as S3 answers).
func ParseAuthorizationV2(h string) (V2Authorization, error) {
	algorithm, rest, _ := strings.Cut(strings.TrimLeft(h, " "), " ")
	if algorithm != algorithmV2 {
		return V2Authorization{}, unsupportedAuthType()
	}
	ak, sig, ok := strings.Cut(strings.Trim(rest, " "), ":")
	if !ok || ak == "" || sig == "" || strings.ContainsAny(ak, " ,") || strings.ContainsAny(sig, " :,") {
		return V2Authorization{}, v2HeaderMalformed(h)
	}
	return V2Authorization{AccessKey: ak, Signature: sig}, nil
}

// v2Request is what the two V2 forms have in common once parsed.
type v2Request struct {
	auth      V2Authorization
	dateLine  string // Date header, "" when X-Amz-Date is sent, or Expires
	presigned bool
	query     []v2Param
}

func (v *Verifier) verifyV2Header(r *http.Request, h string, qerr error) (*Result, error) {
	a, err := ParseAuthorizationV2(h)
	if err != nil {
		return nil, err
	}
	// X-Amz-Date overrides Date (for clients that cannot set Date); it is
	// then signed among the x-amz-* headers and the Date line is empty.
	// Present but empty, it still overrides: S3 then refuses the request
	// for want of a date rather than falling back to Date.
	dateLine, stamp := r.Header.Get("Date"), r.Header.Get("Date")
	if x, ok := r.Header["X-Amz-Date"]; ok && len(x) > 0 {
		dateLine, stamp = "", x[0]
	}
	t, ok := parseV2Time(stamp)
	if !ok {
		return nil, errNoDate
	}
	secret, err := v.lookup(a.AccessKey)
	if err != nil {
		return nil, err
	}
	if now := v.now(); absDuration(now.Sub(t)) > v.maxSkew() {
		return nil, tooSkewed(stamp, now, v.maxSkew())
	}
	if qerr != nil {
		return nil, qerr
	}
	return v.authenticateV2(r, v2Request{auth: a, dateLine: dateLine, query: v2Query(r.URL.RawQuery)}, secret)
}

func (v *Verifier) verifyV2Query(r *http.Request, qs queryParams, qerr error) (*Result, error) {
	if qerr != nil {
		return nil, qerr
	}
	ak, ok1 := qs.single(qV2AccessKey)
	sig, ok2 := qs.single(qV2Signature)
	exp, ok3 := qs.single(qV2Expires)
	if !ok1 || !ok2 || !ok3 || ak == "" || sig == "" || exp == "" {
		return nil, errV2QueryParams
	}
	expires, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || expires < 0 {
		return nil, s3err.AccessDenied.WithMessage("Invalid date (should be seconds since epoch): %s", clip(exp))
	}
	secret, err := v.lookup(ak)
	if err != nil {
		return nil, err
	}
	if now := v.now(); now.Unix() > expires {
		return nil, s3err.ExpiredPresign.
			With("Expires", time.Unix(expires, 0).UTC().Format(time.RFC3339)).
			With("ServerTime", now.UTC().Format(time.RFC3339))
	}
	// A '+' left unescaped in the URL arrives as a space; base64 has no
	// spaces, so this cannot turn a wrong signature into a right one.
	sig = strings.ReplaceAll(sig, " ", "+")
	req := v2Request{auth: V2Authorization{AccessKey: ak, Signature: sig}, dateLine: exp,
		presigned: true, query: v2Query(r.URL.RawQuery)}
	return v.authenticateV2(r, req, secret)
}

// authenticateV2 checks the signature and passes the body through: V2 has
// no payload hash and no streaming signatures.
func (v *Verifier) authenticateV2(r *http.Request, req v2Request, secret string) (*Result, error) {
	want, _ := base64.StdEncoding.DecodeString(req.auth.Signature)
	var first string
	mac := hmac.New(sha1.New, []byte(secret))
	for _, res := range v.v2Resources(r, req.query) {
		sts := v2StringToSign(r, req, res)
		if first == "" {
			first = sts
		}
		mac.Reset()
		mac.Write([]byte(sts))
		if hmac.Equal(mac.Sum(nil), want) {
			return v2Result(r, req)
		}
	}
	if len(first) > maxEchoedStringToSign {
		first = first[:maxEchoedStringToSign] + "..."
	}
	return nil, s3err.SignatureDoesNotMatch.
		With("AWSAccessKeyId", clip(req.auth.AccessKey)).
		With("StringToSign", first).
		With("SignatureProvided", clip(req.auth.Signature))
}

func v2Result(r *http.Request, req v2Request) (*Result, error) {
	p := &payload{mode: modePlain, body: r.Body, declared: r.ContentLength}
	if v := contentSHA256Header(r); v != "" {
		// The header is signed (it is an x-amz-* header), so a hash is
		// worth checking; a streaming mode would leave aws-chunked framing
		// in the object, and only SigV4 defines those.
		var err error
		if p, err = classify(r, v); err != nil {
			return nil, err
		}
		if p.mode != modePlain && p.mode != modeHash {
			return nil, s3err.InvalidRequest.WithMessage(
				"x-amz-content-sha256 %s requires AWS Signature Version 4", clip(v))
		}
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" && req.presigned {
		token = req.queryValue("x-amz-security-token")
	}
	res := &Result{AccessKey: req.auth.AccessKey, Presigned: req.presigned, Service: "s3",
		SessionToken: token, SignatureVersion: "2"}
	p.attach(res, nil)
	return res, nil
}

// v2StringToSign renders the string to sign for one candidate resource.
// For query authentication botocore moves Content-MD5, Content-Type and
// the x-amz-* headers into the query; they are read from there when the
// request does not carry them as headers.
func v2StringToSign(r *http.Request, req v2Request, resource string) string {
	positional := func(name string) string {
		if v := r.Header.Get(name); v != "" || !req.presigned {
			return strings.TrimSpace(v)
		}
		return strings.TrimSpace(req.queryValue(strings.ToLower(name)))
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(positional("Content-Md5"))
	b.WriteByte('\n')
	b.WriteString(positional("Content-Type"))
	b.WriteByte('\n')
	b.WriteString(req.dateLine)
	b.WriteByte('\n')
	b.WriteString(v2AmzHeaders(r, req))
	b.WriteString(resource)
	return b.String()
}

// v2AmzHeaders renders CanonicalizedAmzHeaders: every x-amz-* header,
// lower-cased, sorted, repeated values joined with ',', each line ending
// in '\n'.
func v2AmzHeaders(r *http.Request, req v2Request) string {
	vals := map[string][]string{}
	for name, vs := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-amz-") {
			vals[l] = append(vals[l], vs...)
		}
	}
	if req.presigned {
		for _, p := range req.query {
			if l := strings.ToLower(p.key); strings.HasPrefix(l, "x-amz-") {
				vals[l] = append(vals[l], p.value)
			}
		}
	}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		for i, v := range vals[n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// v2Resources renders the CanonicalizedResource candidates: "/bucket" for
// a virtual-host-style request, the path as the client sent it
// (still URI-encoded), and the sub-resources. Several candidates can
// come out (see below); all of them name the same resource. The path comes from the
// request line; Go's re-encoding of the decoded path is tried too, as both
// name the same object. Sub-resources without a value are tried with and
// without a trailing '=' because clients differ and the URL reads alike.
func (v *Verifier) v2Resources(r *http.Request, query []v2Param) []string {
	paths := []string{requestPath(r)}
	if e := r.URL.EscapedPath(); e != paths[0] {
		paths = append(paths, e)
	}
	// A path-style bucket request ("/bucket") is signed by botocore as
	// "/bucket/", the form a virtual-host-style one has; both name the
	// same bucket. (Not so for virtual-host style, where "/x" and "/x/"
	// are different keys.)
	bucket := v.virtualBucket(r.Host)
	if p := paths[0]; bucket == "" && len(p) > 1 && strings.IndexByte(p[1:], '/') < 0 {
		paths = append(paths, p+"/")
	}
	subs := v2SubResourceForms(query)
	out := make([]string, 0, len(paths)*len(subs))
	for _, p := range paths {
		if p == "" {
			p = "/"
		}
		if bucket != "" {
			p = "/" + bucket + p
		}
		for _, s := range subs {
			out = append(out, p+s)
		}
	}
	return out
}

// requestPath is the path of the request line, as sent.
func requestPath(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		return r.URL.EscapedPath()
	}
	p, _, _ := strings.Cut(uri, "?")
	return p
}

// virtualBucket returns the bucket of a virtual-host-style Host
// (bucket.<Domain>[:port]), as the S3 handler addresses it, or "".
func (v *Verifier) virtualBucket(host string) string {
	if v.Domain == "" {
		return ""
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	b, ok := strings.CutSuffix(host, "."+v.Domain)
	if !ok {
		return ""
	}
	return b
}

// v2SubResourceForms renders "?a&b=v" for the signed sub-resources in
// query, sorted by name (stable, so repeated names keep their order).
func v2SubResourceForms(query []v2Param) []string {
	var subs []v2Param
	for _, p := range query {
		if slices.Contains(v2SubResources, p.key) {
			subs = append(subs, p)
		}
	}
	if len(subs) == 0 {
		return []string{""}
	}
	slices.SortStableFunc(subs, func(a, b v2Param) int { return strings.Compare(a.key, b.key) })
	render := func(bareEmpty bool) string {
		var b strings.Builder
		for i, p := range subs {
			b.WriteByte("?&"[min(i, 1)])
			b.WriteString(p.key)
			if p.value != "" || (p.equals && !bareEmpty) {
				b.WriteByte('=')
				b.WriteString(p.value)
			}
		}
		return b.String()
	}
	asSent, bare := render(false), render(true)
	if asSent == bare {
		return []string{asSent}
	}
	return []string{asSent, bare}
}

// v2Param is one decoded query pair; equals records whether the client
// wrote "name=" rather than "name", which V2 signers render differently.
type v2Param struct {
	key, value string
	equals     bool
}

// v2Query decodes the raw query. Verify has already refused a query with
// bad escapes, so pairs that fail to decode are kept as sent.
func v2Query(raw string) []v2Param {
	var out []v2Param
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, val, eq := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(val); err == nil {
			val = dv
		}
		out = append(out, v2Param{key: k, value: val, equals: eq})
	}
	return out
}

// queryValue returns the first value of a query parameter whose
// lower-cased name is name.
func (req *v2Request) queryValue(name string) string {
	for _, p := range req.query {
		if strings.ToLower(p.key) == name {
			return p.value
		}
	}
	return ""
}

// v2TimeFormats are the Date forms clients send: RFC 1123 with "GMT" or a
// numeric zone (the user guide's examples use "+0000"), the obsolete HTTP
// forms, and ISO 8601 basic for X-Amz-Date set by SigV4-minded code.
var v2TimeFormats = []string{time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC, iso8601Basic}

// parseV2Time parses a Date or X-Amz-Date value. Dates before the Unix
// epoch are refused as invalid rather than skewed, as S3 does.
func parseV2Time(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, f := range v2TimeFormats {
		if t, err := time.Parse(f, s); err == nil {
			return t.UTC(), t.Unix() >= 0
		}
	}
	return time.Time{}, false
}
