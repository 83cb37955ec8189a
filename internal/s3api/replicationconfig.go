package s3api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/s3err"
)

// The replication configuration API: Put, Get and DeleteBucketReplication
// on ?replication (botocore's ReplicationConfiguration, the V2 schema and
// the V1 rule form). internal/replication replicates.

const (
	maxReplicationRules  = 1000
	maxReplicationBody   = 256 << 10
	maxReplicationIDSize = 255
)

// replicationConfigurationXML is the wire form. Required elements are
// pointers, so a missing one is told apart from an empty one.
type replicationConfigurationXML struct {
	XMLName xml.Name             `xml:"ReplicationConfiguration"`
	NS      string               `xml:"xmlns,attr,omitempty"`
	Role    *string              `xml:"Role"`
	Rules   []replicationRuleXML `xml:"Rule"`
}

type replicationRuleXML struct {
	ID                        *string                     `xml:"ID,omitempty"`
	Priority                  *int                        `xml:"Priority,omitempty"`
	Prefix                    *string                     `xml:"Prefix,omitempty"`
	Filter                    *replicationFilterXML       `xml:"Filter,omitempty"`
	Status                    *string                     `xml:"Status"`
	SourceSelectionCriteria   *sourceSelectionCriteriaXML `xml:"SourceSelectionCriteria,omitempty"`
	ExistingObjectReplication *statusXML                  `xml:"ExistingObjectReplication,omitempty"`
	Destination               *replicationDestinationXML  `xml:"Destination"`
	DeleteMarkerReplication   *statusXML                  `xml:"DeleteMarkerReplication,omitempty"`
}

type statusXML struct {
	Status *string `xml:"Status"`
}

type replicationFilterXML struct {
	Prefix *string            `xml:"Prefix,omitempty"`
	Tag    *replicationTagXML `xml:"Tag,omitempty"`
	And    *replicationAndXML `xml:"And,omitempty"`
}

type replicationTagXML struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

type replicationAndXML struct {
	Prefix *string             `xml:"Prefix,omitempty"`
	Tags   []replicationTagXML `xml:"Tag"`
}

type sourceSelectionCriteriaXML struct {
	SseKmsEncryptedObjects *statusXML `xml:"SseKmsEncryptedObjects,omitempty"`
	ReplicaModifications   *statusXML `xml:"ReplicaModifications,omitempty"`
}

type replicationDestinationXML struct {
	Bucket                   *string `xml:"Bucket"`
	Account                  *string `xml:"Account,omitempty"`
	StorageClass             *string `xml:"StorageClass,omitempty"`
	AccessControlTranslation *struct {
		Owner *string `xml:"Owner"`
	} `xml:"AccessControlTranslation,omitempty"`
	EncryptionConfiguration *struct {
		ReplicaKmsKeyID *string `xml:"ReplicaKmsKeyID,omitempty"`
	} `xml:"EncryptionConfiguration,omitempty"`
	ReplicationTime *struct {
		Status *string     `xml:"Status"`
		Time   *minutesXML `xml:"Time"`
	} `xml:"ReplicationTime,omitempty"`
	Metrics *struct {
		Status         *string     `xml:"Status"`
		EventThreshold *minutesXML `xml:"EventThreshold,omitempty"`
	} `xml:"Metrics,omitempty"`
}

type minutesXML struct {
	Minutes *int `xml:"Minutes,omitempty"`
}

// replicationStorageClasses is botocore's StorageClass enum for a
// replication destination.
var replicationStorageClasses = []string{"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
	"INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
	"FSX_OPENZFS", "FSX_ONTAP"}

// status reads an Enabled/Disabled element: a missing element is "",
// one without a valid Status MalformedXML.
func (s *statusXML) status() (string, error) {
	if s == nil {
		return "", nil
	}
	if s.Status == nil || *s.Status != "Enabled" && *s.Status != "Disabled" {
		return "", s3err.MalformedXML
	}
	return *s.Status, nil
}

func enabledDisabled(p *string) bool { return p != nil && (*p == "Enabled" || *p == "Disabled") }

