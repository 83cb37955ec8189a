package kms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// newAPIServer serves e's KMS API for alice (no SigV4: the S3 handler
// authenticates in production) and returns a real SDK client for it.
func newAPIServer(t *testing.T, e *env) (*awskms.Client, *httptest.Server) {
	t.Helper()
	api := NewAPI(e.svc)
	caller := alice
	caller.Source.IP, caller.Source.UserAgent = "", "" // Serve fills them from the request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.Serve(w, r, caller, "req-123")
	}))
	t.Cleanup(srv.Close)
	client := awskms.New(awskms.Options{
		Region:           region,
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAALICE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return client, srv
}

func TestAPIWithSDK(t *testing.T) {
	e := newEnv(t)
	kc, _ := newAPIServer(t, e)
	ctx := context.Background()

	created, err := kc.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("sdk key"),
		Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("storage")}}})
	if err != nil {
		t.Fatal(err)
	}
	md := created.KeyMetadata
	keyID, keyARN := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	if keyARN != arnOf(keyID) || md.KeyState != types.KeyStateEnabled || !md.Enabled ||
		md.KeyManager != types.KeyManagerTypeCustomer || md.KeySpec != types.KeySpecSymmetricDefault ||
		aws.ToString(md.Description) != "sdk key" || md.CreationDate == nil ||
		md.CreationDate.Sub(e.clock.Now()).Abs() > time.Millisecond || len(md.EncryptionAlgorithms) != 1 {
		t.Fatalf("CreateKey = %+v", md)
	}
	if _, err := kc.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/sdk"), TargetKeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	desc, err := kc.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/sdk")})
	if err != nil || aws.ToString(desc.KeyMetadata.KeyId) != keyID {
		t.Fatalf("DescribeKey by alias: %v", err)
	}

	encCtx := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	enc, err := kc.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String("alias/sdk"), Plaintext: []byte("hello kms"), EncryptionContext: encCtx})
	if err != nil || aws.ToString(enc.KeyId) != keyARN || enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("Encrypt: %+v, %v", enc, err)
	}
	dec, err := kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	if err != nil || string(dec.Plaintext) != "hello kms" || aws.ToString(dec.KeyId) != keyARN || len(aws.ToString(dec.KeyMaterialId)) != 64 {
		t.Fatalf("Decrypt: %+v, %v", dec, err)
	}
	gdk, err := kc.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyARN), KeySpec: types.DataKeySpecAes256, EncryptionContext: encCtx})
	if err != nil || len(gdk.Plaintext) != 32 {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	if dec, err := kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: gdk.CiphertextBlob, EncryptionContext: encCtx, KeyId: aws.String(keyID)}); err != nil || !bytes.Equal(dec.Plaintext, gdk.Plaintext) {
		t.Fatalf("data key round trip: %v", err)
	}
	wp, err := kc.GenerateDataKeyWithoutPlaintext(ctx, &awskms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(keyID), NumberOfBytes: aws.Int32(64)})
	if err != nil || len(wp.CiphertextBlob) != 64+blobOverhead {
		t.Fatalf("GenerateDataKeyWithoutPlaintext: %v", err)
	}
	other, err := kc.CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	re, err := kc.ReEncrypt(ctx, &awskms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: encCtx,
		DestinationKeyId: other.KeyMetadata.KeyId})
	if err != nil || aws.ToString(re.SourceKeyId) != keyARN || aws.ToString(re.KeyId) != aws.ToString(other.KeyMetadata.Arn) {
		t.Fatalf("ReEncrypt: %+v, %v", re, err)
	}
	if dec, err := kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: re.CiphertextBlob}); err != nil || string(dec.Plaintext) != "hello kms" {
		t.Fatalf("Decrypt after ReEncrypt: %v", err)
	}

	keys, err := kc.ListKeys(ctx, &awskms.ListKeysInput{Limit: aws.Int32(1)})
	if err != nil || len(keys.Keys) != 1 || !keys.Truncated || keys.NextMarker == nil {
		t.Fatalf("ListKeys: %+v, %v", keys, err)
	}
	keys2, err := kc.ListKeys(ctx, &awskms.ListKeysInput{Marker: keys.NextMarker})
	if err != nil || len(keys2.Keys) != 1 || keys2.Truncated {
		t.Fatalf("ListKeys page 2: %+v, %v", keys2, err)
	}
	aliases, err := kc.ListAliases(ctx, &awskms.ListAliasesInput{})
	if err != nil || len(aliases.Aliases) != 2 || aws.ToString(aliases.Aliases[1].TargetKeyId) != keyID ||
		aliases.Aliases[1].CreationDate == nil || aws.ToString(aliases.Aliases[0].AliasName) != "alias/aws/s3" {
		t.Fatalf("ListAliases: %+v, %v", aliases, err)
	}

	if _, err := kc.EnableKeyRotation(ctx, &awskms.EnableKeyRotationInput{KeyId: aws.String(keyID), RotationPeriodInDays: aws.Int32(180)}); err != nil {
		t.Fatal(err)
	}
	rs, err := kc.GetKeyRotationStatus(ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(keyARN)})
	if err != nil || !rs.KeyRotationEnabled || aws.ToInt32(rs.RotationPeriodInDays) != 180 ||
		rs.NextRotationDate == nil || rs.NextRotationDate.Sub(e.clock.Now().Add(180*day)).Abs() > time.Millisecond {
		t.Fatalf("GetKeyRotationStatus: %+v, %v", rs, err)
	}
	if _, err := kc.RotateKeyOnDemand(ctx, &awskms.RotateKeyOnDemandInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	rots, err := kc.ListKeyRotations(ctx, &awskms.ListKeyRotationsInput{KeyId: aws.String(keyID)})
	if err != nil || len(rots.Rotations) != 1 || rots.Rotations[0].RotationType != types.RotationTypeOnDemand ||
		rots.Rotations[0].KeyMaterialState != types.KeyMaterialStateCurrent || rots.Rotations[0].RotationDate == nil {
		t.Fatalf("ListKeyRotations: %+v, %v", rots, err)
	}
	if dec, err := kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx}); err != nil || string(dec.Plaintext) != "hello kms" {
		t.Fatalf("Decrypt after rotation: %v", err)
	}

	if _, err := kc.TagResource(ctx, &awskms.TagResourceInput{KeyId: aws.String(keyID), Tags: []types.Tag{{TagKey: aws.String("env"), TagValue: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := kc.UntagResource(ctx, &awskms.UntagResourceInput{KeyId: aws.String(keyID), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := kc.ListResourceTags(ctx, &awskms.ListResourceTagsInput{KeyId: aws.String(keyID)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "env" {
		t.Fatalf("ListResourceTags: %+v, %v", tags, err)
	}
	pol, err := kc.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: aws.String(keyID)})
	if err != nil || aws.ToString(pol.Policy) != defaultPolicy(acct) || aws.ToString(pol.PolicyName) != "default" {
		t.Fatalf("GetKeyPolicy: %v", err)
	}
	if _, err := kc.PutKeyPolicy(ctx, &awskms.PutKeyPolicyInput{KeyId: aws.String(keyID), Policy: aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acct + `"},"Action":"kms:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if names, err := kc.ListKeyPolicies(ctx, &awskms.ListKeyPoliciesInput{KeyId: aws.String(keyID)}); err != nil || len(names.PolicyNames) != 1 {
		t.Fatalf("ListKeyPolicies: %v", err)
	}

	// Key states through the wire.
	if _, err := kc.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	_, err = kc.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("x")})
	var disabled *types.DisabledException
	if !errors.As(err, &disabled) || disabled.ErrorMessage() != keyARN+" is disabled." {
		t.Fatalf("Encrypt on a disabled key: %v", err)
	}
	if _, err := kc.EnableKey(ctx, &awskms.EnableKeyInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	sched, err := kc.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
	if err != nil || sched.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(sched.PendingWindowInDays) != 7 ||
		sched.DeletionDate == nil || sched.DeletionDate.Sub(e.clock.Now().Add(7*day)).Abs() > time.Millisecond || aws.ToString(sched.KeyId) != keyARN {
		t.Fatalf("ScheduleKeyDeletion: %+v, %v", sched, err)
	}
	_, err = kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	var invalidState *types.KMSInvalidStateException
	if !errors.As(err, &invalidState) || invalidState.ErrorMessage() != keyARN+" is pending deletion." {
		t.Fatalf("Decrypt with a key pending deletion: %v", err)
	}
	if c, err := kc.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: aws.String(keyID)}); err != nil || aws.ToString(c.KeyId) != keyARN {
		t.Fatalf("CancelKeyDeletion: %v", err)
	}
	if d, _ := kc.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyID)}); d.KeyMetadata.KeyState != types.KeyStateDisabled {
		t.Fatalf("state after cancel = %s", d.KeyMetadata.KeyState)
	}

	managed, err := kc.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/aws/s3")})
	if err != nil || managed.KeyMetadata.KeyManager != types.KeyManagerTypeAws {
		t.Fatalf("DescribeKey alias/aws/s3: %v", err)
	}
}

func TestAPIErrorsWithSDK(t *testing.T) {
	e := newEnv(t)
	kc, _ := newAPIServer(t, e)
	ctx := context.Background()
	k1, k2 := e.createKey(t), e.createKey(t)
	if err := e.svc.CreateAlias(ctx, alice, "alias/taken", k1.KeyId); err != nil {
		t.Fatal(err)
	}
	blob, _, err := e.svc.Encrypt(ctx, alice, k1.KeyId, []byte("p"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(blob)
	tampered[len(tampered)-1] ^= 1

	check := func(name string, err error, target any, msg string) {
		t.Helper()
		if !errors.As(err, target) {
			t.Errorf("%s: error %v (%T), want %T", name, err, err, target)
			return
		}
		var apiErr smithy.APIError
		if msg != "" && errors.As(err, &apiErr) && !strings.Contains(apiErr.ErrorMessage(), msg) {
			t.Errorf("%s: message %q, want %q", name, apiErr.ErrorMessage(), msg)
		}
	}
	_, err = kc.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("x")})
	check("DescribeKey x", err, new(*types.NotFoundException), "Invalid keyId 'x'")
	_, err = kc.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/none")})
	check("DescribeKey alias", err, new(*types.NotFoundException), "Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.")
	_, err = kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: tampered})
	check("Decrypt tampered", err, new(*types.InvalidCiphertextException), "")
	_, err = kc.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: blob, KeyId: aws.String(k2.KeyId)})
	check("Decrypt wrong key", err, new(*types.IncorrectKeyException), "")
	_, err = kc.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/taken"), TargetKeyId: aws.String(k2.KeyId)})
	check("CreateAlias dup", err, new(*types.AlreadyExistsException), "already exists")
	_, err = kc.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/aws/x"), TargetKeyId: aws.String(k2.KeyId)})
	check("CreateAlias reserved", err, new(*types.InvalidAliasNameException), "")
	_, err = kc.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: aws.String(k2.KeyId)})
	check("CancelKeyDeletion", err, new(*types.KMSInvalidStateException), "is not pending deletion.")
	_, err = kc.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecRsa2048})
	check("CreateKey RSA", err, new(*types.UnsupportedOperationException), "")
	_, err = kc.PutKeyPolicy(ctx, &awskms.PutKeyPolicyInput{KeyId: aws.String(k1.KeyId), Policy: aws.String("{}")})
	check("PutKeyPolicy", err, new(*types.MalformedPolicyDocumentException), "")
	_, err = kc.ListKeys(ctx, &awskms.ListKeysInput{Marker: aws.String("%%%")})
	check("ListKeys marker", err, new(*types.InvalidMarkerException), "")
	_, err = kc.TagResource(ctx, &awskms.TagResourceInput{KeyId: aws.String(k1.KeyId), Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("")}}})
	check("TagResource", err, new(*types.TagException), "")
	_, err = kc.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(k1.KeyId), Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	check("Encrypt dry run", err, new(*types.DryRunOperationException), "")

	for name, call := range map[string]func() error{
		"both sizes": func() error {
			_, err := kc.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(k1.KeyId), KeySpec: types.DataKeySpecAes256, NumberOfBytes: aws.Int32(32)})
			return err
		},
		"zero bytes": func() error {
			_, err := kc.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(k1.KeyId), NumberOfBytes: aws.Int32(0)})
			return err
		},
		"zero window": func() error {
			_, err := kc.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(k1.KeyId), PendingWindowInDays: aws.Int32(0)})
			return err
		},
		"plaintext too long": func() error {
			_, err := kc.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(k1.KeyId), Plaintext: make([]byte, 4097)})
			return err
		},
		"alias without prefix": func() error {
			_, err := kc.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("plain"), TargetKeyId: aws.String(k1.KeyId)})
			return err
		},
		"limit zero": func() error {
			_, err := kc.ListAliases(ctx, &awskms.ListAliasesInput{Limit: aws.Int32(0)})
			return err
		},
	} {
		var apiErr smithy.APIError
		if err := call(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != ValidationException {
			t.Errorf("%s: %v, want ValidationException", name, err)
		}
	}
	// Failed requests are audited too.
	var failed int
	for _, ev := range e.events(t) {
		if ev.ErrorCode != "" {
			failed++
			if ev.RequestID != "req-123" || ev.SourceIPAddress != "127.0.0.1" || !strings.Contains(ev.UserAgent, "aws-sdk-go-v2") {
				t.Errorf("failed event %s: request %q from %q", ev.EventName, ev.RequestID, ev.SourceIPAddress)
			}
		}
	}
	if failed < 18 {
		t.Errorf("%d failed requests audited, want at least 18", failed)
	}
}

func TestAPIWire(t *testing.T) {
	e := newEnv(t)
	_, srv := newAPIServer(t, e)
	md := e.createKey(t)
	post := func(target, body string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: body %q is not JSON", target, raw)
		}
		return resp, doc
	}
	resp, doc := post("TrentService.DescribeKey", `{"KeyId":"`+md.KeyId+`"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
		resp.Header.Get("x-amzn-RequestId") != "req-123" {
		t.Fatalf("DescribeKey: %d %v", resp.StatusCode, resp.Header)
	}
	km := doc["KeyMetadata"].(map[string]any)
	if _, ok := km["CreationDate"].(float64); !ok {
		t.Fatalf("CreationDate %v is not epoch seconds", km["CreationDate"])
	}
	if _, ok := km["DeletionDate"]; ok {
		t.Fatal("DeletionDate present on an enabled key")
	}

	for _, tc := range []struct {
		target, body string
		status       int
		typ          string
	}{
		{"TrentService.Nope", `{}`, 404, UnknownOperationException},
		{"", `{}`, 404, UnknownOperationException},
		{"Other.DescribeKey", `{}`, 404, UnknownOperationException},
		{"TrentService.DescribeKey", `{"KeyId":`, 400, SerializationException},
		{"TrentService.DescribeKey", `{"KeyId":5}`, 400, SerializationException},
		{"TrentService.Encrypt", `{"KeyId":"` + md.KeyId + `","Plaintext":"not base64!"}`, 400, SerializationException},
		{"TrentService.DescribeKey", `{"KeyId":"` + strings.Repeat("a", 2<<20) + `"}`, 400, ValidationException},
		{"TrentService.Decrypt", `{}`, 400, ValidationException},
		{"TrentService.ListKeys", `{"Limit":0}`, 400, ValidationException},
		{"TrentService.DescribeKey", ``, 400, ValidationException},
	} {
		resp, doc := post(tc.target, tc.body)
		if resp.StatusCode != tc.status || doc["__type"] != tc.typ || resp.Header.Get("x-amzn-RequestId") != "req-123" {
			t.Errorf("%s %.40q: %d %v, want %d %s", tc.target, tc.body, resp.StatusCode, doc, tc.status, tc.typ)
		}
	}
	// An empty body is an empty request.
	if resp, doc := post("TrentService.ListKeys", ``); resp.StatusCode != 200 || doc["Truncated"] != false {
		t.Errorf("ListKeys with no body: %d %v", resp.StatusCode, doc)
	}
}

type failingBody struct{}

func (failingBody) Read([]byte) (int, error) { return 0, errors.New("payload hash mismatch") }

func TestAPIBodyReadError(t *testing.T) {
	e := newEnv(t)
	api := NewAPI(e.svc)
	req := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(failingBody{}))
	req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
	rec := httptest.NewRecorder()
	api.Serve(rec, req, alice, "req-1")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"__type":"InvalidSignatureException"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if evs := e.events(t); len(evs) != 1 || evs[0].ErrorCode != InvalidSignatureException {
		t.Fatalf("events %+v", evs)
	}
}
