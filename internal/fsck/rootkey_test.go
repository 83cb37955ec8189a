package fsck_test

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/fsck"
	"github.com/kurastore/kura/internal/sse"
)

// fsck verifies the root key against the data directory's root key check
// before it checks anything: with a wrong key every object would look
// damaged, so a wrong, missing or unusable key is "could not check", said
// the way the server says it when it refuses to start.
func TestRootKeyIsVerifiedFirst(t *testing.T) {
	dir := t.TempDir()
	srv, c := startServer(t, dir)
	if _, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("rootkey")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("rootkey"), Key: aws.String("k"), Body: strings.NewReader("data")}); err != nil {
		t.Fatal(err)
	}
	stopServer(t, srv)
	keyPath := filepath.Join(dir, "keys", "root.key")
	right, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	other := hex.EncodeToString(randBytes(sse.RootKeySize))

	for _, c := range []struct {
		name  string
		env   string // KURA_ROOT_KEY
		file  string // keys/root.key; "-" removes it
		wants []string
	}{
		{"wrong key in the variable", other, string(right), []string{
			"the root key in KURA_ROOT_KEY does not match the key this data directory was created with",
			"Set KURA_ROOT_KEY to this data directory's root key (or unset it to use " + keyPath + "), then run kura fsck again"}},
		{"wrong key file", "", other, []string{
			"the root key in " + keyPath + " does not match the key this data directory was created with",
			"Restore this data directory's " + keyPath + " from your backup"}},
		{"missing key file", "", "-", []string{
			"the root key file " + keyPath + " is missing", "meta.db holds its root key check",
			"Restore " + keyPath + " from your backup (mode 0600)"}},
		{"unusable key", "not a key", string(right), []string{"the root key cannot be used", "64 hex characters, then run kura fsck again"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(sse.RootKeyEnv, c.env)
			if c.file == "-" {
				os.Remove(keyPath)
			} else if err := os.WriteFile(keyPath, []byte(c.file), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := fsck.Run(bg, fsck.Options{DataDir: dir})
			var ke *fsck.KeyError
			if !errors.As(err, &ke) || r != nil {
				t.Fatalf("fsck = %+v, %v; want a KeyError and no report", r, err)
			}
			for _, w := range append(c.wants, "cannot check: ", "Nothing in "+dir+" was changed: nothing was checked.",
				`See "The root key: backup and recovery" in docs/operations.md.`) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal does not say %q:\n%s", w, err)
				}
			}
			if strings.Contains(err.Error(), other) || strings.Contains(err.Error(), strings.TrimSpace(string(right))) {
				t.Fatalf("the refusal prints a key:\n%s", err)
			}
		})
	}

	// The right key, from the file or the variable, checks as before.
	if err := os.WriteFile(keyPath, right, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"", strings.TrimSpace(string(right))} {
		t.Setenv(sse.RootKeyEnv, env)
		r, err := fsck.Run(bg, fsck.Options{DataDir: dir})
		if err != nil || r.Damaged() || r.Decrypted != 1 {
			t.Fatalf("fsck with the right key (env %v) = %+v, %v", env != "", r, err)
		}
	}
}
