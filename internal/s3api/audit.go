package s3api

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3control"
	"github.com/kurastore/kura/internal/s3err"
)

// Every request gets exactly one audit event, written after the response:
// S3 requests here (authenticated or not, routed or not), IAM and STS
// requests in auditiam.go, and KMS requests by the KMS service itself
// (only those rejected before reaching it are recorded here). Events carry
// names, headers and sizes, never a body, a key or a secret. The event is
// begun with the request (watch) and travels in its context as an
// audit.Pending, so every metadata change the request makes is committed
// with it; a process that stops before record runs loses no event of a
// change (the audit outbox ships it at the next start).

// auditState is what a request's audit event needs beyond the request.
type auditState struct {
	out         *auditWriter
	in          atomic.Int64 // decoded body bytes the handler read
	lastRead    atomic.Int64 // when the handler last read the body (UnixNano)
	keepBody    bool         // IAM/STS: keep the form body for requestParameters
	body        []byte
	kms         bool                // handed to the KMS API, which records its own event
	recorded    bool                // handed to the job engine, which records its own event and metrics
	failure     *s3err.Error        // the error the response carries, if any
	bucketOwner string              // account owning the request's bucket, once loaded
	deleted     []ops.DeletedObject // a DeleteObjects' keys, for the access logs
	// pending is the request's event until record finishes it: the
	// metadata changes the request makes stage it in the audit outbox
	// (audit.Pending), so a change is never without its event.
	pending *audit.Pending
	// hangup is the error with which the client's connection ended while
	// the request body was being read, if it did.
	hangup error
}

// maxKeptBody bounds the IAM/STS form body kept for the audit event.
const maxKeptBody = 64 << 10

// watch begins the request's audit event and wraps the response writer and
// the request body to see what is sent and received, and whether the
// client goes away.
func (h *Handler) watch(req *request, w http.ResponseWriter) http.ResponseWriter {
	st := &req.trail
	st.out = &auditWriter{ResponseWriter: w}
	if h.cfg.Audit != nil {
		st.pending = h.cfg.Audit.BeginFunc(func() audit.Event { return h.intent(req) })
		req.Request = req.WithContext(audit.WithPending(req.Context(), st.pending))
	}
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = &connBody{ReadCloser: req.Body, st: st}
	}
	return st.out
}

// meter wraps the verified request body to count what the handler reads.
func (st *auditState) meter(body io.ReadCloser, service string) io.ReadCloser {
	st.keepBody = service == "iam" || service == "sts"
	return &meteredBody{ReadCloser: body, st: st}
}

// connBody notes a request body cut off by the client's connection ending.
type connBody struct {
	io.ReadCloser
	st *auditState
}

func (b *connBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.st.hangup == nil && disconnected(err) {
		b.st.hangup = err
	}
	return n, err
}

// disconnected reports errors that mean the connection to the client is
// gone: it ended inside the request body, was reset or closed, or the
// request was canceled (net/http cancels a request's context when its
// connection closes).
func disconnected(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, context.Canceled)
}

// clientGone reports whether the client went away before the request was
// done: a write to it failed, its connection ended inside the request body,
// or net/http canceled the request's context.
func (req *request) clientGone() bool {
	return (req.trail.out != nil && req.trail.out.werr != nil) || req.trail.hangup != nil ||
		errors.Is(req.Context().Err(), context.Canceled)
}

// causedByHangup reports whether err, which ended a request whose client
// went away, is a consequence of that: it is the failed write, a
// disconnection or cancellation, or a client error. A server fault (any
// other 5xx) is not, even when the client is gone too.
func (req *request) causedByHangup(err error) bool {
	if out := req.trail.out; out != nil && out.werr != nil && errors.Is(err, out.werr) {
		return true
	}
	return disconnected(err) || s3err.As(err).Status < 500
}

type meteredBody struct {
	io.ReadCloser
	st *auditState
}

func (b *meteredBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.st.in.Add(int64(n))
	b.st.lastRead.Store(time.Now().UnixNano())
	if b.st.keepBody && len(b.st.body) < maxKeptBody {
		b.st.body = append(b.st.body, p[:min(n, maxKeptBody-len(b.st.body))]...)
	}
	return n, err
}

