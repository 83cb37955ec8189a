package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Object Lock on the wire: the bucket's ?object-lock configuration, a
// version's ?retention and ?legal-hold, the x-amz-object-lock-* headers of
// writes and reads, and x-amz-bypass-governance-retention. The rules
// themselves live in internal/object (lock.go).

type objectLockConfiguration struct {
	XMLName           xml.Name     `xml:"ObjectLockConfiguration"`
	NS                string       `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string       `xml:"ObjectLockEnabled,omitempty"`
	Rule              *lockRuleXML `xml:"Rule,omitempty"`
}

type lockRuleXML struct {
	DefaultRetention *defaultRetentionXML `xml:"DefaultRetention"`
}

type defaultRetentionXML struct {
	Mode  string `xml:"Mode,omitempty"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

type retentionXML struct {
	XMLName         xml.Name `xml:"Retention"`
	NS              string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

type legalHoldXML struct {
	XMLName xml.Name `xml:"LegalHold"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

func validLockMode(m string) bool { return m == object.Governance || m == object.Compliance }

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// lockRule validates a PutObjectLockConfiguration document and returns its
// default retention (nil: none). Shape errors are MalformedXML and a bad
// period InvalidArgument, as S3 answers them.
func lockRule(cfg objectLockConfiguration) (*kura.LockRule, error) {
	if cfg.ObjectLockEnabled != "Enabled" {
		return nil, s3err.MalformedXML
	}
	if cfg.Rule == nil {
		return nil, nil
	}
	d := cfg.Rule.DefaultRetention
	if d == nil || !validLockMode(d.Mode) || (d.Days == nil) == (d.Years == nil) {
		return nil, s3err.MalformedXML
	}
	period := func(name string, n, max int) error {
		bad := s3err.InvalidArgument.With("ArgumentName", name).With("ArgumentValue", strconv.Itoa(n))
		switch {
		case n <= 0:
			return bad.WithMessage("Default retention period must be a positive integer value.")
		case n > max:
			return bad.WithMessage("Default retention period too large.")
		}
		return nil
	}
	rule := &kura.LockRule{Mode: d.Mode}
	if d.Days != nil {
		if err := period("Days", *d.Days, object.MaxRetentionDays); err != nil {
			return nil, err
		}
		rule.Days = *d.Days
	} else {
		if err := period("Years", *d.Years, object.MaxRetentionYears); err != nil {
			return nil, err
		}
		rule.Years = *d.Years
	}
	return rule, nil
}

func (h *Handler) putObjectLockConfig(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	var cfg objectLockConfiguration
	if err := readXML(req, &cfg); err != nil {
		return err
	}
	rule, err := lockRule(cfg)
	if err != nil {
		return err
	}
	err = h.ops.PutObjectLockConfiguration(h.front(req, b), req.caller(), ops.ObjectLockConfigInput{BucketTarget: req.bucketTarget(), Rule: rule})
	return answer(req, http.StatusOK, err)
}

func (h *Handler) getObjectLockConfig(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	rule, err := h.ops.GetObjectLockConfiguration(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	out := objectLockConfiguration{NS: s3NS, ObjectLockEnabled: "Enabled"}
	if r := rule; r != nil {
		d := &defaultRetentionXML{Mode: r.Mode}
		if r.Days > 0 {
			d.Days = &r.Days
		} else {
			d.Years = &r.Years
		}
		out.Rule = &lockRuleXML{DefaultRetention: d}
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

// parseRetainUntil parses an ISO 8601 timestamp (with or without fractional
// seconds), keeping the millisecond precision S3 reports.
func parseRetainUntil(s string) (time.Time, bool) { return ops.ParseRetainUntil(s) }

func (h *Handler) putObjectRetention(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	var x retentionXML
	if err := readXML(req, &x); err != nil {
		return err
	}
	// An empty <Retention/> removes the retention (GOVERNANCE with bypass,
	// or retention that has lapsed).
	var r *kura.Retention
	if x.Mode != "" || x.RetainUntilDate != "" {
		until, ok := parseRetainUntil(x.RetainUntilDate)
		if !validLockMode(x.Mode) || !ok {
			return s3err.MalformedXML
		}
		r = &kura.Retention{Mode: x.Mode, Until: until}
	}
	// The header asks for the bypass; the operation checks the permission
	// (after the bucket's Object Lock and the date, as S3 does).
	bypass := strings.EqualFold(strings.TrimSpace(req.Header.Get("X-Amz-Bypass-Governance-Retention")), "true")
	_, err = h.ops.PutObjectRetention(h.front(req, b), req.caller(), ops.RetentionInput{Target: req.target(),
		Retention: r, BypassGovernance: bypass, RetainUntilDate: x.RetainUntilDate})
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getObjectRetention(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	rt, err := h.ops.GetObjectRetention(h.front(req, b), req.caller(), req.target())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, retentionXML{NS: s3NS, Mode: rt.Mode, RetainUntilDate: isoTime(rt.Until)})
	return nil
}

func (h *Handler) putObjectLegalHold(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	var x legalHoldXML
	if err := readXML(req, &x); err != nil {
		return err
	}
	if x.Status != "ON" && x.Status != "OFF" {
		return s3err.MalformedXML
	}
	_, err = h.ops.PutObjectLegalHold(h.front(req, b), req.caller(), ops.LegalHoldInput{Target: req.target(), On: x.Status == "ON"})
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getObjectLegalHold(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	on, err := h.ops.GetObjectLegalHold(h.front(req, b), req.caller(), req.target())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, legalHoldXML{NS: s3NS, Status: onOff(on)})
	return nil
}

// lockHeaders parses the x-amz-object-lock-* headers of PutObject,
// CopyObject and CreateMultipartUpload. Like S3, it judges them before
// looking at whether the bucket has Object Lock at all.
func lockHeaders(h http.Header, now time.Time) (object.Lock, error) {
	var l object.Lock
	const (
		modeH  = "x-amz-object-lock-mode"
		untilH = "x-amz-object-lock-retain-until-date"
		holdH  = "x-amz-object-lock-legal-hold"
	)
	invalid := func(name, value, msg string) error {
		return s3err.InvalidArgument.WithMessage("%s", msg).With("ArgumentName", name).With("ArgumentValue", value)
	}
	if v := h.Get("X-Amz-Object-Lock-Legal-Hold"); v != "" {
		if v != "ON" && v != "OFF" {
			return l, invalid(holdH, v, "Legal Hold must be either of 'ON' or 'OFF'")
		}
		on := v == "ON"
		l.LegalHold = &on
	}
	mode, until := h.Get("X-Amz-Object-Lock-Mode"), h.Get("X-Amz-Object-Lock-Retain-Until-Date")
	both := "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
	switch {
	case mode == "" && until == "":
		return l, nil
	case mode == "":
		return l, invalid(modeH, "", both)
	case until == "":
		return l, invalid(untilH, "", both)
	case !validLockMode(mode):
		return l, invalid(modeH, mode, "Unknown wormMode directive.")
	}
	t, ok := parseRetainUntil(until)
	if !ok {
		return l, invalid(untilH, until, "The retain until date must be provided in ISO 8601 format")
	}
	if !t.After(now) {
		return l, invalid(untilH, until, "The retain until date must be in the future!")
	}
	l.Retention = &kura.Retention{Mode: mode, Until: t}
	return l, nil
}

// checkLockWrite is ops.CheckLockWrite for a request: putBody is true
// for a PutObject (whose body must then carry Content-MD5 or an
// x-amz-checksum-* value), false for writes without a body (CopyObject,
// CreateMultipartUpload).
func checkLockWrite(req *request, b *kura.Bucket, l object.Lock, putBody bool) error {
	return ops.CheckLockWrite(b, l, putBody, putBody && requireIntegrity(req) == nil)
}

// setLockHeaders writes a version's Object Lock state to a GET or HEAD
// response; the legal-hold header only once a hold was ever applied.
func setLockHeaders(h http.Header, v *kura.ObjectVersion) {
	if r := v.Retention; r != nil {
		h.Set("X-Amz-Object-Lock-Mode", r.Mode)
		h.Set("X-Amz-Object-Lock-Retain-Until-Date", isoTime(r.Until))
	}
	if v.LegalHold || v.LegalHoldSet {
		h.Set("X-Amz-Object-Lock-Legal-Hold", onOff(v.LegalHold))
	}
}

// bypassAsked reports whether the request asks for the governance bypass
// (x-amz-bypass-governance-retention: true). S3 refuses the header
// outright on buckets without Object Lock (unless
// Config.IgnoreBypassWithoutLock says not to: there it cannot bypass
// anything, so ignoring it changes nothing else).
func (h *Handler) bypassAsked(req *request, b *kura.Bucket) (bool, error) {
	v := req.Header.Get("X-Amz-Bypass-Governance-Retention")
	if v == "" {
		return false, nil
	}
	if !b.ObjectLockEnabled {
		if h.cfg.IgnoreBypassWithoutLock {
			return false, nil
		}
		return false, ops.ErrBypassWithoutLock()
	}
	return strings.EqualFold(strings.TrimSpace(v), "true"), nil
}
