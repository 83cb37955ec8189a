package console

import (
	"bytes"
	"io"
	"net/http"
	"regexp"

	"github.com/kurastore/kura"
)

// KMS and IAM: the console's pages speak the services' own APIs (KMS's
// JSON, IAM's query form), and these handlers hand each request to the
// same API object the S3 listener serves them with, as the session's
// principal, instead of a SigV4 signature. Authorization, validation
// (a policy document's errors included) and audit are the APIs' own.

const maxProxyBody = 1 << 20

var kmsOperation = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)

func (c *Console) proxyRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /console/api/kms/{op}", c.authed(c.kmsProxy))
	m.HandleFunc("POST /console/api/iam", c.authed(c.iamProxy))
}

// inner is the request handed to a service API: the browser's body, with
// the headers the API reads, and nothing else of the browser's (its
// cookies stay here).
func inner(r *http.Request, body []byte) *http.Request {
	in, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "/", bytes.NewReader(body))
	in.RemoteAddr = r.RemoteAddr
	in.Header.Set("User-Agent", "kura-console/"+r.UserAgent())
	in.TLS = r.TLS
	in.Host = r.Host
	return in
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxyBody))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "BodyTooLarge", "The request body is larger than 1 MiB.")
		return nil, false
	}
	return body, true
}

// kmsProxy serves POST /console/api/kms/{Operation} with KMS's JSON body,
// answered as KMS answers it.
func (c *Console) kmsProxy(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	op := r.PathValue("op")
	if !kmsOperation.MatchString(op) {
		writeErr(w, http.StatusBadRequest, "InvalidOperation", "Name a KMS operation, e.g. /console/api/kms/ListKeys.")
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	in := inner(r, body)
	in.Header.Set("X-Amz-Target", "TrentService."+op)
	in.Header.Set("Content-Type", "application/x-amz-json-1.1")
	c.cfg.KMS.Serve(w, in, call, call.Source.RequestID)
}

// iamProxy serves POST /console/api/iam with IAM's query form
// (Action=ListUsers&…), answered with IAM's XML.
func (c *Console) iamProxy(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	in := inner(r, body)
	in.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.cfg.IAM.Serve(w, in, call, call.Source.RequestID)
}
