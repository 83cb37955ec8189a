package rootkey

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/sse"
)

func TestRecordReadVerify(t *testing.T) {
	ctx := context.Background()
	ms, err := bolt.OpenWith(filepath.Join(t.TempDir(), "meta.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if _, found, err := Read(ctx, ms); found || err != nil {
		t.Fatalf("Read of a fresh store: found %v, %v", found, err)
	}
	root := bytes.Repeat([]byte{7}, sse.RootKeySize)
	if err := Record(ctx, ms, root); err != nil {
		t.Fatal(err)
	}
	c, found, err := Read(ctx, ms)
	if !found || err != nil || c.Version != checkV1 {
		t.Fatalf("Read after Record: %+v, found %v, %v", c, found, err)
	}
	file := Key{Source: "/d/keys/root.key", Path: "/d/keys/root.key"}
	env := Key{Source: sse.RootKeyEnv, Path: "/d/keys/root.key"}
	if r := c.Verify(root, file, "/d/meta.db", "start again"); r != nil {
		t.Fatalf("Verify of the recorded key: %v", r)
	}
	other := bytes.Repeat([]byte{8}, sse.RootKeySize)
	put := func(r record) Check {
		t.Helper()
		if err := ms.Update(ctx, func(tx meta.Tx) error { return meta.PutSystem(tx, meta.SystemRootKeyCheck, r) }); err != nil {
			t.Fatal(err)
		}
		c, _, err := Read(ctx, ms)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		check Check
		root  []byte
		key   Key
		wants []string
	}{
		{"wrong key file", c, other, file, []string{"the root key in /d/keys/root.key does not match", "Restore this data directory's /d/keys/root.key", "then run kura fsck again."}},
		{"wrong variable", c, other, env, []string{"the root key in KURA_ROOT_KEY does not match", "or unset it to use /d/keys/root.key"}},
		{"newer version", put(record{V: 2, Salt: c.Salt, MAC: c.MAC}), root, file, []string{"/d/meta.db has version 2", "Run the Kura version that wrote it"}},
		{"malformed", put(record{V: 1, Salt: c.Salt[:4], MAC: c.MAC}), root, file, []string{"/d/meta.db is damaged", "Restore meta.db"}},
	} {
		r := tc.check.Verify(tc.root, tc.key, "/d/meta.db", "run kura fsck again")
		if r == nil {
			t.Errorf("%s: verified", tc.name)
			continue
		}
		for _, w := range tc.wants {
			if !strings.Contains(r.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, r.Error(), w)
			}
		}
	}
}

func TestRefusalMessage(t *testing.T) {
	r := Missing(Key{Source: "/d/keys/root.key", Path: "/d/keys/root.key"}, "meta.db holds its root key check", "start again")
	want := "refusing to start: the root key file /d/keys/root.key is missing, but the data directory holds data encrypted under a root key: meta.db holds its root key check.\n" +
		"  Nothing in /d was changed: no key was generated and nothing was written.\n" +
		"  Restore /d/keys/root.key from your backup (mode 0600), or set KURA_ROOT_KEY to the key's 64 hex characters, then start again.\n" +
		`  See "The root key: backup and recovery" in docs/operations.md.`
	if got := r.Message("refusing to start", "/d", "no key was generated and nothing was written"); got != want {
		t.Fatalf("Message =\n%s\nwant\n%s", got, want)
	}
}
