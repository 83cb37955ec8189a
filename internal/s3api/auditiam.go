package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/kurastore/kura/internal/ops"
)

// The audit event of an IAM or STS query-API request (Action=... in the
// form body or the query). Kept apart from the S3 event so it can move
// with the IAM handler.

// iamEvent fills ev for an IAM or STS request (svc "iam" or "sts"): a
// management event named by its Action, whose requestParameters are the
// request's parameters in CloudTrail's lowerCamel spelling, minus anything
// secret. responseElements are not recorded yet.
func iamEvent(req *request, svc string, ev *ops.Record, readRest bool) {
	params := iamParams(req, readRest)
	ev.EventSource = svc + ".amazonaws.com"
	ev.Name = params.Get("Action")
	if ev.Name == "" {
		ev.Name = "Unknown"
	}
	ev.ReadOnly = readOnlyAction(ev.Name)
	p := map[string]any{}
	for k, v := range params {
		if k == "Action" || k == "Version" || secretIAMParam(k) || len(v) == 0 {
			continue
		}
		p[strings.ToLower(k[:1])+k[1:]] = v[0]
	}
	if len(p) > 0 {
		ev.RequestParameters = p
	}
	if ev.ErrorCode == "" && req.trail.out != nil && req.trail.out.status >= 400 {
		// The IAM handler writes its own error documents.
		ev.ErrorCode, ev.ErrorMessage = errorDocument(req.trail.out.errBody)
		if ev.ErrorCode == "" {
			ev.ErrorCode = http.StatusText(req.trail.out.status)
		}
	}
	x := map[string]any{}
	req.authAdditional(x)
	ev.AdditionalEventData = x
}

// iamParams merges the query and the form body. The body is the one the
// handler read (kept by meter), or parsed by it, or — when the request was
// turned away before anything read it — its first bytes, read now, if
// readRest (not for an intent: that is built inside a transaction).
func iamParams(req *request, readRest bool) url.Values {
	params := url.Values{}
	for k, v := range req.URL.Query() {
		params[k] = v
	}
	var form url.Values
	switch {
	case req.PostForm != nil && len(req.PostForm) > 0:
		form = req.PostForm
	case isForm(req.Header.Get("Content-Type")):
		body := req.trail.body
		if readRest && len(body) == 0 && req.trail.in.Load() == 0 && req.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(req.Body, maxKeptBody))
		}
		form, _ = url.ParseQuery(string(body))
	}
	for k, v := range form {
		params[k] = v
	}
	return params
}

func isForm(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/x-www-form-urlencoded"
}

// secretIAMParam reports parameters never logged: passwords, secret keys,
// session and web identity tokens, SAML assertions, MFA codes, private
// keys.
func secretIAMParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"password", "secret", "token", "samlassertion", "privatekey", "authenticationcode", "signature", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// errorDocument finds the Code and Message of an AWS query-API (or S3)
// error document.
func errorDocument(b []byte) (code, message string) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var in string
	for {
		tok, err := d.Token()
		if err != nil {
			return code, message
		}
		switch t := tok.(type) {
		case xml.StartElement:
			in = t.Name.Local
		case xml.EndElement:
			in = ""
		case xml.CharData:
			switch {
			case in == "Code" && code == "":
				code = strings.TrimSpace(string(t))
			case in == "Message" && message == "":
				message = strings.TrimSpace(string(t))
			}
		}
	}
}
