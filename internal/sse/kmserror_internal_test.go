package sse

import (
	"errors"
	"net/http"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// kmsFailure is a KMS exception as the built-in KMS returns one.
type kmsFailure struct {
	code   string
	status int
	cause  error
}

func (e *kmsFailure) Error() string        { return e.code }
func (e *kmsFailure) ErrorCode() string    { return e.code }
func (e *kmsFailure) ErrorMessage() string { return "message of " + e.code }
func (e *kmsFailure) HTTPStatusCode() int  { return e.status }
func (e *kmsFailure) Unwrap() error        { return e.cause }

// A KMS failure reaches the S3 client as S3 would answer it; a KMS
// internal error caused by a metadata store outage stays a retryable 503
// instead of becoming a 500.
func TestKMSErrorStatus(t *testing.T) {
	outage := s3err.ServiceUnavailable.Wrap(errors.New("dial tcp 127.0.0.1:5432: connection refused"))
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"internal, store outage", &kmsFailure{"KMSInternalException", http.StatusInternalServerError, outage}, "ServiceUnavailable"},
		{"internal, other", &kmsFailure{"KMSInternalException", http.StatusInternalServerError, errors.New("bug")}, "InternalError"},
		{"throttled", &kmsFailure{"ThrottlingException", http.StatusBadRequest, nil}, "SlowDown"},
		{"disabled key", &kmsFailure{"DisabledException", http.StatusBadRequest, nil}, "KMS.DisabledException"},
	}
	for _, tc := range cases {
		if got := s3err.As(kmsError(tc.err)); got.Code != tc.code {
			t.Errorf("%s: %s (%d), want %s", tc.name, got.Code, got.Status, tc.code)
		}
	}
}
