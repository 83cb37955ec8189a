package s3api

import (
	"net/url"

	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3control"
	"github.com/kurastore/kura/internal/s3err"
)

// S3 Control's Batch Operations job API (internal/s3control) is served
// on the S3 listener: its requests are signed for service s3 like S3's
// and are authenticated here the same way; the job engine behind
// Config.Jobs authorizes them. A request that reaches the engine is
// recorded by it (audit event and metrics: s3control.Jobs), so record
// drops its own; one turned away before (authentication, the account,
// a malformed request) is recorded by record like an S3 request, named
// by the S3 Control operation (s3Event).

// serveControl serves an S3 Control request (s3control.Is).
func (h *Handler) serveControl(req *request) error {
	req.control = true
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return s3err.InvalidURI
	}
	req.query = q
	res, err := h.cfg.Verifier.Verify(req.Request)
	if err != nil {
		return err
	}
	req.auth = res
	req.Body = req.trail.meter(res.Body, res.Service)
	if res.Service != "s3" {
		return s3err.AuthorizationHeaderMalformed.WithMessage("S3 Control requests are signed for service s3, not %q.", res.Service)
	}
	if res.Anonymous {
		return s3err.AccessDenied.WithMessage("Anonymous requests cannot manage Batch Operations jobs: sign the request.")
	}
	id, err := h.cfg.Identify(req.Context(), res.AccessKey, res.SessionToken)
	if err != nil {
		return err
	}
	req.identity = id
	if res.SignatureVersion == "2" {
		return s3err.InvalidRequest.WithMessage("S3 Control requests must be signed with Signature Version 4.")
	}
	if h.control == nil {
		return s3err.NotImplemented.WithMessage("This server does not serve S3 Batch Operations: no job engine is configured.")
	}
	recorded, err := h.control.Serve(req.w, req.Request, req.caller())
	req.trail.recorded = recorded
	return err
}

// controlEvent completes the event of an S3 Control request turned away
// before the engine: the job id and account it names.
func controlEvent(req *request, o s3control.Operation, ev *ops.Record) {
	p := ev.RequestParameters
	if a := req.Header.Get("X-Amz-Account-Id"); a != "" {
		p["accountId"] = a
	}
	if o.JobID != "" {
		p["jobId"] = o.JobID
	}
	for _, k := range []string{s3control.HeaderDryRun, s3control.HeaderUndoOf} {
		if v := req.Header.Get(k); v != "" {
			p[k] = v
		}
	}
}
