package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"testing"

	"github.com/kurastore/kura/internal/meta/bolt"
)

// secretForms are the encodings in which a secret could leak into a file.
func secretForms(secret []byte) [][]byte {
	return [][]byte{
		secret,
		[]byte(hex.EncodeToString(secret)),
		[]byte(base64.StdEncoding.EncodeToString(secret)),
		[]byte(base64.RawStdEncoding.EncodeToString(secret)),
		[]byte(base64.URLEncoding.EncodeToString(secret)),
	}
}

func TestNoPlaintextMaterialAtRest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var keys []string
	for range 3 {
		md := e.createKey(t)
		if _, err := e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, md.KeyId)
	}
	managed, err := e.svc.ManagedKey(ctx, alice, "s3")
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, managed.KeyId)
	dataKey, _, _, err := e.svc.GenerateDataKey(ctx, viaS3, "alias/aws/s3", nil, 32)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Close(); err != nil { // flush everything to the file
		t.Fatal(err)
	}
	db, err := os.ReadFile(e.metaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(db, []byte(keys[0])) || !bytes.Contains(db, []byte(`"sealed":"`)) {
		t.Fatal("the metadata file does not hold the key records: the scan below would prove nothing")
	}
	auditLog, err := os.ReadFile(e.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	// Reopen to read the material through the test hook.
	e2 := reopen(t, e)
	for _, id := range keys {
		secrets = append(secrets, e2.svc.materials(t, id)...)
	}
	if len(secrets) != 7 {
		t.Fatalf("%d materials", len(secrets))
	}
	secrets = append(secrets, dataKey)
	for i, s := range secrets {
		for _, form := range secretForms(s) {
			if bytes.Contains(db, form) {
				t.Errorf("secret %d found in the metadata store", i)
			}
			if bytes.Contains(auditLog, form) {
				t.Errorf("secret %d found in the audit log", i)
			}
		}
	}
}

// reopen opens a second Service on e's files after e's store was closed.
func reopen(t *testing.T, e *env) *env {
	t.Helper()
	e2 := &env{clock: e.clock, metaPath: e.metaPath, auditPath: e.auditPath}
	ms, err := bolt.Open(e.metaPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	e2.store = ms
	e2.svc, err = New(Config{Meta: ms, RootKey: bytes.Repeat([]byte{0x5a}, 32), Region: region, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e2
}

func TestWrongRootKeyCannotDecrypt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	blob, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(Config{Meta: e.store, RootKey: bytes.Repeat([]byte{0x5b}, 32), Region: region})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = other.Decrypt(ctx, alice, blob, nil)
	wantErr(t, err, KMSInternalException, "")
	if _, err := New(Config{Meta: e.store, RootKey: []byte("short")}); err == nil {
		t.Fatal("New accepted a short root key")
	}
}

func TestAuditEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret := []byte("a very secret plaintext that must not be logged 0123456789")
	encCtx := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/key"}

	md := e.createKey(t)
	blob, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, secret, encCtx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Decrypt(ctx, alice, blob, encCtx); err != nil {
		t.Fatal(err)
	}
	dk, dkBlob, _, err := e.svc.GenerateDataKey(ctx, viaS3, md.Arn, encCtx, 32)
	if err != nil {
		t.Fatal(err)
	}
	re, _, _, err := e.svc.ReEncrypt(ctx, alice, blob, encCtx, md.KeyId, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Decrypt(ctx, alice, blob, nil) // wrong context
	wantErr(t, err, InvalidCiphertextException, "")
	if err := e.svc.DisableKey(ctx, alice, md.KeyId); err != nil {
		t.Fatal(err)
	}

	evs := e.events(t)
	var names []string
	for _, ev := range evs {
		names = append(names, ev.EventName)
	}
	want := []string{"CreateKey", "Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "Decrypt", "DisableKey"}
	if len(names) != len(want) {
		t.Fatalf("events %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("events %v, want %v", names, want)
		}
	}
	for _, ev := range evs {
		if ev.EventVersion != "1.11" || ev.EventSource != "kms.amazonaws.com" || ev.AWSRegion != region ||
			ev.EventType != "AwsApiCall" || !ev.ManagementEvent || ev.EventCategory != "Management" ||
			ev.RecipientAccountID != acct || ev.EventID == "" || ev.EventTime.IsZero() {
			t.Errorf("%s: envelope %+v", ev.EventName, ev)
		}
		if len(ev.Resources) == 0 || ev.Resources[0].ARN != md.Arn || ev.Resources[0].Type != "AWS::KMS::Key" {
			t.Errorf("%s: resources %+v", ev.EventName, ev.Resources)
		}
		if ev.UserIdentity.ARN != alice.Principal.ARN || ev.UserIdentity.AccountID != acct || ev.UserIdentity.Type != "IAMUser" {
			t.Errorf("%s: identity %+v", ev.EventName, ev.UserIdentity)
		}
	}
	gdk := evs[3]
	if gdk.RequestParameters["keySpec"] != "AES_256" || gdk.RequestParameters["keyId"] != md.Arn ||
		gdk.AdditionalEventData["keyMaterialId"] != md.CurrentKeyMaterialId || !gdk.ReadOnly {
		t.Errorf("GenerateDataKey event: %+v", gdk)
	}
	if ctxParam, _ := gdk.RequestParameters["encryptionContext"].(map[string]any); ctxParam["aws:s3:arn"] != "arn:aws:s3:::bucket/key" {
		t.Errorf("encryption context not logged: %+v", gdk.RequestParameters)
	}
	if gdk.UserIdentity.InvokedBy != "s3.amazonaws.com" || gdk.SourceIPAddress != "s3.amazonaws.com" {
		t.Errorf("S3-invoked call: %+v, source %q", gdk.UserIdentity, gdk.SourceIPAddress)
	}
	if evs[1].SourceIPAddress != "192.0.2.1" || evs[1].UserAgent != "test" {
		t.Errorf("direct call source: %q %q", evs[1].SourceIPAddress, evs[1].UserAgent)
	}
	if bad := evs[5]; bad.ErrorCode != InvalidCiphertextException || bad.ErrorMessage == "" {
		t.Errorf("failed Decrypt event: %+v", bad)
	}
	if evs[6].ReadOnly || evs[0].ReadOnly {
		t.Error("management changes marked read-only")
	}

	raw, err := os.ReadFile(e.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string][]byte{"plaintext": secret, "data key": dk, "ciphertext": blob,
		"data key ciphertext": dkBlob, "re-encrypted ciphertext": re} {
		for _, form := range secretForms(s) {
			if bytes.Contains(raw, form) {
				t.Errorf("%s found in the audit log", name)
			}
		}
	}
	info, err := os.Stat(e.auditPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("audit log mode %v, %v", info.Mode(), err)
	}
}

func TestAuditFailureFailsTheOperation(t *testing.T) {
	e := newEnv(t)
	md := e.createKey(t)
	if err := e.log.Close(); err != nil {
		t.Fatal(err)
	}
	pt, blob, _, err := e.svc.GenerateDataKey(context.Background(), alice, md.KeyId, nil, 32)
	wantErr(t, err, KMSInternalException, "")
	if pt != nil || blob != nil {
		t.Fatal("a result was returned although its use could not be audited")
	}
}
