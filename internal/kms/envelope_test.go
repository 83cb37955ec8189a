package kms

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// TestEnvelopeOnBuiltInKMS runs the envelope on the built-in KMS: each of
// its calls is the KMS operation S3 makes, audited as made by the caller
// through S3, and the KMS's refusals reach S3 as S3 answers them.
func TestEnvelopeOnBuiltInKMS(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keyA, keyB := e.createKey(t), e.createKey(t)
	env := sse.NewEnvelope(sse.EnvelopeConfig{KMS: e.svc, Region: region, Now: e.clock.Now})
	as := func(c kura.Call) sse.Access { return sse.Access{Caller: c} }
	before := len(e.events(t))

	keys, enc, err := env.NewKeys(ctx, sse.Request{Type: kura.SSEKMS, KMSKeyID: keyA.KeyId, Context: `{"a":"b"}`}, "bkt", "obj", as(alice))
	if err != nil || enc.KMSKeyARN != keyA.Arn {
		t.Fatalf("NewKeys = %v, key %q, want %q", err, enc.KMSKeyARN, keyA.Arn)
	}
	resealed, err := env.Reseal(ctx, enc, "bkt", "obj", sse.Request{Type: kura.SSEKMS, KMSKeyID: keyB.Arn, Context: enc.Context}, as(alice))
	if err != nil || resealed.KMSKeyARN != keyB.Arn {
		t.Fatalf("Reseal = %v, key %q, want %q", err, resealed.KMSKeyARN, keyB.Arn)
	}
	got, err := env.Open(ctx, resealed, "bkt", "obj", as(alice))
	if err != nil || !bytes.Equal(got.DEK, keys.DEK) {
		t.Fatalf("Open after Reseal = %v, same key %v", err, bytes.Equal(got.DEK, keys.DEK))
	}
	evs := e.events(t)[before:]
	var names []string
	for _, ev := range evs {
		names = append(names, ev.EventName)
		if ev.UserIdentity.ARN != alice.Principal.ARN || ev.UserIdentity.InvokedBy != "s3.amazonaws.com" || ev.SourceIPAddress != alice.Source.IP {
			t.Errorf("%s recorded as %+v from %q, want alice through S3 from %s", ev.EventName, ev.UserIdentity, ev.SourceIPAddress, alice.Source.IP)
		}
	}
	if want := []string{"GenerateDataKey", "ReEncrypt", "Decrypt"}; !slices.Equal(names, want) {
		t.Errorf("audit events %q, want %q", names, want)
	}

	if err := e.svc.DisableKey(ctx, alice, keyB.KeyId); err != nil {
		t.Fatal(err)
	}
	missing := KeyARN(region, acct, "00000000-0000-4000-8000-000000000000")
	for _, c := range []struct {
		name   string
		err    error
		code   string
		status int
	}{
		{"unknown key", func() error {
			_, _, err := env.NewKeys(ctx, sse.Request{Type: kura.SSEKMS, KMSKeyID: missing}, "bkt", "x", as(alice))
			return err
		}(), "KMS.NotFoundException", http.StatusBadRequest},
		{"disabled key", func() error {
			_, err := env.Reseal(ctx, enc, "bkt", "obj", sse.Request{Type: kura.SSEKMS, KMSKeyID: keyB.Arn}, as(alice))
			return err
		}(), "KMS.DisabledException", http.StatusBadRequest},
		{"another account's key", func() error {
			_, err := env.Open(ctx, enc, "bkt", "obj", as(bob))
			return err
		}(), "AccessDenied", http.StatusForbidden},
		{"malformed key id", env.CheckKeyID("not a key"), "KMS.NotFoundException", http.StatusBadRequest},
		{"key permission", env.KeyPermitted(ctx, as(bob), keyA.Arn, map[string]string{"aws:s3:arn": "arn:aws:s3:::bkt/obj"}, "Encrypt"),
			"AccessDenied", http.StatusForbidden},
	} {
		if e := s3err.As(c.err); c.err == nil || e.Code != c.code || e.Status != c.status {
			t.Errorf("%s: %v, want %s (%d)", c.name, c.err, c.code, c.status)
		}
	}
	if err := env.CheckKeyID("alias/later"); err != nil {
		t.Errorf("CheckKeyID of an alias name = %v, want nil", err)
	}
}
