package kms

import (
	"bytes"
	"context"
	"testing"
)

// FuzzDecryptBlob feeds arbitrary ciphertext blobs to Decrypt: every one
// that is not exactly a blob Encrypt made must fail with
// InvalidCiphertextException, never panic and never yield plaintext. The
// seeds in testdata/fuzz cover framing; the ones added here are real blobs
// under a live key (old and current material) and mutations of them.
func FuzzDecryptBlob(f *testing.F) {
	e := newEnv(f)
	e.svc.audit = nil // one event per input would only slow fuzzing down
	ctx := context.Background()
	md := e.createKey(f)
	encCtx := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	plaintext := []byte("fuzz me")
	old, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, plaintext, encCtx)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId); err != nil {
		f.Fatal(err)
	}
	cur, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, plaintext, encCtx)
	if err != nil {
		f.Fatal(err)
	}
	valid := [][]byte{old, cur}
	for _, b := range valid {
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(append(bytes.Clone(b), 0))
		flipped := bytes.Clone(b)
		flipped[len(b)/2] ^= 0x80
		f.Add(flipped)
		f.Add(b[:blobOverhead])
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		pt, arn, err := e.svc.Decrypt(ctx, alice, blob, encCtx)
		if err == nil {
			if !bytes.Equal(blob, old) && !bytes.Equal(blob, cur) {
				t.Fatalf("a blob Encrypt never made decrypted to %d bytes", len(pt))
			}
			if !bytes.Equal(pt, plaintext) || arn != md.Arn {
				t.Fatalf("wrong plaintext or key %s", arn)
			}
			return
		}
		if !IsType(err, InvalidCiphertextException) {
			t.Fatalf("error %v, want InvalidCiphertextException", err)
		}
		if pt != nil {
			t.Fatal("plaintext returned with an error")
		}
	})
}
