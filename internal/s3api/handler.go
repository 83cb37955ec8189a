// Package s3api serves the S3 REST API over HTTP: it authenticates requests
// (internal/sigv4), routes them to S3 operations, parses headers and XML,
// calls internal/object, and renders S3 XML responses and errors. It holds
// no state of its own and never logs request bodies or keys.
package s3api

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/s3control"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sigv4"
)

// Config wires a Handler.
type Config struct {
	// Redirect, when set, answers for a bucket this deployment does not
	// have but a linked deployment does: PermanentRedirect naming it
	// (nil: NoSuchBucket stands).
	Redirect func(ctx context.Context, bucket string) *s3err.Error
	Objects  *object.Service
	Verifier *sigv4.Verifier
	// Identify maps an authenticated access key and the request's
	// X-Amz-Security-Token to its principal.
	Identify func(ctx context.Context, accessKey, sessionToken string) (kura.Principal, error)
	Region   string
	// Domain is the base domain for virtual-host-style addressing:
	// bucket.<Domain>[:port].
	Domain string
	// KMS serves the AWS KMS JSON API on the same listener (requests
	// with X-Amz-Target: TrentService.*); nil answers them NotImplemented.
	KMS *kms.API
	// IAM serves the IAM and STS query APIs on the same listener (requests
	// signed for service iam or sts); nil answers them NotImplemented.
	IAM *iam.API
	// AllowInsecureSSEC accepts SSE-C keys over plain HTTP (local testing
	// only: the key then crosses the network in clear).
	AllowInsecureSSEC bool
	// IgnoreBypassWithoutLock accepts x-amz-bypass-governance-retention on
	// buckets without Object Lock and ignores it (RGW and MinIO do this; S3
	// answers 400 InvalidArgument, which stays the default). It exists for
	// clients written against those servers, among them the s3-tests
	// suite's cleanup.
	IgnoreBypassWithoutLock bool
	// WebsiteDomain, when set, serves bucket websites on the same
	// listener: a request whose Host is <bucket>.<WebsiteDomain>[:port] is
	// a request to the bucket's website endpoint (website.go), as
	// <bucket>.s3-website-<region>.amazonaws.com is in S3.
	WebsiteDomain string
	// DefaultObjectOwnership is the Object Ownership of buckets created
	// without x-amz-object-ownership; empty means BucketOwnerEnforced, S3's
	// default since April 2023 (ACLs disabled). ObjectWriter restores the
	// earlier default for clients that still rely on ACLs.
	DefaultObjectOwnership string
	// Audit receives one event per request (KMS requests excepted: the KMS
	// service records its own); nil records nothing.
	Audit *audit.Log
	// Metrics, when set, counts every request by operation (one place:
	// record, beside the audit event).
	Metrics metrics.Observer
	Logger  *slog.Logger
	// Policies returns a principal's identity and session policies for
	// the authorization step (authz.go); nil means principals other than
	// an account's root have none.
	Policies access.PolicySource
	// Accounts resolves the accounts S3 responses and ACL grants name
	// (owners.go); nil shows owners by account id.
	Accounts AccountDirectory
	// Jobs serves S3 Control's Batch Operations job API on the same
	// listener (requests under /v20180820/, control.go); nil answers
	// them NotImplemented.
	Jobs s3control.Jobs
	// Ops is the operation layer the handlers call for every S3
	// operation; nil builds one from Objects, Policies, Audit, Metrics and Region.
	// Its authorizer decides every request.
	Ops *ops.Service
	// Inventory produces a bucket's inventory report now (POST
	// ?inventory&id, `kura inventory run`) for the Ops built when Ops is
	// nil; nil: not offered. A given Ops has its own (ops.Config).
	Inventory func(ctx context.Context, bucket, id string) (kura.InventoryRun, error)
	// ReplicationStats gives the replicator's per-rule figures
	// (GET ?replication&status, `kura replication status`); nil: not
	// offered.
	ReplicationStats func() []replication.RuleStats
}

// Handler is the S3 API http.Handler.
type Handler struct {
	cfg Config
	obj *object.Service
	log *slog.Logger
	// authorizer decides every request's actions (authz.go).
	authorizer *access.Authorizer
	// ops runs the operations that exist without HTTP (opsfront.go).
	ops *ops.Service
	// control serves S3 Control requests; nil without Config.Jobs.
	control *s3control.Handler
}

// New returns a Handler.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, obj: cfg.Objects, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.ops = cfg.Ops
	if h.ops == nil {
		h.ops = ops.New(ops.Config{Objects: cfg.Objects, Policies: cfg.Policies, Accounts: h.accounts(), Audit: cfg.Audit,
			Metrics: cfg.Metrics, Region: cfg.Region, Logger: h.log, Inventory: cfg.Inventory})
	}
	h.authorizer = h.ops.Authorizer()
	if cfg.Jobs != nil {
		h.control = s3control.New(cfg.Jobs)
	}
	return h
}

