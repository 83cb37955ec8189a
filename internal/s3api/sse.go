package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// SSE header names.
const (
	hdrSSE           = "x-amz-server-side-encryption"
	hdrSSEKMSKeyID   = "x-amz-server-side-encryption-aws-kms-key-id"
	hdrSSEContext    = "x-amz-server-side-encryption-context"
	hdrSSEBucketKey  = "x-amz-server-side-encryption-bucket-key-enabled"
	hdrSSECAlgorithm = "x-amz-server-side-encryption-customer-algorithm"
	hdrSSECKey       = "x-amz-server-side-encryption-customer-key"
	hdrSSECKeyMD5    = "x-amz-server-side-encryption-customer-key-MD5"
	// copySourcePrefix replaces "x-amz-" in the SSE-C header names to name
	// the copy source's key: x-amz-copy-source-server-side-encryption-….
	copySourcePrefix = "x-amz-copy-source-"
)

// The canonical forms of the SSE header names, for looking them up in and
// setting them on an http.Header: Get and Set canonicalize a lower-case
// name into a new string on every call, several times a request. The
// names above stay as S3 spells them in errors and audit events.
var (
	keySSE           = http.CanonicalHeaderKey(hdrSSE)
	keySSEKMSKeyID   = http.CanonicalHeaderKey(hdrSSEKMSKeyID)
	keySSEContext    = http.CanonicalHeaderKey(hdrSSEContext)
	keySSEBucketKey  = http.CanonicalHeaderKey(hdrSSEBucketKey)
	keySSECAlgorithm = http.CanonicalHeaderKey(hdrSSECAlgorithm)
	keySSECKey       = http.CanonicalHeaderKey(hdrSSECKey)
	keySSECKeyMD5    = http.CanonicalHeaderKey(hdrSSECKeyMD5)
)

// sseCHeader returns the SSE-C header name for prefix "" (the object) or
// copySourcePrefix (a copy source).
func sseCHeader(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + strings.TrimPrefix(name, "x-amz-")
}

// customerKey parses an SSE-C header trio (prefix "" for the object itself,
// copySourcePrefix for a copy source). ok is false when none is present.
// Errors follow S3's SSE-C error table (SPEC 2.6).
func customerKey(h http.Header, prefix string) (key []byte, keyMD5 string, ok bool, err error) {
	algH, keyH, mdH := sseCHeader(prefix, hdrSSECAlgorithm), sseCHeader(prefix, hdrSSECKey), sseCHeader(prefix, hdrSSECKeyMD5)
	var alg, k, md string
	if prefix == "" {
		alg, k, md = h.Get(keySSECAlgorithm), h.Get(keySSECKey), h.Get(keySSECKeyMD5)
	} else {
		alg, k, md = h.Get(algH), h.Get(keyH), h.Get(mdH)
	}
	if alg == "" && k == "" && md == "" {
		return nil, "", false, nil
	}
	switch {
	case alg == "":
		return nil, "", true, s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.").
			With("ArgumentName", algH)
	case alg != "AES256":
		return nil, "", true, s3err.InvalidEncryptionAlgorithm.With("ArgumentName", algH).With("ArgumentValue", alg)
	case k == "":
		return nil, "", true, s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.").
			With("ArgumentName", keyH)
	case md == "":
		return nil, "", true, s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.").
			With("ArgumentName", mdH)
	}
	raw, derr := base64.StdEncoding.DecodeString(k)
	sum := md5.Sum(raw)
	if derr != nil || base64.StdEncoding.EncodeToString(sum[:]) != md {
		return nil, "", true, s3err.InvalidArgument.WithMessage("The calculated MD5 hash of the key did not match the hash that was provided.").
			With("ArgumentName", mdH)
	}
	if len(raw) != 32 {
		return nil, "", true, s3err.InvalidArgument.WithMessage("The secret key was invalid for the specified algorithm.").
			With("ArgumentName", keyH)
	}
	return raw, md, true, nil
}

// sseRequest parses the server-side encryption a write asks for. given
// reports whether the request named one explicitly.
func sseRequest(h http.Header) (req object.SSERequest, given bool, err error) {
	key, keyMD5, isSSEC, err := customerKey(h, "")
	if err != nil {
		return req, true, err
	}
	_, hasSSE := h[keySSE]
	kmsKey, ctx, bk := h.Get(keySSEKMSKeyID), h.Get(keySSEContext), h.Get(keySSEBucketKey)
	if isSSEC {
		if hasSSE {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with Customer provided key is incompatible with the encryption method specified").
				With("ArgumentName", hdrSSE)
		}
		return object.SSERequest{Type: kura.SSEC, CustomerKey: key, CustomerKeyMD5: keyMD5}, true, nil
	}
	if !hasSSE {
		if kmsKey != "" || ctx != "" {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				With("ArgumentName", hdrSSE)
		}
		if bk != "" {
			b, err := parseBool(bk, hdrSSEBucketKey)
			return object.SSERequest{BucketKey: b}, false, err
		}
		return req, false, nil
	}
	t := kura.SSEType(h.Get(keySSE))
	switch t {
	case kura.SSES3:
		if kmsKey != "" || ctx != "" {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				With("ArgumentName", hdrSSE)
		}
		// S3 accepts a bucket-key header with SSE-S3 and ignores it.
		return object.SSERequest{Type: kura.SSES3}, true, nil
	case kura.SSEKMS, kura.SSEDSSE:
		req = object.SSERequest{Type: t, KMSKeyID: kmsKey}
		if ctx != "" {
			if req.Context, err = encryptionContext(ctx); err != nil {
				return req, true, err
			}
		}
		if bk != "" {
			if req.BucketKey, err = parseBool(bk, hdrSSEBucketKey); err != nil {
				return req, true, err
			}
		}
		return req, true, nil
	}
	return req, true, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported").
		With("ArgumentName", hdrSSE).With("ArgumentValue", string(t))
}

