package s3api

import (
	"errors"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sigv4"
)

// The website endpoint: a request whose Host is <bucket>.<WebsiteDomain>
// is served as S3 serves <bucket>.s3-website-<region>.amazonaws.com. Every
// request is anonymous (a website serves what its bucket policy or ACLs
// make public, nothing else), only GET and HEAD are served, and errors are
// HTML pages. What to serve is decided by the pure functions at the top of
// this file; the object itself goes through the GET path (authorize,
// planRead, sendObject), so reads, ranges, conditions and decryption are
// GetObject's.

// websiteBucket returns the bucket a website request addresses: host is
// <bucket>.<domain>, with or without a port. An empty domain serves no
// website.
func websiteBucket(host, domain string) (string, bool) {
	if domain == "" {
		return "", false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	b, ok := strings.CutSuffix(host, "."+strings.ToLower(domain))
	if !ok || b == "" {
		return "", false
	}
	return b, true
}

// websiteKey is the object a website request for key (the URL path
// without its leading "/") serves: the index document for the root and
// for anything ending in "/".
func websiteKey(w *kura.Website, key string) string {
	if key == "" || strings.HasSuffix(key, "/") {
		return key + w.IndexDocument
	}
	return key
}

// indexFallback is where S3 looks when key does not exist and has no
// trailing slash: key/<index document>. If that exists the answer is a 302
// to key/.
func indexFallback(w *kura.Website, key string) (string, bool) {
	if key == "" || strings.HasSuffix(key, "/") || w.IndexDocument == "" {
		return "", false
	}
	return key + "/" + w.IndexDocument, true
}

// matchRoutingRule returns the first routing rule that applies to a
// request for key, or nil. status is 0 before the object is looked up,
// when only rules without an error-code condition apply; afterwards it is
// the status of the error the lookup failed with, and only rules naming
// that status apply. A rule's key prefix, if any, must match in both.
func matchRoutingRule(rules []kura.RoutingRule, key string, status int) *kura.RoutingRule {
	for i := range rules {
		r := &rules[i]
		c := r.Condition
		if c == nil {
			if status == 0 {
				return r
			}
			continue
		}
		if c.KeyPrefixEquals != nil && !strings.HasPrefix(key, *c.KeyPrefixEquals) {
			continue
		}
		if (c.HttpErrorCodeReturnedEquals == "") != (status == 0) {
			continue
		}
		if status != 0 && c.HttpErrorCodeReturnedEquals != strconv.Itoa(status) {
			continue
		}
		return r
	}
	return nil
}

// routingRedirect is the redirect rule r makes of a request for key that
// came in over proto ("http" or "https") to host: the Location and the
// status (301 unless the rule says otherwise).
func routingRedirect(r *kura.RoutingRule, key, proto, host string) (string, int) {
	d := r.Redirect
	switch {
	case d.ReplaceKeyWith != nil:
		key = *d.ReplaceKeyWith
	case d.ReplaceKeyPrefixWith != nil:
		prefix := ""
		if r.Condition != nil && r.Condition.KeyPrefixEquals != nil {
			prefix = *r.Condition.KeyPrefixEquals
		}
		key = *d.ReplaceKeyPrefixWith + strings.TrimPrefix(key, prefix)
	}
	if d.Protocol != "" {
		proto = d.Protocol
	}
	if d.HostName != "" {
		host = d.HostName
	}
	status := http.StatusMovedPermanently
	if n, err := strconv.Atoi(d.HttpRedirectCode); err == nil {
		status = n
	}
	return proto + "://" + host + escapeKeyPath(key), status
}

// redirectAllLocation is where RedirectAllRequestsTo sends a request for
// path (as escaped in the request) that came in over proto.
func redirectAllLocation(r *kura.WebsiteRedirectAll, path, proto string) string {
	if r.Protocol != "" {
		proto = r.Protocol
	}
	if path == "" {
		path = "/"
	}
	return proto + "://" + r.HostName + path
}

// escapeKeyPath is "/" + key, escaped for a URL path ("/" kept).
func escapeKeyPath(key string) string {
	return (&url.URL{Path: "/" + key}).EscapedPath()
}

// websiteDocError is a failure to serve the custom error document: the
// page shows the request's error and, below it, this one.
type websiteDocError struct {
	orig *s3err.Error
	doc  *s3err.Error
	key  string
}

func (e *websiteDocError) Error() string {
	return e.orig.Error() + "; error document " + e.key + ": " + e.doc.Error()
}

func (e *websiteDocError) Unwrap() error { return e.orig }

// serveWebsite serves a request to bucket's website endpoint. Errors it
// returns are rendered as HTML by writeError.
func (h *Handler) serveWebsite(req *request, bucket string) error {
	req.website = true
	req.bucket = bucket
	req.key = strings.TrimPrefix(req.URL.Path, "/")
	// A website has no sub-resources, versions or response overrides,
	// no credentials and no way to send an SSE-C key: the request is an
	// anonymous GET of the object its path names.
	req.query = url.Values{}
	hdr := req.Header.Clone()
	for _, k := range []string{"Authorization", hdrSSECAlgorithm, hdrSSECKey, hdrSSECKeyMD5, "x-amz-expected-bucket-owner"} {
		hdr.Del(k)
	}
	r := *req.Request
	r.Header = hdr
	req.Request = &r
	req.auth = &sigv4.Result{Anonymous: true, Service: "s3", Body: req.Body, DecodedLength: -1}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return s3err.MethodNotAllowed.With("Method", req.Method).With("ResourceType", "OBJECT")
	}
	b, err := h.obj.Bucket(req.Context(), bucket)
	if err != nil {
		if s3err.Is(err, s3err.NoSuchBucket) {
			return s3err.NoSuchBucket.With("BucketName", bucket)
		}
		return err
	}
	req.trail.bucketOwner = b.Owner
	w := b.Website
	if w == nil {
		return s3err.NoSuchWebsiteConfiguration.With("BucketName", bucket)
	}
	proto := "http"
	if req.TLS != nil {
		proto = "https"
	}
	if ra := w.RedirectAllRequestsTo; ra != nil {
		return websiteRedirect(req, http.StatusMovedPermanently, redirectAllLocation(ra, req.URL.EscapedPath(), proto))
	}
	key := req.key
	if rule := matchRoutingRule(w.RoutingRules, key, 0); rule != nil {
		loc, status := routingRedirect(rule, key, proto, req.Host)
		return websiteRedirect(req, status, loc)
	}
	err = h.websiteObject(req, websiteKey(w, key), 0)
	if err == nil || req.responseStarted() {
		return err
	}
	e := s3err.As(err)
	if e.Status == http.StatusNotModified {
		return err
	}
	if e.Code == s3err.NoSuchKey.Code || e.Code == s3err.AccessDenied.Code {
		if dir, ok := indexFallback(w, key); ok && !h.exists(req, key) && h.exists(req, dir) {
			return websiteRedirect(req, http.StatusFound, escapeKeyPath(key+"/"))
		}
	}
	if rule := matchRoutingRule(w.RoutingRules, key, e.Status); rule != nil {
		loc, status := routingRedirect(rule, key, proto, req.Host)
		return websiteRedirect(req, status, loc)
	}
	if w.ErrorDocument != "" && e.Status >= 400 && e.Status < 500 {
		return h.websiteErrorDocument(req, e, w.ErrorDocument)
	}
	return err
}

