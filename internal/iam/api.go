package iam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sigv4"
)

// API serves the AWS query protocol of IAM (version 2010-05-08) and STS
// (2011-06-15), plus Kura's account administration actions, for requests
// that are already authenticated: POST / with a form body (or GET with a
// query) carrying Action=…&Version=…, answered with
// <ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…
// and errors as <ErrorResponse><Error><Type><Code><Message>…
type API struct {
	svc *Service
	log *slog.Logger
	// primary, when set, is the endpoint of the deployment that owns IAM
	// (this one follows it, docs/replication.md): IAM writes here are
	// refused and name it.
	primary string
}

// FollowPrimary makes a refuse IAM writes (every IAM action but Get… and
// List…; STS is served) and name endpoint, the primary's S3 endpoint,
// as the place to send them.
func (a *API) FollowPrimary(endpoint string) { a.primary = endpoint }

// NewAPI returns the query API of s.
func NewAPI(s *Service) *API { return &API{svc: s, log: s.log} }

// Protocol constants of the two services.
const (
	iamVersion = "2010-05-08"
	stsVersion = "2011-06-15"
	iamNS      = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS      = "https://sts.amazonaws.com/doc/2011-06-15/"
	maxForm    = 1 << 20
)

// IsQueryService reports whether a SigV4 credential scope's service is one
// that API serves.
func IsQueryService(service string) bool { return service == "iam" || service == "sts" }

// ScopeService returns the service named in r's SigV4 credential scope
// (Authorization header or X-Amz-Credential), or "" if r is not signed or
// the scope cannot be parsed. It is meant for choosing an error format
// before (or after failing) authentication, never for authentication.
func ScopeService(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if a, err := sigv4.ParseAuthorization(h); err == nil {
			return a.Credential.Service
		}
		if _, cred, ok := strings.Cut(h, "Credential="); ok {
			return scopeServiceOf(strings.TrimSpace(strings.SplitN(cred, ",", 2)[0]))
		}
		return ""
	}
	return scopeServiceOf(r.URL.Query().Get("X-Amz-Credential"))
}

func scopeServiceOf(cred string) string {
	parts := strings.Split(cred, "/")
	if n := len(parts); n >= 5 {
		return parts[n-2]
	}
	return ""
}

// call is one query request being served.
type call struct {
	ctx    context.Context
	r      *http.Request
	p      kura.Principal // call.Principal
	call   kura.Call
	action string
	params url.Values
}

// handler runs one action and returns its result element (nil for actions
// without one).
type handler func(a *API, c *call) (any, error)

// Serve handles one IAM or STS request for an authenticated call (its
// principal, and its source for policy conditions).
func (a *API) Serve(w http.ResponseWriter, r *http.Request, c kura.Call, requestID string) {
	service := ScopeService(r)
	ns, version, table := iamNS, iamVersion, iamHandlers
	if service == "sts" {
		ns, version, table = stsNS, stsVersion, stsHandlers
	}
	w.Header().Set("x-amzn-RequestId", requestID)
	params, err := readParams(r)
	if err != nil {
		writeError(w, ns, asError(err), requestID)
		return
	}
	action := params.Get("Action")
	h, ok := table[action]
	switch {
	case action == "":
		writeError(w, ns, newError(CodeMissingAction, "Missing Action"), requestID)
		return
	case !ok || (params.Get("Version") != "" && params.Get("Version") != version):
		writeError(w, ns, newError(CodeInvalidAction, "Could not find operation %s for version %s", action, orDefault(params.Get("Version"), version)), requestID)
		return
	}
	if a.primary != "" && service != "sts" && !strings.HasPrefix(action, "Get") && !strings.HasPrefix(action, "List") && !strings.HasPrefix(action, "KuraList") {
		writeError(w, ns, &Error{Code: CodeInvalidAction, Status: 400, Message: fmt.Sprintf(
			"This deployment follows the IAM of its link's primary and cannot change IAM: send %s to the primary's endpoint, %s; the change reaches this deployment within seconds.", action, a.primary)}, requestID)
		return
	}
	out, err := h(a, &call{ctx: r.Context(), r: r, p: c.Principal, call: c, action: action, params: params})
	if err != nil {
		e := asError(err)
		if e.Status >= 500 {
			a.log.Error("iam request failed", "id", requestID, "action", action, "err", err)
		}
		writeError(w, ns, e, requestID)
		return
	}
	writeResponse(w, ns, action, out, requestID)
}

