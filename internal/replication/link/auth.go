// Package link connects linked Kura deployments (docs/replication.md,
// "Linked deployments"): a join that makes a deployment a follower of the
// partition's primary, the peer table, the primary's IAM state and bucket
// name registry, and the transport replication.Remote sends replicas over.
//
// Deployments authenticate each other with a shared link secret
// (`kura link init`), never with a user's keys: every request carries an
// HMAC-SHA256 over its method, path, query, timestamp, sender and the
// SHA-256 of its body, checked in constant time within 15 minutes of the
// receiver's clock; a replica's ciphertext, streamed after its signed
// message, is covered by a second HMAC sent as an HTTP trailer and checked
// before the replica is committed; every response is signed too, bound to
// the request's signature. Data keys and IAM secrets cross the link only
// sealed (AES-256-GCM under keys derived from the secret, with associated
// data naming what they are for).
package link

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Secret is a partition's link secret.
type Secret []byte

const tokenPrefix = "kuralink1."

// NewSecret returns a random secret.
func NewSecret() Secret {
	s := make(Secret, 32)
	rand.Read(s)
	return s
}

// Token is the secret as `kura link init` prints it and --join-token takes it.
func (s Secret) Token() string { return tokenPrefix + base64.RawURLEncoding.EncodeToString(s) }

// ParseToken reads a Token.
func ParseToken(t string) (Secret, error) {
	t = strings.TrimSpace(t)
	if !strings.HasPrefix(t, tokenPrefix) {
		return nil, errors.New("link token: want the kuralink1.… token `kura link init` printed")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(t, tokenPrefix))
	if err != nil || len(b) != 32 {
		return nil, errors.New("link token: damaged (want 32 bytes in base64url after kuralink1.)")
	}
	return Secret(b), nil
}

func (s Secret) derive(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, s, nil, purpose, 32)
	if err != nil {
		panic(err)
	}
	return k
}

// DataKeyKey seals data keys on the link (replication.Remote).
func (s Secret) DataKeyKey() []byte { return s.derive("kura link data keys v1") }

// IAMKey seals IAM secrets in the primary's snapshots.
func (s Secret) IAMKey() []byte { return s.derive("kura link iam v1") }

func (s Secret) authKey() []byte { return s.derive("kura link auth v1") }

// MaxSkew is how far a request's timestamp may be from the receiver's clock.
const MaxSkew = 15 * time.Minute

// Header names.
const (
	hSender    = "X-Kura-Link-Sender"
	hDate      = "X-Kura-Link-Date"
	hBodyHash  = "X-Kura-Link-Body-Sha256"
	hSignature = "X-Kura-Link-Signature"
	hNonce     = "X-Kura-Link-Nonce"          // 16 random bytes (hex): two requests never sign alike
	hData      = "X-Kura-Link-Data-Signature" // trailer of a replica's ciphertext
)

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (s Secret) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.authKey())
	m.Write([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

// requestSig signs a request.
func (s Secret) requestSig(method, path, query, date, nonce, sender, bodyHash string) string {
	return s.mac("KURA-LINK-HMAC-SHA256", method, path, query, date, nonce, sender, bodyHash)
}

// responseSig signs a response to the request signed reqSig.
func (s Secret) responseSig(reqSig string, status int, bodyHash string) string {
	return s.mac("KURA-LINK-RESPONSE", reqSig, strconv.Itoa(status), bodyHash)
}

// dataSig signs the ciphertext after the message signed reqSig.
func (s Secret) dataSig(reqSig, dataHash string) string {
	return s.mac("KURA-LINK-DATA", reqSig, dataHash)
}

// equal compares two signatures in constant time.
func equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// checkDate parses a request's timestamp and checks it is within MaxSkew.
func checkDate(date string, now time.Time) error {
	sec, err := strconv.ParseInt(date, 10, 64)
	if err != nil {
		return fmt.Errorf("link request: bad %s %q", hDate, date)
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("link request: timestamp %s is %v away from this deployment's clock (at most %v): check NTP on both", time.Unix(sec, 0).UTC().Format(time.RFC3339), d.Round(time.Second), MaxSkew)
	}
	return nil
}
