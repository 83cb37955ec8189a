package kms

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"testing"
)

// TestBatchKey: a key resolved once serves many uses, each one Encrypt of
// its own — the same ciphertext form, the same event as Service.Encrypt,
// counted — and each decided for its caller; a key that cannot be used
// is not batched.
func TestBatchKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := e.createKey(t)
	b, err := e.svc.BatchKey(ctx, viaS3, k.Arn)
	if err != nil {
		t.Fatal(err)
	}
	dek := bytes.Repeat([]byte{7}, 32)
	calls := e.svc.CallCount()
	for _, obj := range []string{"a", "b"} {
		encCtx := map[string]string{"aws:s3:arn": "arn:aws:s3:::bkt/" + obj}
		blob, arn, err := b.SealDataKey(ctx, dek, encCtx)
		if err != nil || arn != k.Arn {
			t.Fatalf("seal %s: %q %v", obj, arn, err)
		}
		got, _, err := e.svc.Decrypt(ctx, viaS3, blob, encCtx)
		if err != nil || !bytes.Equal(got, dek) {
			t.Fatalf("decrypt %s: %v", obj, err)
		}
		if err := b.CheckKeyUse(ctx, encCtx, "Encrypt", "Decrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo"); err != nil {
			t.Errorf("check %s: %v", obj, err)
		}
	}
	if n := e.svc.CallCount() - calls; n != 4 { // two Encrypts, two Decrypts
		t.Errorf("%d KMS calls counted, want 4", n)
	}
	// The batched Encrypt's event is the plain Encrypt's.
	if _, _, err := e.svc.Encrypt(ctx, viaS3, k.Arn, dek, map[string]string{"aws:s3:arn": "arn:aws:s3:::bkt/c"}); err != nil {
		t.Fatal(err)
	}
	var enc []map[string]any
	for _, ev := range e.events(t) {
		if ev.EventName == "Encrypt" {
			if ev.ErrorCode != "" || len(ev.Resources) != 1 || ev.Resources[0].ARN != k.Arn || ev.UserIdentity.InvokedBy != "s3.amazonaws.com" {
				t.Errorf("Encrypt event %+v", ev)
			}
			enc = append(enc, ev.RequestParameters)
		}
	}
	if len(enc) != 3 {
		t.Fatalf("%d Encrypt events, want 3", len(enc))
	}
	for _, p := range enc[:2] {
		if !slices.Equal(slices.Sorted(maps.Keys(p)), slices.Sorted(maps.Keys(enc[2]))) || p["keyId"] != k.Arn {
			t.Errorf("batched Encrypt parameters %v, a lone Encrypt's %v", p, enc[2])
		}
	}

	// Another account's caller: resolved, but every use is refused by
	// the key policy, as alone.
	ob, err := e.svc.BatchKey(ctx, bob, k.Arn)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ob.SealDataKey(ctx, dek, nil)
	wantErr(t, err, AccessDeniedException, "kms:Encrypt")
	wantErr(t, ob.CheckKeyUse(ctx, nil, "Decrypt"), AccessDeniedException, "kms:Decrypt")

	// A disabled key is not batched.
	if err := e.svc.DisableKey(ctx, alice, k.Arn); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.BatchKey(ctx, viaS3, k.Arn)
	wantErr(t, err, DisabledException, "")
}

// TestBatchResealDataKey: a batch's ReEncrypt is the plain ReEncrypt —
// from the batch's key or another, the same new blob form, the same
// event, counted, refused when the caller may not — with the batch's key
// record taken instead of read again.
func TestBatchResealDataKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k, other := e.createKey(t), e.createKey(t)
	dek := bytes.Repeat([]byte{9}, 32)
	src := map[string]string{"aws:s3:arn": "arn:aws:s3:::bkt/a"}
	dst := map[string]string{"aws:s3:arn": "arn:aws:s3:::bkt/a", "x": "y"}
	b, err := e.svc.BatchKey(ctx, viaS3, k.Arn)
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{k.Arn, other.Arn} {
		sealed, _, err := e.svc.Encrypt(ctx, viaS3, from, dek, src)
		if err != nil {
			t.Fatal(err)
		}
		calls := e.svc.CallCount()
		blob, arn, err := b.ResealDataKey(ctx, sealed, src, dst)
		if err != nil || arn != k.Arn {
			t.Fatalf("reseal from %s: %q %v", from, arn, err)
		}
		if n := e.svc.CallCount() - calls; n != 1 {
			t.Errorf("reseal from %s: %d KMS calls counted, want 1", from, n)
		}
		got, keyARN, err := e.svc.Decrypt(ctx, viaS3, blob, dst)
		if err != nil || keyARN != k.Arn || !bytes.Equal(got, dek) {
			t.Fatalf("decrypt of the resealed blob from %s: %s %v", from, keyARN, err)
		}
		// The plain ReEncrypt's event, for comparison.
		if _, _, _, err := e.svc.ReEncrypt(ctx, viaS3, sealed, src, k.Arn, dst); err != nil {
			t.Fatal(err)
		}
		var re []map[string]any
		for _, ev := range e.events(t) {
			if ev.EventName == "ReEncrypt" {
				re = append(re, ev.RequestParameters)
			}
		}
		if len(re) < 2 {
			t.Fatalf("%d ReEncrypt events, want at least 2", len(re))
		}
		batched, lone := re[len(re)-2], re[len(re)-1]
		if !slices.Equal(slices.Sorted(maps.Keys(batched)), slices.Sorted(maps.Keys(lone))) || batched["destinationKeyId"] != lone["destinationKeyId"] {
			t.Errorf("batched ReEncrypt parameters %v, a lone ReEncrypt's %v", batched, lone)
		}
	}
	// Wrong source context: the blob does not open, as alone.
	sealed, _, err := e.svc.Encrypt(ctx, viaS3, k.Arn, dek, src)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.ResealDataKey(ctx, sealed, dst, dst)
	wantErr(t, err, InvalidCiphertextException, "")
	// Another account's caller is refused, as alone.
	ob, err := e.svc.BatchKey(ctx, bob, k.Arn)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ob.ResealDataKey(ctx, sealed, src, dst)
	wantErr(t, err, AccessDeniedException, "kms:ReEncryptFrom")
}
