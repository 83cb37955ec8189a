package server_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/server"
)

// A damaged meta.db is found at start after an unclean stop, and the server
// refuses to start with a message that says what to do; damage met while
// serving is a logged, counted 500, not a panic.

// copyDir copies a data dir, as a crash leaves it when taken while the
// server runs (meta.db's marker included).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// corruptMetaPage overwrites the page type of every leaf page of meta.db
// that holds needle, as a disk that mangled a page would.
func corruptMetaPage(t *testing.T, dir, needle string) {
	t.Helper()
	path := filepath.Join(dir, "meta.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps, n := os.Getpagesize(), 0
	for off := 2 * ps; off+ps <= len(b); off += ps {
		page := b[off : off+ps]
		if binary.LittleEndian.Uint16(page[8:10]) == 0x02 && bytes.Contains(page, []byte(needle)) {
			binary.LittleEndian.PutUint16(page[8:10], 0x40)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no leaf page of meta.db holds %q", needle)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// manyObjects writes enough versions (long keys) that the versions table
// spans several pages.
func manyObjects(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	mustBucket(t, c, bucket)
	for i := range 60 {
		put(t, c, bucket, fmt.Sprintf("%s-%03d", strings.Repeat("k", 200), i), []byte("v"))
	}
}

const damagedKey = "kkkkkkkkkk-030"

func TestMetaDamageRefusedAfterUncleanStop(t *testing.T) {
	t.Parallel()
	skipUnlessEmbeddedMeta(t, "the test damages pages of meta.db, bbolt's file")
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.OrphanSweepInterval = -1 })
	manyObjects(t, ts.client(), "meta")
	// The server is still running: these copies are what a crash leaves.
	intact, damaged := copyDir(t, dir), copyDir(t, dir)
	if _, err := os.Stat(bolt.MarkerPath(filepath.Join(intact, "meta.db"))); err != nil {
		t.Fatalf("no marker in a running server's data dir: %v", err)
	}
	corruptMetaPage(t, damaged, damagedKey)

	_, err := server.Open(server.Config{DataDir: damaged, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK, Logger: testLogger()})
	if err == nil || !errors.Is(err, bolt.ErrDamaged) {
		t.Fatalf("Open of a damaged data dir after an unclean stop = %v, want a refusal", err)
	}
	for _, want := range []string{"meta.db is damaged", "page", "Nothing was changed", "backup", "kura fsck"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	// The intact crash copy is checked and opens, with its data.
	ts2 := startWith(t, intact, nil)
	if got := get(t, ts2.client(), "meta", strings.Repeat("k", 200)+"-030"); string(got) != "v" {
		t.Fatalf("object after the check = %q", got)
	}
}

func TestMetaDamageWhileServing(t *testing.T) {
	t.Parallel()
	skipUnlessEmbeddedMeta(t, "the test damages pages of meta.db, bbolt's file")
	dir := t.TempDir()
	ts := startWith(t, dir, func(c *server.Config) { c.OrphanSweepInterval = -1 })
	manyObjects(t, ts.client(), "meta")
	ts.stop(t) // clean: the next start does not check
	corruptMetaPage(t, dir, damagedKey)

	ts, logs := startLogged(t, dir, func(c *server.Config) { c.OrphanSweepInterval = -1 })
	c := ts.client(noRetry)
	_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("meta"), Key: aws.String(strings.Repeat("k", 200) + "-030")})
	wantStatus(t, err, "InternalError", http.StatusInternalServerError)
	if got := ts.metric(t, "kura_metadata_damage_total"); got < 1 {
		t.Fatalf("kura_metadata_damage_total = %d, want at least 1", got)
	}
	wantLogged(t, logs, "meta.db is damaged")
	if strings.Contains(logs.String(), "panic serving request") {
		t.Fatal("damage reached the handler as a panic")
	}
	ts.stop(t)
	_, err = server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: testAK, RootSecretKey: testSK, Logger: testLogger()})
	if !errors.Is(err, bolt.ErrDamaged) {
		t.Fatalf("restart after damage was met = %v, want a refusal", err)
	}
}