// replicationArg names the argument an InvalidArgument is about.
func replicationArg(e *s3err.Error, name, value string) error {
	return e.With("ArgumentName", name).With("ArgumentValue", value)
}

var errRuleV2 = func(what string) error {
	return s3err.InvalidRequest.WithMessage("%s must be specified for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.", what)
}

// parseReplicationConfiguration decodes and validates a configuration the
// way S3 does before it looks at any bucket: the schema (MalformedXML),
// then the rules' own consistency.
func parseReplicationConfiguration(body []byte) (*kura.ReplicationConfiguration, error) {
	var x replicationConfigurationXML
	if err := parseXML(body, &x); err != nil {
		return nil, err
	}
	if x.Role == nil || len(x.Rules) == 0 {
		return nil, s3err.MalformedXML
	}
	if len(x.Rules) > maxReplicationRules {
		return nil, s3err.InvalidRequest.WithMessage("Number of rules must not exceed the allowed limit of %d.", maxReplicationRules)
	}
	c := &kura.ReplicationConfiguration{Role: *x.Role}
	if !validRoleARN(c.Role) {
		return nil, replicationArg(s3err.InvalidArgument.WithMessage("Invalid ReplicationConfiguration Role ARN"), "Role", c.Role)
	}
	v2 := false
	for i := range x.Rules {
		r, err := parseReplicationRule(&x.Rules[i])
		if err != nil {
			return nil, err
		}
		v2 = v2 || r.V2()
		c.Rules = append(c.Rules, *r)
	}
	ids := map[string]bool{}
	priorities := map[int]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.ID == "" {
			r.ID = fmt.Sprintf("rule-%d", i+1) // S3 names unnamed rules itself
		}
		if ids[r.ID] {
			return nil, replicationArg(s3err.InvalidArgument.WithMessage("Rule Id must be unique."), "ID", r.ID)
		}
		ids[r.ID] = true
		if v2 != r.V2() {
			return nil, s3err.InvalidRequest.WithMessage("Rules of the V1 form (Prefix) and of the V2 form (Filter) cannot be mixed in one replication configuration.")
		}
		if v2 {
			if priorities[r.Priority] {
				return nil, s3err.InvalidRequest.WithMessage("Found duplicate priority %d. Replication configuration cannot have more than one rule with the same priority.", r.Priority)
			}
			priorities[r.Priority] = true
		}
	}
	return c, nil
}

func parseReplicationRule(x *replicationRuleXML) (*kura.ReplicationRule, error) {
	if x.Status == nil || x.Destination == nil || x.Destination.Bucket == nil {
		return nil, s3err.MalformedXML
	}
	if !enabledDisabled(x.Status) {
		return nil, s3err.MalformedXML
	}
	r := &kura.ReplicationRule{ID: deref(x.ID), Status: *x.Status, Prefix: deref(x.Prefix)}
	if len(r.ID) > maxReplicationIDSize {
		return nil, replicationArg(s3err.InvalidArgument.WithMessage("ID length should not exceed allowed limit of %d", maxReplicationIDSize), "ID", r.ID)
	}
	if x.Filter != nil && x.Prefix != nil {
		return nil, s3err.MalformedXML
	}
	var err error
	if x.Filter != nil {
		if r.Filter, err = parseReplicationFilter(x.Filter); err != nil {
			return nil, err
		}
		if x.Priority == nil {
			return nil, errRuleV2("Priority")
		}
		if x.DeleteMarkerReplication == nil {
			return nil, errRuleV2("DeleteMarkerReplication")
		}
		r.Priority = *x.Priority
	} else if x.DeleteMarkerReplication != nil || x.Priority != nil || x.ExistingObjectReplication != nil {
		// DeleteMarkerReplication, Priority and the newer elements belong
		// to the V2 schema, which a Filter selects.
		return nil, s3err.MalformedXML
	}
	if r.DeleteMarkerReplication, err = x.DeleteMarkerReplication.status(); err != nil {
		return nil, err
	}
	if r.HasTagFilter() && r.DeleteMarkerReplication == "Enabled" {
		return nil, s3err.InvalidArgument.WithMessage("Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.")
	}
	if r.ExistingObjectReplication, err = x.ExistingObjectReplication.status(); err != nil {
		return nil, err
	}
	if ssc := x.SourceSelectionCriteria; ssc != nil {
		if r.SseKmsEncryptedObjects, err = ssc.SseKmsEncryptedObjects.status(); err != nil {
			return nil, err
		}
		if r.ReplicaModifications, err = ssc.ReplicaModifications.status(); err != nil {
			return nil, err
		}
	}
	if r.Destination, err = parseReplicationDestination(x.Destination); err != nil {
		return nil, err
	}
	if r.SseKmsEncryptedObjects == "Enabled" && r.Destination.ReplicaKmsKeyID == "" {
		return nil, s3err.InvalidArgument.WithMessage("ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.")
	}
	if r.SseKmsEncryptedObjects == "" && r.Destination.ReplicaKmsKeyID != "" {
		return nil, s3err.InvalidArgument.WithMessage("SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.")
	}
	return r, nil
}

