package kms

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
)

const (
	acct      = "111122223333"
	otherAcct = "444455556666"
	region    = "us-east-1"
)

var (
	alice = kura.Call{Principal: kura.Principal{AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/alice", AccessKeyID: "AKIAALICE"}, Source: kura.Source{IP: "192.0.2.1", UserAgent: "test"}}
	bob   = kura.Call{Principal: kura.Principal{AccountID: otherAcct, ARN: "arn:aws:iam::" + otherAcct + ":user/bob", AccessKeyID: "AKIABOB"}}
	// viaS3 is alice as S3 presents her when it calls KMS for SSE-KMS.
	viaS3 = kura.Call{Principal: kura.Principal{AccountID: acct, ARN: alice.Principal.ARN, AccessKeyID: alice.Principal.AccessKeyID},
		Source: kura.Source{InvokedBy: "s3.amazonaws.com", ViaService: "s3.us-east-1.amazonaws.com"}}
)

// fakeClock is an injectable Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a Service on a bolt store and audit log in a temp dir.
type env struct {
	svc       *Service
	clock     *fakeClock
	store     meta.Store
	log       *audit.Log
	metaPath  string
	auditPath string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{
		clock:     &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		metaPath:  filepath.Join(dir, "meta.db"),
		auditPath: audit.PathIn(dir),
	}
	ms, err := bolt.Open(e.metaPath)
	if err != nil {
		t.Fatal(err)
	}
	e.store = ms
	t.Cleanup(func() { ms.Close() })
	if e.log, err = audit.Open(e.auditPath, audit.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.log.Close() })
	root := bytes.Repeat([]byte{0x5a}, 32)
	e.svc, err = New(Config{Meta: ms, RootKey: root, Region: region, Now: e.clock.Now, Audit: e.log,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) createKey(t testing.TB) KeyMetadata {
	t.Helper()
	md, err := e.svc.CreateKey(context.Background(), alice, CreateKeyInput{Description: "test key"})
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func (e *env) events(t testing.TB) []audit.Event {
	t.Helper()
	if err := e.log.Sync(); err != nil {
		t.Fatal(err)
	}
	evs, err := audit.Read(e.auditPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// wantErr checks that err is an *Error of type typ ("" means no error) and,
// if msg is not empty, that its message contains msg.
func wantErr(t testing.TB, err error, typ, msg string) {
	t.Helper()
	if typ == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *kms.Error %s", err, err, typ)
	}
	if e.Type != typ {
		t.Fatalf("error type = %s (%q), want %s", e.Type, e.Message, typ)
	}
	if msg != "" && !strings.Contains(e.Message, msg) {
		t.Fatalf("message = %q, want it to contain %q", e.Message, msg)
	}
	if e.Status != statusOf(typ) {
		t.Fatalf("status = %d, want %d", e.Status, statusOf(typ))
	}
}

// materials is the test hook that reveals a key's plaintext material, so
// tests can prove it appears nowhere on disk.
func (s *Service) materials(t testing.TB, keyID string) [][]byte {
	t.Helper()
	var rec *keyRecord
	err := s.meta.View(context.Background(), func(tx meta.Tx) error {
		var err error
		rec, err = getKeyRecord(tx, keyID)
		return err
	})
	if err != nil || rec == nil {
		t.Fatalf("key %s: %v", keyID, err)
	}
	var out [][]byte
	for _, m := range rec.Materials {
		secret, err := s.openMaterial(rec.ID, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, secret)
	}
	return out
}

func arnOf(id string) string { return KeyARN(region, acct, id) }
