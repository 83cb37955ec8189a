package kms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// API serves the AWS KMS JSON 1.1 protocol (SPEC 3.1) on top of a Service:
// POST / with X-Amz-Target: TrentService.<Operation>, a JSON body (blobs in
// base64, timestamps in epoch seconds), JSON responses and errors
// {"__type": ..., "message": ...}. Authentication is the caller's job.
type API struct {
	svc *Service
}

// NewAPI returns the JSON API of s.
func NewAPI(s *Service) *API { return &API{svc: s} }

const (
	targetPrefix = "TrentService."
	jsonType     = "application/x-amz-json-1.1"
	maxBody      = 1 << 20
)

// handler decodes a request body, calls the service and returns the
// response document (nil for an empty one).
type handler func(ctx context.Context, s *Service, c kura.Call, body []byte) (any, error)

// Serve handles one KMS request for an already authenticated caller. The
// request id goes into the x-amzn-RequestId header and the audit event;
// the caller's SourceIP and UserAgent default to the request's.
func (a *API) Serve(w http.ResponseWriter, r *http.Request, caller kura.Call, requestID string) {
	w.Header().Set("x-amzn-RequestId", requestID)
	if caller.Source.RequestID == "" {
		caller.Source.RequestID = requestID
	}
	if caller.Source.IP == "" {
		caller.Source.IP = remoteIP(r.RemoteAddr)
	}
	if caller.Source.UserAgent == "" {
		caller.Source.UserAgent = r.UserAgent()
	}
	name, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	h, ok := handlers[name]
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix) || !ok {
		writeError(w, newError(UnknownOperationException, "The operation %q is not supported.", r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		// Behind SigV4 the body is verified while it is read, so a read
		// error is usually a payload that does not match its signature.
		a.fail(w, caller, name, newError(InvalidSignatureException, "The request body could not be read or does not match the request signature."))
		return
	}
	if len(body) > maxBody {
		a.fail(w, caller, name, errValidation("The request body is larger than 1 MiB."))
		return
	}
	out, err := h(r.Context(), a.svc, caller, body)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.early {
			// Rejected before reaching the service: still one audit event.
			a.fail(w, caller, name, e)
			return
		}
		writeError(w, asError(err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// fail records the audit event of a request rejected by the API layer
// itself (malformed body, model constraint) and writes the error.
func (a *API) fail(w http.ResponseWriter, c kura.Call, name string, e *Error) {
	o := a.svc.begin(c, name, false)
	writeError(w, o.finish(e).(*Error))
}

func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body := []byte("{}")
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			writeError(w, internalError(err))
			return
		}
	}
	w.Header().Set("Content-Type", jsonType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{e.Type, e.Message})
	w.Header().Set("Content-Type", jsonType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	w.Write(body)
}

// decode parses a request body into v. An empty body is an empty object.
// Messages never quote the body, which may hold plaintext.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return preService(newError(SerializationException, "The request body is not a valid JSON document for this operation."))
	}
	return nil
}

// preService marks an error raised before the service ran, so Serve audits
// it itself.
func preService(e *Error) *Error {
	c := *e
	c.early = true
	return &c
}

// explicitZero rejects an integer parameter sent as 0: the service reads 0
// as "use the default", the wire model does not.
func explicitZero(body []byte, field string, lo, hi int) error {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return nil
	}
	if v, ok := probe[field]; ok && string(bytes.TrimSpace(v)) == "0" {
		return preService(errConstraint(lowerFirst(field), "0",
			"Member must have value between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi)))
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// epoch is a timestamp in the protocol's epoch-seconds format.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64), nil
}

func ts(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}
