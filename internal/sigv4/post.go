package sigv4

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

// POSTForm is the authentication part of a browser POST upload form
// (S3 POST Object): the form carries no signed request, only a signed
// policy document. Fields hold the form values as sent.
type POSTForm struct {
	// Policy is the base64 policy document, which is what gets signed.
	Policy string
	// SigV4: x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature.
	Algorithm, Credential, Date, Signature string
	// SigV2: AWSAccessKeyId and signature (base64 HMAC-SHA1 of Policy).
	AccessKeyID, SignatureV2 string
	// SecurityToken is x-amz-security-token, passed on in the Result.
	SecurityToken string
}

// VerifyPOST checks a POST form's policy signature: SigV4 when the form has
// x-amz-signature, else SigV2. It checks who signed, not what the policy
// allows; evaluating the policy (expiration, conditions) is the caller's
// job. The Result has no Body: the form's file is the caller's to stream.
func (v *Verifier) VerifyPOST(f POSTForm) (*Result, error) {
	if f.Signature == "" {
		return v.verifyPOSTV2(f)
	}
	if f.Algorithm != algorithmHMAC {
		return nil, s3err.InvalidArgument.WithMessage("POST form x-amz-algorithm must be %s.", algorithmHMAC).
			With("ArgumentName", "x-amz-algorithm").With("ArgumentValue", clip(f.Algorithm))
	}
	c, err := parseCredential(f.Credential, false)
	if err != nil {
		return nil, postCredentialError(f.Credential)
	}
	if c.Service != "s3" {
		return nil, postCredentialError(f.Credential)
	}
	if v.Region != "" && c.Region != v.Region {
		return nil, wrongRegion(false, clip(c.Region), v.Region)
	}
	at, err := time.Parse(iso8601Basic, f.Date)
	if err != nil {
		return nil, s3err.InvalidArgument.WithMessage("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"").
			With("ArgumentName", "x-amz-date").With("ArgumentValue", clip(f.Date))
	}
	if at.Format(scopeDate) != c.Date {
		return nil, postCredentialError(f.Credential)
	}
	secret, err := v.lookup(c.AccessKey)
	if err != nil {
		return nil, err
	}
	got, err := hex.DecodeString(f.Signature)
	if err != nil || len(got) != 32 {
		return nil, s3err.SignatureDoesNotMatch
	}
	if !hmac.Equal(POSTSignatureV4(secret, c, f.Policy), got) {
		return nil, s3err.SignatureDoesNotMatch
	}
	return &Result{AccessKey: c.AccessKey, SignatureVersion: "4", Service: c.Service, Region: c.Region,
		SessionToken: f.SecurityToken, DecodedLength: -1, Trailer: postNoTrailer}, nil
}

func (v *Verifier) verifyPOSTV2(f POSTForm) (*Result, error) {
	if f.AccessKeyID == "" {
		return nil, s3err.InvalidArgument.WithMessage("Bucket POST must contain a field named 'AWSAccessKeyId'.  If it is specified, please check the order of the fields.").
			With("ArgumentName", "AWSAccessKeyId").With("ArgumentValue", "")
	}
	secret, err := v.lookup(f.AccessKeyID)
	if err != nil {
		return nil, err
	}
	got, err := base64.StdEncoding.DecodeString(f.SignatureV2)
	if err != nil || !hmac.Equal(POSTSignatureV2(secret, f.Policy), got) {
		return nil, s3err.SignatureDoesNotMatch
	}
	return &Result{AccessKey: f.AccessKeyID, SignatureVersion: "2", Service: "s3", SessionToken: f.SecurityToken,
		DecodedLength: -1, Trailer: postNoTrailer}, nil
}

// POSTSignatureV4 is the SigV4 signature of a POST policy: HMAC-SHA256
// under the day's signing key of the base64 policy itself.
func POSTSignatureV4(secret string, c Credential, policy string) []byte {
	return hmacSHA256(signingKey(secret, c), policy)
}

// POSTSignatureV2 is the SigV2 signature of a POST policy: HMAC-SHA1 of the
// base64 policy under the secret key (raw bytes; the form carries base64).
func POSTSignatureV2(secret, policy string) []byte {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policy))
	return m.Sum(nil)
}

// postNoTrailer is Result.Trailer for a form: it never has trailers.
func postNoTrailer() http.Header { return nil }

func postCredentialError(cred string) *s3err.Error {
	return s3err.InvalidArgument.WithMessage("Invalid credential in POST form: expecting \"<YOUR-AKID>/YYYYMMDD/REGION/s3/aws4_request\" with the date of x-amz-date.").
		With("ArgumentName", "x-amz-credential").With("ArgumentValue", clip(strings.TrimSpace(cred)))
}
