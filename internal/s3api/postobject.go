package s3api

import (
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sigv4"
)

// Browser POST uploads (S3 POST Object): POST /{bucket} with a
// multipart/form-data body whose fields describe the object and whose last
// part is the file. The signature covers a policy document in the form,
// not the request, so these requests are recognised before SigV4
// verification (isPostForm) and authenticated here (servePost). After that
// they go through route and authorize like any request: the form's fields
// become the request's headers, so s3:PutObject is decided with the same
// condition keys a PUT would carry, and postObject writes the object the
// way putObject does, streaming the file part straight into the store.

// maxPostPreData bounds the fields before the file, which are held in
// memory (S3's limit is 20 KB).
const maxPostPreData = 20 << 10

// postState is what servePost learned from the form, for postObject.
type postState struct {
	file     io.Reader // the file part, still unread
	policy   *postPolicy
	status   string // success_action_status
	redirect string // success_action_redirect (or redirect)
}

// isPostForm says the request is a browser POST upload: POST to a bucket,
// no key, no sub-resource, a multipart/form-data body.
func isPostForm(req *request) bool {
	if req.Method != http.MethodPost || req.bucket == "" || req.key != "" || len(req.query) != 0 {
		return false
	}
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// postFormFields are the fields that become request headers, under the
// header name PUT uses; x-amz-meta-*, x-amz-checksum-* and the SSE fields
// keep their names.
var postFormFields = map[string]string{
	"acl":                             "x-amz-acl",
	"content-type":                    "Content-Type",
	"cache-control":                   "Cache-Control",
	"content-disposition":             "Content-Disposition",
	"content-encoding":                "Content-Encoding",
	"content-language":                "Content-Language",
	"expires":                         "Expires",
	"x-amz-storage-class":             "x-amz-storage-class",
	"x-amz-website-redirect-location": "x-amz-website-redirect-location",
	hdrSSE:                            hdrSSE,
	hdrSSEKMSKeyID:                    hdrSSEKMSKeyID,
	hdrSSEContext:                     hdrSSEContext,
	hdrSSEBucketKey:                   hdrSSEBucketKey,
	hdrSSECAlgorithm:                  hdrSSECAlgorithm,
	hdrSSECKey:                        hdrSSECKey,
	strings.ToLower(hdrSSECKeyMD5):    hdrSSECKeyMD5,
}

// servePost authenticates a POST form and hands it to route. The fields
// before the file are read here; the file itself is left in the body.
func (h *Handler) servePost(req *request) error {
	req.Body = req.trail.meter(req.Body, "s3")
	// Until the form is verified the audit event and Close see this.
	req.auth = &sigv4.Result{Service: "s3", Body: req.Body, DecodedLength: -1}
	fields, file, err := readPostForm(req)
	if err != nil {
		return err
	}
	if err := h.authenticatePost(req, fields); err != nil {
		return err
	}
	key, ok := fields["key"]
	if !ok {
		return s3err.InvalidArgument.WithMessage("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.").
			With("ArgumentName", "key").With("ArgumentValue", "")
	}
	if file == nil {
		return s3err.IncorrectNumberOfFilesInPostRequest
	}
	// ${filename} becomes the file's (base) name before the policy sees
	// the key: S3 checks conditions against the key the object will get,
	// which is why SDKs sign ["starts-with", "$key", "uploads/"] for
	// "uploads/${filename}" (botocore: "the only constraint that can be
	// imposed"), never an exact match on the variable.
	name := file.FileName()
	if name == "." { // FileName's base of an empty filename
		name = ""
	}
	key = strings.ReplaceAll(key, "${filename}", name)
	fields["key"] = key
	// An anonymous form has no policy: nobody signed conditions for it.
	var pol *postPolicy
	if !req.anonymous() {
		if pol, err = parsePostPolicy(fields["policy"]); err != nil {
			return err
		}
		if err := pol.check(h.obj.Now(), fields, req.bucket); err != nil {
			return err
		}
	}
	if key == "" {
		return s3err.InvalidArgument.WithMessage("User key must have a length greater than 0.").
			With("ArgumentName", "key").With("ArgumentValue", "")
	}
	hdr, err := postHeaders(req.Header, fields)
	if err != nil {
		return err
	}
	req.Header = hdr
	req.key = key
	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"]
	}
	req.post = &postState{file: file, policy: pol, status: fields["success_action_status"], redirect: redirect}
	return h.route(req)
}

