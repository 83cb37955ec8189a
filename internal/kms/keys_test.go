package kms

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCreateKeyDefaults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md, err := e.svc.CreateKey(ctx, alice, CreateKeyInput{Description: "orders", Tags: []Tag{{"team", "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !validKeyID(md.KeyId) || md.Arn != arnOf(md.KeyId) || md.AWSAccountId != acct {
		t.Fatalf("ids: %+v", md)
	}
	if md.KeyState != KeyStateEnabled || !md.Enabled || md.KeyManager != KeyManagerCustomer ||
		md.KeySpec != "SYMMETRIC_DEFAULT" || md.KeyUsage != "ENCRYPT_DECRYPT" || md.Origin != "AWS_KMS" ||
		md.Description != "orders" || !md.CreationDate.Equal(e.clock.Now()) || len(md.CurrentKeyMaterialId) != 64 {
		t.Fatalf("metadata: %+v", md)
	}
	pol, err := e.svc.GetKeyPolicy(ctx, alice, md.KeyId, "")
	if err != nil {
		t.Fatal(err)
	}
	if pol != defaultPolicy(acct) {
		t.Fatalf("policy = %s", pol)
	}
	for _, want := range []string{`"Sid" : "Enable IAM User Permissions"`, `"AWS" : "arn:aws:iam::111122223333:root"`,
		`"Action" : "kms:*"`, `"Resource" : "*"`, `"Effect" : "Allow"`} {
		if !strings.Contains(pol, want) {
			t.Errorf("default policy lacks %s", want)
		}
	}
	tags, err := e.svc.ListResourceTags(ctx, alice, md.KeyId, ListInput{})
	if err != nil || len(tags.Tags) != 1 || tags.Tags[0] != (Tag{"team", "a"}) {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	st, err := e.svc.GetKeyRotationStatus(ctx, alice, md.KeyId)
	if err != nil || st.KeyRotationEnabled {
		t.Fatalf("rotation = %+v, %v", st, err)
	}
}

func TestCreateKeyRejects(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		in   CreateKeyInput
		typ  string
	}{
		{"asymmetric", CreateKeyInput{KeySpec: "RSA_2048"}, UnsupportedOperationException},
		{"hmac usage", CreateKeyInput{KeyUsage: "GENERATE_VERIFY_MAC"}, UnsupportedOperationException},
		{"external", CreateKeyInput{Origin: "EXTERNAL"}, UnsupportedOperationException},
		{"multi-region", CreateKeyInput{MultiRegion: true}, UnsupportedOperationException},
		{"custom store", CreateKeyInput{CustomKeyStoreId: "cks-1"}, UnsupportedOperationException},
		{"policy not json", CreateKeyInput{Policy: "{"}, MalformedPolicyDocumentException},
		{"policy without statement", CreateKeyInput{Policy: `{"Version":"2012-10-17"}`}, MalformedPolicyDocumentException},
		{"policy array", CreateKeyInput{Policy: `[]`}, MalformedPolicyDocumentException},
		{"policy bad chars", CreateKeyInput{Policy: "{\"Statement\":[{}], \"x\":\"\u2603\"}"}, ValidationException},
		{"reserved tag", CreateKeyInput{Tags: []Tag{{"aws:x", "y"}}}, TagException},
		{"empty tag key", CreateKeyInput{Tags: []Tag{{"", "y"}}}, ValidationException},
		{"long description", CreateKeyInput{Description: string(make([]byte, 8193))}, ValidationException},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CreateKey(context.Background(), alice, tc.in)
			wantErr(t, err, tc.typ, "")
		})
	}
	if _, err := e.svc.CreateKey(context.Background(), alice, CreateKeyInput{
		KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS",
		Policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`,
	}); err != nil {
		t.Fatalf("explicit symmetric key with a custom policy: %v", err)
	}
}

func TestKeyIdentifiers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	if err := e.svc.CreateAlias(ctx, alice, "alias/orders", md.KeyId); err != nil {
		t.Fatal(err)
	}
	missing := "00000000-0000-4000-8000-000000000000"
	for _, tc := range []struct {
		id       string
		typ, msg string
	}{
		{md.KeyId, "", ""},
		{md.Arn, "", ""},
		{"alias/orders", "", ""},
		{AliasARN(region, acct, "alias/orders"), "", ""},
		{"x", NotFoundException, "Invalid keyId 'x'"},
		{"ALIAS/orders", NotFoundException, "Invalid keyId"},
		{"1234ABCD-12AB-34CD-56EF-1234567890AB", NotFoundException, "Invalid keyId"},
		{missing, NotFoundException, "Key '" + arnOf(missing) + "' does not exist"},
		{"alias/nope", NotFoundException, "Alias arn:aws:kms:us-east-1:111122223333:alias/nope is not found."},
		{"arn:aws:kms:us-west-2:" + acct + ":key/" + md.KeyId, NotFoundException, "Invalid arn us-west-2"},
		{"arn:aws:kms:us-east-1:" + acct + ":key/nope", NotFoundException, "Invalid keyId"},
		{"arn:aws:s3:::bucket", NotFoundException, "Invalid keyId"},
		{KeyARN(region, otherAcct, md.KeyId), AccessDeniedException, "is not authorized to perform: kms:DescribeKey"},
		{"", ValidationException, ""},
	} {
		t.Run(tc.id, func(t *testing.T) {
			got, err := e.svc.DescribeKey(ctx, alice, tc.id)
			wantErr(t, err, tc.typ, tc.msg)
			if err == nil && got.KeyId != md.KeyId {
				t.Fatalf("resolved %s to %s", tc.id, got.KeyId)
			}
		})
	}
	// Management operations take a key id or key ARN only.
	err := e.svc.DisableKey(ctx, alice, "alias/orders")
	wantErr(t, err, NotFoundException, "Invalid keyId 'alias/orders'")
	if err := e.svc.DisableKey(ctx, alice, md.Arn); err != nil {
		t.Fatal(err)
	}
	// Another account cannot see alice's key by id: bare ids name the
	// caller's own account.
	_, err = e.svc.DescribeKey(ctx, bob, md.KeyId)
	wantErr(t, err, NotFoundException, "Key 'arn:aws:kms:us-east-1:444455556666:key/"+md.KeyId+"' does not exist")
}

// TestKeyStates is SPEC 3.4's table: which operations work in which state.
func TestKeyStates(t *testing.T) {
	ctx := context.Background()
	type opFn func(e *env, md KeyMetadata, blob []byte) error
	ops := map[string]opFn{
		"Encrypt": func(e *env, md KeyMetadata, _ []byte) error {
			_, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("x"), nil)
			return err
		},
		"Decrypt": func(e *env, md KeyMetadata, blob []byte) error {
			_, _, err := e.svc.Decrypt(ctx, alice, blob, nil)
			return err
		},
		"GenerateDataKey": func(e *env, md KeyMetadata, _ []byte) error {
			_, _, _, err := e.svc.GenerateDataKey(ctx, alice, md.KeyId, nil, 32)
			return err
		},
		"GenerateDataKeyWithoutPlaintext": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.GenerateDataKeyWithoutPlaintext(ctx, alice, GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: "AES_256"})
			return err
		},
		"ReEncrypt": func(e *env, md KeyMetadata, blob []byte) error {
			other := e.createKey(t)
			_, _, _, err := e.svc.ReEncrypt(ctx, alice, blob, nil, other.KeyId, nil)
			return err
		},
		"DescribeKey": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.DescribeKey(ctx, alice, md.KeyId)
			return err
		},
		"GetKeyPolicy": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.GetKeyPolicy(ctx, alice, md.KeyId, "")
			return err
		},
		"PutKeyPolicy": func(e *env, md KeyMetadata, _ []byte) error {
			return e.svc.PutKeyPolicy(ctx, alice, md.KeyId, "", defaultPolicy(acct))
		},
		"ListKeyPolicies": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.ListKeyPolicies(ctx, alice, md.KeyId)
			return err
		},
		"ListResourceTags": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.ListResourceTags(ctx, alice, md.KeyId, ListInput{})
			return err
		},
		"ListAliases": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.ListAliases(ctx, alice, ListAliasesInput{KeyId: md.KeyId})
			return err
		},
		"DeleteAlias": func(e *env, md KeyMetadata, _ []byte) error { return e.svc.DeleteAlias(ctx, alice, "alias/state") },
		"EnableKey":   func(e *env, md KeyMetadata, _ []byte) error { return e.svc.EnableKey(ctx, alice, md.KeyId) },
		"DisableKey":  func(e *env, md KeyMetadata, _ []byte) error { return e.svc.DisableKey(ctx, alice, md.KeyId) },
		"CancelKeyDeletion": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.CancelKeyDeletion(ctx, alice, md.KeyId)
			return err
		},
		"ScheduleKeyDeletion": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 7)
			return err
		},
		"CreateAlias": func(e *env, md KeyMetadata, _ []byte) error {
			return e.svc.CreateAlias(ctx, alice, "alias/new", md.KeyId)
		},
		"UpdateAlias(target)": func(e *env, md KeyMetadata, _ []byte) error {
			return e.svc.UpdateAlias(ctx, alice, "alias/state", md.KeyId)
		},
		"EnableKeyRotation":  func(e *env, md KeyMetadata, _ []byte) error { return e.svc.EnableKeyRotation(ctx, alice, md.KeyId, 0) },
		"DisableKeyRotation": func(e *env, md KeyMetadata, _ []byte) error { return e.svc.DisableKeyRotation(ctx, alice, md.KeyId) },
		"RotateKeyOnDemand": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId)
			return err
		},
		"GetKeyRotationStatus": func(e *env, md KeyMetadata, _ []byte) error {
			_, err := e.svc.GetKeyRotationStatus(ctx, alice, md.KeyId)
			return err
		},
		"TagResource": func(e *env, md KeyMetadata, _ []byte) error {
			return e.svc.TagResource(ctx, alice, md.KeyId, []Tag{{"k", "v"}})
		},
		"UntagResource": func(e *env, md KeyMetadata, _ []byte) error {
			return e.svc.UntagResource(ctx, alice, md.KeyId, []string{"k"})
		},
	}
	const (
		ok       = ""
		disabled = DisabledException
		invalid  = KMSInvalidStateException
	)
	table := map[string][3]string{ // Enabled, Disabled, PendingDeletion
		"Encrypt":                         {ok, disabled, invalid},
		"Decrypt":                         {ok, disabled, invalid},
		"GenerateDataKey":                 {ok, disabled, invalid},
		"GenerateDataKeyWithoutPlaintext": {ok, disabled, invalid},
		"ReEncrypt":                       {ok, disabled, invalid},
		"DescribeKey":                     {ok, ok, ok},
		"GetKeyPolicy":                    {ok, ok, ok},
		"PutKeyPolicy":                    {ok, ok, ok},
		"ListKeyPolicies":                 {ok, ok, ok},
		"ListResourceTags":                {ok, ok, ok},
		"ListAliases":                     {ok, ok, ok},
		"DeleteAlias":                     {ok, ok, ok},
		"EnableKey":                       {ok, ok, invalid},
		"DisableKey":                      {ok, ok, invalid},
		"ScheduleKeyDeletion":             {ok, ok, invalid},
		"CancelKeyDeletion":               {invalid, invalid, ok},
		"CreateAlias":                     {ok, ok, invalid},
		"UpdateAlias(target)":             {ok, ok, invalid},
		"EnableKeyRotation":               {ok, disabled, invalid},
		"DisableKeyRotation":              {ok, disabled, invalid},
		"RotateKeyOnDemand":               {ok, disabled, invalid},
		"GetKeyRotationStatus":            {ok, ok, ok},
		"TagResource":                     {ok, ok, invalid},
		"UntagResource":                   {ok, ok, invalid},
	}
	states := []KeyState{KeyStateEnabled, KeyStateDisabled, KeyStatePendingDeletion}
	for name, want := range table {
		for i, st := range states {
			t.Run(fmt.Sprintf("%s/%s", name, st), func(t *testing.T) {
				e := newEnv(t)
				md := e.createKey(t)
				aliasTarget := e.createKey(t)
				if err := e.svc.CreateAlias(ctx, alice, "alias/state", aliasTarget.KeyId); err != nil {
					t.Fatal(err)
				}
				blob, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("secret"), nil)
				if err != nil {
					t.Fatal(err)
				}
				switch st {
				case KeyStateDisabled:
					err = e.svc.DisableKey(ctx, alice, md.KeyId)
				case KeyStatePendingDeletion:
					_, err = e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 0)
				}
				if err != nil {
					t.Fatal(err)
				}
				err = ops[name](e, md, blob)
				msg := ""
				switch want[i] {
				case disabled:
					msg = md.Arn + " is disabled."
				case invalid:
					msg = md.Arn + " is pending deletion."
					if name == "CancelKeyDeletion" {
						msg = md.Arn + " is not pending deletion."
					}
				}
				wantErr(t, err, want[i], msg)
			})
		}
	}
	for name := range ops {
		if _, ok := table[name]; !ok {
			t.Errorf("operation %s has no row in the state table", name)
		}
	}
}

func TestScheduleAndCancelDeletion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	for _, days := range []int{-1, 6, 31, 365} {
		_, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, days)
		wantErr(t, err, ValidationException, "between 7 and 30")
	}
	out, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.KeyId != md.Arn || out.KeyState != KeyStatePendingDeletion || out.PendingWindowInDays != 30 ||
		!out.DeletionDate.Equal(e.clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("schedule = %+v", out)
	}
	got, _ := e.svc.DescribeKey(ctx, alice, md.KeyId)
	if got.KeyState != KeyStatePendingDeletion || got.Enabled || !got.DeletionDate.Equal(out.DeletionDate) {
		t.Fatalf("described = %+v", got)
	}
	arn, err := e.svc.CancelKeyDeletion(ctx, alice, md.KeyId)
	if err != nil || arn != md.Arn {
		t.Fatalf("cancel = %q, %v", arn, err)
	}
	got, _ = e.svc.DescribeKey(ctx, alice, md.KeyId)
	if got.KeyState != KeyStateDisabled || !got.DeletionDate.IsZero() {
		t.Fatalf("after cancel: %+v, want Disabled without deletion date", got)
	}
}

func TestDeletionAfterWindow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	blob, _, err := e.svc.Encrypt(ctx, alice, md.KeyId, []byte("gone soon"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CreateAlias(ctx, alice, "alias/doomed", md.KeyId); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 7); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(7*24*time.Hour - time.Second)
	if got, err := e.svc.DescribeKey(ctx, alice, "alias/doomed"); err != nil || got.KeyState != KeyStatePendingDeletion {
		t.Fatalf("before the window ends: %+v, %v", got, err)
	}
	e.clock.Advance(time.Second)
	_, err = e.svc.DescribeKey(ctx, alice, md.KeyId)
	wantErr(t, err, NotFoundException, "does not exist")
	_, err = e.svc.DescribeKey(ctx, alice, "alias/doomed")
	wantErr(t, err, NotFoundException, "is not found")
	_, _, err = e.svc.Decrypt(ctx, alice, blob, nil)
	wantErr(t, err, InvalidCiphertextException, "")
	keys, _ := e.svc.ListKeys(ctx, alice, ListInput{})
	if len(keys.Keys) != 0 {
		t.Fatalf("ListKeys after deletion: %+v", keys)
	}
	aliases, _ := e.svc.ListAliases(ctx, alice, ListAliasesInput{})
	for _, a := range aliases.Aliases {
		if a.AliasName == "alias/doomed" {
			t.Fatal("alias survived its key")
		}
	}

	// DeleteDue removes keys nobody touches.
	k2 := e.createKey(t)
	if _, err := e.svc.ScheduleKeyDeletion(ctx, alice, k2.KeyId, 10); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.DeleteDue(ctx); err != nil || n != 0 {
		t.Fatalf("DeleteDue early = %d, %v", n, err)
	}
	e.clock.Advance(11 * 24 * time.Hour)
	if n, err := e.svc.DeleteDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteDue = %d, %v", n, err)
	}
	if ids, _ := e.svc.scanKeys(ctx, func(*keyRecord, time.Time) bool { return true }); len(ids) != 0 {
		t.Fatalf("keys left in the store: %v", ids)
	}
	var deleted int
	for _, ev := range e.events(t) {
		if ev.EventName == "DeleteKey" && ev.EventType == "AwsServiceEvent" {
			deleted++
		}
	}
	if deleted != 2 {
		t.Fatalf("%d DeleteKey service events, want 2", deleted)
	}
}

func TestListKeysPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	want := map[string]bool{}
	for range 5 {
		want[e.createKey(t).KeyId] = true
	}
	if _, err := e.svc.CreateKey(ctx, bob, CreateKeyInput{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	marker := ""
	for pages := 0; ; pages++ {
		out, err := e.svc.ListKeys(ctx, alice, ListInput{Limit: 2, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range out.Keys {
			got = append(got, k.KeyId)
			if k.KeyArn != arnOf(k.KeyId) {
				t.Fatalf("arn %s", k.KeyArn)
			}
		}
		if !out.Truncated {
			if out.NextMarker != "" || pages != 2 {
				t.Fatalf("last page: %+v after %d pages", out, pages)
			}
			break
		}
		marker = out.NextMarker
	}
	if len(got) != 5 {
		t.Fatalf("listed %v", got)
	}
	for i, id := range got {
		if !want[id] || i > 0 && got[i-1] >= id {
			t.Fatalf("listing %v is not alice's keys in order", got)
		}
	}
	_, err := e.svc.ListKeys(ctx, alice, ListInput{Marker: "!!"})
	wantErr(t, err, InvalidMarkerException, "")
	_, err = e.svc.ListKeys(ctx, alice, ListInput{Limit: 1001})
	wantErr(t, err, ValidationException, "between 1 and 1000")
}

func TestResolveKeyARN(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	md := e.createKey(t)
	if err := e.svc.CreateAlias(ctx, alice, "alias/r", md.KeyId); err != nil {
		t.Fatal(err)
	}
	before := len(e.events(t))
	for _, id := range []string{md.KeyId, md.Arn, "alias/r", AliasARN(region, acct, "alias/r")} {
		if arn, err := e.svc.ResolveKeyARN(ctx, viaS3, id); err != nil || arn != md.Arn {
			t.Fatalf("ResolveKeyARN(%s) = %s, %v", id, arn, err)
		}
	}
	managed, err := e.svc.ResolveKeyARN(ctx, viaS3, "alias/aws/s3")
	if err != nil || !strings.HasPrefix(managed, "arn:aws:kms:us-east-1:111122223333:key/") {
		t.Fatalf("ResolveKeyARN(alias/aws/s3) = %s, %v", managed, err)
	}
	_, err = e.svc.ResolveKeyARN(ctx, viaS3, "aws/s3")
	wantErr(t, err, NotFoundException, "Invalid keyId 'aws/s3'")
	if err := e.svc.DisableKey(ctx, alice, md.KeyId); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ResolveKeyARN(ctx, viaS3, "alias/r")
	wantErr(t, err, DisabledException, md.Arn+" is disabled.")
	if _, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 7); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ResolveKeyARN(ctx, viaS3, md.Arn)
	wantErr(t, err, KMSInvalidStateException, md.Arn+" is pending deletion.")
	// Lookups are not key uses: no audit events (but the service event of
	// the aws/s3 key's creation), no CallCount.
	var names []string
	for _, ev := range e.events(t)[before:] {
		names = append(names, ev.EventName)
	}
	if strings.Join(names, ",") != "CreateKey,DisableKey,ScheduleKeyDeletion" || e.svc.CallCount() != 0 {
		t.Fatalf("events %v, calls %d", names, e.svc.CallCount())
	}
}

func TestRunMaintenance(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	md := e.createKey(t)
	if _, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 7); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	done := make(chan struct{})
	go func() { e.svc.RunMaintenance(ctx, time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ids, err := e.svc.scanKeys(ctx, func(*keyRecord, time.Time) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("RunMaintenance did not delete the due key")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
