package s3api

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// S3's limits on a CORS configuration.
const (
	maxCORSRules = 100
	maxCORSBody  = 64 << 10
)

// corsConfiguration is the wire form of a bucket's CORS rules
// (PutBucketCors, GetBucketCors).
type corsConfiguration struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	NS      string        `xml:"xmlns,attr,omitempty"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

// corsRuleXML is a kura.CORSRule on the wire.
type corsRuleXML struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty"`
}

// parseCORSConfiguration reads a PutBucketCors document into rules: the
// XML and what S3's schema requires (at most 100 rules, each with an
// AllowedMethod and an AllowedOrigin, no negative MaxAgeSeconds) are
// MalformedXML. The values are S3's to judge (ops.ValidateCORS, called
// by the operation).
func parseCORSConfiguration(b []byte) ([]kura.CORSRule, error) {
	var cfg corsConfiguration
	if err := parseXML(b, &cfg); err != nil {
		return nil, err
	}
	if len(cfg.Rules) == 0 {
		return nil, s3err.MalformedXML
	}
	if len(cfg.Rules) > maxCORSRules {
		return nil, s3err.MalformedXML.WithMessage("A CORS configuration can have at most %d rules; this one has %d.", maxCORSRules, len(cfg.Rules))
	}
	for _, r := range cfg.Rules {
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
			return nil, s3err.MalformedXML
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return nil, s3err.MalformedXML
		}
	}
	return conv.Slice(cfg.Rules, func(r corsRuleXML) kura.CORSRule { return kura.CORSRule(r) }), nil
}

func corsRuleToXML(r kura.CORSRule) corsRuleXML { return corsRuleXML(r) }

func (h *Handler) putBucketCors(req *request) error {
	b, body, err := h.configBody(req, maxCORSBody)
	if err != nil {
		return err
	}
	rules, err := parseCORSConfiguration(body)
	if err != nil {
		return err
	}
	return answer(req, http.StatusOK, h.ops.PutBucketCors(h.front(req, b), req.caller(), ops.CORSInput{BucketTarget: req.bucketTarget(), Rules: rules}))
}

func (h *Handler) getBucketCors(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	rules, err := h.ops.GetBucketCors(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, corsConfiguration{NS: s3NS, Rules: conv.Slice(rules, corsRuleToXML)})
	return nil
}

func (h *Handler) deleteBucketCors(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketCors(h.front(req, b), req.caller(), req.bucketTarget()))
}

// wildcardMatch reports whether s matches pattern, which holds at most one
// '*' standing for any run of characters.
func wildcardMatch(pattern, s string) bool {
	pre, suf, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf)
}

// matchCORSRule returns the first rule that allows a request from origin
// with method and every header in headers (S3 uses the first match only),
// or nil. Origins match case-sensitively, header names case-insensitively.
func matchCORSRule(rules []kura.CORSRule, origin, method string, headers []string) *kura.CORSRule {
	for i := range rules {
		r := &rules[i]
		if !slices.Contains(r.AllowedMethods, method) {
			continue
		}
		originOK := false
		for _, o := range r.AllowedOrigins {
			if wildcardMatch(o, origin) {
				originOK = true
				break
			}
		}
		if !originOK {
			continue
		}
		if allHeadersAllowed(r.AllowedHeaders, headers) {
			return r
		}
	}
	return nil
}

func allHeadersAllowed(allowed, requested []string) bool {
	for _, h := range requested {
		ok := false
		for _, a := range allowed {
			if wildcardMatch(strings.ToLower(a), strings.ToLower(h)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// splitHeaderList splits an Access-Control-Request-Headers value.
func splitHeaderList(v string) []string {
	var out []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// setCORSHeaders writes the response headers for a request from origin that
// rule r allows.
func setCORSHeaders(hdr http.Header, r *kura.CORSRule, origin string) {
	if slices.Contains(r.AllowedOrigins, "*") {
		hdr.Set("Access-Control-Allow-Origin", "*")
	} else {
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
	}
	hdr.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		hdr.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		hdr.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
}

// preflight answers a CORS preflight (OPTIONS) request. Browsers send it
// without credentials, so it is served before signature verification and
// reveals nothing but what the bucket's CORS rules allow.
func (h *Handler) preflight(req *request) error {
	origin := req.Header.Get("Origin")
	method := req.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		return s3err.BadRequest
	}
	if method == "" {
		return s3err.BadRequest.WithMessage("Insufficient information. Access-Control-Request-Method request header needed.")
	}
	if !slices.Contains(ops.CORSMethods, method) {
		return s3err.BadRequest.WithMessage("Invalid Access-Control-Request-Method: %s", method)
	}
	b, err := h.obj.Bucket(req.Context(), req.bucket)
	if err != nil {
		return err
	}
	if len(b.CORS) == 0 {
		return s3err.AccessForbidden.WithMessage("CORSResponse: CORS is not enabled for this bucket.").
			With("Method", method).With("ResourceType", corsResourceType(req))
	}
	reqHeaders := splitHeaderList(req.Header.Get("Access-Control-Request-Headers"))
	r := matchCORSRule(b.CORS, origin, method, reqHeaders)
	if r == nil {
		return s3err.AccessForbidden.With("Method", method).With("ResourceType", corsResourceType(req))
	}
	hdr := req.w.Header()
	setCORSHeaders(hdr, r, origin)
	if len(reqHeaders) > 0 {
		hdr.Set("Access-Control-Allow-Headers", strings.Join(reqHeaders, ", "))
	}
	hdr.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	hdr.Set("Content-Length", "0")
	req.status = http.StatusOK
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// corsResourceType is the ResourceType S3 names in a refused preflight.
func corsResourceType(req *request) string {
	if req.key == "" {
		return "BUCKET"
	}
	return "OBJECT"
}

// applyCORS adds CORS response headers to an actual (non-preflight)
// cross-origin request whose bucket allows it. They go on before the
// operation runs, so errors carry them too, as S3 does: a browser can only
// show a script the error when they are present.
func (h *Handler) applyCORS(req *request) {
	origin := req.Header.Get("Origin")
	if origin == "" || req.bucket == "" {
		return
	}
	b, err := h.obj.Bucket(req.Context(), req.bucket)
	if err != nil || len(b.CORS) == 0 {
		return
	}
	// A non-preflight request that names Access-Control-Request-Method is
	// matched on it, as Ceph RGW does and the Ceph s3-tests expect.
	method := req.Header.Get("Access-Control-Request-Method")
	if method == "" {
		method = req.Method
	}
	r := matchCORSRule(b.CORS, origin, method, nil)
	if r == nil {
		return
	}
	hdr := req.w.Header()
	setCORSHeaders(hdr, r, origin)
	hdr.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}
