package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
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
	copySourcePrefix = "x-amz-copy-source-"
)

// customerKey parses an SSE-C header trio (prefix "" for the object itself,
// copySourcePrefix for a copy source). ok is false when none is present.
// Errors follow S3's SSE-C error table (SPEC 2.6).
func customerKey(h http.Header, prefix string) (key []byte, keyMD5 string, ok bool, err error) {
	alg, k, md := h.Get(prefix+hdrSSECAlgorithm), h.Get(prefix+hdrSSECKey), h.Get(prefix+hdrSSECKeyMD5)
	if alg == "" && k == "" && md == "" {
		return nil, "", false, nil
	}
	switch {
	case alg == "":
		return nil, "", true, s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.").
			With("ArgumentName", prefix+hdrSSECAlgorithm)
	case alg != "AES256":
		return nil, "", true, s3err.InvalidEncryptionAlgorithm.With("ArgumentName", prefix+hdrSSECAlgorithm).With("ArgumentValue", alg)
	case k == "":
		return nil, "", true, s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.").
			With("ArgumentName", prefix+hdrSSECKey)
	case md == "":
		return nil, "", true, s3err.InvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.").
			With("ArgumentName", prefix+hdrSSECKeyMD5)
	}
	raw, derr := base64.StdEncoding.DecodeString(k)
	sum := md5.Sum(raw)
	if derr != nil || base64.StdEncoding.EncodeToString(sum[:]) != md {
		return nil, "", true, s3err.InvalidArgument.WithMessage("The calculated MD5 hash of the key did not match the hash that was provided.").
			With("ArgumentName", prefix+hdrSSECKeyMD5)
	}
	if len(raw) != 32 {
		return nil, "", true, s3err.InvalidArgument.WithMessage("The secret key was invalid for the specified algorithm.").
			With("ArgumentName", prefix+hdrSSECKey)
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
	_, hasSSE := h[http.CanonicalHeaderKey(hdrSSE)]
	kmsKey, ctx, bk := h.Get(hdrSSEKMSKeyID), h.Get(hdrSSEContext), h.Get(hdrSSEBucketKey)
	if isSSEC {
		if hasSSE {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with Customer provided key is incompatible with the encryption method specified").
				With("ArgumentName", hdrSSE)
		}
		return object.SSERequest{Type: meta.SSEC, CustomerKey: key, CustomerKeyMD5: keyMD5}, true, nil
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
	t := meta.SSEType(h.Get(hdrSSE))
	switch t {
	case meta.SSES3:
		if kmsKey != "" || ctx != "" {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				With("ArgumentName", hdrSSE)
		}
		// S3 accepts a bucket-key header with SSE-S3 and ignores it.
		return object.SSERequest{Type: meta.SSES3}, true, nil
	case meta.SSEKMS, meta.SSEDSSE:
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

// checkReadSSE rejects encryption headers on reads of objects that do not
// use SSE-C: the encryption method cannot be chosen when reading.
func checkReadSSE(h http.Header, enc meta.Encryption) error {
	if h.Get(hdrSSE) != "" || h.Get(hdrSSEKMSKeyID) != "" {
		return s3err.InvalidArgument.WithMessage("x-amz-server-side-encryption header is not supported for this operation.").
			With("ArgumentName", hdrSSE)
	}
	if enc.Type != meta.SSEC && h.Get(hdrSSECAlgorithm) != "" {
		return s3err.InvalidRequest.WithMessage("The encryption parameters are not applicable to this object.")
	}
	return nil
}

// setSSEHeaders writes the encryption response headers of an object.
func setSSEHeaders(h http.Header, enc meta.Encryption) {
	switch enc.Type {
	case meta.SSES3:
		h.Set(hdrSSE, string(meta.SSES3))
	case meta.SSEKMS, meta.SSEDSSE:
		h.Set(hdrSSE, string(enc.Type))
		h.Set(hdrSSEKMSKeyID, enc.KMSKeyARN)
		if enc.BucketKeyEnabled {
			h.Set(hdrSSEBucketKey, "true")
		}
	case meta.SSEC:
		h.Set(hdrSSECAlgorithm, "AES256")
		h.Set(hdrSSECKeyMD5, enc.CustomerKeyMD5)
	}
}
