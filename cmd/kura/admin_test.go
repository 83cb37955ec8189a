package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/server"
)

func TestAdminCommand(t *testing.T) {
	const rootAK, rootSK = "AKIAADMINCLITEST0001", "admin-cli-secret-000000000000000000000000"
	s, err := server.Open(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", RootAccessKey: rootAK, RootSecretKey: rootSK,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	t.Setenv("KURA_ROOT_ACCESS_KEY", rootAK)
	t.Setenv("KURA_ROOT_SECRET_KEY", rootSK)

	run := func(args ...string) (map[string]any, error) {
		t.Helper()
		cmd := newAdminCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append(args, "--endpoint", s.URL()))
		cmd.SetContext(context.Background())
		if err := cmd.Execute(); err != nil {
			return nil, err
		}
		doc := map[string]any{}
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("%v: output %q is not JSON", args, out.String())
		}
		return doc, nil
	}

	doc, err := run("account", "create", "--name", "tenant", "--email", "t@example.com", "--display-name", "Tenant",
		"--access-key", "HIJKLMNOPQRSTUVWXYZA", "--secret-key", "opqrstuvwxyzabcdefghijklmnopqrstuvwxyzab")
	if err != nil {
		t.Fatal(err)
	}
	acct := doc["Account"].(map[string]any)
	key := doc["AccessKey"].(map[string]any)
	if len(acct["AccountId"].(string)) != 12 || acct["DisplayName"] != "Tenant" || len(acct["CanonicalId"].(string)) != 64 ||
		key["AccessKeyId"] != "HIJKLMNOPQRSTUVWXYZA" || key["SecretAccessKey"] != "opqrstuvwxyzabcdefghijklmnopqrstuvwxyzab" {
		t.Fatalf("create: %v", doc)
	}
	generated, err := run("account", "create", "--name", "generated")
	if err != nil {
		t.Fatal(err)
	}
	if k := generated["AccessKey"].(map[string]any); len(k["AccessKeyId"].(string)) != 20 || len(k["SecretAccessKey"].(string)) != 40 {
		t.Fatalf("generated keys: %v", k)
	}

	doc, err = run("account", "list")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc["Accounts"].([]any)); n != 3 {
		t.Fatalf("list: %d accounts, want 3 (admin, tenant, generated): %v", n, doc)
	}

	// The same keys twice, and another account's root as administrator.
	if _, err := run("account", "create", "--name", "again", "--access-key", "HIJKLMNOPQRSTUVWXYZA", "--secret-key", "x-secret-key"); err == nil ||
		!strings.Contains(err.Error(), "EntityAlreadyExists") {
		t.Fatalf("duplicate key: %v", err)
	}
	_, err = run("account", "list", "--admin-access-key", "HIJKLMNOPQRSTUVWXYZA", "--admin-secret-key", "opqrstuvwxyzabcdefghijklmnopqrstuvwxyzab")
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("another root as administrator: %v", err)
	}
	if _, err := run("account", "create"); err == nil {
		t.Fatal("create without --name succeeded")
	}
}
