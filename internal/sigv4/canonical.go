package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// uriEncode encodes every byte except the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~) as %XX with upper-case hex; '/' is kept when
// encoding a path. This is AWS's UriEncode, not url.PathEscape (which keeps
// sub-delims such as '+', '=' and '$').
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (encodeSlash || s[i] != '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (!encodeSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalURI returns the canonical path. r.URL.Path is the decoded form of
// what the client sent, so encoding it once gives the AWS form whatever
// escaping choices the client made on the wire. S3 is the one service whose
// path is encoded once; every other service encodes the encoded path again.
func canonicalURI(r *http.Request, service string) string {
	p := r.URL.Path
	if p == "" {
		p = "/"
	}
	enc := uriEncode(p, false)
	if service != "s3" {
		enc = uriEncode(enc, false)
	}
	return enc
}

// uriCandidates returns the canonical URI and, for S3, the path exactly as
// it came on the wire when that differs: some clients sign their own
// escaping (a literal '+' or '$', say) rather than AWS's. Both decode to the
// same object key, so accepting either form weakens nothing.
func uriCandidates(r *http.Request, service string) []string {
	uri := canonicalURI(r, service)
	if raw := r.URL.EscapedPath(); service == "s3" && raw != "" && raw != uri {
		return []string{uri, raw}
	}
	return []string{uri}
}

// headerValue returns the canonical value of one signed header. Go's server
// moves Host into r.Host and Transfer-Encoding into r.TransferEncoding, and
// may only keep Content-Length in r.ContentLength, so those are rebuilt.
func headerValue(r *http.Request, name, host string) string {
	vals := headerValues(r.Header, name)
	switch {
	case name == "host":
		return trimAll(host)
	case len(vals) > 0:
	case name == "content-length" && r.ContentLength >= 0:
		return strconv.FormatInt(r.ContentLength, 10)
	case name == "transfer-encoding":
		vals = r.TransferEncoding
	}
	if len(vals) == 1 {
		return trimAll(vals[0])
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = trimAll(v)
	}
	return strings.Join(out, ",")
}

// headerValues is h.Values(name) without its allocation: a signed
// header's name is lower case, and Values makes a canonical copy of it on
// every call. The canonical form is built on the stack instead (a map
// index by string(b) does not allocate). Names with bytes Go does not
// canonicalize, and long ones, take Values itself.
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) > len(buf) {
		return h.Values(name)
	}
	b := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
			}
		case '0' <= c && c <= '9':
		default:
			return h.Values(name)
		}
		b[i] = c
		upper = c == '-'
	}
	return h[string(b)]
}

// trimAll trims the value and collapses runs of spaces to one, the SigV4
// "Trimall" the SDK signers apply.
func trimAll(s string) string {
	s = strings.Trim(s, " \t")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// canonicalRequest builds the SigV4 canonical request; signed lists header
// names in the client's order, which is also the order of SignedHeaders.
func canonicalRequest(r *http.Request, uri, query string, signed []string, host, payloadHash string) string {
	var b strings.Builder
	b.Grow(256 + len(uri) + len(query))
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name, host))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// stringToSign is the SigV4 string to sign for a request.
func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithmHMAC + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// signingKey derives kSigning from the secret. The result is as sensitive
// as the secret for one day/region/service: never log it.
func signingKey(secret string, c Credential) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), c.Date)
	k = hmacSHA256(k, c.Region)
	k = hmacSHA256(k, c.Service)
	return hmacSHA256(k, scopeTerminal)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signatureMatches computes the request signature and compares it in
// constant time with the one the client sent.
func signatureMatches(key []byte, sts string, got [32]byte) bool {
	return hmac.Equal(hmacSHA256(key, sts), got[:])
}

// hostCandidates lists the Host values to try. Some clients sign the host
// without the default port while sending it (or the reverse); ":80" and
// ":443" name the same origin, so accepting either form weakens nothing.
func hostCandidates(host string) []string {
	for _, port := range []string{":80", ":443"} {
		if h, ok := strings.CutSuffix(host, port); ok && h != "" && !strings.HasSuffix(h, ":") {
			return []string{host, h}
		}
	}
	return []string{host}
}
