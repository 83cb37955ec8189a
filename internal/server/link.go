package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/s3err"
)

// Linked deployments (docs/replication.md, "Linked deployments"): a
// deployment with --link-listen serves link endpoints on their own
// listener; without --join it is its partition's primary, with --join it
// follows the primary at that URL: it joins at start (taking the
// partition's first account id), copies the primary's IAM and reserves
// bucket names there.

// LinkConfig is Config.Link.
type LinkConfig struct {
	// Deployment names this deployment in its partition (unique).
	Deployment string
	// Listen is the link listener's host:port (port 0: a free one).
	Listen string
	// Advertise is the link URL peers reach this deployment at ("":
	// https:// and the listener's address; http:// with Plaintext).
	Advertise string
	// Plaintext serves the link as plain HTTP (every member the same);
	// by default it is TLS with certificates pinned through the link
	// secret (internal/replication/link/tls.go).
	Plaintext bool
	// Secret is the partition's link secret (kura link init).
	Secret link.Secret
	// Join is the primary's link URL; "" makes this deployment the primary.
	Join string
	// SyncInterval is how often a follower fetches IAM changes (0: 2s).
	SyncInterval time.Duration
	// JoinTimeout bounds the join at start (0: 2 minutes).
	JoinTimeout time.Duration
	// MaxStaleness: a follower that has not had the primary's IAM state
	// for longer refuses to authenticate (503), so a key revoked at the
	// primary stops working everywhere within it (0: never refuse).
	MaxStaleness time.Duration
}

// iamFresh refuses authentication at a follower whose IAM copy is older
// than max.
func iamFresh(node *link.Node, max time.Duration) error {
	if node == nil || node.Primary() || max <= 0 {
		return nil
	}
	if age := time.Since(node.LastSync()); age > max {
		return s3err.ServiceUnavailable.WithMessage("This deployment has not reached the primary for %v (more than --link-iam-max-staleness, %v) and does not authenticate with an IAM copy that old; try again when the link is back.", age.Round(time.Second), max)
	}
	return nil
}

// LinkDir is where a primary keeps its peer table and bucket registry.
func LinkDir(dataDir string) string { return filepath.Join(dataDir, "link") }

// openLink binds the link listener and, for a follower, joins the primary
// and makes the data dir's first account the partition's.
func openLink(cfg Config) (*link.Node, net.Listener, error) {
	lc := cfg.Link
	if lc.Deployment == "" {
		return nil, nil, errors.New("linked deployments need a name: give --deployment")
	}
	if len(lc.Secret) == 0 {
		return nil, nil, errors.New("linked deployments need the link secret: set KURA_LINK_TOKEN or --link-token-file (kura link init prints it)")
	}
	ln, err := net.Listen("tcp", lc.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("link listener: %w", err)
	}
	self := link.Peer{Name: lc.Deployment, Region: cfg.Region, URL: lc.Advertise}
	var cert *tls.Certificate
	scheme := "http://"
	if !lc.Plaintext {
		c, err := link.LoadOrCreateCert(LinkDir(cfg.DataDir))
		if err != nil {
			ln.Close()
			return nil, nil, err
		}
		cert, scheme = &c, "https://"
		ln = tls.NewListener(ln, link.ServerTLS(c))
	}
	if self.URL == "" {
		self.URL = scheme + ln.Addr().String()
	}
	if (lc.Join != "" && !strings.HasPrefix(lc.Join, scheme)) || !strings.HasPrefix(self.URL, scheme) {
		ln.Close()
		return nil, nil, fmt.Errorf("link: with %s the link URLs (--join %q, --link-advertise %q) start with %s: every member of a partition uses TLS on its link, or all use --link-plaintext", map[bool]string{true: "--link-plaintext", false: "TLS (the default)"}[lc.Plaintext], lc.Join, self.URL, scheme)
	}
	node, err := link.New(link.Config{Self: self, Secret: lc.Secret, Primary: lc.Join, Dir: LinkDir(cfg.DataDir), Logger: cfg.Logger, Cert: cert})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	if lc.Join == "" {
		return node, ln, nil
	}
	timeout := lc.JoinTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rep, err := node.Join(ctx)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	if err := adoptAccountID(cfg.DataDir, rep.AccountID); err != nil {
		ln.Close()
		return nil, nil, err
	}
	cfg.Logger.Info("link: joined the partition", "primary", rep.Primary.Name, "region", rep.Primary.Region, "peers", len(rep.Peers))
	return node, ln, nil
}

// adoptAccountID makes id the data dir's first account: identities mean
// the same on both sides only if the follower's root account is the
// primary's.
func adoptAccountID(dataDir, id string) error {
	path := filepath.Join(dataDir, credentialsFile)
	var stored RootCredentials
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &stored); err != nil {
			return fmt.Errorf("read %s: %w (fix or remove the file)", path, err)
		}
		if stored.AccountID == id {
			return nil
		}
		if stored.AccountID != "" {
			return fmt.Errorf("the data dir %s belongs to account %s but the partition's first account is %s: a deployment joins with a new data dir", dataDir, stored.AccountID, id)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	stored.AccountID = id
	out, _ := json.MarshalIndent(stored, "", "  ")
	return writeFileAtomic(path, append(out, '\n'), 0o600)
}

// startLink serves the link endpoints.
func (s *Server) startLink() {
	if s.linkLn == nil {
		return
	}
	s.Link.SetS3(s.URL())
	s.linkSrv = &http.Server{Handler: s.Link.Handler(), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := s.linkSrv.Serve(s.linkLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Warn("link listener stopped", "err", err)
		}
	}()
}

// LinkURL is the link endpoint ("" when not linked).
func (s *Server) LinkURL() string {
	if s.Link == nil {
		return ""
	}
	return s.Link.Self().URL
}

func (s *Server) stopLink(ctx context.Context) {
	if s.Link != nil {
		defer s.Link.Close()
	}
	if s.linkSrv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if s.linkSrv.Shutdown(ctx) != nil {
		s.linkSrv.Close()
	}
}

// LinkListenAddr is the address the link listener is bound to ("" when
// not linked); LinkURL is the one peers are told, which may differ
// (--link-advertise).
func (s *Server) LinkListenAddr() string {
	if s.linkLn == nil {
		return ""
	}
	return s.linkLn.Addr().String()
}
