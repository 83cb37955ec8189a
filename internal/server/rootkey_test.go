package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/server"
	"github.com/kurastore/kura/internal/sse"
)

// The root key guard (issue 11, item 1): a data directory records a check
// of its root key on its first start, and every later start refuses a
// missing or wrong key before writing anything.

// rootKeyCheckKey is the TableSystem key of the check (docs/formats.md).
var rootKeyCheckKey = []byte("root-key-check")

// session starts a server on dir, runs fn against it and stops it again.
func session(t *testing.T, dir string, fn func(ts *testServer)) {
	t.Helper()
	s, err := openServer(dir)
	if err != nil {
		t.Fatalf("start on %s: %v", dir, err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, dir: dir, nodes: []*server.Server{s}}
	defer ts.stop(t)
	fn(ts)
}

func openServer(dir string) (*server.Server, error) {
	return server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK,
		Logger: testLogger()})
}

// wantRefused opens a server on dir, which must fail with a RootKeyError
// whose message holds every one of want, and must leave dir exactly as it
// was, down to the bytes of meta.db and the modification times.
func wantRefused(t *testing.T, dir string, want ...string) {
	t.Helper()
	before := dirState(t, dir)
	s, err := openServer(dir)
	if err == nil {
		s.Shutdown(context.Background())
		t.Fatalf("started on %s; want a refusal", dir)
	}
	var rke *server.RootKeyError
	if !errors.As(err, &rke) {
		t.Fatalf("refusal is %T %v; want a RootKeyError", err, err)
	}
	msg := err.Error()
	for _, w := range append(want, "refusing to start", "Nothing in "+dir+" was changed", "docs/operations.md") {
		if !strings.Contains(msg, w) {
			t.Errorf("refusal %q does not say %q", msg, w)
		}
	}
	if after := dirState(t, dir); !equalState(before, after) {
		t.Fatalf("a refused start changed the data directory:\nbefore %v\nafter  %v", before, after)
	}
}

