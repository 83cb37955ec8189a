package kms

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
)

func TestEncryptDecryptRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	for _, n := range []int{1, 32, 4096} {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		blob, arn, err := e.svc.Encrypt(ctx, alice, md.KeyId, pt, map[string]string{"purpose": "test"})
		if err != nil {
			t.Fatal(err)
		}
		if arn != md.Arn || len(blob) != n+blobOverhead || len(blob) > maxCiphertext {
			t.Fatalf("arn %s, blob %d bytes", arn, len(blob))
		}
		got, arn, err := e.svc.Decrypt(ctx, alice, blob, map[string]string{"purpose": "test"})
		if err != nil || !bytes.Equal(got, pt) || arn != md.Arn {
			t.Fatalf("decrypt: %v, arn %s", err, arn)
		}
	}
	for _, n := range []int{0, 4097} {
		_, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, make([]byte, n), nil)
		wantErr(t, err, ValidationException, "between 1 and 4096")
	}
	_, err := e.svc.EncryptWith(ctx, alice, EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	wantErr(t, err, InvalidKeyUsageException, "")
	_, err = e.svc.EncryptWith(ctx, alice, EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionAlgorithm: "ROT13"})
	wantErr(t, err, ValidationException, "")
	out, err := e.svc.EncryptWith(ctx, alice, EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), DryRun: true})
	wantErr(t, err, DryRunOperationException, "DryRun")
	if out.CiphertextBlob != nil {
		t.Fatal("dry run returned a ciphertext")
	}
}

