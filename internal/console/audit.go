package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/ops"
)

// The audit explorer: the trail's events of the principal's account (as
// recipient or as actor), filtered, newest first. Reading it is
// CloudTrail's cloudtrail:LookupEvents, decided by the principal's
// policies like any other action.

func (c *Console) auditRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/api/audit", c.authed(c.lookupEvents))
}

var errEnough = errors.New("enough")

func (c *Console) lookupEvents(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if err := c.cfg.Authorizer.Authorize(r.Context(), access.Request{Call: call, Action: "cloudtrail:LookupEvents", Resource: "*"}); err != nil {
		c.fail(w, ops.Denial(err))
		return
	}
	q := r.URL.Query()
	f := audit.Filter{EventName: q.Get("action"), Principal: q.Get("principal"), Bucket: q.Get("bucket"),
		KeyPrefix: q.Get("key"), ErrorsOnly: q.Get("result") == "error"}
	for name, t := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			var err error
			if *t, err = time.Parse(time.RFC3339, v); err != nil {
				writeErr(w, http.StatusBadRequest, "InvalidArgument", name+" must be an RFC 3339 time (2026-01-02T15:04:05Z).")
				return
			}
		}
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	kmsKey, successOnly, acct := q.Get("kmsKey"), q.Get("result") == "success", call.Principal.AccountID
	// The trail is read oldest first; the newest limit events are kept.
	var ring []audit.Event
	err := audit.Query(c.cfg.AuditDir, f, func(ev audit.Event) error {
		if ev.RecipientAccountID != acct && ev.UserIdentity.AccountID != acct {
			return nil
		}
		if successOnly && ev.ErrorCode != "" {
			return nil
		}
		if kmsKey != "" && !strings.Contains(string(ev.Line()), kmsKey) {
			return nil
		}
		ring = append(ring, ev)
		if len(ring) > 2*limit {
			ring = slices.Clone(ring[len(ring)-limit:])
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		writeErr(w, http.StatusInternalServerError, "AuditReadFailed", "The audit trail could not be read: "+err.Error())
		return
	}
	if len(ring) > limit {
		ring = ring[len(ring)-limit:]
	}
	slices.Reverse(ring)
	writeJSON(w, http.StatusOK, map[string]any{"events": nonNil(ring)})
}