// readParams merges the query string and, for POST, the form body. The
// body has been authenticated by SigV4 while it is read.
func readParams(r *http.Request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, newError(CodeInvalidInput, "The query string could not be parsed.")
	}
	switch r.Method {
	case http.MethodGet:
		return params, nil
	case http.MethodPost:
	default:
		return nil, newError(CodeInvalidAction, "The query API accepts GET and POST only.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm+1))
	if err != nil {
		if e := (*s3err.Error)(nil); errors.As(err, &e) {
			return nil, &Error{Code: e.Code, Message: e.Message, Status: e.Status}
		}
		return nil, newError(CodeInvalidInput, "The request body could not be read.")
	}
	if len(body) > maxForm {
		return nil, newError(CodeInvalidInput, "The request body is larger than 1 MiB.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, newError(CodeInvalidInput, "The request body is not a valid form.")
	}
	for k, v := range form {
		params[k] = append(params[k], v...)
	}
	return params, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

func writeResponse(w http.ResponseWriter, ns, action string, result any, requestID string) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ns}}}
	err := enc.EncodeToken(start)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(responseMetadata{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(start.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		writeError(w, ns, internalError(err), requestID)
		return
	}
	writeXML(w, http.StatusOK, buf.Bytes())
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	NS        string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func writeError(w http.ResponseWriter, ns string, e *Error, requestID string) {
	typ := "Sender"
	if !e.Sender() {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(errorResponse{NS: ns, Error: errorBody{Type: typ, Code: e.Code, Message: e.Message}, RequestID: requestID})
	writeXML(w, e.Status, body)
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// WriteError writes err, raised while authenticating or routing an IAM or
// STS request, the way those services report it, and returns the status.
// S3 errors are translated: a bad key or token is InvalidClientTokenId, an
// expired session ExpiredToken (both 403, as IAM and STS answer).
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error, requestID string) int {
	ns := iamNS
	if ScopeService(r) == "sts" {
		ns = stsNS
	}
	var e *Error
	if !errors.As(err, &e) {
		se := s3err.As(err)
		switch se.Code {
		case s3err.InvalidAccessKeyID.Code, s3err.InvalidToken.Code:
			e = newError(CodeInvalidClientTokenID, "The security token included in the request is invalid.")
		case s3err.ExpiredToken.Code:
			e = newError(CodeExpiredToken, "The security token included in the request is expired")
		case s3err.SignatureDoesNotMatch.Code:
			e = newError(CodeSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
		default:
			e = &Error{Code: se.Code, Message: se.Message, Status: se.Status}
		}
		if se.Status >= 500 {
			a.log.Error("iam request failed", "id", requestID, "err", err)
		}
	}
	w.Header().Set("x-amzn-RequestId", requestID)
	writeError(w, ns, e, requestID)
	return e.Status
}

// Parameter access.

func (c *call) str(name string) string { return c.params.Get(name) }

// required returns a parameter that must be present; field is the model's
// member name used in the validation message.
func (c *call) required(name, field string) (string, error) {
	v := c.params.Get(name)
	if v == "" {
		return "", errConstraint(field, "", "Member must not be null")
	}
	return v, nil
}

// integer reads an optional integer parameter (0 when absent).
func (c *call) integer(name, field string) (int, error) {
	v := c.params.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errValidation("Invalid value for parameter %s: %s is not an integer.", field, v)
	}
	return n, nil
}

func (c *call) boolean(name string) bool { return strings.EqualFold(c.params.Get(name), "true") }

// members reads a list parameter: Name.member.1, Name.member.2, … (sub is
// ".Key" and the like for lists of structures, "" for lists of strings).
func (c *call) members(name, sub string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + ".member." + strconv.Itoa(i) + sub
		if _, ok := c.params[k]; !ok {
			return out
		}
		out = append(out, c.params.Get(k))
	}
}

func (c *call) tags() []Tag {
	keys, vals := c.members("Tags", ".Key"), c.members("Tags", ".Value")
	var out []Tag
	for i, k := range keys {
		t := Tag{Key: k}
		if i < len(vals) {
			t.Value = vals[i]
		}
		out = append(out, t)
	}
	return out
}

// page cuts one page out of a full listing, with AWS's Marker/MaxItems
// paging (MaxItems 1–1000, default 100). Markers are opaque offsets.
func page[T any](c *call, items []T) (out []T, truncated bool, marker string, err error) {
	max, err := c.integer("MaxItems", "maxItems")
	if err != nil {
		return nil, false, "", err
	}
	if _, given := c.params["MaxItems"]; given && (max < 1 || max > 1000) {
		return nil, false, "", errConstraint("maxItems", strconv.Itoa(max), "Member must have value between 1 and 1000")
	}
	if max == 0 {
		max = 100
	}
	start := 0
	if m := c.str("Marker"); m != "" {
		b, derr := base64.RawURLEncoding.DecodeString(m)
		n, aerr := strconv.Atoi(strings.TrimPrefix(string(b), "kura:"))
		if derr != nil || aerr != nil || n < 0 || !strings.HasPrefix(string(b), "kura:") {
			return nil, false, "", newError(CodeInvalidInput, "Invalid Marker.")
		}
		start = min(n, len(items))
	}
	end := min(start+max, len(items))
	if end < len(items) {
		truncated, marker = true, base64.RawURLEncoding.EncodeToString([]byte("kura:"+strconv.Itoa(end)))
	}
	return items[start:end], truncated, marker, nil
}

// isoTime is IAM's timestamp format.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// encodeDoc URL-encodes a policy document, as IAM returns documents (the
// AWS CLI and boto3 decode them; other SDKs leave it to the caller).
func encodeDoc(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
