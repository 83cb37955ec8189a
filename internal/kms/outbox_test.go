package kms

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta/bolt"
)

// Changes KMS makes on its own — an automatic rotation, creating the AWS
// managed key — are committed with their events (the audit outbox): when
// the trail cannot take the events, they come back at the next start,
// each naming its key; the caller's own call made no change and has
// nothing to recover.
func TestServiceChangesStageTheirEvents(t *testing.T) {
	dir := t.TempDir()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	log, err := audit.Open(audit.PathIn(dir), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ob := audit.NewOutbox(ms, log, nil)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc, err := New(Config{Meta: ob.Store(), RootKey: bytes.Repeat([]byte{0x5a}, 32), Region: region, Now: clock.Now,
		Audit: log, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	md, err := svc.CreateKey(ctx, alice, CreateKeyInput{Description: "rotating"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EnableKeyRotation(ctx, alice, md.KeyId, 90); err != nil {
		t.Fatal(err)
	}

	// The trail stops taking events; the changes still commit.
	ob.Close()
	log.Close()
	clock.Advance(91 * day)
	if n, err := svc.RotateDue(ctx); err != nil || n != 1 {
		t.Fatalf("RotateDue = %d, %v", n, err)
	}
	if _, _, _, err := svc.GenerateDataKey(ctx, viaS3, managedAliasS3, nil, 32); err == nil {
		t.Fatal("GenerateDataKey returned a key although its event was not written")
	}

	log, err = audit.Open(audit.PathIn(dir), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	r, err := audit.NewOutbox(ms, log, nil).Recover(ctx)
	if err != nil || r.Shipped != 2 || r.Present != 0 {
		t.Fatalf("recovery = %+v, %v; want the rotation's and the managed key's events", r, err)
	}
	evs, err := audit.Read(audit.PathIn(dir), func(ev audit.Event) bool { return ev.AdditionalEventData[audit.RecoveredKey] == false })
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]audit.Event{}
	for _, ev := range evs {
		got[ev.EventName] = ev
	}
	rot, created := got["RotateKey"], got["CreateKey"]
	if len(evs) != 2 || rot.EventType != "AwsServiceEvent" || created.EventType != "AwsServiceEvent" {
		t.Fatalf("recovered events: %+v", evs)
	}
	if len(rot.Resources) != 1 || rot.Resources[0].ARN != md.Arn || rot.AdditionalEventData["rotationType"] != RotationAutomatic {
		t.Errorf("recovered rotation: %+v", rot)
	}
	if len(created.Resources) != 1 || created.AdditionalEventData["aliasName"] != managedAliasS3 {
		t.Errorf("recovered managed key creation: %+v", created)
	}
}
