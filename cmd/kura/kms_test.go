package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta/bolt"
)

func TestKMSCommand(t *testing.T) {
	ms, err := bolt.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	svc, err := kms.New(kms.Config{Meta: ms, RootKey: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	api := kms.NewAPI(svc)
	caller := kura.Call{Principal: kura.Principal{AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:root"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.Serve(w, r, caller, "cli-test")
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")

	run := func(args ...string) (map[string]any, error) {
		t.Helper()
		cmd := newKMSCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append(args, "--endpoint", srv.URL))
		cmd.SetContext(context.Background())
		if err := cmd.Execute(); err != nil {
			return nil, err
		}
		doc := map[string]any{}
		if out.Len() > 0 {
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("%v: output %q is not JSON", args, out.String())
			}
		}
		return doc, nil
	}
	must := func(args ...string) map[string]any {
		t.Helper()
		doc, err := run(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return doc
	}

	created := must("create-key", "--description", "cli", "--tags", "team=storage")
	keyID := created["KeyMetadata"].(map[string]any)["KeyId"].(string)
	must("create-alias", "--alias-name", "alias/cli", "--target-key-id", keyID)
	enc := must("encrypt", "--key-id", "alias/cli", "--plaintext", base64.StdEncoding.EncodeToString([]byte("hi")),
		"--encryption-context", "app=demo")
	dec := must("decrypt", "--ciphertext-blob", enc["CiphertextBlob"].(string), "--encryption-context", "app=demo")
	if pt, _ := base64.StdEncoding.DecodeString(dec["Plaintext"].(string)); string(pt) != "hi" {
		t.Fatalf("decrypt = %v", dec)
	}
	if _, err := run("decrypt", "--ciphertext-blob", enc["CiphertextBlob"].(string)); err == nil ||
		!strings.Contains(err.Error(), "InvalidCiphertextException") {
		t.Fatalf("decrypt without the context: %v", err)
	}
	if keys := must("list-keys")["Keys"].([]any); len(keys) != 1 {
		t.Fatalf("list-keys = %v", keys)
	}
	if aliases := must("list-aliases")["Aliases"].([]any); len(aliases) != 2 {
		t.Fatalf("list-aliases = %v", aliases)
	}
	must("enable-key-rotation", "--key-id", keyID, "--rotation-period-in-days", "90")
	if st := must("get-key-rotation-status", "--key-id", keyID); st["KeyRotationEnabled"] != true || st["RotationPeriodInDays"] != 90.0 {
		t.Fatalf("rotation status = %v", st)
	}
	must("rotate-key-on-demand", "--key-id", keyID)
	must("disable-key", "--key-id", keyID)
	must("enable-key", "--key-id", keyID)
	if sched := must("schedule-key-deletion", "--key-id", keyID, "--pending-window-in-days", "7"); sched["KeyState"] != "PendingDeletion" {
		t.Fatalf("schedule = %v", sched)
	}
	must("cancel-key-deletion", "--key-id", keyID)
	if md := must("describe-key", "--key-id", keyID)["KeyMetadata"].(map[string]any); md["KeyState"] != "Disabled" {
		t.Fatalf("describe-key = %v", md)
	}
	if _, err := run("describe-key"); err == nil {
		t.Fatal("describe-key without --key-id succeeded")
	}
}
