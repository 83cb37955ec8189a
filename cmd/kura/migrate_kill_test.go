package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/backend"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/migrate"
	"github.com/kurastore/kura/internal/rootkey"
	"github.com/kurastore/kura/internal/sse"
)

// TestMain runs the kura command instead of the tests when
// KURA_TEST_RUN_KURA is set: TestMigrateKilled runs `kura migrate` as a
// process of its own, to kill it.
func TestMain(m *testing.M) {
	if os.Getenv("KURA_TEST_RUN_KURA") != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMigrateKilled: `kura migrate` killed with SIGKILL in the middle of
// the rows continues when run again, writes no row twice, and verifies.
func TestMigrateKilled(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root, err := sse.CreateRootKey(filepath.Join(dir, "keys", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rootkey.Record(ctx, ms, root); err != nil {
		t.Fatal(err)
	}
	const rows = 60_000
	for i := 0; i < rows; i += 5000 {
		err := ms.Update(ctx, func(tx meta.Tx) error {
			for j := i; j < i+5000; j++ {
				if err := tx.Put(meta.TableVersions, fmt.Appendf(nil, "b\x00k%06d", j), bytes.Repeat([]byte{'v'}, 200)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ms.Close()
	bs, err := blobfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := bs.Put(ctx, fmt.Sprintf("%032x", i+1), bytes.NewReader(bytes.Repeat([]byte{byte(i)}, 10_000))); err != nil {
			t.Fatal(err)
		}
	}

	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.Schema(t, t.Name()))
	u.RawQuery = q.Encode()
	args := []string{"migrate", "--data", dir, "--meta", u.String(), "--blobs", "file://" + filepath.Join(t.TempDir(), "blobs"), "--batch-rows", "50"}

	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KURA_TEST_RUN_KURA=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some rows, not all, are in the target.
	m, err := backend.ParseMeta(u.String())
	if err != nil {
		t.Fatal(err)
	}
	var target backend.MetaStore
	var copied int64
	deadline := time.Now().Add(time.Minute)
	for copied < 1000 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no rows copied after a minute:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
		if target == nil {
			if has, _ := m.HasData(ctx); !has {
				continue
			}
			if target, err = m.Open(ctx, nil); err != nil {
				t.Fatal(err)
			}
			defer target.Close()
		}
		target.View(ctx, func(tx meta.Tx) error {
			v, err := tx.Get(migrate.TableCheckpoints, []byte("table:"+string(meta.TableVersions)))
			if err == nil {
				var cp struct{ Rows int64 }
				json.Unmarshal(v, &cp)
				copied = cp.Rows
			}
			return nil
		})
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if copied >= rows || strings.Contains(out.String(), "Verified in") {
		t.Fatalf("killed too late (%d rows copied):\n%s", copied, out.String())
	}

	got, err := runMigrate(t, args[1:]...)
	if err != nil {
		t.Fatalf("the run after the kill: %v\n%s", err, got)
	}
	if !strings.Contains(got, "Migrated (continuing an earlier run)") || !strings.Contains(got, "Verified in") {
		t.Errorf("the run after the kill says:\n%s", got)
	}
	// At least what the killed run had committed was not written again.
	var written int64
	for _, l := range strings.Split(got, "\n") {
		if i := strings.Index(l, "tables: "); strings.HasPrefix(l, "Rows: ") && i > 0 {
			fmt.Sscanf(l[i+len("tables: "):], "%d written", &written)
		}
	}
	if written <= 0 || written > rows+1-copied {
		t.Errorf("the run after the kill wrote %d rows; the killed run had committed %d of %d", written, copied, rows+1)
	}
}
