package iam

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// TestStoreOutageIsServiceUnavailable: a store error carrying S3's 503
// (the PostgreSQL metadata store's while the database is unreachable)
// is IAM's ServiceUnavailable, 503, which clients retry; any other store
// error stays ServiceFailure, 500; an *Error stays itself.
func TestStoreOutageIsServiceUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		code       string
		status     int
		keepsCause bool
	}{
		{"outage", fmt.Errorf("meta/pg: unavailable: %w", s3err.ServiceUnavailable.Wrap(errors.New("connection reset"))), CodeServiceUnavailable, http.StatusServiceUnavailable, true},
		{"fault", errors.New("meta/pg: relation does not exist"), CodeServiceFailure, http.StatusInternalServerError, true},
		{"other S3 error", s3err.InternalError.Wrap(errors.New("x")), CodeServiceFailure, http.StatusInternalServerError, true},
		{"iam error", errNoSuchUser("bob"), CodeNoSuchEntity, http.StatusNotFound, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := asError(tc.err)
			if e.Code != tc.code || e.Status != tc.status {
				t.Fatalf("asError(%v) = %s %d, want %s %d", tc.err, e.Code, e.Status, tc.code, tc.status)
			}
			if tc.keepsCause && !errors.Is(e, tc.err) {
				t.Errorf("asError(%v) lost its cause", tc.err)
			}
		})
	}
}
