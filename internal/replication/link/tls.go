package link

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// TLS on the link (docs/replication.md, "TLS on the link"). Each
// deployment has a self-signed certificate of its own, made at its first
// linked start and kept in its link dir; peers do not trust it through a
// CA but pin its SHA-256 fingerprint, which they learn only from messages
// signed with the link secret: the peer table (joins carry the joining
// deployment's fingerprint, the primary's answers carry every member's)
// and, for a follower's first contact with its primary, the hello, whose
// signed answer names the certificate the primary serves and is accepted
// only if that is the certificate the connection presented. A connection
// to an address whose certificate is not pinned, or that presents another
// one, is closed before anything is sent.

// Fingerprint is the SHA-256 of a certificate's DER, in hex.
func Fingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// LoadOrCreateCert returns the link certificate kept in dir (tls.crt,
// tls.key), making one the first time.
func LoadOrCreateCert(dir string) (tls.Certificate, error) {
	crt, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if c, err := tls.LoadX509KeyPair(crt, key); err == nil {
		return c, nil
	} else if _, serr := os.Stat(crt); serr == nil {
		return tls.Certificate{}, fmt.Errorf("link: the link certificate in %s is unreadable (%v): remove tls.crt and tls.key to make a new one (peers learn it at the next join)", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, err
	}
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "kura link"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(20, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &pk.PublicKey, pk)
	if err != nil {
		return tls.Certificate{}, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(pk)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(key+".tmp", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(crt+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.Rename(key+".tmp", key); err != nil {
		return tls.Certificate{}, err
	}
	if err := os.Rename(crt+".tmp", crt); err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(crt, key)
}

// ServerTLS is the link listener's TLS configuration.
func ServerTLS(c tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS13}
}

// hostPort is the address a link URL is dialed at.
func hostPort(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	if p.Port() != "" {
		return p.Host
	}
	if p.Scheme == "https" {
		return net.JoinHostPort(p.Hostname(), "443")
	}
	return net.JoinHostPort(p.Hostname(), "80")
}

// pin is the fingerprint pinned for addr ("" when none).
func (n *Node) pin(addr string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.peers {
		if p.Cert != "" && hostPort(p.URL) == addr {
			return p.Cert
		}
	}
	return n.pins[addr]
}

// dialPinned opens a TLS connection to a member whose certificate is
// pinned, and refuses any other.
func (n *Node) dialPinned(ctx context.Context, network, addr string) (net.Conn, error) {
	want := n.pin(addr)
	if want == "" {
		return nil, fmt.Errorf("link: no certificate is pinned for %s: it is not a member of the partition as this deployment knows it (yet)", addr)
	}
	d := &tls.Dialer{Config: &tls.Config{
		InsecureSkipVerify: true, // the certificate is checked against the pin instead, below
		MinVersion:         tls.VersionTLS13,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !equal(Fingerprint(cs.PeerCertificates[0].Raw), want) {
				return fmt.Errorf("link: %s presented a certificate other than the one pinned for it through the link secret (want SHA-256 %s…); is something in between?", addr, want[:16])
			}
			return nil
		},
	}}
	return d.DialContext(ctx, network, addr)
}

// hello learns and pins the primary's certificate: its signed answer names
// the certificate it serves, which must be the one the connection
// presented. It sends nothing but a signed empty request.
func (n *Node) hello(ctx context.Context) error {
	if n.cfg.Cert == nil {
		return nil
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}}} // checked below
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.cfg.Primary+"/link/v1/hello", http.NoBody)
	if err != nil {
		return err
	}
	sig := n.sign(req, hashHex(nil))
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var p Peer
	if err := n.readResponse(resp, sig, &p); err != nil {
		return err
	}
	if resp.TLS == nil {
		return fmt.Errorf("link: the primary at %s does not speak TLS on its link but this deployment does: start every member of a partition the same way (--link-plaintext on all or none)", n.cfg.Primary)
	}
	if len(resp.TLS.PeerCertificates) == 0 || p.Cert == "" || !equal(Fingerprint(resp.TLS.PeerCertificates[0].Raw), p.Cert) {
		return errors.New("link: the primary's signed hello names another certificate than the connection presented; is something in between?")
	}
	addr := hostPort(n.cfg.Primary)
	n.mu.Lock()
	n.pins[addr] = p.Cert
	for name, q := range n.peers { // a primary that made a new certificate
		if hostPort(q.URL) == addr {
			q.Cert = p.Cert
			n.peers[name] = q
		}
	}
	n.mu.Unlock()
	return nil
}
