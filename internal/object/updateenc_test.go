package object

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/storetest"
)

// TestResealCommitReadOnce: the re-seal's commit reuses the version read
// before the KMS call when its stored bytes are unchanged, and decodes the
// record again when something else changed it meanwhile, so a concurrent
// tag update is kept and a concurrent re-seal is a conflict.
func TestResealCommitReadOnce(t *testing.T) {
	ctx := context.Background()
	s, ms := newBoltService(t)
	const owner = "111122223333"
	if err := s.CreateBucket(ctx, kura.Bucket{Name: "rekey", Owner: owner}); err != nil {
		t.Fatal(err)
	}
	target := EncryptionTarget{KMSKeyARN: "arn:aws:kms:us-east-1:" + owner + ":key/k"}
	for _, tc := range []struct {
		name     string
		meantime func(v *kura.ObjectVersion) // between the read and the commit
		conflict bool
		tags     []kura.Tag
	}{
		{name: "unchanged"},
		{name: "tagged meanwhile", tags: []kura.Tag{{Key: "k", Value: "v"}}, meantime: func(v *kura.ObjectVersion) {
			if err := ms.Update(ctx, func(tx meta.Tx) error {
				cur, err := meta.GetVersion(tx, v.Bucket, v.Key, v.Seq)
				if err != nil {
					return err
				}
				cur.Tags = []kura.Tag{{Key: "k", Value: "v"}}
				return meta.PutVersion(tx, cur)
			}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "re-sealed meanwhile", conflict: true, meantime: func(v *kura.ObjectVersion) {
			if err := ms.Update(ctx, func(tx meta.Tx) error {
				cur, err := meta.GetVersion(tx, v.Bucket, v.Key, v.Seq)
				if err != nil {
					return err
				}
				cur.Encryption.SealedKey = []byte("other seal")
				return meta.PutVersion(tx, cur)
			}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := "o-" + strings.ReplaceAll(tc.name, " ", "-")
			if _, err := s.PutObject(ctx, PutInput{Bucket: "rekey", Key: k, Body: strings.NewReader("data"), Size: 4, Owner: owner,
				SSE: SSERequest{Type: kura.SSES3}}); err != nil {
				t.Fatal(err)
			}
			v, raw, err := s.resealSource(ctx, "rekey", k, "", target)
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) == 0 {
				t.Fatal("resealSource returned no stored record")
			}
			if tc.meantime != nil {
				tc.meantime(v)
			}
			enc := v.Encryption
			enc.SealedKey = []byte("new seal")
			after, err := s.commitReseal(ctx, v, raw, true, enc)
			if tc.conflict {
				if !errors.Is(err, errResealConflict) {
					t.Fatalf("commit: %v, want a conflict", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(v.Encryption.SealedKey, raw2seal(t, raw)) {
				t.Error("the version as read was changed by the commit")
			}
			var stored *kura.ObjectVersion
			if err := ms.View(ctx, func(tx meta.Tx) error {
				stored, err = meta.GetVersion(tx, "rekey", k, v.Seq)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, got := range []*kura.ObjectVersion{after, stored} {
				if string(got.Encryption.SealedKey) != "new seal" || !slices.Equal(got.Tags, tc.tags) ||
					got.ETag != v.ETag || got.VersionID != v.VersionID || got.Size != v.Size {
					t.Errorf("after the commit: seal %q, tags %v, etag %s; want the new seal, tags %v, the rest as read",
						got.Encryption.SealedKey, got.Tags, got.ETag, tc.tags)
				}
			}
		})
	}
}

// raw2seal is the sealed data key of a stored version record.
func raw2seal(t *testing.T, raw []byte) []byte {
	v, err := meta.DecodeVersion(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v.Encryption.SealedKey
}

// newBoltService is a Service on bbolt metadata and file blobs in a
// fresh directory, with a fixed managed key, for the package's internal
// tests; ms is its metadata store, for tests that read or write records
// directly.
func newBoltService(t *testing.T) (*Service, meta.Store) {
	t.Helper()
	st := storetest.OpenLocal(t)
	return New(Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), Region: "us-east-1", Logger: slog.New(slog.DiscardHandler)}), st.Meta
}
