package console

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// An error that is not an S3 error reaches the browser as S3's
// InternalError without its text (which may name files, hosts or SQL); an
// S3 error keeps its code, status and message.
func TestFailHidesInternalCauses(t *testing.T) {
	c := &Console{cfg: Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	cases := []struct {
		err        error
		status     int
		code, text string
	}{
		{errors.New("open /var/lib/kura/meta.db: permission denied"), 500, "InternalError", "We encountered an internal error. Please try again."},
		{s3err.NoSuchKey.WithMessage("The specified key does not exist."), 404, "NoSuchKey", "The specified key does not exist."},
		{s3err.ServiceUnavailable.Wrap(errors.New("dial tcp 127.0.0.1:5432: connection refused")), 503, "ServiceUnavailable", s3err.ServiceUnavailable.Message},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		c.fail(rec, tc.err)
		var body map[string]apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		got := body["error"]
		if rec.Code != tc.status || got.Code != tc.code || got.Message != tc.text {
			t.Errorf("fail(%v) = %d %+v, want %d %s %q", tc.err, rec.Code, got, tc.status, tc.code, tc.text)
		}
		if strings.Contains(rec.Body.String(), "/var/lib") || strings.Contains(rec.Body.String(), "5432") {
			t.Errorf("fail(%v) shows the cause: %s", tc.err, rec.Body.String())
		}
	}
}
