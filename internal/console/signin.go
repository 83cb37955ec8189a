package console

import (
	"net"
	"net/http"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
)

// Sign-in's audit event and its throttle.

// Sign-in failures allowed from one address per window before sign-in
// answers 429 there until the window ends.
const (
	maxFailures   = 10
	failureWindow = time.Minute
)

type failures struct {
	n     int
	start time.Time
}

// throttled says whether the address of r has failed too often lately.
func (c *Console) throttled(r *http.Request) bool {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.failed[ip]
	return f != nil && c.cfg.Now().Sub(f.start) < failureWindow && f.n >= maxFailures
}

func (c *Console) failedFrom(r *http.Request) {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.failed[ip]
	if f == nil || now.Sub(f.start) >= failureWindow {
		if len(c.failed) > 10000 { // bound the table: forget everyone
			c.failed = map[string]*failures{}
		}
		f = &failures{start: now}
		c.failed[ip] = f
	}
	f.n++
}

// signInEvent records a sign-in as CloudTrail records console sign-ins
// (ConsoleLogin from signin.amazonaws.com). A failure whose access key is
// unknown names nobody: the "key" may be a secret pasted in the wrong
// field, so it is never written down.
func (c *Console) signInEvent(r *http.Request, p *kura.Principal, ok bool, why string) {
	if c.cfg.Audit == nil {
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	src := kura.Source{IP: ip, UserAgent: r.UserAgent(), RequestID: requestID(), Time: c.cfg.Now()}
	ev := audit.Event{EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", EventType: "AwsConsoleSignIn",
		AWSRegion: c.cfg.Region, SourceIPAddress: ip, UserAgent: r.UserAgent(), RequestID: src.RequestID,
		EventTime: src.Time, ManagementEvent: true, RequestParameters: nil,
		AdditionalEventData: map[string]any{"LoginTo": "kura-console", "MFAUsed": "No"}}
	if p != nil {
		ev.UserIdentity = audit.UserIdentityOf(*p, src)
		ev.RecipientAccountID = p.AccountID
	} else {
		ev.UserIdentity = audit.UserIdentity{Type: "IAMUser", UserName: "HIDDEN_DUE_TO_SECURITY_REASONS"}
	}
	if ok {
		ev.ResponseElements = map[string]any{"ConsoleLogin": "Success"}
	} else {
		ev.ResponseElements = map[string]any{"ConsoleLogin": "Failure"}
		ev.ErrorMessage = why
	}
	if err := c.cfg.Audit.Append(ev); err != nil {
		c.cfg.Logger.Error("console: the sign-in's audit event was not written", "err", err)
	}
}
