package ops

import (
	"slices"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// CORSMethods are the methods a CORS rule may allow (and a preflight ask
// for).
var CORSMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// ValidateCORS checks the values of CORS rules the way S3 does: an ID
// longer than 255 characters is InvalidArgument; a method S3 does not
// serve, more than one wildcard in an origin or allowed header, or a
// wildcard in an exposed header InvalidRequest, with S3's messages.
func ValidateCORS(rules []kura.CORSRule) error {
	if len(rules) == 0 {
		return s3err.MalformedXML
	}
	for _, r := range rules {
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 || r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return s3err.MalformedXML
		}
		if len(r.ID) > 255 {
			return s3err.InvalidArgument.WithMessage("ID length should not exceed allowed limit of 255").With("ArgumentName", "ID").With("ArgumentValue", r.ID)
		}
		for _, m := range r.AllowedMethods {
			if !slices.Contains(CORSMethods, m) {
				return s3err.InvalidRequest.WithMessage("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return s3err.InvalidRequest.WithMessage("AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return s3err.InvalidRequest.WithMessage("AllowedHeader %q can not have more than one wildcard.", h)
			}
		}
		for _, h := range r.ExposeHeaders {
			if strings.Contains(h, "*") {
				return s3err.InvalidRequest.WithMessage("ExposeHeader %q contains wildcard. We currently do not support wildcard for ExposeHeader.", h)
			}
		}
	}
	return nil
}