// dirState describes every file and directory under dir: mode, size,
// modification time and, for files, a hash of the content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	st := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		rel, _ := filepath.Rel(dir, path)
		st[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func equalState(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// readCheck returns the stored check record of dir ("" when absent).
func readCheck(t *testing.T, dir string) []byte {
	t.Helper()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	var v []byte
	err = ms.View(context.Background(), func(tx meta.Tx) error {
		b, err := tx.Get(meta.TableSystem, rootKeyCheckKey)
		if errors.Is(err, meta.ErrNotFound) {
			return nil
		}
		v = bytes.Clone(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// dropCheck deletes the check record, making dir look like a data directory
// from before the check existed.
func dropCheck(t *testing.T, dir string) {
	t.Helper()
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if err := ms.Update(context.Background(), func(tx meta.Tx) error {
		return tx.Delete(meta.TableSystem, rootKeyCheckKey)
	}); err != nil {
		t.Fatal(err)
	}
}

func keyFile(dir string) string { return filepath.Join(dir, "keys", "root.key") }

func randomKeyHex(t *testing.T) string {
	t.Helper()
	k, err := sse.CreateRootKey(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(k)
}

func putText(t *testing.T, c *s3.Client, bucket, key, body string, opts ...func(*s3.PutObjectInput)) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	for _, o := range opts {
		o(in)
	}
	if _, err := c.PutObject(ctx(t), in); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func wantText(t *testing.T, c *s3.Client, bucket, key, want string) {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != want {
		t.Fatalf("get %s/%s = %q, want %q", bucket, key, b, want)
	}
}

// TestRootKeyGuard runs on a data directory holding a blob and on one
// whose every object is inline in meta.db (blobs/ is empty): the check is
// a record of its own, so what the objects are stored in does not matter.
func TestRootKeyGuard(t *testing.T) {
	t.Run("with a blob", func(t *testing.T) { rootKeyGuard(t, true) })
	t.Run("inline objects only", func(t *testing.T) { rootKeyGuard(t, false) })
}

func rootKeyGuard(t *testing.T, withBlob bool) {
	t.Setenv(sse.RootKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "data")
	var keyARN string
	session(t, dir, func(ts *testServer) {
		if !ts.RootKey.Generated || ts.RootKey.Source != keyFile(dir) {
			t.Fatalf("first start: root key %+v; want generated in %s", ts.RootKey, keyFile(dir))
		}
		c := ts.client()
		mustBucket(t, c, "old")
		putText(t, c, "old", "s3", "sealed under the managed key")
		if withBlob {
			// Larger than the inline threshold: the data dir holds a blob.
			put(t, c, "old", "big", bytes.Repeat([]byte("b"), 200<<10))
		}
		keyARN = createKey(t, ts.kmsClient())
		putText(t, c, "old", "kms", "sealed under a KMS key", func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(keyARN)
		})
	})
	if blobs := countFiles(t, filepath.Join(dir, "blobs")); (blobs > 0) != withBlob {
		t.Fatalf("%d blob files; want blobs %v", blobs, withBlob)
	}
	keyText, err := os.ReadFile(keyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	rightHex := strings.TrimSpace(string(keyText))

	// The check is recorded, holds nothing of the key and verifies it.
	rec := readCheck(t, dir)
	if len(rec) == 0 || rec[0] != 1 {
		t.Fatalf("check record %q: want a version-1 metadata record", rec)
	}
	raw, _ := hex.DecodeString(rightHex)
	db, _ := os.ReadFile(filepath.Join(dir, "meta.db"))
	if bytes.Contains(db, raw) || bytes.Contains(db, []byte(rightHex)) {
		t.Fatal("meta.db holds the root key")
	}

	t.Run("missing key file", func(t *testing.T) {
		os.Rename(keyFile(dir), keyFile(dir)+".bak")
		defer os.Rename(keyFile(dir)+".bak", keyFile(dir))
		wantRefused(t, dir, keyFile(dir), "is missing", "Restore "+keyFile(dir), sse.RootKeyEnv)
		if _, err := os.Stat(keyFile(dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a key file was created: %v", err)
		}
	})
	t.Run("wrong KURA_ROOT_KEY", func(t *testing.T) {
		t.Setenv(sse.RootKeyEnv, randomKeyHex(t))
		wantRefused(t, dir, sse.RootKeyEnv, "does not match the key this data directory was created with", "Set "+sse.RootKeyEnv)
	})
	t.Run("wrong key file", func(t *testing.T) {
		os.Rename(keyFile(dir), keyFile(dir)+".bak")
		defer os.Rename(keyFile(dir)+".bak", keyFile(dir))
		os.WriteFile(keyFile(dir), []byte(randomKeyHex(t)+"\n"), 0o600)
		defer os.Remove(keyFile(dir))
		wantRefused(t, dir, keyFile(dir), "does not match", "Restore this data directory's "+keyFile(dir))
	})
	t.Run("malformed KURA_ROOT_KEY", func(t *testing.T) {
		t.Setenv(sse.RootKeyEnv, "not-a-key")
		wantRefused(t, dir, sse.RootKeyEnv, "cannot be used")
	})
	t.Run("right KURA_ROOT_KEY, key file gone", func(t *testing.T) {
		os.Rename(keyFile(dir), keyFile(dir)+".bak")
		defer os.Rename(keyFile(dir)+".bak", keyFile(dir))
		t.Setenv(sse.RootKeyEnv, strings.ToUpper(rightHex))
		session(t, dir, func(ts *testServer) {
			if ts.RootKey.Source != sse.RootKeyEnv || ts.RootKey.Generated {
				t.Fatalf("root key %+v; want it from %s", ts.RootKey, sse.RootKeyEnv)
			}
			wantText(t, ts.client(), "old", "s3", "sealed under the managed key")
			wantText(t, ts.client(), "old", "kms", "sealed under a KMS key")
		})
		if _, err := os.Stat(keyFile(dir)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a key file was created beside KURA_ROOT_KEY: %v", err)
		}
	})
	t.Run("right key file", func(t *testing.T) {
		session(t, dir, func(ts *testServer) {
			if ts.RootKey.Generated || ts.RootKey.Upgraded {
				t.Fatalf("root key %+v on a later start", ts.RootKey)
			}
			wantText(t, ts.client(), "old", "s3", "sealed under the managed key")
			wantText(t, ts.client(), "old", "kms", "sealed under a KMS key")
			putText(t, ts.client(), "old", "new", "written after the refusals")
		})
		if again := readCheck(t, dir); !bytes.Equal(again, rec) {
			t.Fatal("the check record changed on a later start")
		}
	})
	t.Run("metadata gone, blobs left", func(t *testing.T) {
		if !withBlob {
			t.Skip("no blobs: nothing tells a lost meta.db from a fresh one")
		}
		os.Rename(filepath.Join(dir, "meta.db"), filepath.Join(dir, "meta.db.bak"))
		defer os.Rename(filepath.Join(dir, "meta.db.bak"), filepath.Join(dir, "meta.db"))
		wantRefused(t, dir, "holds blobs", "meta.db", "Restore meta.db")
		if _, err := os.Stat(filepath.Join(dir, "meta.db")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("meta.db was created: %v", err)
		}
	})
}

// A data directory from before the check existed (simulated by deleting the
// check) gets one only for a key proven to open what is sealed in it: KMS
// key material, IAM secrets or SSE-S3 data keys, each tried alone here.
func TestRootKeyGuardUpgrade(t *testing.T) {
	t.Setenv(sse.RootKeyEnv, "")
	cases := []struct {
		name string
		seal func(t *testing.T, ts *testServer)
	}{
		{"kms key material", func(t *testing.T, ts *testServer) { createKey(t, ts.kmsClient()) }},
		{"iam secret", func(t *testing.T, ts *testServer) {
			c := ts.iamClient(testAK, testSK, "")
			if _, err := c.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("alice")}); err != nil {
				t.Fatal(err)
			}
		}},
		{"sse-s3 object", func(t *testing.T, ts *testServer) {
			mustBucket(t, ts.client(), "bkt")
			putText(t, ts.client(), "bkt", "k", "sse-s3")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			session(t, dir, func(ts *testServer) { tc.seal(t, ts) })
			dropCheck(t, dir)

			t.Setenv(sse.RootKeyEnv, randomKeyHex(t))
			wantRefused(t, dir, sse.RootKeyEnv, "does not open the data in this directory", "has no root key check yet")
			t.Setenv(sse.RootKeyEnv, "")

			os.Rename(keyFile(dir), keyFile(dir)+".bak")
			wantRefused(t, dir, keyFile(dir), "is missing", "meta.db holds records")
			os.Rename(keyFile(dir)+".bak", keyFile(dir))

			session(t, dir, func(ts *testServer) {
				if !ts.RootKey.Upgraded {
					t.Fatalf("root key %+v; want the check recorded now", ts.RootKey)
				}
			})
			if len(readCheck(t, dir)) == 0 {
				t.Fatal("no check recorded by the upgrade")
			}
			t.Setenv(sse.RootKeyEnv, randomKeyHex(t))
			wantRefused(t, dir, "does not match the key this data directory was created with")
		})
	}

	// Nothing sealed yet (a bucket, an SSE-C-free, KMS-free, IAM-free
	// store): no key can be proven or lose anything, so the check is
	// recorded for the key presented.
	t.Run("nothing sealed", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		session(t, dir, func(ts *testServer) { mustBucket(t, ts.client(), "empty") })
		dropCheck(t, dir)
		session(t, dir, func(ts *testServer) {
			if !ts.RootKey.Upgraded {
				t.Fatalf("root key %+v; want the check recorded", ts.RootKey)
			}
		})
		if len(readCheck(t, dir)) == 0 {
			t.Fatal("no check recorded")
		}
	})
}

// A fresh data directory started with KURA_ROOT_KEY records the check for
// that key and never writes a key file.
func TestRootKeyGuardEnvFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key := randomKeyHex(t)
	t.Setenv(sse.RootKeyEnv, key)
	session(t, dir, func(ts *testServer) {
		if ts.RootKey.Generated || ts.RootKey.Source != sse.RootKeyEnv {
			t.Fatalf("root key %+v", ts.RootKey)
		}
		mustBucket(t, ts.client(), "bkt")
	})
	if _, err := os.Stat(filepath.Join(dir, "keys")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("keys/ was created: %v", err)
	}
	if len(readCheck(t, dir)) == 0 {
		t.Fatal("no check recorded")
	}
	// Without the variable there is no key: refused, and none is generated.
	t.Setenv(sse.RootKeyEnv, "")
	wantRefused(t, dir, keyFile(dir), "is missing", "meta.db holds its root key check")
}