// auditWriter counts response body bytes and keeps the start of an error
// body (for IAM/STS errors, which are not rendered by writeError).
type auditWriter struct {
	http.ResponseWriter
	status  int
	n       int64
	first   time.Time // when the response began
	errBody []byte
	werr    error // the first failed write: the client is gone
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.first = time.Now()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.first = time.Now()
	}
	if w.status >= 400 && len(w.errBody) < 4<<10 {
		w.errBody = append(w.errBody, b[:min(len(b), 4<<10-len(w.errBody))]...)
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	if err != nil && w.werr == nil {
		w.werr = err
	}
	return n, err
}

func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// record appends the request's audit event. A failure to write it cannot
// change a response already sent; it is logged as an error, and the event
// is shipped from the audit outbox at the next start if the request
// changed anything.
//
// It is also where the request's metrics are taken, so that the audit
// trail and the metrics name every operation alike.
func (h *Handler) record(req *request) {
	if h.cfg.Audit == nil && h.cfg.Metrics == nil {
		return
	}
	status, sent := http.StatusOK, int64(0) // nothing written: net/http answers 200
	if out := req.trail.out; out != nil {
		sent = out.n
		if out.status != 0 {
			status = out.status
		}
	}
	elapsed, received, kmsCalls := time.Since(req.started), req.trail.in.Load(), req.tally.KMSCalls()
	if req.trail.kms {
		req.trail.pending.Drop() // KMS staged and finished its own
		if h.cfg.Metrics != nil {
			h.cfg.Metrics.Observe(metrics.Op{Service: "kms", Name: strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "TrentService."),
				Status: status, Duration: elapsed, BytesIn: received, BytesOut: sent}, kmsCalls)
		}
		return
	}
	if req.trail.recorded {
		req.trail.pending.Drop() // the job engine staged and finished its own
		return
	}
	d := h.describe(req, false)
	d.Service, d.Status, d.Duration, d.BytesIn, d.BytesOut, d.KMSCalls = req.service(), status, elapsed, received, sent, kmsCalls
	d.HTTP, d.ObjectSize, d.Deleted = h.httpDetails(req), req.objectSize(received), req.trail.deleted
	if req.authz != nil {
		d.ACLRequired = req.authz.memo.ACLRequired()
	}
	if err := d.Finish(req.trail.pending, h.cfg.Metrics); err != nil {
		h.log.Error("audit event not written", "id", req.id, "event", d.Name, "err", err)
	}
}

// httpDetails is what a server access log record takes from the request
// itself (ops.HTTPDetails).
func (h *Handler) httpDetails(req *request) *ops.HTTPDetails {
	target := req.RequestURI // the request-target as sent
	if target == "" {
		target = req.URL.RequestURI()
	}
	path, query, _ := strings.Cut(target, "?")
	d := &ops.HTTPDetails{RequestLine: req.Method + " " + logURI(path, query) + " " + req.Proto,
		Method: req.Method, Referer: req.Referer(), Host: req.Host, HostID: req.id, TurnAround: -1}
	if out := req.trail.out; out != nil && !out.first.IsZero() {
		from := req.started
		if n := req.trail.lastRead.Load(); n != 0 && time.Unix(0, n).After(from) {
			from = time.Unix(0, n)
		}
		d.TurnAround = max(out.first.Sub(from), 0)
	}
	return d
}

// logURI is a request's path and query for an access log: the values of
// signature, credential and token parameters (a presigned URL's, which
// would let a reader of the log replay it) are removed.
func logURI(path, rawQuery string) string {
	if rawQuery == "" {
		return path
	}
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); err == nil && secretParam(name) && !strings.EqualFold(name, "x-amz-date") &&
			!strings.EqualFold(name, "x-amz-expires") && !strings.EqualFold(name, "x-amz-algorithm") && !strings.EqualFold(name, "x-amz-signedheaders") {
			parts[i] = k + "=REDACTED"
		}
	}
	return path + "?" + strings.Join(parts, "&")
}