// readPostForm reads the form fields up to the file part, which it returns
// unread (nil when the form has none). Names are lower-cased; the first of
// repeated fields wins.
func readPostForm(req *request) (map[string]string, *multipart.Part, error) {
	_, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if params["boundary"] == "" {
		return nil, nil, s3err.MalformedPOSTRequest
	}
	mr := multipart.NewReader(req.Body, params["boundary"])
	fields := map[string]string{}
	budget := int64(maxPostPreData)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil, nil
		}
		if err != nil {
			return nil, nil, postReadError(err)
		}
		name := strings.ToLower(p.FormName())
		if name == "file" {
			return fields, p, nil
		}
		b, err := io.ReadAll(io.LimitReader(p, budget+1))
		if err != nil {
			return nil, nil, postReadError(err)
		}
		// Each part costs at least a byte, so a stream of empty parts
		// ends too.
		budget -= int64(len(name) + len(b) + 1)
		if budget < 0 {
			return nil, nil, s3err.MaxPostPreDataLengthExceeded
		}
		if _, dup := fields[name]; !dup && name != "" {
			fields[name] = string(b)
		}
	}
}

// postReadError turns a multipart read error into the S3 error for it.
func postReadError(err error) error {
	var e *s3err.Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return s3err.IncompleteBody
	}
	return s3err.MalformedPOSTRequest.Wrap(err)
}

// authenticatePost verifies the form's policy signature and identifies its
// signer. A form with neither policy nor signature is anonymous: like an
// unsigned PUT it is authorized as the anonymous principal, so it
// succeeds only where a bucket policy or ACL lets anyone write.
func (h *Handler) authenticatePost(req *request, f map[string]string) error {
	_, hasV4 := f["x-amz-signature"]
	_, hasV2 := f["signature"]
	policy, hasPolicy := f["policy"]
	if !hasPolicy && !hasV4 && !hasV2 {
		req.auth.Anonymous = true
		return nil
	}
	if !hasPolicy || policy == "" {
		return s3err.InvalidArgument.WithMessage("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.").
			With("ArgumentName", "policy").With("ArgumentValue", "")
	}
	if !hasV4 && !hasV2 {
		return s3err.InvalidArgument.WithMessage("Bucket POST must contain a field named 'x-amz-signature'.  If it is specified, please check the order of the fields.").
			With("ArgumentName", "x-amz-signature").With("ArgumentValue", "")
	}
	res, err := h.cfg.Verifier.VerifyPOST(sigv4.POSTForm{
		Policy: policy, Algorithm: f["x-amz-algorithm"], Credential: f["x-amz-credential"],
		Date: f["x-amz-date"], Signature: f["x-amz-signature"],
		AccessKeyID: f["awsaccesskeyid"], SignatureV2: f["signature"], SecurityToken: f["x-amz-security-token"],
	})
	if err != nil {
		return err
	}
	res.Body = req.Body
	req.auth = res
	id, err := h.cfg.Identify(req.Context(), res.AccessKey, res.SessionToken)
	if err != nil {
		return err
	}
	req.identity = id
	return nil
}

// postHeaders is the request's header set as a PUT of the same object
// would carry it: the form's object fields replace whatever the POST
// itself sent under those names (its Content-Type is the form's).
func postHeaders(orig http.Header, f map[string]string) (http.Header, error) {
	hdr := orig.Clone()
	for k := range hdr {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || strings.HasPrefix(lk, "content-") ||
			lk == "cache-control" || lk == "expires" || lk == "if-match" || lk == "if-none-match" {
			delete(hdr, k)
		}
	}
	for name, v := range f {
		switch {
		case postFormFields[name] != "":
			hdr.Set(postFormFields[name], v)
		case strings.HasPrefix(name, "x-amz-meta-"), strings.HasPrefix(name, "x-amz-checksum-"):
			hdr.Set(name, v)
		}
	}
	if v, ok := f["tagging"]; ok {
		tags, err := postTagging(v)
		if err != nil {
			return nil, err
		}
		hdr.Set("X-Amz-Tagging", tags)
	}
	return hdr, nil
}

// postTagging converts the form's tagging field (a Tagging XML document)
// into x-amz-tagging's URL query form, so tags are parsed, validated and
// offered to policies as for a PUT.
func postTagging(v string) (string, error) {
	var t tagging
	if err := xml.Unmarshal([]byte(v), &t); err != nil {
		return "", s3err.MalformedXML
	}
	q := url.Values{}
	for _, tag := range t.TagSet {
		q.Add(tag.Key, tag.Value)
	}
	return q.Encode(), nil
}