// exists says the current version of key in the request's bucket is an
// object (not a delete marker). It is the website's own lookup, for the
// index fallback, which S3 makes whatever the caller may read.
func (h *Handler) exists(req *request, key string) bool {
	_, err := h.obj.Head(req.Context(), req.bucket, key, "")
	return err == nil
}

// websiteObject answers the request with object key through the GET path:
// authorized as an anonymous GetObject (or HeadObject), read, decrypted
// and sent, with status instead of 200 when it is not 0. An object with
// x-amz-website-redirect-location is a 301 to it instead.
//
// The version is looked at before its data is opened (ops.HeadObject,
// then ops.GetObject for a GET): a redirect needs no data, so an object
// whose data cannot be read — archived (GLACIER, not restored) — still
// redirects, as S3 answers, and an SSE-KMS object is refused before its
// key would be asked for.
func (h *Handler) websiteObject(req *request, key string, status int) error {
	req.key = key
	if err := h.authorize(req, websiteRoute(req.Method)); err != nil {
		return err
	}
	p, err := h.planRead(req, false)
	if err != nil {
		return err
	}
	if t := p.Version.Encryption.Type; t == kura.SSEKMS || t == kura.SSEDSSE {
		// KMS does not serve anonymous callers, so neither does a
		// website: S3 answers 403 for SSE-KMS objects there.
		return s3err.AccessDenied
	}
	if loc := p.Version.ContentHeaders.WebsiteRedirect; loc != "" && status == 0 {
		return websiteRedirect(req, http.StatusMovedPermanently, loc)
	}
	if req.Method == http.MethodHead {
		p.status = status
		writeReadHeaders(req, p)
		return nil
	}
	p, err = h.planRead(req, true)
	if err == errKMSNeedsSigV4 {
		return s3err.AccessDenied // replaced by an SSE-KMS version since
	}
	if err != nil {
		return err
	}
	if loc := p.Version.ContentHeaders.WebsiteRedirect; loc != "" && status == 0 {
		p.Body.Close() // replaced by a version with a redirect since
		return websiteRedirect(req, http.StatusMovedPermanently, loc)
	}
	p.status = status
	return sendObject(req, p)
}

