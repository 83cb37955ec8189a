package sigv4

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
	qContentSHA256 = "X-Amz-Content-Sha256"

	maxPresignExpires = 7 * 24 * 60 * 60 // AWS: "less than a week"
)

// queryParam is one decoded name=value pair of the request query, kept in
// wire order and with repetitions, because the canonical query needs both.
type queryParam struct{ Key, Value string }

type queryParams []queryParam

// parseQuery decodes a raw query the way S3 does ('+' is a space). A pair
// with an invalid %-escape is kept undecoded and reported through the error,
// so anonymous requests can still be classified while signed ones are
// refused: a signature must not cover a query the router reads differently.
func parseQuery(raw string) (queryParams, error) {
	var qs queryParams
	var bad error
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			bad = errBadQuery
			dk, dv = k, v
		}
		qs = append(qs, queryParam{dk, dv})
	}
	return qs, bad
}

func (qs queryParams) has(key string) bool {
	return slices.ContainsFunc(qs, func(p queryParam) bool { return p.Key == key })
}

// single returns the only value of key; ok is false when it is absent or
// repeated (a repeated auth parameter is ambiguous and never accepted).
func (qs queryParams) single(key string) (v string, ok bool) {
	n := 0
	for _, p := range qs {
		if p.Key == key {
			v, n = p.Value, n+1
		}
	}
	return v, n == 1
}

// canonical renders the canonical query string: every name and value
// URI-encoded, pairs sorted by encoded name then encoded value (SigV4 sorts
// after encoding), skipping the named key (X-Amz-Signature for presign).
func (qs queryParams) canonical(skip string) string {
	enc := make([]queryParam, 0, len(qs))
	for _, p := range qs {
		if p.Key != skip {
			enc = append(enc, queryParam{uriEncode(p.Key, true), uriEncode(p.Value, true)})
		}
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

// Presign holds the parsed SigV4 query-string authentication parameters.
type Presign struct {
	Authorization
	AmzDate       string    // X-Amz-Date as sent (ISO 8601 basic)
	Date          time.Time // X-Amz-Date parsed
	Expires       int64     // X-Amz-Expires in seconds, 0..604800
	SecurityToken string    // X-Amz-Security-Token, if any
	ContentSHA256 string    // X-Amz-Content-Sha256, if any
}

// ParsePresignQuery parses the X-Amz-* parameters of a presigned URL from
// its raw query string. Like ParseAuthorization it checks syntax only.
// Errors are *s3err.Error.
func ParsePresignQuery(rawQuery string) (Presign, error) {
	qs, err := parseQuery(rawQuery)
	if err != nil {
		return Presign{}, err
	}
	return parsePresign(qs)
}

func parsePresign(qs queryParams) (Presign, error) {
	var p Presign
	v := func(k string) string { s, _ := qs.single(k); return s }
	for _, k := range []string{qAlgorithm, qCredential, qDate, qSignedHeaders, qSignature} {
		if s, ok := qs.single(k); !ok || s == "" {
			return p, errPresignParams
		}
	}
	switch v(qAlgorithm) {
	case algorithmHMAC:
	case algorithmECDSA:
		return p, errSigV4a
	default:
		return p, queryMalformed(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	var err error
	if p.Date, err = time.Parse(iso8601Basic, v(qDate)); err != nil || len(v(qDate)) != len(iso8601Basic) {
		return p, queryMalformed(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
	}
	p.AmzDate = v(qDate)
	if p.Credential, err = parseCredential(v(qCredential), true); err != nil {
		return p, err
	}
	if p.SignedHeaders, err = parseSignedHeaders(v(qSignedHeaders)); err != nil {
		return p, queryMalformed(err.Error())
	}
	if p.Signature, err = parseSignature(v(qSignature)); err != nil {
		return p, err
	}
	if p.Expires, err = parseExpires(qs, p.Credential.Service); err != nil {
		return p, err
	}
	for _, k := range []string{qSecurityToken, qContentSHA256} {
		if qs.has(k) {
			if _, ok := qs.single(k); !ok {
				return p, queryMalformed(k + " must not be repeated")
			}
		}
	}
	p.SecurityToken, p.ContentSHA256 = v(qSecurityToken), v(qContentSHA256)
	return p, nil
}

// defaultExpires applies to presigned URLs of services other than S3 (STS
// GetCallerIdentity tokens, for one) that may omit X-Amz-Expires.
const defaultExpires = 15 * 60

func parseExpires(qs queryParams, service string) (int64, error) {
	s, ok := qs.single(qExpires)
	if !qs.has(qExpires) && service != "s3" {
		return defaultExpires, nil
	}
	if !ok {
		return 0, errPresignParams
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, queryMalformed("X-Amz-Expires should be a number")
	case n < 0:
		return 0, queryMalformed("X-Amz-Expires must be non-negative")
	case n > maxPresignExpires:
		return 0, queryMalformed("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	}
	// Zero is well-formed: such a URL expired when it was signed, and
	// Verify answers 403 "Request has expired" as S3 does.
	return n, nil
}
