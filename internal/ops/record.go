package ops

import (
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/metrics"
)

// Record describes one operation as its audit event and its metrics see
// it: the one description every caller finishes an operation with. The
// HTTP front (s3api) fills it from its request and response; the
// operations of this package fill it from their call and result. Both
// then call Finish, so an S3 operation leaves the same event and the same
// figures whoever asked for it.
type Record struct {
	// Service is the API for the metrics: s3, kms, iam or sts.
	Service string
	// EventSource is the event's eventSource (s3.amazonaws.com).
	EventSource string
	// Name is the operation as CloudTrail names it (PutObjectTagging).
	Name string
	// ReadOnly and Data are the event's readOnly and its category (data
	// event, else management event).
	ReadOnly, Data bool

	// Call is who asked and how the call arrived: userIdentity,
	// sourceIPAddress, userAgent, requestID and eventTime come from it.
	Call kura.Call
	// Identity, when set, replaces the userIdentity Call.Principal gives
	// (a request that failed authentication names the key it claimed).
	Identity *audit.UserIdentity
	Region   string
	// RecipientAccountID is the account the event belongs to: the
	// bucket's owner when there is a bucket, else the caller's account.
	RecipientAccountID string
	TLS                *audit.TLSDetails

	RequestParameters   map[string]any
	ResponseElements    map[string]any
	AdditionalEventData map[string]any
	Resources           []audit.Resource

	// ErrorCode and ErrorMessage are the error the operation answered,
	// if any.
	ErrorCode, ErrorMessage string

	// Status is the HTTP status the operation answered (or would have:
	// an operation called without HTTP counts by the status S3 gives its
	// outcome).
	Status            int
	Duration          time.Duration
	BytesIn, BytesOut int64
	// KMSCalls is what the operation's context counted (metrics.Tally).
	KMSCalls int64
	// ObjectSize is the size of the object the operation read or wrote,
	// when known (0: not known); server access logs' object size.
	ObjectSize int64
	// ACLRequired is set when an ACL grant, not a policy, allowed the
	// operation (access.Memo.ACLRequired): server access logs' aclRequired.
	ACLRequired bool
	// HTTP is what only an HTTP request knows (nil: called without
	// HTTP), for server access logs.
	HTTP *HTTPDetails
	// Deleted is a DeleteObjects' outcome key by key, for the server
	// access logs' BATCH.DELETE.OBJECT records (not in the audit event:
	// CloudTrail's DeleteObjects event names no keys either).
	Deleted []DeletedObject
}

// HTTPDetails is the part of a request only the HTTP front knows.
type HTTPDetails struct {
	// RequestLine is "METHOD /path?query PROTO", with the values of
	// signature and credential parameters removed.
	RequestLine string
	Method      string
	Referer     string
	Host        string
	// HostID is the response's x-amz-id-2.
	HostID string
	// TurnAround is from the request's last byte read to the response's
	// first byte written (negative: not known).
	TurnAround time.Duration
}

// RecordObserver is a metrics.Observer that also sees every finished
// operation as a whole: the server access logs (internal/accesslog).
// Finish hands the Record to an Observer that is one.
type RecordObserver interface {
	metrics.Observer
	ObserveRecord(r *Record)
}

// Event is the operation's audit event, CloudTrail-shaped (docs/formats.md,
// "Audit log"). Its eventID is the Pending's, set by Finish.
func (r *Record) Event() audit.Event {
	uid := audit.UserIdentityOf(r.Call.Principal, r.Call.Source)
	if r.Identity != nil {
		uid = *r.Identity
	}
	src := r.Call.Source
	ev := audit.Event{
		EventTime: src.Time, AWSRegion: r.Region, SourceIPAddress: src.IP, UserAgent: src.UserAgent,
		UserIdentity: uid, RequestID: src.RequestID, RecipientAccountID: r.RecipientAccountID,
		ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, TLSDetails: r.TLS,
		EventSource: r.EventSource, EventName: r.Name, ReadOnly: r.ReadOnly,
		ManagementEvent: !r.Data, EventCategory: "Management",
		RequestParameters: r.RequestParameters, ResponseElements: r.ResponseElements,
		AdditionalEventData: r.AdditionalEventData, Resources: r.Resources,
	}
	if r.Data {
		ev.EventCategory = "Data"
	}
	return ev
}

// Finish ends an operation: it counts it in m and appends its event to
// the trail through p, the Pending the operation began with (so the
// outbox entry its changes staged is let go). A nil p (no audit trail)
// or nil m records nothing there. The error is the trail's: the event is
// then shipped from the outbox at the next start if the operation changed
// anything.
func (r *Record) Finish(p *audit.Pending, m metrics.Observer) error {
	if m != nil {
		m.Observe(metrics.Op{Service: r.Service, Name: r.Name, Status: r.Status, Duration: r.Duration,
			BytesIn: r.BytesIn, BytesOut: r.BytesOut}, r.KMSCalls)
		if ro, ok := m.(RecordObserver); ok {
			ro.ObserveRecord(r)
		}
	}
	if p == nil {
		return nil
	}
	return p.Finish(r.Event())
}