func parseReplicationFilter(x *replicationFilterXML) (*kura.ReplicationFilter, error) {
	n := 0
	for _, set := range []bool{x.Prefix != nil, x.Tag != nil, x.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, s3err.MalformedXML
	}
	f := &kura.ReplicationFilter{Prefix: deref(x.Prefix)}
	if x.Tag != nil {
		t, err := x.Tag.tag()
		if err != nil {
			return nil, err
		}
		f.Tag = &t
	}
	if x.And != nil {
		f.And = &kura.ReplicationAnd{Prefix: deref(x.And.Prefix)}
		for _, tx := range x.And.Tags {
			t, err := tx.tag()
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(f.And.Tags, func(o kura.Tag) bool { return o.Key == t.Key }) {
				return nil, s3err.InvalidRequest.WithMessage("Duplicate Tag Keys are not allowed.")
			}
			f.And.Tags = append(f.And.Tags, t)
		}
	}
	return f, nil
}

func (x replicationTagXML) tag() (kura.Tag, error) {
	if x.Key == nil || x.Value == nil {
		return kura.Tag{}, s3err.MalformedXML
	}
	if *x.Key == "" || len(*x.Key) > 128 || len(*x.Value) > 256 {
		return kura.Tag{}, s3err.InvalidTag.WithMessage("The TagKey you have provided is invalid")
	}
	return kura.Tag{Key: *x.Key, Value: *x.Value}, nil
}

func parseReplicationDestination(x *replicationDestinationXML) (kura.ReplicationDestination, error) {
	d := kura.ReplicationDestination{Bucket: *x.Bucket, Account: deref(x.Account), StorageClass: deref(x.StorageClass)}
	if name := d.DestinationBucket(); !strings.HasPrefix(d.Bucket, kura.BucketARNPrefix) || !object.ValidBucketName(name) {
		return d, replicationArg(s3err.InvalidArgument.WithMessage("Invalid bucket ARN."), "Bucket", d.Bucket)
	}
	if d.Account != "" && !isAccountID(d.Account) {
		return d, replicationArg(s3err.InvalidArgument.WithMessage("The Account must be a 12-digit AWS account ID."), "Account", d.Account)
	}
	if d.StorageClass != "" && !slices.Contains(replicationStorageClasses, d.StorageClass) {
		return d, s3err.MalformedXML
	}
	if t := x.AccessControlTranslation; t != nil {
		if t.Owner == nil || *t.Owner != "Destination" {
			return d, s3err.MalformedXML
		}
		if d.Account == "" {
			return d, s3err.InvalidRequest.WithMessage("Destination Account must be specified when AccessControlTranslation is present.")
		}
		d.OwnerOverride = true
	}
	if e := x.EncryptionConfiguration; e != nil {
		d.ReplicaKmsKeyID = deref(e.ReplicaKmsKeyID)
	}
	if t := x.ReplicationTime; t != nil {
		if !enabledDisabled(t.Status) || t.Time == nil {
			return d, s3err.MalformedXML
		}
		d.ReplicationTimeStatus = *t.Status
		if t.Time.Minutes != nil {
			d.ReplicationTimeMinutes = *t.Time.Minutes
		}
		if d.ReplicationTimeMinutes != 15 {
			return d, s3err.InvalidArgument.WithMessage("Replication Time Control time must be 15 minutes.")
		}
	}
	if m := x.Metrics; m != nil {
		if !enabledDisabled(m.Status) {
			return d, s3err.MalformedXML
		}
		d.MetricsStatus = *m.Status
		if m.EventThreshold != nil && m.EventThreshold.Minutes != nil {
			d.MetricsThresholdMinutes = *m.EventThreshold.Minutes
		}
		if d.ReplicationTimeStatus == "Enabled" && d.MetricsStatus != "Enabled" {
			return d, s3err.InvalidRequest.WithMessage("Replication metrics must be enabled when Replication Time Control is enabled.")
		}
	} else if d.ReplicationTimeStatus == "Enabled" {
		return d, s3err.InvalidRequest.WithMessage("Replication metrics must be enabled when Replication Time Control is enabled.")
	}
	return d, nil
}

