package backend

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		raw, want string // want: the store's String(); "" when raw must be refused
		err       string // a part of the refusal
	}{
		{raw: "bolt://" + filepath.Join(dir, "meta.db"), want: filepath.Join(dir, "meta.db")},
		{raw: "bolt:rel/meta.db", want: "rel/meta.db"},
		{raw: "BOLT:///x/meta.db", want: "/x/meta.db"},
		{raw: "bolt://host/meta.db", err: "has no host"},
		{raw: "bolt:///x/meta.db?nosync=1", err: "takes no options"},
		{raw: "bolt://", err: "no path"},
		{raw: "/plain/path", err: "want a URL such as bolt://"},
		{raw: "postgres://db/kura", want: "postgres://db/kura"},
		{raw: "postgresql://kura:secret@db:5432/kura?schema=k", want: "postgresql://kura:xxxxx@db:5432/kura?schema=k"},
		{raw: "postgres:///kura", err: "names a server"},
		{raw: "mysql://db/kura", err: `unknown scheme "mysql"; this Kura knows bolt://, postgres://, postgresql://`},
	} {
		m, err := ParseMeta(tc.raw)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseMeta(%q) = %v, %v; want an error saying %q", tc.raw, m, err, tc.err)
			}
			continue
		}
		if err != nil || m.String() != tc.want {
			t.Errorf("ParseMeta(%q) = %v, %v; want %s", tc.raw, m, err, tc.want)
		}
	}
	for _, tc := range []struct{ raw, want, err string }{
		{raw: "file://" + dir, want: dir},
		{raw: "file:blobs", want: "blobs"},
		{raw: "file://nas/blobs", err: "has no host"},
		{raw: "gs://bucket/prefix", err: `unknown scheme "gs"; this Kura knows file://`},
		{raw: "bolt:///x", err: `unknown scheme "bolt"`},
	} {
		b, err := ParseBlobs(tc.raw)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBlobs(%q) = %v, %v; want an error saying %q", tc.raw, b, err, tc.err)
			}
			continue
		}
		if err != nil || b.String() != tc.want {
			t.Errorf("ParseBlobs(%q) = %v, %v; want %s", tc.raw, b, err, tc.want)
		}
	}
}

// TestLocalStores: the embedded stores say whether they hold data without
// creating anything, open read-only without creating, and open for
// writing as the only user.
func TestLocalStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := ParseMeta("bolt://" + filepath.Join(dir, "m", "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBlobs("file://" + filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if has, err := m.HasData(ctx); has || err != nil {
		t.Fatalf("HasData of a missing metadata file: %v, %v", has, err)
	}
	if has, err := b.HasData(ctx); has || err != nil {
		t.Fatalf("HasData of a missing blob dir: %v, %v", has, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "m")); !os.IsNotExist(err) {
		t.Fatalf("HasData created the metadata store's directory: %v", err)
	}

	ms, err := m.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ms.Exclusive() {
		t.Error("the embedded store is not exclusive")
	}
	if e, err := ms.Empty(ctx); !e || err != nil {
		t.Errorf("Empty of a new store: %v, %v", e, err)
	}
	if err := ms.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, []byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if e, _ := ms.Empty(ctx); e {
		t.Error("Empty after a write")
	}
	ms.Close()
	if has, err := m.HasData(ctx); !has || err != nil {
		t.Fatalf("HasData after a write: %v, %v", has, err)
	}
	ro, err := m.OpenReadOnly(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableSystem, []byte("k"), []byte("w")) }); err == nil {
		t.Error("a write through the read-only store succeeded")
	}
	ro.Close()

	bs, err := b.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Put(ctx, "id1", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if has, err := b.HasData(ctx); !has || err != nil {
		t.Fatalf("HasData after a Put: %v, %v", has, err)
	}
}
