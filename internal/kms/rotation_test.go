package kms

import (
	"context"
	"encoding/hex"
	"testing"
	"time"
)

func blobMaterial(t *testing.T, blob []byte) string {
	t.Helper()
	ref, err := parseBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	return ref.materialID
}

func TestRotateOnDemand(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	old, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("before"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	id, err := e.svc.RotateKeyOnDemand(ctx, alice, md.Arn)
	if err != nil || id != md.KeyId {
		t.Fatalf("RotateKeyOnDemand = %q, %v", id, err)
	}
	fresh, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("after"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if blobMaterial(t, old) != md.CurrentKeyMaterialId || blobMaterial(t, fresh) == md.CurrentKeyMaterialId {
		t.Fatal("the new ciphertext does not use the new material")
	}
	for blob, want := range map[*[]byte]string{&old: "before", &fresh: "after"} {
		pt, _, err := e.svc.Decrypt(ctx, alice, *blob, nil)
		if err != nil || string(pt) != want {
			t.Fatalf("decrypt %s: %q, %v", want, pt, err)
		}
	}
	now, _ := e.svc.DescribeKey(ctx, alice, md.KeyId)
	if now.CurrentKeyMaterialId != blobMaterial(t, fresh) {
		t.Fatal("DescribeKey does not report the new material as current")
	}

	rots, err := e.svc.ListKeyRotations(ctx, alice, ListKeyRotationsInput{KeyId: md.KeyId})
	if err != nil || len(rots.Rotations) != 1 {
		t.Fatalf("rotations = %+v, %v", rots, err)
	}
	r := rots.Rotations[0]
	if r.KeyId != md.KeyId || r.RotationType != RotationOnDemand || r.KeyMaterialState != "CURRENT" ||
		r.KeyMaterialId != now.CurrentKeyMaterialId || !r.RotationDate.Equal(e.clock.Now()) {
		t.Fatalf("rotation = %+v", r)
	}
	all, err := e.svc.ListKeyRotations(ctx, alice, ListKeyRotationsInput{KeyId: md.KeyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL"})
	if err != nil || len(all.Rotations) != 2 || all.Rotations[0].KeyMaterialState != "NON_CURRENT" ||
		all.Rotations[0].KeyMaterialId != md.CurrentKeyMaterialId || !all.Rotations[0].RotationDate.IsZero() {
		t.Fatalf("all material = %+v, %v", all, err)
	}
	_, err = e.svc.ListKeyRotations(ctx, alice, ListKeyRotationsInput{KeyId: md.KeyId, IncludeKeyMaterial: "SOME"})
	wantErr(t, err, ValidationException, "")

	// 25 on-demand rotations per key, then LimitExceededException.
	for i := 2; i <= maxOnDemand; i++ {
		if _, err := e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
	}
	_, err = e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId)
	wantErr(t, err, LimitExceededException, "")
	// Paging through 26 materials, 10 at a time.
	var seen []string
	marker := ""
	for {
		p, err := e.svc.ListKeyRotations(ctx, alice, ListKeyRotationsInput{KeyId: md.KeyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL", Limit: 10, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rotations {
			seen = append(seen, r.KeyMaterialId)
		}
		if !p.Truncated {
			break
		}
		marker = p.NextMarker
	}
	if len(seen) != 26 || seen[0] != md.CurrentKeyMaterialId {
		t.Fatalf("paged %d materials", len(seen))
	}
	// Every material still decrypts what it made.
	if _, _, err := e.svc.Decrypt(ctx, alice, old, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAutomaticRotation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	for _, days := range []int{89, 2561, -5} {
		err := e.svc.EnableKeyRotation(ctx, alice, md.KeyId, days)
		wantErr(t, err, ValidationException, "between 90 and 2560")
	}
	if err := e.svc.EnableKeyRotation(ctx, alice, md.KeyId, 90); err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.GetKeyRotationStatus(ctx, alice, md.Arn)
	if err != nil || !st.KeyRotationEnabled || st.RotationPeriodInDays != 90 || st.KeyId != md.KeyId ||
		!st.NextRotationDate.Equal(e.clock.Now().Add(90*day)) {
		t.Fatalf("status = %+v, %v", st, err)
	}
	old, _, _ := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("v1"), nil)

	// Within 20 minutes of an automatic rotation, on-demand rotation
	// conflicts.
	e.clock.Advance(90*day - 10*time.Minute)
	_, err = e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId)
	wantErr(t, err, ConflictException, "")

	// Once due, the next use rotates first.
	e.clock.Advance(time.Hour)
	fresh, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("v2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if blobMaterial(t, fresh) == blobMaterial(t, old) {
		t.Fatal("a due rotation did not happen on use")
	}
	st, _ = e.svc.GetKeyRotationStatus(ctx, alice, md.KeyId)
	if !st.NextRotationDate.After(e.clock.Now().Add(89 * day)) {
		t.Fatalf("next rotation %v not rescheduled", st.NextRotationDate)
	}
	rots, _ := e.svc.ListKeyRotations(ctx, alice, ListKeyRotationsInput{KeyId: md.KeyId})
	if len(rots.Rotations) != 1 || rots.Rotations[0].RotationType != RotationAutomatic {
		t.Fatalf("rotations = %+v", rots)
	}
	if pt, _, err := e.svc.Decrypt(ctx, alice, old, nil); err != nil || string(pt) != "v1" {
		t.Fatalf("old ciphertext after automatic rotation: %v", err)
	}
	if n, err := e.svc.RotateDue(ctx); err != nil || n != 0 {
		t.Fatalf("RotateDue with nothing due = %d, %v", n, err)
	}

	// RotateDue rotates keys nobody uses; a disabled key waits.
	k2, k3 := e.createKey(t), e.createKey(t)
	for _, k := range []KeyMetadata{k2, k3} {
		if err := e.svc.EnableKeyRotation(ctx, alice, k.KeyId, 365); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.DisableKey(ctx, alice, k3.KeyId); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(366 * day)
	if n, err := e.svc.RotateDue(ctx); err != nil || n != 2 { // md and k2
		t.Fatalf("RotateDue = %d, %v", n, err)
	}
	k3d, _ := e.svc.DescribeKey(ctx, alice, k3.KeyId)
	if k3d.CurrentKeyMaterialId != k3.CurrentKeyMaterialId {
		t.Fatal("a disabled key was rotated")
	}
	var rotateEvents int
	for _, ev := range e.events(t) {
		if ev.EventName == "RotateKey" && ev.EventType == "AwsServiceEvent" {
			rotateEvents++
		}
	}
	if rotateEvents != 3 {
		t.Fatalf("%d RotateKey service events, want 3", rotateEvents)
	}

	// Shortening the period reschedules from the last rotation.
	if err := e.svc.EnableKeyRotation(ctx, alice, k2.KeyId, 100); err != nil {
		t.Fatal(err)
	}
	st, _ = e.svc.GetKeyRotationStatus(ctx, alice, k2.KeyId)
	if !st.NextRotationDate.Equal(e.clock.Now().Add(100 * day)) {
		t.Fatalf("next = %v", st.NextRotationDate)
	}
	if err := e.svc.DisableKeyRotation(ctx, alice, k2.KeyId); err != nil {
		t.Fatal(err)
	}
	st, _ = e.svc.GetKeyRotationStatus(ctx, alice, k2.KeyId)
	if st.KeyRotationEnabled || !st.NextRotationDate.IsZero() || st.RotationPeriodInDays != 0 {
		t.Fatalf("after disabling: %+v", st)
	}
}

func TestMaterialIDs(t *testing.T) {
	e := newEnv(t)
	md := e.createKey(t)
	if _, err := hex.DecodeString(md.CurrentKeyMaterialId); err != nil || len(md.CurrentKeyMaterialId) != 64 {
		t.Fatalf("material id %q is not 64 hex characters", md.CurrentKeyMaterialId)
	}
}