// validRoleARN accepts an IAM role ARN: arn:aws:iam::<account>:role/<path/name>.
func validRoleARN(s string) bool {
	rest, ok := strings.CutPrefix(s, "arn:aws:iam::")
	if !ok {
		return false
	}
	acct, name, ok := strings.Cut(rest, ":role/")
	return ok && isAccountID(acct) && name != ""
}

func replicationToXML(c *kura.ReplicationConfiguration) replicationConfigurationXML {
	out := replicationConfigurationXML{NS: s3NS, Role: &c.Role}
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	st := func(s string) *statusXML {
		if s == "" {
			return nil
		}
		return &statusXML{Status: &s}
	}
	for _, r := range c.Rules {
		x := replicationRuleXML{ID: str(r.ID), Status: &r.Status, Prefix: nil,
			ExistingObjectReplication: st(r.ExistingObjectReplication), DeleteMarkerReplication: st(r.DeleteMarkerReplication)}
		if r.Filter != nil {
			p := r.Priority
			x.Priority = &p
			f := &replicationFilterXML{}
			switch {
			case r.Filter.Tag != nil:
				f.Tag = &replicationTagXML{Key: &r.Filter.Tag.Key, Value: &r.Filter.Tag.Value}
			case r.Filter.And != nil:
				f.And = &replicationAndXML{Prefix: str(r.Filter.And.Prefix)}
				for _, t := range r.Filter.And.Tags {
					f.And.Tags = append(f.And.Tags, replicationTagXML{Key: &t.Key, Value: &t.Value})
				}
			default:
				p := r.Filter.Prefix
				f.Prefix = &p
			}
			x.Filter = f
		} else {
			p := r.Prefix
			x.Prefix = &p
		}
		if r.SseKmsEncryptedObjects != "" || r.ReplicaModifications != "" {
			x.SourceSelectionCriteria = &sourceSelectionCriteriaXML{SseKmsEncryptedObjects: st(r.SseKmsEncryptedObjects),
				ReplicaModifications: st(r.ReplicaModifications)}
		}
		d := r.Destination
		dx := &replicationDestinationXML{Bucket: &d.Bucket, Account: str(d.Account), StorageClass: str(d.StorageClass)}
		if d.OwnerOverride {
			owner := "Destination"
			dx.AccessControlTranslation = &struct {
				Owner *string `xml:"Owner"`
			}{&owner}
		}
		if d.ReplicaKmsKeyID != "" {
			dx.EncryptionConfiguration = &struct {
				ReplicaKmsKeyID *string `xml:"ReplicaKmsKeyID,omitempty"`
			}{str(d.ReplicaKmsKeyID)}
		}
		if d.ReplicationTimeStatus != "" {
			m := d.ReplicationTimeMinutes
			dx.ReplicationTime = &struct {
				Status *string     `xml:"Status"`
				Time   *minutesXML `xml:"Time"`
			}{str(d.ReplicationTimeStatus), &minutesXML{Minutes: &m}}
		}
		if d.MetricsStatus != "" {
			var th *minutesXML
			if d.MetricsThresholdMinutes != 0 {
				m := d.MetricsThresholdMinutes
				th = &minutesXML{Minutes: &m}
			}
			dx.Metrics = &struct {
				Status         *string     `xml:"Status"`
				EventThreshold *minutesXML `xml:"EventThreshold,omitempty"`
			}{str(d.MetricsStatus), th}
		}
		x.Destination = dx
		out.Rules = append(out.Rules, x)
	}
	return out
}

