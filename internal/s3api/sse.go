package s3api

import (
	"net/http"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// sseRequest parses the server-side encryption a write asks for. given
// reports whether the request named one explicitly.
func sseRequest(h http.Header) (req object.SSERequest, given bool, err error) {
	if h.Get("x-amz-server-side-encryption-customer-algorithm") != "" || h.Get("x-amz-server-side-encryption-customer-key") != "" {
		return req, true, s3err.NotImplemented.WithMessage("SSE-C is not implemented yet.")
	}
	v, ok := h["X-Amz-Server-Side-Encryption"]
	if !ok {
		if h.Get("x-amz-server-side-encryption-aws-kms-key-id") != "" {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				With("ArgumentName", "x-amz-server-side-encryption")
		}
		return req, false, nil
	}
	switch meta.SSEType(v[0]) {
	case meta.SSES3:
		if h.Get("x-amz-server-side-encryption-aws-kms-key-id") != "" {
			return req, true, s3err.InvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
				With("ArgumentName", "x-amz-server-side-encryption")
		}
		return object.SSERequest{Type: meta.SSES3}, true, nil
	case meta.SSEKMS, meta.SSEDSSE:
		return req, true, s3err.NotImplemented.WithMessage("Server-side encryption %s is not implemented yet.", v[0])
	}
	return req, true, s3err.InvalidArgument.WithMessage("The encryption method specified is not supported").
		With("ArgumentName", "x-amz-server-side-encryption").With("ArgumentValue", v[0])
}

// checkReadSSE rejects encryption headers on reads of objects that do not
// use SSE-C: the encryption method cannot be chosen when reading.
func checkReadSSE(h http.Header, enc meta.Encryption) error {
	if h.Get("x-amz-server-side-encryption") != "" || h.Get("x-amz-server-side-encryption-aws-kms-key-id") != "" {
		return s3err.InvalidArgument.WithMessage("x-amz-server-side-encryption header is not supported for this operation.").
			With("ArgumentName", "x-amz-server-side-encryption")
	}
	if enc.Type != meta.SSEC && h.Get("x-amz-server-side-encryption-customer-algorithm") != "" {
		return s3err.InvalidRequest.WithMessage("The encryption parameters are not applicable to this object.")
	}
	return nil
}

// setSSEHeaders writes the encryption response headers of an object.
func setSSEHeaders(h http.Header, enc meta.Encryption) {
	switch enc.Type {
	case meta.SSES3:
		h.Set("x-amz-server-side-encryption", string(meta.SSES3))
	case meta.SSEKMS, meta.SSEDSSE:
		h.Set("x-amz-server-side-encryption", string(enc.Type))
		h.Set("x-amz-server-side-encryption-aws-kms-key-id", enc.KMSKeyARN)
		if enc.BucketKeyEnabled {
			h.Set("x-amz-server-side-encryption-bucket-key-enabled", "true")
		}
	case meta.SSEC:
		h.Set("x-amz-server-side-encryption-customer-algorithm", "AES256")
		h.Set("x-amz-server-side-encryption-customer-key-MD5", enc.CustomerKeyMD5)
	}
}