// websiteErrorDocument answers a request that failed with e with the
// bucket's error document, sent whole (no range, no conditions) with e's
// status. If the document cannot be served, the HTML page names both
// errors.
func (h *Handler) websiteErrorDocument(req *request, e *s3err.Error, key string) error {
	hdr := req.Header.Clone()
	for k := range hdr {
		if k == "Range" || strings.HasPrefix(k, "If-") {
			hdr.Del(k)
		}
	}
	r := *req.Request
	r.Header = hdr
	req.Request = &r
	req.authz, req.nameNullVersion = nil, false
	asked := req.key
	err := h.websiteObject(req, key, e.Status)
	req.key = asked // the request's audit event names what was asked for
	if err == nil {
		req.trail.failure = e // the request failed, whatever page it got
		return nil
	}
	if req.responseStarted() {
		return err
	}
	return &websiteDocError{orig: e, doc: s3err.As(err), key: key}
}

// websiteOp is the operation a website request is audited and counted as:
// the anonymous GetObject (HeadObject) it is, whether or not it got as far
// as reading an object.
func websiteOp(req *request) operation {
	o, _ := opFor(req, websiteRoute(req.Method))
	o.Resource = objectARN(req.bucket, req.key) // also for "/" before the index is known
	return o
}

// websiteRoute is the S3 route a website request is served and audited
// as: GetObject, or HeadObject for a HEAD.
func websiteRoute(method string) *route {
	name := "GetObject"
	if method == http.MethodHead {
		name = "HeadObject"
	}
	for i := range routes {
		if rt := &routes[i]; rt.level == levelObject && rt.Name == name {
			return rt
		}
	}
	panic("s3api: no " + name + " route") // the table is fixed at compile time
}

// websiteRedirect answers with a redirect to loc.
func websiteRedirect(req *request, status int, loc string) error {
	hdr := req.w.Header()
	hdr.Set("Location", loc)
	hdr.Set("Content-Length", "0")
	req.status = status
	req.w.WriteHeader(status)
	return nil
}

// responseStarted says the status line has been written.
func (req *request) responseStarted() bool {
	return req.trail.out != nil && req.trail.out.status != 0
}

// writeWebsiteError renders e as the website endpoint does: an HTML page
// listing the code, message and details (no body for HEAD and 304). err
// is the error as returned, which may name a failed error document.
func writeWebsiteError(req *request, e *s3err.Error, err error) {
	req.status = e.Status
	hdr := req.w.Header()
	if e.Status != http.StatusNotModified {
		// What a HEAD cannot say in a body, S3's website says in headers.
		hdr.Set("X-Amz-Error-Code", e.Code)
		hdr.Set("X-Amz-Error-Message", e.Message)
		for _, f := range e.Extra {
			hdr.Set("X-Amz-Error-Detail-"+f.Name, f.Value)
		}
	}
	if req.Method == http.MethodHead || e.Status == http.StatusNotModified {
		req.w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	li := func(name, value string) {
		b.WriteString("<li>" + name + ": " + html.EscapeString(value) + "</li>\n")
	}
	title := strconv.Itoa(e.Status) + " " + http.StatusText(e.Status)
	b.WriteString("<html>\n<head><title>" + title + "</title></head>\n<body>\n<h1>" + title + "</h1>\n<ul>\n")
	li("Code", e.Code)
	li("Message", e.Message)
	for _, f := range e.Extra {
		li(f.Name, f.Value)
	}
	li("RequestId", req.id)
	li("HostId", req.id)
	b.WriteString("</ul>\n")
	var doc *websiteDocError
	if errors.As(err, &doc) {
		b.WriteString("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n")
		li("Code", doc.doc.Code)
		li("Message", doc.doc.Message)
		for _, f := range doc.doc.Extra { // NoSuchKey names the document
			li(f.Name, f.Value)
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("<hr/>\n</body>\n</html>\n")
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(b.Len()))
	req.w.WriteHeader(e.Status)
	req.w.Write([]byte(b.String()))
}
