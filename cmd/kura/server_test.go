package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/server"
)

var trySecretRE = regexp.MustCompile(`AWS_SECRET_ACCESS_KEY=(.*) AWS_DEFAULT_REGION=`)

// banner starts a server on dir with the given root credentials (empty:
// generated or stored), returns what printBanner prints and the secret the
// server uses, and stops it.
func banner(t *testing.T, dir, ak, sk string) (string, string) {
	t.Helper()
	return bannerWith(t, dir, ak, sk, nil)
}

// bannerWith is banner with cfg adjusted before the server opens.
func bannerWith(t *testing.T, dir, ak, sk string, adjust func(*server.Config)) (string, string) {
	t.Helper()
	cfg := server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: ak, RootSecretKey: sk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()
	var out bytes.Buffer
	printBanner(&out, s)
	return out.String(), s.Root.SecretKey
}

// trySecret evaluates, in a POSIX shell, what the banner's "Try:" line
// assigns to AWS_SECRET_ACCESS_KEY.
func trySecret(t *testing.T, text string, env ...string) string {
	t.Helper()
	m := trySecretRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no AWS_SECRET_ACCESS_KEY in the Try line:\n%s", text)
	}
	cmd := exec.Command("sh", "-c", "printf %s "+m[1])
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", "printf %s "+m[1], err)
	}
	return string(out)
}

func TestBannerPrintsTheSecretOnlyWhenGenerated(t *testing.T) {
	t.Setenv("KURA_ROOT_KEY", "")
	// A space and a quote in the path exercise the quoting of the hint.
	dir := filepath.Join(t.TempDir(), "data dir's")
	creds := filepath.Join(dir, "root-credentials.json")

	first, secret := banner(t, dir, "", "")
	if n := strings.Count(first, secret); n != 1 {
		t.Fatalf("first start prints the generated secret %d times, want once:\n%s", n, first)
	}
	for _, want := range []string{"generated now", creds, "not printed again", "Root key generated in " + filepath.Join(dir, "keys", "root.key"), "back it up"} {
		if !strings.Contains(first, want) {
			t.Errorf("first banner does not say %q:\n%s", want, first)
		}
	}
	if got := trySecret(t, first); got != secret {
		t.Fatalf("first Try line yields %q, want the secret", got)
	}

	later, again := banner(t, dir, "", "")
	if again != secret {
		t.Fatal("the stored secret changed between starts")
	}
	if strings.Contains(later, secret) {
		t.Fatalf("a later start prints the secret:\n%s", later)
	}
	for _, want := range []string{"its secret key is in " + creds} {
		if !strings.Contains(later, want) {
			t.Errorf("later banner does not say %q:\n%s", want, later)
		}
	}
	if strings.Contains(later, "Root key generated") {
		t.Errorf("later banner claims a generated root key:\n%s", later)
	}
	if got := trySecret(t, later); got != secret {
		t.Fatalf("later Try line yields %q, want the secret from %s", got, creds)
	}

	const ak, sk = "AKIAKURABANNER000001", "banner-secret-from-the-environment-0000"
	env, _ := banner(t, dir, ak, sk)
	if strings.Contains(env, sk) {
		t.Fatalf("the banner prints the secret from the environment:\n%s", env)
	}
	if !strings.Contains(env, "from KURA_ROOT_ACCESS_KEY") {
		t.Errorf("env banner does not name KURA_ROOT_ACCESS_KEY:\n%s", env)
	}
	if got := trySecret(t, env, "KURA_ROOT_SECRET_KEY="+sk); got != sk {
		t.Fatalf("env Try line yields %q, want $KURA_ROOT_SECRET_KEY", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"./data/root-credentials.json": "./data/root-credentials.json",
		"/srv/kura data/x":             "'/srv/kura data/x'",
		"it's":                         `'it'\''s'`,
		"$HOME/x":                      "'$HOME/x'",
		"":                             "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