// objectSize is the size of the object a request read or wrote, when the
// response tells it: a Content-Range's total, a whole GET's or HEAD's
// Content-Length, a PUT's body.
func (req *request) objectSize(received int64) int64 {
	if req.key == "" || req.trail.out == nil || req.w == nil {
		return 0
	}
	hd := req.w.Header()
	if cr := hd.Get("Content-Range"); cr != "" {
		if _, total, ok := strings.Cut(cr, "/"); ok {
			if n, err := strconv.ParseInt(total, 10, 64); err == nil {
				return n
			}
		}
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		if st := req.trail.out.status; st == 0 || st == http.StatusOK {
			if n, err := strconv.ParseInt(hd.Get("Content-Length"), 10, 64); err == nil {
				return n
			}
		}
	case http.MethodPut:
		if req.query.Has("encryption") || req.query.Has("tagging") || req.query.Has("acl") || req.query.Has("retention") || req.query.Has("legal-hold") {
			return 0
		}
		return received
	}
	return 0
}

// event builds the request's audit event. An intent is the event as far as
// it is known while the request runs (audit.Pending): without what the
// response will tell.
func (h *Handler) event(req *request, intent bool) audit.Event {
	d := h.describe(req, intent)
	return d.Event()
}

// describe translates the request into the description of a finished
// operation that every caller's event and metrics are built from
// (ops.Record): the HTTP front's only part in them.
func (h *Handler) describe(req *request, intent bool) ops.Record {
	d := h.baseRecord(req)
	switch svc := req.service(); svc {
	case "kms":
		kmsRejectedEvent(req, &d)
	case "iam", "sts":
		iamEvent(req, svc, &d, !intent)
	default:
		h.s3Event(req, &d, intent)
	}
	return d
}

// intent is the request's event for the audit outbox; see event.
func (h *Handler) intent(req *request) audit.Event { return h.event(req, true) }

// service is the AWS service a request is for: kms for the KMS JSON API,
// else the service its SigV4 credential scope names (as verified, or as
// claimed when verification failed), s3 by default.
func (req *request) service() string {
	if strings.HasPrefix(req.Header.Get("X-Amz-Target"), "TrentService.") {
		return "kms"
	}
	svc := ""
	if req.auth != nil {
		svc = req.auth.Service
	} else {
		_, svc = claimedCredential(req.Request)
	}
	switch svc {
	case "iam", "sts":
		return svc
	}
	return "s3"
}

