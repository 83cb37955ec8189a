package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The website configuration API (PutBucketWebsite, GetBucketWebsite,
// DeleteBucketWebsite) and the x-amz-website-redirect-location header.
// What the website endpoint does with them is website.go.

// S3's limits on a website configuration.
const (
	maxRoutingRules     = 50
	maxWebsiteBody      = 128 << 10
	hdrWebsiteRedirect  = "x-amz-website-redirect-location"
	invalidProtocolText = "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically."
)

// websiteConfiguration is the wire form of a bucket's website
// configuration. Optional elements are pointers, so that an element sent
// empty is told apart from one left out, as S3's validation does.
type websiteConfiguration struct {
	XMLName               xml.Name         `xml:"WebsiteConfiguration"`
	NS                    string           `xml:"xmlns,attr,omitempty"`
	RedirectAllRequestsTo *redirectAllXML  `xml:"RedirectAllRequestsTo,omitempty"`
	IndexDocument         *indexDocXML     `xml:"IndexDocument,omitempty"`
	ErrorDocument         *errorDocXML     `xml:"ErrorDocument,omitempty"`
	RoutingRules          *routingRulesXML `xml:"RoutingRules,omitempty"`
}

type redirectAllXML struct {
	HostName *string `xml:"HostName"`
	Protocol *string `xml:"Protocol,omitempty"`
}

type indexDocXML struct {
	Suffix *string `xml:"Suffix"`
}

type errorDocXML struct {
	Key *string `xml:"Key"`
}

type routingRulesXML struct {
	Rules []routingRuleXML `xml:"RoutingRule"`
}

type routingRuleXML struct {
	Condition *routingConditionXML `xml:"Condition,omitempty"`
	Redirect  *routingRedirectXML  `xml:"Redirect"`
}

type routingConditionXML struct {
	HttpErrorCodeReturnedEquals *string `xml:"HttpErrorCodeReturnedEquals,omitempty"`
	KeyPrefixEquals             *string `xml:"KeyPrefixEquals,omitempty"`
}

type routingRedirectXML struct {
	HostName             *string `xml:"HostName,omitempty"`
	HttpRedirectCode     *string `xml:"HttpRedirectCode,omitempty"`
	Protocol             *string `xml:"Protocol,omitempty"`
	ReplaceKeyPrefixWith *string `xml:"ReplaceKeyPrefixWith,omitempty"`
	ReplaceKeyWith       *string `xml:"ReplaceKeyWith,omitempty"`
}

// parseWebsiteConfiguration validates a PutBucketWebsite document the way
// S3 does: what the schema forbids (a missing required element, a status
// that is not a number) is MalformedXML, bad values InvalidArgument or
// InvalidRequest with S3's messages.
func parseWebsiteConfiguration(b []byte) (*kura.Website, error) {
	var cfg websiteConfiguration
	if err := parseXML(b, &cfg); err != nil {
		return nil, err
	}
	if r := cfg.RedirectAllRequestsTo; r != nil {
		if cfg.IndexDocument != nil || cfg.ErrorDocument != nil || cfg.RoutingRules != nil {
			return nil, s3err.InvalidArgument.WithMessage("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.").
				With("ArgumentName", "RedirectAllRequestsTo").With("ArgumentValue", "not null")
		}
		if r.HostName == nil {
			return nil, s3err.MalformedXML
		}
		if *r.HostName == "" {
			return nil, s3err.InvalidRequest.WithMessage(`A host name must be provided to redirect all requests (e.g. "example.com").`)
		}
		if err := checkWebsiteProtocol(r.Protocol); err != nil {
			return nil, err
		}
		return &kura.Website{RedirectAllRequestsTo: &kura.WebsiteRedirectAll{HostName: *r.HostName, Protocol: deref(r.Protocol)}}, nil
	}
	if cfg.IndexDocument == nil {
		return nil, s3err.InvalidArgument.WithMessage("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty").
			With("ArgumentName", "IndexDocument").With("ArgumentValue", "null")
	}
	suffix := cfg.IndexDocument.Suffix
	if suffix == nil {
		return nil, s3err.MalformedXML
	}
	if *suffix == "" || strings.Contains(*suffix, "/") {
		return nil, s3err.InvalidArgument.WithMessage("The IndexDocument Suffix is not well formed").
			With("ArgumentName", "IndexDocument").With("ArgumentValue", *suffix)
	}
	w := &kura.Website{IndexDocument: *suffix}
	if e := cfg.ErrorDocument; e != nil {
		if e.Key == nil {
			return nil, s3err.MalformedXML
		}
		if *e.Key == "" {
			return nil, s3err.InvalidArgument.WithMessage("The ErrorDocument Key is not well formed").
				With("ArgumentName", "ErrorDocument").With("ArgumentValue", "")
		}
		w.ErrorDocument = *e.Key
	}
	if rr := cfg.RoutingRules; rr != nil {
		if len(rr.Rules) == 0 {
			return nil, s3err.MalformedXML
		}
		if len(rr.Rules) > maxRoutingRules {
			return nil, s3err.InvalidRequest.WithMessage("The number of routing rules must not exceed %d.", maxRoutingRules)
		}
		for _, x := range rr.Rules {
			r, err := parseRoutingRule(x)
			if err != nil {
				return nil, err
			}
			w.RoutingRules = append(w.RoutingRules, r)
		}
	}
	return w, nil
}

func parseRoutingRule(x routingRuleXML) (kura.RoutingRule, error) {
	var r kura.RoutingRule
	if c := x.Condition; c != nil {
		if c.HttpErrorCodeReturnedEquals == nil && c.KeyPrefixEquals == nil {
			return r, s3err.InvalidRequest.WithMessage("Condition cannot be empty. To redirect all requests without a condition, the condition element shouldn't be present.")
		}
		r.Condition = &kura.RoutingCondition{KeyPrefixEquals: c.KeyPrefixEquals}
		if code := c.HttpErrorCodeReturnedEquals; code != nil {
			n, err := strconv.Atoi(*code)
			if err != nil {
				return r, s3err.MalformedXML
			}
			if n < 400 || n > 599 {
				return r, s3err.InvalidRequest.WithMessage("The provided HTTP error code (%s) is not valid. Valid codes are 4XX or 5XX.", *code)
			}
			r.Condition.HttpErrorCodeReturnedEquals = *code
		}
	}
	d := x.Redirect
	if d == nil {
		return r, s3err.MalformedXML
	}
	if d.ReplaceKeyPrefixWith != nil && d.ReplaceKeyWith != nil {
		return r, s3err.InvalidRequest.WithMessage("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
	}
	if d.HostName != nil && *d.HostName == "" {
		return r, s3err.MalformedXML
	}
	if code := d.HttpRedirectCode; code != nil {
		n, err := strconv.Atoi(*code)
		if err != nil {
			return r, s3err.MalformedXML
		}
		if n <= 300 || n > 399 {
			return r, s3err.InvalidRequest.WithMessage("The provided HTTP redirect code (%s) is not valid. Valid codes are 3XX except 300.", *code)
		}
	}
	if err := checkWebsiteProtocol(d.Protocol); err != nil {
		return r, err
	}
	r.Redirect = kura.RoutingRedirect{HostName: deref(d.HostName), Protocol: deref(d.Protocol), HttpRedirectCode: deref(d.HttpRedirectCode),
		ReplaceKeyPrefixWith: d.ReplaceKeyPrefixWith, ReplaceKeyWith: d.ReplaceKeyWith}
	return r, nil
}

func checkWebsiteProtocol(p *string) error {
	if p != nil && *p != "http" && *p != "https" {
		return s3err.InvalidRequest.WithMessage(invalidProtocolText)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nonEmpty is a pointer to s, or nil for "": optional elements kura keeps
// as plain strings.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// websiteToXML is GetBucketWebsite's document for w.
func websiteToXML(w *kura.Website) websiteConfiguration {
	out := websiteConfiguration{NS: s3NS}
	if r := w.RedirectAllRequestsTo; r != nil {
		out.RedirectAllRequestsTo = &redirectAllXML{HostName: &r.HostName, Protocol: nonEmpty(r.Protocol)}
	}
	if w.IndexDocument != "" {
		out.IndexDocument = &indexDocXML{Suffix: &w.IndexDocument}
	}
	if w.ErrorDocument != "" {
		out.ErrorDocument = &errorDocXML{Key: &w.ErrorDocument}
	}
	if len(w.RoutingRules) > 0 {
		out.RoutingRules = &routingRulesXML{Rules: conv.Slice(w.RoutingRules, func(r kura.RoutingRule) routingRuleXML {
			x := routingRuleXML{Redirect: &routingRedirectXML{
				HostName: nonEmpty(r.Redirect.HostName), HttpRedirectCode: nonEmpty(r.Redirect.HttpRedirectCode),
				Protocol: nonEmpty(r.Redirect.Protocol), ReplaceKeyPrefixWith: r.Redirect.ReplaceKeyPrefixWith,
				ReplaceKeyWith: r.Redirect.ReplaceKeyWith,
			}}
			if c := r.Condition; c != nil {
				x.Condition = &routingConditionXML{HttpErrorCodeReturnedEquals: nonEmpty(c.HttpErrorCodeReturnedEquals), KeyPrefixEquals: c.KeyPrefixEquals}
			}
			return x
		})}
	}
	return out
}

func (h *Handler) putBucketWebsite(req *request) error {
	b, body, err := h.configBody(req, maxWebsiteBody)
	if err != nil {
		return err
	}
	w, err := parseWebsiteConfiguration(body)
	if err != nil {
		return err
	}
	return answer(req, http.StatusOK, h.ops.PutBucketWebsite(h.front(req, b), req.caller(), ops.WebsiteInput{BucketTarget: req.bucketTarget(), Website: *w}))
}

func (h *Handler) getBucketWebsite(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	w, err := h.ops.GetBucketWebsite(h.front(req, b), req.caller(), req.bucketTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, websiteToXML(w))
	return nil
}

// deleteBucketWebsite removes the configuration; a bucket without one
// answers 204 all the same ("You will get a 200 OK response if the website
// configuration you are trying to delete does not exist on the bucket").
func (h *Handler) deleteBucketWebsite(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketWebsite(h.front(req, b), req.caller(), req.bucketTarget()))
}

// checkWebsiteRedirect validates x-amz-website-redirect-location on a
// write (PutObject, CopyObject, CreateMultipartUpload, POST): S3 takes
// only a path on the same site or an absolute http(s) URL, of at most
// 2 KiB.
func checkWebsiteRedirect(h http.Header) error {
	return ops.CheckWebsiteRedirect(h.Get("X-Amz-Website-Redirect-Location"))
}
