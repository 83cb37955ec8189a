package s3api

import (
	"net/http"

	"github.com/kurastore/kura"
)

// Bucket configuration sub-resources (encryption, CORS, lifecycle,
// ownership controls, policy) share one shape: a PUT reads a checksummed
// body, validates it and stores it in the bucket record; a DELETE clears
// it. These helpers are that shape.

// configBody reads the body of a bucket configuration PUT, up to limit
// bytes, after checking the bucket (existence, expected owner) and that
// the request carries Content-MD5 or an x-amz-checksum, as S3 requires for
// every configuration PUT.
func (h *Handler) configBody(req *request, limit int64) (*kura.Bucket, []byte, error) {
	b, err := h.bucketFor(req)
	if err != nil {
		return nil, nil, err
	}
	if err := requireIntegrity(req); err != nil {
		return nil, nil, err
	}
	body, err := readBody(req, limit)
	return b, body, err
}

// setBucketConfig stores a configuration with set and answers status
// (200 for a PUT, 204 for a DELETE).
func (h *Handler) setBucketConfig(req *request, status int, set func(b *kura.Bucket)) error {
	if err := h.obj.UpdateBucket(req.Context(), req.bucket, func(b *kura.Bucket) error {
		set(b)
		return nil
	}); err != nil {
		return err
	}
	req.w.WriteHeader(status)
	return nil
}

// clearBucketConfig is a configuration DELETE: it checks the bucket, clears
// the configuration with clear and answers 204.
func (h *Handler) clearBucketConfig(req *request, clear func(b *kura.Bucket)) error {
	if _, err := h.bucketFor(req); err != nil {
		return err
	}
	return h.setBucketConfig(req, http.StatusNoContent, clear)
}