// encryptionContext decodes and validates x-amz-server-side-encryption-context:
// base64 of a UTF-8 JSON object of string values.
func encryptionContext(v string) (string, error) {
	bad := s3err.InvalidArgument.WithMessage("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map").
		With("ArgumentName", hdrSSEContext)
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !utf8.Valid(raw) {
		return "", bad
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", bad
	}
	canon, _ := json.Marshal(m) // sorted keys: a canonical form to store
	return string(canon), nil
}

func parseBool(v, name string) (*bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return ptr(true), nil
	case "false":
		return ptr(false), nil
	}
	return nil, s3err.InvalidArgument.WithMessage("The value of %s must be true or false.", name).With("ArgumentName", name).With("ArgumentValue", v)
}

// checkReadSSEHeaders rejects encryption headers on reads: the encryption
// method cannot be chosen when reading.
func checkReadSSEHeaders(h http.Header) error {
	if h.Get(keySSE) != "" || h.Get(keySSEKMSKeyID) != "" {
		return s3err.InvalidArgument.WithMessage("x-amz-server-side-encryption header is not supported for this operation.").
			With("ArgumentName", hdrSSE)
	}
	return nil
}

// access collects what a request brings to use data keys: the caller, and
// the SSE-C key from the headers with the given prefix ("" or
// copySourcePrefix). SSE-C keys travel only over TLS unless the server
// allows otherwise for local testing.
func (h *Handler) access(req *request, prefix string) (object.KeyAccess, error) {
	acc := object.KeyAccess{Caller: req.caller()}
	key, _, ok, err := customerKey(req.Header, prefix)
	if err != nil {
		return acc, err
	}
	if ok {
		if err := h.sseCTransport(req); err != nil {
			return acc, err
		}
		acc.CustomerKey = key
	}
	return acc, nil
}

// kmsNeedsSigV4 enforces S3's rule that requests specifying SSE-KMS (or
// DSSE-KMS), and GETs of objects encrypted so, are signed with Signature
// Version 4 (SPEC §2.4, decision C6): SigV2 signs neither the host nor the
// payload. t is the type a request names or the object carries.
func kmsNeedsSigV4(req *request, t kura.SSEType) error {
	if req.auth == nil || (req.auth.SignatureVersion != "2" && !req.auth.Anonymous) || (t != kura.SSEKMS && t != kura.SSEDSSE) {
		return nil
	}
	return errKMSNeedsSigV4
}

// errKMSNeedsSigV4 is kmsNeedsSigV4's refusal (ops.ErrKMSNeedsSigV4, also
// GetObject's); the website endpoint, whose requests are all anonymous,
// answers it as AccessDenied (website.go).
var errKMSNeedsSigV4 = ops.ErrKMSNeedsSigV4()

// sseHeaderType is the encryption a request names in
// x-amz-server-side-encryption, if any.
func sseHeaderType(req *request) kura.SSEType { return kura.SSEType(req.Header.Get(keySSE)) }

// sseCTransport enforces S3's rule that SSE-C requests use HTTPS.
func (h *Handler) sseCTransport(req *request) error {
	if req.TLS == nil && !h.cfg.AllowInsecureSSEC {
		return s3err.InvalidRequest.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
	}
	return nil
}

// caller is the request as the layers below HTTP see it: who asks
// (the principal) and how the request arrived (kura.Source), for
// authorization, KMS and the audit trail.
func (req *request) caller() kura.Call {
	ip, _, _ := net.SplitHostPort(req.RemoteAddr)
	src := kura.Source{IP: ip, UserAgent: req.UserAgent(), Referer: req.Header.Get("Referer"),
		SecureTransport: req.TLS != nil, RequestID: req.id, Time: req.started}
	if req.TLS != nil {
		if v := tlsVersionName(req.TLS.Version); v != "" {
			src.TLSVersion = "TLSv" + v
		}
	}
	switch {
	case req.post != nil:
		src.AuthType = "POST"
	case req.auth != nil && req.auth.Anonymous:
	case req.auth != nil && req.auth.Presigned:
		src.AuthType = "QueryString"
	case req.auth != nil:
		src.AuthType = "AuthHeader"
	}
	if req.auth != nil {
		switch v := req.auth.SignatureVersion; v {
		case "":
		case "4":
			src.SignatureVersion = "SigV4" // a constant: caller runs several times a request
		case "2":
			src.SignatureVersion = "SigV2"
		default:
			src.SignatureVersion = "SigV" + v
		}
	}
	return kura.Call{Principal: req.identity, Source: src}
}

// setSSEHeaders writes the encryption response headers of an object.
func setSSEHeaders(h http.Header, enc kura.Encryption) {
	switch enc.Type {
	case kura.SSES3:
		h.Set(keySSE, string(kura.SSES3))
	case kura.SSEKMS, kura.SSEDSSE:
		h.Set(keySSE, string(enc.Type))
		h.Set(keySSEKMSKeyID, enc.KMSKeyARN)
		if enc.BucketKeyEnabled {
			h.Set(keySSEBucketKey, "true")
		}
	case kura.SSEC:
		h.Set(keySSECAlgorithm, "AES256")
		h.Set(keySSECKeyMD5, enc.CustomerKeyMD5)
	}
}