// request is one S3 request being served.
type request struct {
	*http.Request
	w        http.ResponseWriter
	id       string
	bucket   string
	key      string
	query    url.Values
	auth     *sigv4.Result
	identity kura.Principal
	status   int
	started  time.Time
	tally    *metrics.Tally // what the operation did below s3api (KMS calls)
	// auditExtra is what the operation adds to its audit event's
	// additionalEventData (UpdateObjectEncryption: the old and new
	// encryption; PUT: SSEApplied). Never secrets.
	auditExtra map[string]any
	trail      auditState // what else the audit event needs; see audit.go
	// authz is the authorization step's state (authz.go), for checks the
	// operation makes later.
	authz *authzState
	// post is a browser POST upload's form (postobject.go); nil otherwise.
	post *postState
	// nameNullVersion: a read's answer names the null version
	// (x-amz-version-id: null); set by planRead and getObjectAttributes.
	nameNullVersion bool
	// owners memoizes ownerOf's directory lookups by account id.
	owners map[string]owner
	// website marks a request to the website endpoint (website.go),
	// whose errors are HTML pages.
	website bool
	// control marks an S3 Control request (control.go), whose errors
	// have S3 Control's format.
	control bool
}

// auditAdd records k=v for the request's audit event.
func (req *request) auditAdd(k string, v any) {
	if req.auditExtra == nil {
		req.auditExtra = map[string]any{}
	}
	req.auditExtra[k] = v
}

// newRequestID is 16 random upper-case hex digits, encoded in one
// allocation.
func newRequestID() string {
	const digits = "0123456789ABCDEF"
	var b [8]byte
	rand.Read(b[:])
	var s [16]byte
	for i, c := range b {
		s[2*i], s[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(s[:])
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Serve a shallow copy: the request's Body is replaced below (payload
	// verification, metering), and net/http decides whether the connection
	// can be reused by looking at the Body it handed out. On the original,
	// an Expect: 100-continue request answered without reading its body
	// (any early error) would keep the connection open although the client
	// never sent that body; botocore then misreads the next response on it
	// and hangs (s3-tests test_copy_part_enc with an SSE-C destination).
	ctx, tally := metrics.WithOp(r.Context())
	r = r.WithContext(ctx)
	req := &request{Request: r, id: newRequestID(), started: time.Now(), tally: tally}
	defer h.record(req) // runs last, also when the request panics
	w = h.watch(req, w)
	req.w = w
	w.Header().Set("X-Amz-Request-Id", req.id)
	w.Header().Set("X-Amz-Id-2", req.id)
	w.Header().Set("Server", "Kura")
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("panic serving request", "id", req.id, "method", r.Method, "path", r.URL.Path, "panic", p)
			h.writeError(req, s3err.InternalError)
		}
	}()
	err := h.serve(req)
	if err != nil {
		h.writeError(req, err)
	}
	// Drain what is left of the body so the connection can be reused, but
	// not unbounded. Not for a client still waiting for "100 Continue": it
	// sends no body until then, so draining here would hold back the final
	// answer (a 403, say) until it gives up; net/http sends the answer and
	// closes the connection instead (see the shallow copy above).
	if req.auth != nil && req.auth.Body != nil && !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		req.auth.Body.Close()
	}
}

func (h *Handler) serve(req *request) error {
	if s3control.Is(req.Request) {
		// By path, before addressing: the Host is <account-id>.<host>,
		// which is no bucket.
		return h.serveControl(req)
	}
	if b, ok := websiteBucket(req.Host, h.cfg.WebsiteDomain); ok {
		// Before addressing: a website host may also end in Domain.
		return h.serveWebsite(req, b)
	}
	q, err := url.ParseQuery(req.URL.RawQuery)
	if err != nil {
		return s3err.InvalidURI
	}
	req.query = q
	if err := h.address(req); err != nil {
		return err
	}
	if req.Method == http.MethodOptions && req.bucket != "" {
		// A CORS preflight: browsers send it without credentials (cors.go).
		return h.preflight(req)
	}
	h.applyCORS(req)
	if isPostForm(req) {
		// Signed in its body, not its headers: see postobject.go.
		return h.servePost(req)
	}
	if err := checkUOESignature(req); err != nil {
		return err
	}
	res, err := h.cfg.Verifier.Verify(req.Request)
	if err != nil {
		return err
	}
	req.auth = res
	req.Body = req.trail.meter(res.Body, res.Service)
	if err := kmsNeedsSigV4(req, sseHeaderType(req)); err != nil {
		return err
	}
	if res.Anonymous {
		return h.serveAnonymous(req)
	}
	id, err := h.cfg.Identify(req.Context(), res.AccessKey, res.SessionToken)
	if err != nil {
		return err
	}
	req.identity = id
	if strings.HasPrefix(req.Header.Get("X-Amz-Target"), "TrentService.") {
		if h.cfg.KMS == nil || res.Service != "kms" {
			return s3err.NotImplemented.WithMessage("This endpoint serves KMS requests signed for the kms service only.")
		}
		req.trail.kms = true // KMS writes the event itself
		h.cfg.KMS.Serve(req.w, req.Request, req.caller(), req.id)
		return nil
	}
	if iam.IsQueryService(res.Service) {
		if h.cfg.IAM == nil {
			return s3err.NotImplemented.WithMessage("This endpoint does not serve IAM or STS.")
		}
		h.cfg.IAM.Serve(req.w, req.Request, req.caller(), req.id)
		return nil
	}
	return h.route(req)
}

