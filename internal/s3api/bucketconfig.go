package s3api

import (
	"github.com/kurastore/kura"
)

// Bucket configuration sub-resources (ACL, policy, encryption, Object
// Lock, CORS, lifecycle, website, ownership controls, Block Public
// Access, inventory) are operations of internal/ops: a PUT's handler
// reads its checksummed body and its XML into the operation's input, a
// GET's writes the operation's result as XML. These helpers are that
// shape.

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

// answer ends a request whose operation answers no body: err, else
// status (200 for most configuration PUTs, 204 for a DELETE).
func answer(req *request, status int, err error) error {
	if err != nil {
		return err
	}
	req.w.WriteHeader(status)
	return nil
}