func TestEncryptionContextBinding(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	enc := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k", "project": "alpha"}
	blob, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("bound"), enc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ctx  map[string]string
		ok   bool
	}{
		{"same", map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k", "project": "alpha"}, true},
		{"other order", map[string]string{"project": "alpha", "aws:s3:arn": "arn:aws:s3:::b/k"}, true},
		{"missing", nil, false},
		{"subset", map[string]string{"project": "alpha"}, false},
		{"superset", map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k", "project": "alpha", "x": "y"}, false},
		{"other value", map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k2", "project": "alpha"}, false},
		{"case", map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k", "project": "Alpha"}, false},
		{"key case", map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k", "Project": "alpha"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.Decrypt(ctx, alice, blob, tc.ctx)
			if tc.ok {
				wantErr(t, err, "", "")
			} else {
				wantErr(t, err, InvalidCiphertextException, "")
			}
		})
	}
	// No context and an empty context are the same thing.
	blob, _, err = e.svc.Encrypt(ctx, alice, md.KeyId, []byte("unbound"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Decrypt(ctx, alice, blob, map[string]string{}); err != nil {
		t.Fatal(err)
	}
}

func TestCanonicalContextIsUnambiguous(t *testing.T) {
	pairs := [][2]map[string]string{
		{{"a": "bc"}, {"ab": "c"}},
		{{"a": "", "b": ""}, {"a": "\x00\x00\x00\x01b\x00\x00\x00\x00"}},
		{{}, {"": ""}},
	}
	for _, p := range pairs {
		if bytes.Equal(canonicalContext(p[0]), canonicalContext(p[1])) {
			t.Errorf("%q and %q encode alike", p[0], p[1])
		}
	}
	if !bytes.Equal(canonicalContext(nil), canonicalContext(map[string]string{})) {
		t.Error("nil and empty contexts differ")
	}
}

func TestTamperedCiphertext(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	blob, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("do not touch"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 0x01
		_, _, err := e.svc.Decrypt(ctx, alice, bad, nil)
		wantErr(t, err, InvalidCiphertextException, "")
	}
	for _, bad := range [][]byte{nil, {}, blob[:len(blob)-1], blob[:blobOverhead-1], append(bytes.Clone(blob), 0),
		make([]byte, maxCiphertext+1)} {
		_, _, err := e.svc.Decrypt(ctx, alice, bad, nil)
		wantErr(t, err, InvalidCiphertextException, "")
	}
	// Re-labelling a blob with another key's id does not work either.
	other := e.createKey(t)
	bad := bytes.Clone(blob)
	copy(bad[1:17], mustUUID(t, other.KeyId))
	_, _, err = e.svc.Decrypt(ctx, alice, bad, nil)
	wantErr(t, err, InvalidCiphertextException, "")
}

func TestIncorrectKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k1, k2 := e.createKey(t), e.createKey(t)
	if err := e.svc.CreateAlias(ctx, alice, "alias/k1", k1.KeyId); err != nil {
		t.Fatal(err)
	}
	blob, _, err := e.svc.Encrypt(ctx, alice, k1.KeyId, []byte("mine"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{k1.KeyId, k1.Arn, "alias/k1", AliasARN(region, acct, "alias/k1")} {
		if _, err := e.svc.DecryptWith(ctx, alice, DecryptInput{CiphertextBlob: blob, KeyId: id}); err != nil {
			t.Fatalf("Decrypt with KeyId %s: %v", id, err)
		}
	}
	_, err = e.svc.DecryptWith(ctx, alice, DecryptInput{CiphertextBlob: blob, KeyId: k2.KeyId})
	wantErr(t, err, IncorrectKeyException, "")
	_, err = e.svc.DecryptWith(ctx, alice, DecryptInput{CiphertextBlob: blob, KeyId: "alias/none"})
	wantErr(t, err, NotFoundException, "")
	_, err = e.svc.ReEncryptWith(ctx, alice, ReEncryptInput{CiphertextBlob: blob, SourceKeyId: k2.KeyId, DestinationKeyId: k2.KeyId})
	wantErr(t, err, IncorrectKeyException, "")
	// Another account cannot decrypt, even holding the blob.
	_, _, err = e.svc.Decrypt(ctx, bob, blob, nil)
	wantErr(t, err, AccessDeniedException, "kms:Decrypt on resource: "+k1.Arn)
}

func TestGenerateDataKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	encCtx := map[string]string{"aws:s3:arn": "arn:aws:s3:::b"}
	for _, tc := range []struct {
		in   GenerateDataKeyInput
		n    int
		typ  string
		name string
	}{
		{GenerateDataKeyInput{KeySpec: "AES_256"}, 32, "", "AES_256"},
		{GenerateDataKeyInput{KeySpec: "AES_128"}, 16, "", "AES_128"},
		{GenerateDataKeyInput{NumberOfBytes: 1}, 1, "", "1 byte"},
		{GenerateDataKeyInput{NumberOfBytes: 1024}, 1024, "", "1024 bytes"},
		{GenerateDataKeyInput{}, 0, ValidationException, "neither"},
		{GenerateDataKeyInput{KeySpec: "AES_256", NumberOfBytes: 32}, 0, ValidationException, "both"},
		{GenerateDataKeyInput{NumberOfBytes: 1025}, 0, ValidationException, "too many"},
		{GenerateDataKeyInput{NumberOfBytes: -1}, 0, ValidationException, "negative"},
		{GenerateDataKeyInput{KeySpec: "AES_512"}, 0, ValidationException, "bad spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			// aws/s3 serves its account through S3 only (its key policy
			// says kms:ViaService), so S3 is the caller here.
			in.KeyId, in.EncryptionContext = "alias/aws/s3", encCtx
			out, err := e.svc.GenerateDataKeyWith(ctx, viaS3, in)
			wantErr(t, err, tc.typ, "")
			if err != nil {
				return
			}
			if len(out.Plaintext) != tc.n || len(out.KeyMaterialId) != 64 {
				t.Fatalf("got %d bytes, material %q", len(out.Plaintext), out.KeyMaterialId)
			}
			pt, _, err := e.svc.Decrypt(ctx, viaS3, out.CiphertextBlob, encCtx)
			if err != nil || !bytes.Equal(pt, out.Plaintext) {
				t.Fatalf("data key does not decrypt: %v", err)
			}
			wp, err := e.svc.GenerateDataKeyWithoutPlaintext(ctx, viaS3, in)
			if err != nil || wp.Plaintext != nil {
				t.Fatalf("without plaintext: %+v, %v", wp, err)
			}
			if pt, _, err := e.svc.Decrypt(ctx, viaS3, wp.CiphertextBlob, encCtx); err != nil || len(pt) != tc.n {
				t.Fatalf("decrypting the plaintext-less data key: %d bytes, %v", len(pt), err)
			}
		})
	}
	// The S3 form.
	before := e.svc.CallCount()
	pt, blob, arn, err := e.svc.GenerateDataKey(ctx, viaS3, md.Arn, encCtx, 32)
	if err != nil || len(pt) != 32 || arn != md.Arn {
		t.Fatalf("GenerateDataKey: %d bytes, %s, %v", len(pt), arn, err)
	}
	got, arn, err := e.svc.Decrypt(ctx, viaS3, blob, encCtx)
	if err != nil || !bytes.Equal(got, pt) || arn != md.Arn {
		t.Fatalf("Decrypt: %v", err)
	}
	if n := e.svc.CallCount() - before; n != 2 {
		t.Fatalf("CallCount grew by %d, want 2", n)
	}
}

func TestReEncrypt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k1, k2 := e.createKey(t), e.createKey(t)
	src := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	dst := map[string]string{"aws:s3:arn": "arn:aws:s3:::b"}
	blob, _, err := e.svc.Encrypt(ctx, alice, k1.KeyId, []byte("move me"), src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.ReEncryptWith(ctx, alice, ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: src,
		DestinationKeyId: k2.Arn, DestinationEncryptionContext: dst})
	if err != nil {
		t.Fatal(err)
	}
	if out.SourceKeyId != k1.Arn || out.KeyId != k2.Arn || out.SourceKeyMaterialId != k1.CurrentKeyMaterialId ||
		out.DestinationKeyMaterialId != k2.CurrentKeyMaterialId {
		t.Fatalf("ReEncrypt = %+v", out)
	}
	pt, arn, err := e.svc.Decrypt(ctx, alice, out.CiphertextBlob, dst)
	if err != nil || string(pt) != "move me" || arn != k2.Arn {
		t.Fatalf("decrypt re-encrypted: %q %s %v", pt, arn, err)
	}
	_, _, err = e.svc.Decrypt(ctx, alice, out.CiphertextBlob, src)
	wantErr(t, err, InvalidCiphertextException, "")
	_, _, _, err = e.svc.ReEncrypt(ctx, alice, blob, nil, k2.KeyId, nil)
	wantErr(t, err, InvalidCiphertextException, "")
	if err := e.svc.DisableKey(ctx, alice, k2.KeyId); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = e.svc.ReEncrypt(ctx, alice, blob, src, k2.KeyId, dst)
	wantErr(t, err, DisabledException, k2.Arn+" is disabled.")
}

func mustUUID(t *testing.T, id string) []byte {
	t.Helper()
	u, err := uuid.Parse(id)
	if err != nil {
		t.Fatal(err)
	}
	return u[:]
}