func (h *Handler) putBucketReplication(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	body, err := readBody(req, maxReplicationBody)
	if err != nil {
		return err
	}
	c, err := parseReplicationConfiguration(body)
	if err != nil {
		return err
	}
	err = h.ops.PutBucketReplication(h.front(req, b), req.caller(), ops.ReplicationInput{BucketTarget: req.bucketTarget(), Config: c})
	return answer(req, http.StatusOK, err)
}

func (h *Handler) getBucketReplication(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	c, err := h.ops.GetBucketReplication(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, replicationToXML(c))
	return nil
}

func (h *Handler) deleteBucketReplication(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	err = h.ops.DeleteBucketReplication(h.front(req, b), req.caller(), req.bucketTarget())
	return answer(req, http.StatusNoContent, err)
}

// replicationStatusXML is Kura's KuraGetBucketReplicationStatus answer:
// the replicator's figures per rule of the bucket's configuration.
type replicationStatusXML struct {
	XMLName xml.Name                   `xml:"ReplicationStatus"`
	NS      string                     `xml:"xmlns,attr,omitempty"`
	Bucket  string                     `xml:"Bucket"`
	Rules   []replicationRuleStatusXML `xml:"Rule"`
}

type replicationRuleStatusXML struct {
	ID                    string                  `xml:"ID"`
	Destination           string                  `xml:"Destination"`
	PendingOperations     int64                   `xml:"PendingOperations"`
	PendingBytes          int64                   `xml:"PendingBytes"`
	Completed             int64                   `xml:"Completed"`
	Failed                int64                   `xml:"Failed"`
	Retries               int64                   `xml:"Retries"`
	AverageLatencySeconds float64                 `xml:"AverageLatencySeconds"`
	Failures              []replicationFailureXML `xml:"Failure"`
}

type replicationFailureXML struct {
	Reason string `xml:"Reason"`
	Count  int64  `xml:"Count"`
}

func hasStatus(req *request) bool { _, ok := req.query["status"]; return ok }

func (h *Handler) getBucketReplicationStatus(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	c, err := h.ops.GetBucketReplicationStatus(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	if h.cfg.ReplicationStats == nil {
		return s3err.NotImplemented.WithMessage("This server does not replicate.")
	}
	stats := map[string]replication.RuleStats{}
	for _, st := range h.cfg.ReplicationStats() {
		if st.Bucket == b.Name {
			stats[st.RuleID] = st
		}
	}
	out := replicationStatusXML{NS: s3NS, Bucket: b.Name}
	for _, r := range c.Rules {
		st := stats[r.ID]
		x := replicationRuleStatusXML{ID: r.ID, Destination: r.Destination.Bucket, PendingOperations: st.PendingOps,
			PendingBytes: st.PendingBytes, Completed: st.Completed, Failed: st.Failed, Retries: st.Retries}
		if st.Completed > 0 {
			x.AverageLatencySeconds = st.LatencySeconds / float64(st.Completed)
		}
		reasons := make([]string, 0, len(st.Failures))
		for reason := range st.Failures {
			reasons = append(reasons, reason)
		}
		slices.Sort(reasons)
		for _, reason := range reasons {
			x.Failures = append(x.Failures, replicationFailureXML{Reason: reason, Count: st.Failures[reason]})
		}
		out.Rules = append(out.Rules, x)
	}
	writeXML(req, http.StatusOK, out)
	return nil
}
