package s3api

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// restoreRequest is RestoreObject's body. Only archive restores are
// served; the S3 Select form (Type SELECT, SelectParameters,
// OutputLocation) is recognised so it can be refused clearly.
type restoreRequest struct {
	XMLName              xml.Name `xml:"RestoreRequest"`
	Days                 *int     `xml:"Days"`
	GlacierJobParameters *struct {
		Tier string `xml:"Tier"`
	} `xml:"GlacierJobParameters"`
	Type             string    `xml:"Type"`
	Tier             string    `xml:"Tier"`
	Description      string    `xml:"Description"`
	SelectParameters *struct{} `xml:"SelectParameters"`
	OutputLocation   *struct{} `xml:"OutputLocation"`
}

func validTier(t string) bool {
	return t == object.TierStandard || t == object.TierBulk || t == object.TierExpedited
}

// restoreInput checks a RestoreRequest and returns the tier and days it
// asks for.
func (rr *restoreRequest) restoreInput() (tier string, days int, err error) {
	switch {
	case rr.Type == "SELECT" || rr.SelectParameters != nil:
		return "", 0, s3err.NotImplemented.WithMessage("Kura does not implement S3 Select restore requests (Type SELECT); send an archive restore with Days and an optional GlacierJobParameters Tier.")
	case rr.Type != "":
		return "", 0, s3err.MalformedXML.WithMessage("The RestoreRequest Type %q is not valid; the only type is SELECT.", rr.Type)
	case rr.OutputLocation != nil:
		return "", 0, s3err.NotImplemented.WithMessage("Kura does not implement restores to an OutputLocation; leave it out to restore the object in place.")
	}
	tier = object.TierStandard
	if p := rr.GlacierJobParameters; p != nil {
		if !validTier(p.Tier) {
			return "", 0, s3err.MalformedXML.WithMessage("GlacierJobParameters must hold a Tier of Standard, Bulk or Expedited.")
		}
		tier = p.Tier
	} else if rr.Tier != "" {
		// The top-level Tier belongs to Select requests; accept it for an
		// archive restore rather than refuse a clear intent.
		if !validTier(rr.Tier) {
			return "", 0, s3err.MalformedXML.WithMessage("Tier must be Standard, Bulk or Expedited.")
		}
		tier = rr.Tier
	}
	if rr.Days != nil {
		days = *rr.Days
		if days < 1 {
			return "", 0, s3err.InvalidArgument.WithMessage("Days must be a positive integer.").With("ArgumentName", "Days")
		}
	}
	return tier, days, nil
}

// restoreObject is RestoreObject: POST /{Key}?restore[&versionId].
func (h *Handler) restoreObject(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var rr restoreRequest
	if err := readXML(req, &rr); err != nil {
		return err
	}
	tier, days, err := rr.restoreInput()
	if err != nil {
		return err
	}
	res, err := h.ops.RestoreObject(h.front(req, b), req.caller(), ops.RestoreInput{Target: req.target(), Days: days, Tier: tier})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Started {
		status = http.StatusAccepted
	}
	req.status = status
	req.w.WriteHeader(status)
	return nil
}

// restoreHeader is the x-amz-restore value of GET and HEAD responses for
// a version in restore state st ("" when no restore is under way or
// available).
func restoreHeader(st object.RestoreState, expiry time.Time) string {
	switch st {
	case object.Restoring:
		return `ongoing-request="true"`
	case object.Restored:
		return `ongoing-request="false", expiry-date="` + httpTime(expiry) + `"`
	}
	return ""
}
