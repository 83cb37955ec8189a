// Package console is Kura's web console: embedded static assets served at
// / on the admin listener and a small JSON API under /console/api/ that
// turns each browser request into a call of the operation layer (ops, the
// batch job engine, the KMS and IAM APIs) as the signed-in principal, so
// its authorization and audit events are exactly those of the same request
// made over S3, KMS or IAM.
//
// The console never acts as the server: a session holds the principal an
// access key authenticated as, never the secret, and every call is decided
// by that principal's policies. It never logs or stores a secret access
// key; the secret given at sign-in is compared in constant time and
// dropped.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/access"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/batch"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/s3err"
)

//go:embed web
var webFS embed.FS

// Config is what the console calls.
type Config struct {
	Ops  *ops.Service
	Jobs *batch.Service // nil: Batch Operations is off
	KMS  *kms.API
	IAM  *iam.API
	// Secret returns an access key's secret (iam.Service.SecretFor);
	// Identify maps a verified access key and session token to its
	// principal with its canonical id (the S3 front's Identify).
	Secret   func(ak string) (string, error)
	Identify func(ctx context.Context, ak, token string) (kura.Principal, error)
	// Authorizer decides the console's own reads (the audit trail:
	// cloudtrail:LookupEvents).
	Authorizer *access.Authorizer
	AuditDir   string
	// Audit receives the sign-in events (ConsoleLogin); the operations
	// record their own.
	Audit *audit.Log
	// ReplicationStats gives the replicator's per-rule figures; nil when
	// this server does not replicate.
	ReplicationStats func() []replication.RuleStats
	Region           string
	Logger           *slog.Logger
	Now              func() time.Time
	// SessionTTL bounds a console session (default 1 hour); an STS
	// session's own expiry bounds it further.
	SessionTTL time.Duration
}

// Console is the console's HTTP handler.
type Console struct {
	cfg    Config
	mux    *http.ServeMux
	mu     sync.Mutex
	byID   map[string]*session
	failed map[string]*failures // sign-in failures by client address
	static http.Handler
}

const (
	cookieName = "kura_console"
	csrfHeader = "X-Kura-Csrf"
)

// session is one signed-in browser. It holds what re-authenticates the
// access key on every request (so a deleted or deactivated key, or an
// expired STS session, stops working at once), never the secret.
type session struct {
	id        string
	csrf      string
	ak, token string
	principal kura.Principal
	expires   time.Time
}

// New returns the console handler.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = time.Hour
	}
	sub, _ := fs.Sub(webFS, "web")
	c := &Console{cfg: cfg, byID: map[string]*session{}, failed: map[string]*failures{}, static: http.FileServerFS(sub)}
	m := http.NewServeMux()
	m.HandleFunc("POST /console/api/signin", c.signIn)
	m.HandleFunc("POST /console/api/signout", c.authed(c.signOut))
	m.HandleFunc("GET /console/api/me", c.authed(c.me))
	c.objectRoutes(m)
	c.bucketRoutes(m)
	c.postureRoutes(m)
	c.jobRoutes(m)
	c.proxyRoutes(m)
	c.auditRoutes(m)
	c.replicationRoutes(m)
	m.HandleFunc("/console/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, http.StatusNotFound, "NotFound", "No console API at "+r.Method+" "+r.URL.Path+".")
	})
	m.HandleFunc("/", c.serveStatic)
	c.mux = m
	return c
}

// ServeHTTP serves the console's pages and API with headers that keep the
// pages from being framed, sniffed or given foreign scripts.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "The console's pages are read with GET.", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	c.static.ServeHTTP(w, r)
}

// handler is a console API handler for a signed-in session.
type handler func(w http.ResponseWriter, r *http.Request, s *session, call kura.Call)

// authed wraps h: the session cookie must name a live session, a
// state-changing request must carry the session's CSRF token (and a
// same-origin Origin when the browser sends one), and the access key is
// authenticated again.
func (c *Console) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.lookup(r)
		if s == nil {
			writeErr(w, http.StatusUnauthorized, "NotSignedIn", "Sign in to the console first (your session may have expired).")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(s.csrf)) != 1 {
				writeErr(w, http.StatusForbidden, "BadCSRFToken", "The request lacks the session's "+csrfHeader+" header; reload the console.")
				return
			}
			if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
				writeErr(w, http.StatusForbidden, "BadOrigin", "Cross-origin requests are refused.")
				return
			}
		}
		p, err := c.cfg.Identify(r.Context(), s.ak, s.token)
		if err != nil {
			c.drop(s.id)
			writeErr(w, http.StatusUnauthorized, "NotSignedIn", "Your access key no longer authenticates ("+errText(err)+"); sign in again.")
			return
		}
		h(w, r, s, c.call(r, p))
	}
}

func sameOrigin(origin string, r *http.Request) bool {
	o, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		o, ok = strings.CutPrefix(origin, "https://")
	}
	return ok && o == r.Host
}

// call is the kura.Call of one console request: the principal, and the
// browser as the source, as an S3 request would have it.
func (c *Console) call(r *http.Request, p kura.Principal) kura.Call {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	return kura.Call{Principal: p, Source: kura.Source{IP: ip, UserAgent: "kura-console/" + r.UserAgent(),
		Referer: r.Header.Get("Referer"), SecureTransport: r.TLS != nil, RequestID: requestID(), Time: c.cfg.Now().UTC()}}
}