// claimedCredential is the access key id and service of the request's
// SigV4 credential, unverified.
func claimedCredential(r *http.Request) (accessKey, service string) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if a := r.Header.Get("Authorization"); a != "" {
		_, after, ok := strings.Cut(a, "Credential=")
		if !ok {
			return "", ""
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[0], parts[3]
}

// baseRecord fills what every event shares: who, when, from where, result.
func (h *Handler) baseRecord(req *request) ops.Record {
	call := req.caller()
	if call.Source.IP == "" {
		call.Source.IP = req.RemoteAddr // no port to strip
	}
	uid := req.userIdentity()
	d := ops.Record{Call: call, Identity: &uid, Region: h.cfg.Region, RecipientAccountID: req.identity.AccountID}
	if e := req.trail.failure; e != nil && e.Status != http.StatusNotModified {
		d.ErrorCode, d.ErrorMessage = e.Code, e.Message
	}
	if t := req.TLS; t != nil {
		d.TLS = &audit.TLSDetails{
			TLSVersion:               "TLSv" + strings.TrimPrefix(tls.VersionName(t.Version), "TLS "),
			CipherSuite:              tls.CipherSuiteName(t.CipherSuite),
			ClientProvidedHostHeader: req.Host,
		}
	}
	return d
}

// userIdentity is CloudTrail's userIdentity: the authenticated principal
// (audit.UserIdentityOf, as every event names it); for a request that
// failed authentication, the access key it claimed; for an unsigned
// request, the anonymous principal.
func (req *request) userIdentity() audit.UserIdentity {
	if req.identity.ARN == "" {
		if ak, _ := claimedCredential(req.Request); ak != "" {
			return audit.UserIdentity{Type: "Unknown", AccessKeyID: ak}
		}
	}
	return audit.UserIdentityOf(req.identity, kura.Source{})
}

// authAdditional is additionalEventData's description of how the request
// was signed and carried.
func (req *request) authAdditional(x map[string]any) {
	// A verified request says how it was signed; one that failed
	// verification is described from what it claims.
	q := req.URL.Query()
	switch {
	case req.auth != nil && req.auth.Anonymous:
	case req.auth != nil && req.auth.SignatureVersion != "":
		x["SignatureVersion"], x["AuthenticationMethod"] = "SigV"+req.auth.SignatureVersion, "AuthHeader"
		if req.auth.Presigned {
			x["AuthenticationMethod"] = "QueryString"
		}
	case q.Has("X-Amz-Signature"):
		x["SignatureVersion"], x["AuthenticationMethod"] = "SigV4", "QueryString"
	case q.Has("AWSAccessKeyId") && q.Has("Signature"):
		x["SignatureVersion"], x["AuthenticationMethod"] = "SigV2", "QueryString"
	case strings.HasPrefix(req.Header.Get("Authorization"), "AWS4-"):
		x["SignatureVersion"], x["AuthenticationMethod"] = "SigV4", "AuthHeader"
	case strings.HasPrefix(req.Header.Get("Authorization"), "AWS "):
		x["SignatureVersion"], x["AuthenticationMethod"] = "SigV2", "AuthHeader"
	}
	if req.TLS != nil {
		x["CipherSuite"] = tls.CipherSuiteName(req.TLS.CipherSuite)
	}
}

// Request headers an S3 event's requestParameters carry. Never the SSE-C
// key (nor its MD5, which CloudTrail does not document either).
var auditRequestHeaders = auditHeaders(hdrSSE, hdrSSEKMSKeyID, hdrSSEBucketKey, hdrSSECAlgorithm, "x-amz-copy-source")

// Response headers a successful write's responseElements carry.
var auditResponseHeaders = auditHeaders(hdrSSE, hdrSSEKMSKeyID, hdrSSEBucketKey, hdrSSECAlgorithm,
	"x-amz-version-id", "x-amz-delete-marker", "x-amz-copy-source-version-id")

// auditHeader is a header an audit event names as name; key is its
// canonical form, looked up directly (http.Header.Get canonicalizes a
// lower-case name into a new string on every call: a dozen per request).
type auditHeader struct{ name, key string }

func auditHeaders(names ...string) []auditHeader {
	hs := make([]auditHeader, len(names))
	for i, n := range names {
		hs[i] = auditHeader{name: n, key: http.CanonicalHeaderKey(n)}
	}
	return hs
}

// get is h.Get(a.name).
func (a auditHeader) get(h http.Header) string {
	if v := h[a.key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h *Handler) s3Event(req *request, ev *ops.Record, intent bool) {
	var o operation
	var known bool
	var co s3control.Operation
	if req.control {
		// S3 Control's operations are management events (CloudTrail).
		co = s3control.OperationOf(req.Request)
		o, known = operation{Name: co.Name, ReadOnly: co.ReadOnly}, co.Name != ""
		if !known {
			o.Name = "S3Control" + fallbackName(req)
		}
		known = true
	} else if az := req.authz; az != nil {
		o, known = az.op, true // as authorize resolved it
	} else if req.website {
		o, known = websiteOp(req), true // also when it failed before authorize
	} else {
		o, known = opInfo(req)
	}
	if !known {
		o = operation{Name: fallbackName(req), Object: levelOf(req) == levelObject,
			ReadOnly: req.Method == http.MethodGet || req.Method == http.MethodHead}
		o.Data = o.Object
	}
	ev.EventSource, ev.Name, ev.ReadOnly, ev.Data = "s3.amazonaws.com", o.Name, o.ReadOnly, o.Data
	if owner := req.trail.bucketOwner; owner != "" {
		ev.RecipientAccountID = owner
	}

	p := map[string]any{}
	for k, v := range req.query {
		if !secretParam(k) {
			p[k] = strings.Join(v, ",")
		}
	}
	for _, k := range auditRequestHeaders {
		if v := k.get(req.Header); v != "" {
			p[k.name] = v
		}
	}
	p["Host"] = req.Host
	if req.bucket != "" {
		p["bucketName"] = req.bucket
	}
	if req.key != "" {
		p["key"] = req.key
	}
	ev.RequestParameters = p
	if req.control {
		controlEvent(req, co, ev)
	}

	ok := !intent && ev.ErrorCode == "" && req.trail.out != nil && req.trail.out.status < 300
	if ok && !o.ReadOnly {
		r := map[string]any{}
		for _, k := range auditResponseHeaders {
			if v := k.get(req.w.Header()); v != "" {
				r[k.name] = v
			}
		}
		if len(r) > 0 {
			ev.ResponseElements = r
		}
	}

	x := map[string]any{"bytesTransferredIn": req.trail.in.Load(), "x-amz-id-2": req.id}
	if req.trail.out != nil && !intent {
		x["bytesTransferredOut"] = req.trail.out.n
	}
	if !intent && req.clientGone() {
		x["clientDisconnected"] = true
	}
	req.authAdditional(x)
	if o.SSE && ok {
		if v := sseApplied(req.Header, req.w.Header()); v != "" {
			x["SSEApplied"] = v
		}
	}
	for k, v := range req.auditExtra {
		x[k] = v
	}
	ev.AdditionalEventData = x

	if req.bucket != "" {
		if o.Object && req.key != "" {
			ev.Resources = append(ev.Resources, audit.Resource{Type: "AWS::S3::Object", ARN: objectARN(req.bucket, req.key)})
		}
		if o.SourceARN != "" {
			ev.Resources = append(ev.Resources, audit.Resource{Type: "AWS::S3::Object", ARN: o.SourceARN})
		}
		ev.Resources = append(ev.Resources, audit.Resource{Type: "AWS::S3::Bucket", ARN: bucketARN(req.bucket),
			AccountID: req.trail.bucketOwner})
	}
}

// sseApplied is CloudTrail's SSEApplied for a write: SSE_* when the
// request asked for the encryption, Default_SSE_* when the bucket default
// chose it. DSSE-KMS is not documented; Kura writes SSE_KMS_DSSE and
// Default_SSE_KMS_DSSE.
func sseApplied(reqH, respH http.Header) string {
	name := map[string]string{"AES256": "SSE_S3", "aws:kms": "SSE_KMS", "aws:kms:dsse": "SSE_KMS_DSSE"}
	switch {
	case reqH.Get(keySSECAlgorithm) != "":
		return "SSE_C"
	case reqH.Get(keySSE) != "":
		return name[reqH.Get(keySSE)]
	case respH.Get(keySSE) != "":
		if n := name[respH.Get(keySSE)]; n != "" {
			return "Default_" + n
		}
	}
	return ""
}

// secretParam reports query parameters an event must not carry: the
// signature and credentials of presigned URLs, and anything key-, token-
// or password-like.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "x-amz-signature", "x-amz-credential", "x-amz-security-token", "x-amz-algorithm", "x-amz-date",
		"x-amz-expires", "x-amz-signedheaders", "signature", "awsaccesskeyid":
		return true
	}
	for _, s := range []string{"customer-key", "secret", "password", "security-token", "signature", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// kmsRejectedEvent records a KMS request turned away before it reached the
// KMS API (authentication, wrong signing service). Requests that reach it
// are recorded by the KMS service.
func kmsRejectedEvent(req *request, ev *ops.Record) {
	ev.EventSource = "kms.amazonaws.com"
	ev.Name = strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "TrentService.")
	ev.ReadOnly = readOnlyAction(ev.Name)
}

// readOnlyAction guesses readOnly from an AWS action name, as the
// Get/List/Describe convention of AWS APIs allows.
func readOnlyAction(action string) bool {
	for _, p := range []string{"Get", "List", "Describe"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}
