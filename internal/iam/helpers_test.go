package iam

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/s3err"
)

const (
	adminAcct = "111122223333"
	adminAK   = "AKIAADMINTEST0000001"
	adminSK   = "admin-secret-key-000000000000000000000000"
)

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

type env struct {
	svc   *Service
	clock *fakeClock
	store meta.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ms, err := bolt.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	svc, err := New(context.Background(), Config{Meta: ms, RootKey: bytes.Repeat([]byte{7}, 32),
		Admin: AdminCredentials{AccountID: adminAcct, AccessKey: adminAK, SecretKey: adminSK}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, clock: clock, store: ms}
}

var bg = context.Background()

// wantCode fails unless err is an *Error with code (or, for code "", nil).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
}

// wantS3 fails unless err is the S3 error want.
func wantS3(t *testing.T, err error, want *s3err.Error) {
	t.Helper()
	if !s3err.Is(err, want) || s3err.As(err).Status != want.Status {
		t.Fatalf("got %v, want %s (%d)", err, want.Code, want.Status)
	}
}

func (e *env) user(t *testing.T, account, name string) *User {
	t.Helper()
	u, err := e.svc.CreateUser(bg, account, UserInput{UserName: name})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) key(t *testing.T, account, user string) AccessKey {
	t.Helper()
	k, err := e.svc.CreateAccessKey(bg, account, user)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const allowS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`

func trustDocFor(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`
}
