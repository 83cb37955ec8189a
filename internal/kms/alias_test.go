package kms

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAliasRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k1, k2 := e.createKey(t), e.createKey(t)
	for _, tc := range []struct {
		name, alias, target string
		typ, msg            string
	}{
		{"ok", "alias/orders", k1.KeyId, "", ""},
		{"by arn", "alias/by-arn_1:x/y", k1.Arn, "", ""},
		{"duplicate", "alias/orders", k2.KeyId, AlreadyExistsException,
			"An alias with the name arn:aws:kms:us-east-1:111122223333:alias/orders already exists"},
		{"reserved", "alias/aws/mine", k1.KeyId, InvalidAliasNameException, ""},
		{"reserved s3", "alias/aws/s3", k1.KeyId, InvalidAliasNameException, ""},
		{"no prefix", "orders", k1.KeyId, ValidationException, `Alias must start with the prefix "alias/"`},
		{"bare prefix", "alias/", k1.KeyId, ValidationException, `prefix "alias/"`},
		{"bad chars", "alias/a b", k1.KeyId, ValidationException, "regular expression"},
		{"too long", "alias/" + strings.Repeat("a", 251), k1.KeyId, ValidationException, "length"},
		{"target by alias", "alias/x", "alias/orders", NotFoundException, "Invalid keyId"},
		{"missing target", "alias/x", "00000000-0000-4000-8000-000000000000", NotFoundException, "does not exist"},
		{"other account target", "alias/x", KeyARN(region, otherAcct, k1.KeyId), AccessDeniedException, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, e.svc.CreateAlias(ctx, alice, tc.alias, tc.target), tc.typ, tc.msg)
		})
	}
	if md, err := e.svc.DescribeKey(ctx, alice, "alias/orders"); err != nil || md.KeyId != k1.KeyId {
		t.Fatalf("alias resolves to %s, %v", md.KeyId, err)
	}
	// Aliases are per account: bob may use the same name.
	kb, err := e.svc.CreateKey(ctx, bob, CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CreateAlias(ctx, bob, "alias/orders", kb.KeyId); err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(time.Minute)
	if err := e.svc.UpdateAlias(ctx, alice, "alias/orders", k2.KeyId); err != nil {
		t.Fatal(err)
	}
	if md, _ := e.svc.DescribeKey(ctx, alice, "alias/orders"); md.KeyId != k2.KeyId {
		t.Fatal("UpdateAlias did not move the alias")
	}
	wantErr(t, e.svc.UpdateAlias(ctx, alice, "alias/none", k2.KeyId), NotFoundException, "Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.")
	wantErr(t, e.svc.UpdateAlias(ctx, alice, "alias/aws/s3", k2.KeyId), InvalidAliasNameException, "")

	out, err := e.svc.ListAliases(ctx, alice, ListAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range out.Aliases {
		names = append(names, a.AliasName)
		if a.AliasArn != AliasARN(region, acct, a.AliasName) {
			t.Fatalf("alias arn %s", a.AliasArn)
		}
		switch a.AliasName {
		case "alias/aws/s3":
			if a.TargetKeyId != "" || !a.CreationDate.IsZero() {
				t.Fatalf("predefined alias before its key exists: %+v", a)
			}
		case "alias/orders":
			if a.TargetKeyId != k2.KeyId || !a.LastUpdatedDate.After(a.CreationDate) {
				t.Fatalf("updated alias: %+v", a)
			}
		}
	}
	if got := strings.Join(names, " "); got != "alias/aws/s3 alias/by-arn_1:x/y alias/orders" {
		t.Fatalf("aliases = %s", got)
	}
	byKey, err := e.svc.ListAliases(ctx, alice, ListAliasesInput{KeyId: k1.Arn})
	if err != nil || len(byKey.Aliases) != 1 || byKey.Aliases[0].AliasName != "alias/by-arn_1:x/y" {
		t.Fatalf("aliases of k1 = %+v, %v", byKey, err)
	}
	_, err = e.svc.ListAliases(ctx, alice, ListAliasesInput{KeyId: "alias/orders"})
	wantErr(t, err, NotFoundException, "")

	// Paging one at a time visits every alias once.
	var paged []string
	marker := ""
	for {
		p, err := e.svc.ListAliases(ctx, alice, ListAliasesInput{Limit: 1, Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Aliases {
			paged = append(paged, a.AliasName)
		}
		if !p.Truncated {
			break
		}
		marker = p.NextMarker
	}
	if fmt.Sprint(paged) != fmt.Sprint(names) {
		t.Fatalf("paged %v, listed %v", paged, names)
	}

	if err := e.svc.DeleteAlias(ctx, alice, "alias/orders"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.DeleteAlias(ctx, alice, "alias/orders"), NotFoundException, "is not found")
	_, err = e.svc.DescribeKey(ctx, alice, "alias/orders")
	wantErr(t, err, NotFoundException, "")
	if md, err := e.svc.DescribeKey(ctx, bob, "alias/orders"); err != nil || md.KeyId != kb.KeyId {
		t.Fatal("deleting alice's alias touched bob's")
	}
	// The key itself is untouched.
	if _, err := e.svc.DescribeKey(ctx, alice, k2.KeyId); err != nil {
		t.Fatal(err)
	}
}

func TestAliasLimitPerKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := e.createKey(t)
	for i := range maxAliasesPerKey {
		if err := e.svc.CreateAlias(ctx, alice, fmt.Sprintf("alias/a%02d", i), k.KeyId); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, e.svc.CreateAlias(ctx, alice, "alias/one-too-many", k.KeyId), LimitExceededException, "")
}

func TestManagedKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	// Concurrent first uses agree on one key.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			md, err := e.svc.DescribeKey(ctx, alice, "alias/aws/s3")
			if err != nil {
				t.Error(err)
			}
			ids[i] = md.KeyId
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("materialized several aws/s3 keys: %v", ids)
		}
	}
	md, err := e.svc.ManagedKey(ctx, viaS3, "s3")
	if err != nil {
		t.Fatal(err)
	}
	if md.KeyId != ids[0] || md.KeyManager != KeyManagerAWS || md.KeyState != KeyStateEnabled ||
		md.Description != "Default key that protects my S3 objects when no other key is defined" {
		t.Fatalf("managed key = %+v", md)
	}
	if _, err := e.svc.ManagedKey(ctx, alice, "ebs"); err == nil {
		t.Fatal("ManagedKey(ebs) succeeded")
	}
	// Each account has its own.
	bobs, err := e.svc.DescribeKey(ctx, bob, AliasARN(region, otherAcct, "alias/aws/s3"))
	if err != nil || bobs.KeyId == md.KeyId || bobs.AWSAccountId != otherAcct {
		t.Fatalf("bob's aws/s3 = %+v, %v", bobs, err)
	}
	st, err := e.svc.GetKeyRotationStatus(ctx, alice, md.KeyId)
	if err != nil || !st.KeyRotationEnabled || st.RotationPeriodInDays != 365 {
		t.Fatalf("managed key rotation = %+v, %v", st, err)
	}
	blob, arn, err := e.svc.Encrypt(ctx, viaS3, "alias/aws/s3", []byte("object key"), nil)
	if err != nil || arn != md.Arn {
		t.Fatalf("Encrypt with alias/aws/s3: %s, %v", arn, err)
	}
	if _, _, err := e.svc.Decrypt(ctx, viaS3, blob, nil); err != nil {
		t.Fatal(err)
	}
	pol, _ := e.svc.GetKeyPolicy(ctx, alice, md.KeyId, "default")
	if !strings.Contains(pol, `"kms:ViaService" : "s3.us-east-1.amazonaws.com"`) {
		t.Fatalf("managed key policy: %s", pol)
	}
	aliases, _ := e.svc.ListAliases(ctx, alice, ListAliasesInput{})
	if len(aliases.Aliases) != 1 || aliases.Aliases[0].TargetKeyId != md.KeyId {
		t.Fatalf("aliases = %+v", aliases)
	}
	keys, _ := e.svc.ListKeys(ctx, alice, ListInput{})
	if len(keys.Keys) != 1 || keys.Keys[0].KeyId != md.KeyId {
		t.Fatalf("keys = %+v", keys)
	}

	for name, call := range map[string]func() error{
		"DisableKey": func() error { return e.svc.DisableKey(ctx, alice, md.KeyId) },
		"EnableKey":  func() error { return e.svc.EnableKey(ctx, alice, md.KeyId) },
		"ScheduleKeyDeletion": func() error {
			_, err := e.svc.ScheduleKeyDeletion(ctx, alice, md.KeyId, 7)
			return err
		},
		"CancelKeyDeletion": func() error { _, err := e.svc.CancelKeyDeletion(ctx, alice, md.KeyId); return err },
		"PutKeyPolicy":      func() error { return e.svc.PutKeyPolicy(ctx, alice, md.KeyId, "", defaultPolicy(acct)) },
		"TagResource":       func() error { return e.svc.TagResource(ctx, alice, md.KeyId, []Tag{{"a", "b"}}) },
		"CreateAlias":       func() error { return e.svc.CreateAlias(ctx, alice, "alias/mine", md.KeyId) },
	} {
		wantErr(t, call(), AccessDeniedException, "kms:"+name+" on resource: "+md.Arn)
	}
	for _, call := range []func() error{
		func() error { return e.svc.EnableKeyRotation(ctx, alice, md.KeyId, 0) },
		func() error { return e.svc.DisableKeyRotation(ctx, alice, md.KeyId) },
		func() error { _, err := e.svc.RotateKeyOnDemand(ctx, alice, md.KeyId); return err },
	} {
		wantErr(t, call(), UnsupportedOperationException, "AWS managed key")
	}
	wantErr(t, e.svc.DeleteAlias(ctx, alice, "alias/aws/s3"), InvalidAliasNameException, "")
}

func TestPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := e.createKey(t)
	custom := `{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	if err := e.svc.PutKeyPolicy(ctx, alice, k.KeyId, "default", custom); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.GetKeyPolicy(ctx, alice, k.Arn, "default"); err != nil || got != custom {
		t.Fatalf("policy = %s, %v", got, err)
	}
	for _, tc := range []struct {
		name, policyName, policy, typ string
	}{
		{"not json", "", "nope", MalformedPolicyDocumentException},
		{"no statement", "", `{"Version":"2012-10-17"}`, MalformedPolicyDocumentException},
		{"null statement", "", `{"Statement":null}`, MalformedPolicyDocumentException},
		{"empty statements", "", `{"Statement":[]}`, MalformedPolicyDocumentException},
		{"string statement", "", `{"Statement":"x"}`, MalformedPolicyDocumentException},
		{"empty", "", "", ValidationException},
		{"too big", "", `{"Statement":{},"x":"` + strings.Repeat("a", maxPolicyLen) + `"}`, LimitExceededException},
		{"other name", "custom", custom, NotFoundException},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, e.svc.PutKeyPolicy(ctx, alice, k.KeyId, tc.policyName, tc.policy), tc.typ, "")
		})
	}
	_, err := e.svc.GetKeyPolicy(ctx, alice, k.KeyId, "custom")
	wantErr(t, err, NotFoundException, "")
	if names, err := e.svc.ListKeyPolicies(ctx, alice, k.KeyId); err != nil || len(names) != 1 || names[0] != "default" {
		t.Fatalf("policy names = %v, %v", names, err)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := e.createKey(t)
	if err := e.svc.TagResource(ctx, alice, k.KeyId, []Tag{{"b", "2"}, {"a", "1"}, {"c", ""}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.TagResource(ctx, alice, k.Arn, []Tag{{"a", "one"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.UntagResource(ctx, alice, k.KeyId, []string{"c", "absent"}); err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.ListResourceTags(ctx, alice, k.KeyId, ListInput{})
	if err != nil || fmt.Sprint(out.Tags) != "[{a one} {b 2}]" || out.Truncated {
		t.Fatalf("tags = %+v, %v", out, err)
	}
	page1, _ := e.svc.ListResourceTags(ctx, alice, k.KeyId, ListInput{Limit: 1})
	page2, _ := e.svc.ListResourceTags(ctx, alice, k.KeyId, ListInput{Limit: 1, Marker: page1.NextMarker})
	if !page1.Truncated || page1.Tags[0].TagKey != "a" || page2.Truncated || page2.Tags[0].TagKey != "b" {
		t.Fatalf("pages %+v %+v", page1, page2)
	}
	_, err = e.svc.ListResourceTags(ctx, alice, k.KeyId, ListInput{Limit: 51})
	wantErr(t, err, ValidationException, "")
	wantErr(t, e.svc.TagResource(ctx, alice, k.KeyId, []Tag{{"AWS:x", "y"}}), TagException, "")
	wantErr(t, e.svc.TagResource(ctx, alice, k.KeyId, []Tag{{"k", strings.Repeat("v", 257)}}), ValidationException, "")
	many := make([]Tag, 49)
	for i := range many {
		many[i] = Tag{fmt.Sprintf("t%02d", i), "v"}
	}
	wantErr(t, e.svc.TagResource(ctx, alice, k.KeyId, many), LimitExceededException, "")
	if out, _ := e.svc.ListResourceTags(ctx, alice, k.KeyId, ListInput{}); len(out.Tags) != 2 {
		t.Fatalf("a failed TagResource changed the tags: %+v", out.Tags)
	}
}
