package kms

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// UnsealOffline opens what GenerateDataKey sealed, also under a disabled
// key, without an audit event or any change; a damaged ciphertext, a wrong
// context and a deleted key are errors, the last one ErrKeyDeleted.
func TestUnsealOffline(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	encCtx := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	plain, blob, _, err := e.svc.GenerateDataKey(ctx, viaS3, md.KeyId, encCtx, 32)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DisableKey(ctx, alice, md.KeyId); err != nil {
		t.Fatal(err)
	}
	before := len(e.events(t))
	got, err := e.svc.UnsealOffline(ctx, blob, encCtx)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("UnsealOffline = %x, %v; want the data key", got, err)
	}
	if n := len(e.events(t)); n != before {
		t.Fatalf("UnsealOffline wrote %d audit events", n-before)
	}
	damaged := bytes.Clone(blob)
	damaged[len(damaged)-1] ^= 1
	if _, err := e.svc.UnsealOffline(ctx, damaged, encCtx); err == nil || errors.Is(err, ErrKeyDeleted) {
		t.Fatalf("UnsealOffline of a damaged ciphertext = %v", err)
	}
	if _, err := e.svc.UnsealOffline(ctx, blob, map[string]string{"aws:s3:arn": "arn:aws:s3:::b/other"}); err == nil {
		t.Fatal("UnsealOffline with another encryption context succeeded")
	}
	if _, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 7); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(8 * 24 * 3600e9)
	if _, err := e.svc.UnsealOffline(ctx, blob, encCtx); err != nil {
		t.Fatalf("UnsealOffline of a key whose deletion is due but not done = %v", err)
	}
	if _, err := e.svc.DeleteDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UnsealOffline(ctx, blob, encCtx); !errors.Is(err, ErrKeyDeleted) {
		t.Fatalf("UnsealOffline after the key was deleted = %v, want ErrKeyDeleted", err)
	}
}