func (c *Console) lookup(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.byID[ck.Value]
	if s == nil {
		return nil
	}
	if !c.cfg.Now().Before(s.expires) {
		delete(c.byID, s.id)
		return nil
	}
	return s
}

func (c *Console) drop(id string) {
	c.mu.Lock()
	delete(c.byID, id)
	c.mu.Unlock()
}

type signInInput struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
}

// signIn verifies an access key's secret against IAM (in constant time)
// and starts a session. A wrong key and a wrong secret get the same
// answer.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
		writeErr(w, http.StatusForbidden, "BadOrigin", "Cross-origin requests are refused.")
		return
	}
	if c.throttled(r) {
		w.Header().Set("Retry-After", "60")
		writeErr(w, http.StatusTooManyRequests, "TooManyFailures", "Too many failed sign-ins from this address; wait a minute.")
		return
	}
	var in signInInput
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "The sign-in body must be JSON with accessKeyId and secretAccessKey.")
		return
	}
	in.AccessKeyID = strings.TrimSpace(in.AccessKeyID)
	if in.AccessKeyID == "" || in.SecretAccessKey == "" {
		writeErr(w, http.StatusBadRequest, "MissingCredentials", "Give an access key id and its secret access key.")
		return
	}
	const wrong = "The access key id or the secret access key is wrong."
	secret, err := c.cfg.Secret(in.AccessKeyID)
	if err != nil {
		secret = "" // compared anyway: an unknown key takes as long as a wrong secret
	}
	// Hashed first, so that the compare takes as long whatever the lengths.
	want, got := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(in.SecretAccessKey))
	ok := subtle.ConstantTimeCompare(want[:], got[:]) == 1 && err == nil
	in.SecretAccessKey, secret = "", ""
	known := err == nil
	if !ok {
		c.failedFrom(r)
		var who *kura.Principal
		if known {
			if p, err := c.cfg.Identify(r.Context(), in.AccessKeyID, in.SessionToken); err == nil {
				who = &p
			}
			c.cfg.Logger.Info("console: sign-in refused", "accessKeyId", in.AccessKeyID, "ip", r.RemoteAddr)
		} else {
			c.cfg.Logger.Info("console: sign-in with an unknown access key refused", "ip", r.RemoteAddr)
		}
		c.signInEvent(r, who, false, "Failed authentication")
		writeErr(w, http.StatusUnauthorized, "InvalidCredentials", wrong)
		return
	}
	p, err := c.cfg.Identify(r.Context(), in.AccessKeyID, in.SessionToken)
	if err != nil {
		c.failedFrom(r)
		c.signInEvent(r, nil, false, errText(err))
		writeErr(w, http.StatusUnauthorized, "InvalidCredentials", "The access key does not authenticate: "+errText(err))
		return
	}
	c.signInEvent(r, &p, true, "")
	now := c.cfg.Now()
	s := &session{id: randomHex(32), csrf: randomHex(32), ak: in.AccessKeyID, token: in.SessionToken,
		principal: p, expires: now.Add(c.cfg.SessionTTL)}
	if !p.Expires.IsZero() && p.Expires.Before(s.expires) {
		s.expires = p.Expires
	}
	c.mu.Lock()
	for id, old := range c.byID { // sweep expired sessions
		if !now.Before(old.expires) {
			delete(c.byID, id)
		}
	}
	c.byID[s.id] = s
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.id, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, Expires: s.expires})
	c.cfg.Logger.Info("console: signed in", "principal", p.ARN, "accessKeyId", in.AccessKeyID, "ip", r.RemoteAddr)
	writeJSON(w, http.StatusOK, c.whoami(s, p))
}

func (c *Console) signOut(w http.ResponseWriter, _ *http.Request, s *session, _ kura.Call) {
	c.drop(s.id)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, MaxAge: -1, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"signedOut": true})
}

func (c *Console) me(w http.ResponseWriter, _ *http.Request, s *session, call kura.Call) {
	writeJSON(w, http.StatusOK, c.whoami(s, call.Principal))
}

type whoami struct {
	ARN         string    `json:"arn"`
	Type        string    `json:"type"`
	AccountID   string    `json:"accountId"`
	AccessKeyID string    `json:"accessKeyId"`
	Expires     time.Time `json:"expires"`
	CSRF        string    `json:"csrf"`
	Region      string    `json:"region"`
	BatchOn     bool      `json:"batch"`
}

func (c *Console) whoami(s *session, p kura.Principal) whoami {
	return whoami{ARN: p.ARN, Type: p.Type, AccountID: p.AccountID, AccessKeyID: s.ak, Expires: s.expires,
		CSRF: s.csrf, Region: c.cfg.Region, BatchOn: c.cfg.Jobs != nil}
}

// apiError is the console API's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg}})
}

// fail writes an operation's error as S3 would have answered it: an S3
// error with its code, status and message; anything else as S3's
// InternalError, its cause logged here and never shown to the browser
// (it may name files, hosts or SQL).
func (c *Console) fail(w http.ResponseWriter, err error) {
	e := s3err.As(err)
	if e.Code == s3err.InternalError.Code {
		c.cfg.Logger.Error("console: internal error", "err", err)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	writeErr(w, e.Status, e.Code, msg)
}

func errText(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Code + ": " + e.Message
		}
		return e.Code
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func requestID() string { return strings.ToUpper(randomHex(8)) }