// postObject writes the object of an authenticated, authorized POST form
// (see servePost) and answers as the form asks: a redirect, 200, 201 with
// a PostResponse document, or 204.
func (h *Handler) postObject(req *request) error {
	ps := req.post
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	headers, err := contentHeaders(req.Header, false)
	if err != nil {
		return err
	}
	if headers.ContentType == "" {
		headers.ContentType = "binary/octet-stream"
	}
	tags, err := tagsHeader(req.Header)
	if err != nil {
		return err
	}
	class, err := storageClass(req.Header)
	if err != nil {
		return err
	}
	ck, err := requestChecksum(req)
	if err != nil {
		return err
	}
	enc, _, err := sseRequest(req.Header)
	if err != nil {
		return err
	}
	if err := kmsNeedsSigV4(req, enc.Type); err != nil {
		return err
	}
	if enc.Type == kura.SSEC {
		if err := h.sseCTransport(req); err != nil {
			return err
		}
	}
	acl, err := headerObjectACL(req)
	if err != nil {
		return err
	}
	body := &postFile{r: ps.file, max: -1}
	if p := ps.policy; p != nil && p.hasRange {
		body.min, body.max = p.minSize, p.maxSize
	}
	// The write is PutObject's (internal/ops): the object's ACL and owner
	// under Object Ownership, the Object Lock rules, the record.
	res, err := h.ops.PutObject(h.front(req, b), req.caller(), ops.PutInput{Target: ops.Target{Bucket: req.bucket, Key: req.key},
		Body: body, Size: -1, Headers: headers, Tags: tags, StorageClass: class, Checksum: ck,
		SSE: enc, ACL: acl})
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	etag := quote(res.ETag)
	hdr.Set("ETag", etag)
	writeVersionID(req, res.VersionID)
	setSSEHeaders(hdr, res.Encryption)
	setChecksumHeaders(hdr, res.Checksum)
	location := objectURL(req)
	if target, ok := redirectTarget(ps.redirect, req.bucket, req.key, etag); ok {
		hdr.Set("Location", target)
		req.w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	hdr.Set("Location", location)
	switch ps.status {
	case "200":
		req.w.WriteHeader(http.StatusOK)
	case "201":
		writeXML(req, http.StatusCreated, postResponse{Location: location, Bucket: req.bucket, Key: req.key, ETag: etag})
	default:
		req.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// objectURL is the URL of the request's object as the client addressed the
// server.
func objectURL(req *request) string {
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	host := req.Host
	path := "/" + req.bucket + "/" + req.key
	if !strings.HasPrefix(req.URL.Path, "/"+req.bucket) { // virtual-host style
		path = "/" + req.key
	}
	return scheme + "://" + host + (&url.URL{Path: path}).EscapedPath()
}

// redirectTarget is where success_action_redirect sends the browser: the
// URL with bucket, key and etag added to its query. A value that is not an
// absolute URL is ignored, as S3 does.
func redirectTarget(redirect, bucket, key, etag string) (string, bool) {
	if redirect == "" {
		return "", false
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", false
	}
	// Appended in S3's order (bucket, key, etag) after any query the URL
	// has; url.Values.Encode would sort them.
	add := url.Values{"bucket": {bucket}}.Encode() + "&" + url.Values{"key": {key}}.Encode() +
		"&" + url.Values{"etag": {etag}}.Encode()
	if u.RawQuery != "" {
		add = u.RawQuery + "&" + add
	}
	u.RawQuery = add
	return u.String(), true
}

// postFile is the form's file as the object body: it enforces the policy's
// content-length-range while streaming (max -1: no bound) and turns
// multipart framing errors into S3 errors.
type postFile struct {
	r        io.Reader
	n        int64
	min, max int64
}

func (f *postFile) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += int64(n)
	if f.max >= 0 && f.n > f.max {
		return n, s3err.EntityTooLarge.WithMessage("Your proposed upload exceeds the maximum allowed size").
			With("ProposedSize", strconv.FormatInt(f.n, 10)).With("MaxSizeAllowed", strconv.FormatInt(f.max, 10))
	}
	if err == io.EOF && f.n < f.min {
		return n, s3err.EntityTooSmall.WithMessage("Your proposed upload is smaller than the minimum allowed size").
			With("ProposedSize", strconv.FormatInt(f.n, 10)).With("MinSizeAllowed", strconv.FormatInt(f.min, 10))
	}
	if err != nil && err != io.EOF {
		return n, postReadError(err)
	}
	return n, err
}
