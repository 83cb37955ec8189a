package lifecycle

import (
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/object"
)

// Every action a run applies leaves one audit event, attributed to the S3
// service itself: S3 performs lifecycle actions on internal endpoints, so
// CloudTrail does not record them, but its server access logs do, as
// operations of their own (S3.EXPIRE.OBJECT, S3.CREATE.DELETEMARKER,
// S3.TRANSITION*.OBJECT, S3.DELETE.UPLOAD). The event
// names follow S3's lifecycle event notification types
// (s3:LifecycleExpiration:Delete, s3:LifecycleExpiration:DeleteMarkerCreated,
// s3:LifecycleTransition) spelled as CloudTrail names, and each event
// carries its access log operation. See
// docs/formats.md, "Lifecycle events".

// The lifecycle event names.
const (
	EventDelete               = "LifecycleExpirationDelete"
	EventDeleteMarkerCreated  = "LifecycleExpirationDeleteMarkerCreated"
	EventTransition           = "LifecycleTransition"
	EventAbortMultipartUpload = "LifecycleAbortIncompleteMultipartUpload"
)

// servicePrincipal is who lifecycle actions are attributed to.
const servicePrincipal = "s3.amazonaws.com"

// record is the one place a lifecycle action's audit event is written. It
// runs inside the transaction that applies the action (tx) and stages ev
// there as the action's pending event (p, audit.Pending.Stage): the change
// is never committed without its event, also if the process stops before
// the runner appends it (flush); the event is settled only in tx, where the
// action is decided again. The transaction may run more than once (group
// commit), so staging replaces, never adds.
func (r *Runner) record(tx meta.Tx, p *audit.Pending, ev audit.Event, staged **audit.Event) error {
	*staged = &ev
	return p.Stage(tx, ev)
}

// begin starts the pending event of one action; record stages it.
func (r *Runner) begin() *audit.Pending {
	return r.trail.Begin(audit.Event{EventSource: servicePrincipal})
}

// flush appends the event staged by record once its change is committed,
// or lets the pending event go when nothing was staged. A failure cannot
// undo the change; it is logged as an error, and the event is shipped from
// the audit outbox at the next start.
func (r *Runner) flush(p *audit.Pending, staged *audit.Event) {
	if staged == nil {
		p.Drop()
		return
	}
	if err := p.Finish(*staged); err != nil {
		r.log.Error("lifecycle audit event not written", "event", staged.EventName, "err", err)
	}
	if r.observe != nil {
		ev := *staged
		ev.EventID = p.EventID()
		r.observe(ev)
	}
}

// accessLogTransition is S3's server access log operation for a lifecycle
// transition to each class.
var accessLogTransition = map[string]string{
	"STANDARD_IA": "S3.TRANSITION_SIA.OBJECT", "ONEZONE_IA": "S3.TRANSITION_ZIA.OBJECT",
	"INTELLIGENT_TIERING": "S3.TRANSITION_INT.OBJECT", "GLACIER_IR": "S3.TRANSITION_GIR.OBJECT",
	"GLACIER": "S3.TRANSITION.OBJECT", "DEEP_ARCHIVE": "S3.TRANSITION_GDA.OBJECT",
}

// ruleAction names the lifecycle configuration element behind each kind.
var ruleAction = map[Kind]string{
	ExpireCurrent: "Expiration", RemoveDeleteMarker: "ExpiredObjectDeleteMarker",
	ExpireNoncurrent: "NoncurrentVersionExpiration", Transition: "Transition",
	TransitionNoncurrent: "NoncurrentVersionTransition", AbortUpload: "AbortIncompleteMultipartUpload",
}

// event describes change c, made for action a at midnight at.
func (r *Runner) event(a Action, c object.LifecycleChange, at time.Time) audit.Event {
	owner := c.Bucket.Owner
	x := map[string]any{"lifecycleRuleId": a.RuleID, "lifecycleAction": ruleAction[a.Kind],
		"lifecycleMidnight": at.UTC().Format(time.RFC3339)}
	p := map[string]any{"bucketName": c.Bucket.Name}
	var resp map[string]any
	var key string
	ev := audit.Event{
		EventTime: r.now(), EventSource: "s3.amazonaws.com", AWSRegion: r.region,
		SourceIPAddress: servicePrincipal, UserAgent: servicePrincipal,
		UserIdentity: audit.UserIdentityOf(kura.Principal{Type: kura.PrincipalAWSService, AccountID: owner}, kura.Source{InvokedBy: servicePrincipal}),
		EventType:    "AwsServiceEvent", EventCategory: "Data", RecipientAccountID: owner,
	}
	switch {
	case c.Upload != nil:
		key = c.Upload.Key
		p["uploadId"] = c.Upload.UploadID
		ev.EventName, x["operation"] = EventAbortMultipartUpload, "S3.DELETE.UPLOAD"
	case c.Marker != nil:
		key = c.Version.Key
		p["versionId"] = c.Version.VersionID
		ev.EventName, x["operation"] = EventDeleteMarkerCreated, "S3.CREATE.DELETEMARKER"
		resp = map[string]any{"x-amz-delete-marker": "true", "x-amz-version-id": c.Marker.VersionID}
		if c.Replaced != nil {
			x["replacedVersionId"] = c.Replaced.VersionID
		}
	case c.ToClass != "":
		key = c.Version.Key
		p["versionId"] = c.Version.VersionID
		ev.EventName, x["operation"] = EventTransition, accessLogTransition[c.ToClass]
		x["previousStorageClass"] = object.ClassOf(c.Version)
		resp = map[string]any{"x-amz-storage-class": c.ToClass}
	default:
		key = c.Version.Key
		p["versionId"] = c.Version.VersionID
		ev.EventName, x["operation"] = EventDelete, "S3.EXPIRE.OBJECT"
		if c.Version.DeleteMarker {
			x["deleteMarker"] = true
		}
	}
	if c.Version != nil && !c.Version.DeleteMarker {
		x["objectSize"] = c.Version.Size // the access log record's object size
	}
	p["key"] = key
	ev.RequestParameters, ev.ResponseElements, ev.AdditionalEventData = p, resp, x
	ev.Resources = []audit.Resource{
		{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + c.Bucket.Name + "/" + key},
		{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + c.Bucket.Name, AccountID: owner},
	}
	return ev
}
