package sigv4

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

const (
	algorithmHMAC  = "AWS4-HMAC-SHA256"
	algorithmECDSA = "AWS4-ECDSA-P256-SHA256"
	scopeTerminal  = "aws4_request"
	iso8601Basic   = "20060102T150405Z"
	scopeDate      = "20060102"
)

// Credential is the parsed "AKID/YYYYMMDD/region/service/aws4_request".
type Credential struct {
	AccessKey string
	Date      string // YYYYMMDD, as sent
	Region    string
	Service   string
}

// Scope is the credential scope used in strings to sign.
func (c Credential) Scope() string {
	return c.Date + "/" + c.Region + "/" + c.Service + "/" + scopeTerminal
}

// Authorization is a parsed SigV4 Authorization header (or the equivalent
// presign query parameters).
type Authorization struct {
	Credential    Credential
	SignedHeaders []string // lower-case, in the order the client listed them
	Signature     [32]byte
}

// ParseAuthorization parses an "AWS4-HMAC-SHA256 Credential=..,
// SignedHeaders=.., Signature=.." header value. It checks syntax only; the
// region, dates and the signature itself are checked by Verify. Errors are
// *s3err.Error (AuthorizationHeaderMalformed, NotImplemented for SigV4a).
// SigV2 "AWS AKID:signature" headers are parsed by ParseAuthorizationV2;
// here they are malformed.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	algorithm, rest, _ := strings.Cut(strings.TrimLeft(h, " "), " ")
	switch algorithm {
	case algorithmHMAC:
	case algorithmV2:
		return a, headerMalformed("a Signature Version 2 header is not a Signature Version 4 header.")
	case algorithmECDSA:
		return a, errSigV4a
	default:
		return a, unsupportedAuthType()
	}
	fields, err := authFields(rest)
	if err != nil {
		return a, err
	}
	if a.Credential, err = parseCredential(fields["Credential"], false); err != nil {
		return a, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(fields["SignedHeaders"]); err != nil {
		return a, headerMalformed(err.Error())
	}
	if a.Signature, err = parseSignature(fields["Signature"]); err != nil {
		return a, err
	}
	return a, nil
}

// authFields splits "k=v, k=v, k=v" into exactly the three SigV4 components.
// Clients differ in using "," or ", " as separator; both are accepted.
func authFields(s string) (map[string]string, error) {
	if strings.Trim(s, " ") == "" {
		return nil, errHeaderIncomplete
	}
	fields := make(map[string]string, 3)
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.Trim(part, " "), "=")
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			return nil, headerMalformed("the authorization component \"" + clip(part) + "\" is malformed.")
		}
		if _, dup := fields[k]; dup || !ok || v == "" {
			return nil, headerMalformed("the authorization component \"" + clip(part) + "\" is malformed.")
		}
		fields[k] = v
	}
	if len(fields) != 3 {
		return nil, errHeaderIncomplete
	}
	return fields, nil
}

// parseCredential parses the credential from the right, so an access key
// containing '/' still parses; AWS keys never do, but the terminal and
// date positions are what matter.
func parseCredential(s string, presigned bool) (Credential, error) {
	var c Credential
	parts := strings.Split(s, "/")
	n := len(parts)
	if n < 5 {
		return c, credentialError(presigned, reasonCredential)
	}
	c = Credential{
		AccessKey: strings.Join(parts[:n-4], "/"),
		Date:      parts[n-4],
		Region:    parts[n-3],
		Service:   parts[n-2],
	}
	switch {
	case c.AccessKey == "":
		return c, credentialError(presigned, reasonEmptyAKID)
	case parts[n-1] != scopeTerminal:
		return c, credentialError(presigned,
			"incorrect terminal \""+clip(parts[n-1])+"\". This endpoint uses \"aws4_request\".")
	case c.Service == "" || c.Region == "" && !globalService(c.Service):
		return c, credentialError(presigned, reasonCredential)
	}
	if _, err := time.Parse(scopeDate, c.Date); err != nil || len(c.Date) != len(scopeDate) {
		return c, credentialError(presigned, reasonCredential)
	}
	return c, nil
}

// parseSignedHeaders checks the ';'-separated list. Names must already be
// lower case (the canonical form); "host" is mandatory in SigV4.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, errorString("the SignedHeaders component is empty.")
	}
	names := strings.Split(s, ";")
	host := false
	for _, n := range names {
		if n == "" || !isLowerToken(n) {
			return nil, errorString("the SignedHeaders component \"" + clip(s) + "\" is malformed.")
		}
		host = host || n == "host"
	}
	if !host {
		return nil, errorString("the SignedHeaders component must include host.")
	}
	return names, nil
}

// isLowerToken reports whether s is an HTTP token with no upper-case letters.
func isLowerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseSignature accepts exactly 64 hex digits. A malformed signature can
// never match, so it is reported as a mismatch, as AWS does.
func parseSignature(s string) ([32]byte, error) {
	var sig [32]byte
	if len(s) != 64 {
		return sig, s3err.SignatureDoesNotMatch
	}
	if _, err := hex.Decode(sig[:], []byte(s)); err != nil {
		return sig, s3err.SignatureDoesNotMatch
	}
	return sig, nil
}

// errorString is a plain error for reasons that callers re-wrap.
type errorString string

func (e errorString) Error() string { return string(e) }
