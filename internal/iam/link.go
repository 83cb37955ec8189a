package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// Linked deployments share one IAM (docs/replication.md, "Identities"): the
// primary owns it and followers apply a copy. The copy travels as a
// Snapshot of the account, user, access key, role and managed policy
// tables; STS sessions stay with the deployment that issued them. Secrets
// are never in the snapshot as this deployment seals them (under its root
// key): Export opens each one and seals it again under a transport key the
// link derives from its own secret, bound to the access key id, and Import
// opens them with that key and seals them under the follower's root key.

// snapshotTables are the IAM tables a follower copies.
var snapshotTables = []meta.Table{meta.TableIAMAccounts, meta.TableIAMUsers, meta.TableIAMKeys, meta.TableIAMRoles, meta.TableIAMPolicies}

// Snapshot is the primary's IAM state at one generation.
type Snapshot struct {
	// Generation names the state: the SHA-256 of the tables' records as
	// the primary stores them. Equal generations, equal state.
	Generation string `json:"generation"`
	// Tables maps a table name to its records (key → stored record), with
	// access key secrets sealed under the transport key.
	Tables map[string]map[string][]byte `json:"tables"`
}

func transportAAD(ak string) []byte { return []byte("kura link iam secret v1\x00" + ak) }

// Generation is the current generation of this deployment's IAM tables.
func (s *Service) Generation(ctx context.Context) (string, error) {
	var gen string
	err := s.view(ctx, func(tx meta.Tx) error {
		gen = generation(tx)
		return nil
	})
	return gen, err
}

func generation(tx meta.Tx) string {
	h := sha256.New()
	for _, t := range snapshotTables {
		c := tx.Cursor(t)
		fmt.Fprintf(h, "%s\x00", t)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(v), v)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Export returns the IAM state with its secrets sealed under transport (a
// 32-byte key both ends of a link derive).
func (s *Service) Export(ctx context.Context, transport []byte) (*Snapshot, error) {
	snap := &Snapshot{Tables: map[string]map[string][]byte{}}
	err := s.view(ctx, func(tx meta.Tx) error {
		snap.Generation = generation(tx)
		for _, t := range snapshotTables {
			recs := map[string][]byte{}
			c := tx.Cursor(t)
			for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
				b := append([]byte(nil), v...)
				if t == meta.TableIAMKeys {
					var rec keyRecord
					if err := meta.Decode(v, &rec); err != nil {
						return err
					}
					secret, err := s.openSecret(rec.ID, rec.Sealed)
					if err != nil {
						return err
					}
					if rec.Sealed, err = sse.SealWithKey(transport, []byte(secret), transportAAD(rec.ID)); err != nil {
						return err
					}
					if b, err = meta.Encode(&rec); err != nil {
						return err
					}
				}
				recs[string(k)] = b
			}
			snap.Tables[string(t)] = recs
		}
		return nil
	})
	return snap, err
}

// Import replaces this deployment's IAM tables (not its sessions) with
// snap, in one transaction: a follower applying the primary's state.
func (s *Service) Import(ctx context.Context, snap *Snapshot, transport []byte) error {
	return s.update(ctx, func(tx meta.Tx) error {
		for _, t := range snapshotTables {
			var old [][]byte
			c := tx.Cursor(t)
			for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
				old = append(old, append([]byte(nil), k...))
			}
			for _, k := range old {
				if err := tx.Delete(t, k); err != nil {
					return err
				}
			}
			for k, v := range snap.Tables[string(t)] {
				b := v
				if t == meta.TableIAMKeys {
					var rec keyRecord
					if err := meta.Decode(v, &rec); err != nil {
						return fmt.Errorf("iam snapshot: access key %s: %w", k, err)
					}
					secret, err := sse.OpenWithKey(transport, rec.Sealed, transportAAD(rec.ID))
					if err != nil {
						return fmt.Errorf("iam snapshot: open the secret of %s (is the link secret the primary's?): %w", rec.ID, err)
					}
					if rec.Sealed, err = s.sealSecret(rec.ID, string(secret)); err != nil {
						return err
					}
					if b, err = meta.Encode(&rec); err != nil {
						return err
					}
				}
				if err := tx.Put(t, []byte(k), b); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
