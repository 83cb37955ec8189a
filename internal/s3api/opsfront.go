package s3api

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/ops"
)

// The handlers of the S3 operations (every one is a function of
// internal/ops) translate the request into the operation's input and
// call it, so that
// every caller runs the same code. The route has already authorized the
// request's actions (authz.go: before its body is read, with its own
// condition keys, in the order of errors clients see), and record
// finishes its event and metrics from the request and the response; the
// operation is told so (ops.Front) and decides only the checks it makes
// while running, through the request's authorization state.

// front returns the context an operation is called with for req, whose
// bucket b the handler has loaded (bucketFor).
func (h *Handler) front(req *request, b *kura.Bucket) context.Context {
	return ops.WithFront(req.Context(), &ops.Front{
		Bucket: b,
		Decide: func(_ context.Context, r access.Request) error {
			return req.allowed(r.Action, r.Resource, r.Conditions)
		},
		Note: req.auditAdd,
	})
}

// target is the object req addresses.
func (req *request) target() ops.Target {
	return ops.Target{Bucket: req.bucket, Key: req.key, VersionID: req.query.Get("versionId")}
}