// address extracts bucket and key from a virtual-host-style Host or the
// path.
func (h *Handler) address(req *request) error {
	path := req.URL.Path
	host := req.Host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	if d := h.cfg.Domain; d != "" && strings.HasSuffix(host, "."+d) {
		req.bucket = strings.TrimSuffix(host, "."+d)
		req.key = strings.TrimPrefix(path, "/")
		return nil
	}
	p := strings.TrimPrefix(path, "/")
	if p == "" {
		return nil
	}
	bucket, key, _ := strings.Cut(p, "/")
	req.bucket, req.key = bucket, key
	return nil
}

// resource is the Resource element of error bodies.
func (req *request) resource() string {
	if req.bucket == "" {
		return "/"
	}
	if req.key == "" {
		return "/" + req.bucket
	}
	return "/" + req.bucket + "/" + req.key
}

// writeError answers the request with err. A client that went away is not
// a server fault: a failure it caused is logged at Info, and an error
// that would be a 5xx is recorded as IncompleteBody, what S3 answers a
// request cut short (the client reads neither). Real faults are logged at
// ERROR and answered InternalError.
func (h *Handler) writeError(req *request, err error) {
	hangup := req.clientGone() && req.causedByHangup(err)
	if out := req.trail.out; out != nil && out.status != 0 {
		// The response is under way: the only honest signal left is to
		// break the connection so the client sees a truncated body.
		if hangup {
			h.log.Info("client went away during the response", "id", req.id, "method", req.Method,
				"bucket", req.bucket, "key", req.key, "status", out.status, "bytesSent", out.n, "err", err)
		} else {
			req.trail.failure = s3err.As(err)
			h.log.Error("request failed after response started", "id", req.id, "method", req.Method,
				"bucket", req.bucket, "key", req.key, "status", out.status, "bytesSent", out.n, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	e := s3err.As(err)
	if e.Code == s3err.NoSuchBucket.Code && req.bucket != "" && h.cfg.Redirect != nil && !req.website && !req.control && !hangup {
		if r := h.cfg.Redirect(req.Context(), req.bucket); r != nil {
			e = r
		}
	}
	switch {
	case hangup:
		if e.Status >= 500 || errors.Is(err, context.Canceled) {
			e = s3err.IncompleteBody
		}
		h.log.Info("client went away", "id", req.id, "method", req.Method, "bucket", req.bucket, "key", req.key,
			"answer", e.Code, "err", err)
	case errors.Is(err, context.Canceled):
		e = s3err.IncompleteBody
	case e.Status == http.StatusNotImplemented:
		// The client asked for something Kura does not do (MFA delete,
		// S3 Select restores, …): its answer, not a server fault.
		h.log.Debug("request asks for what Kura does not implement", "id", req.id, "method", req.Method,
			"bucket", req.bucket, "key", req.key, "err", err)
	case e.Status >= 500:
		h.log.Error("request failed", "id", req.id, "method", req.Method, "bucket", req.bucket, "key", req.key, "err", err)
	}
	req.trail.failure = e
	if req.website {
		for _, f := range e.Header {
			req.w.Header().Set(f.Name, f.Value)
		}
		writeWebsiteError(req, e, err)
		return
	}
	if req.control {
		req.status = s3control.WriteError(req.w, e, req.id)
		return
	}
	if h.cfg.IAM != nil && iam.IsQueryService(iam.ScopeService(req.Request)) {
		// IAM and STS clients parse their own error format.
		req.status = h.cfg.IAM.WriteError(req.w, req.Request, err, req.id)
		return
	}
	hdr := req.w.Header()
	for _, f := range e.Header {
		hdr.Set(f.Name, f.Value)
	}
	req.status = e.Status
	if req.Method == http.MethodHead || e.Status == http.StatusNotModified {
		req.w.WriteHeader(e.Status)
		return
	}
	body := errorXML{Code: e.Code, Message: e.Message, Resource: req.resource(), RequestID: req.id, HostID: req.id}
	for _, f := range e.Extra {
		body.Extra = append(body.Extra, extraElem{XMLName: xmlName(f.Name), Value: f.Value})
	}
	writeXML(req, e.Status, body)
}
