package kms

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/kurastore/kura/internal/meta"
)

// All of the KMS's table access. Keys are stored by key id (globally
// unique, so Decrypt finds the key from the id in a ciphertext alone) in
// meta.TableKMSKeys, indexed by account for ListKeys in
// meta.TableKMSAccountKeys; aliases are stored by account and name in
// meta.TableKMSAliases. The records are keyRecord and aliasRecord
// (record.go), encoded with meta.Encode.

func accountKey(account, id string) []byte {
	return append(append([]byte(account), 0), id...)
}

func accountPrefix(account string) []byte {
	return append([]byte(account), 0)
}

func getKeyRecord(tx meta.Tx, id string) (*keyRecord, error) {
	b, err := tx.Get(meta.TableKMSKeys, []byte(id))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rec, ok := decodedKeys.Get(id, b); ok {
		return rec, nil
	}
	rec := new(keyRecord)
	if err := meta.Decode(b, rec); err != nil {
		return nil, fmt.Errorf("decode kms key %s: %w", id, err)
	}
	decodedKeys.Put(id, b, rec) // keeps its own copy
	return rec, nil
}

// decodedKeys keeps key records decoded: a re-key or an encrypted PUT
// reads the same key record several times (the caller's permissions, the
// resolve, the seal), and decoding its JSON was a fifth of a re-key's CPU
// (issue 18). At most 1,024 records (~1 KiB each).
var decodedKeys = meta.NewDecoded(1024, (*keyRecord).clone)

// clone is a deep copy of r.
func (r *keyRecord) clone() *keyRecord {
	out := *r
	out.Tags = slices.Clone(r.Tags)
	out.Materials = slices.Clone(r.Materials)
	for i := range out.Materials {
		out.Materials[i].Sealed = bytes.Clone(out.Materials[i].Sealed)
	}
	return &out
}

func putKeyRecord(tx meta.Tx, rec *keyRecord) error {
	b, err := meta.Encode(rec)
	if err != nil {
		return err
	}
	if err := tx.Put(meta.TableKMSKeys, []byte(rec.ID), b); err != nil {
		return err
	}
	return tx.Put(meta.TableKMSAccountKeys, accountKey(rec.Account, rec.ID), nil)
}

// deleteKeyRecord removes a key, its index entry and every alias pointing
// at it. Its material is gone with it: ciphertexts under it are unrecoverable.
func deleteKeyRecord(tx meta.Tx, rec *keyRecord) error {
	aliases, err := accountAliases(tx, rec.Account)
	if err != nil {
		return err
	}
	for _, a := range aliases {
		if a.KeyID == rec.ID {
			if err := deleteAlias(tx, a.Account, a.Name); err != nil {
				return err
			}
		}
	}
	if err := tx.Delete(meta.TableKMSAccountKeys, accountKey(rec.Account, rec.ID)); err != nil {
		return err
	}
	return tx.Delete(meta.TableKMSKeys, []byte(rec.ID))
}

// keyRecords yields every key record (every account) in id order, or the
// error of one that does not decode.
func keyRecords(tx meta.Tx) iter.Seq2[*keyRecord, error] {
	return func(yield func(*keyRecord, error) bool) {
		c := tx.Cursor(meta.TableKMSKeys)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			rec := new(keyRecord)
			if err := meta.Decode(v, rec); err != nil {
				if !yield(nil, fmt.Errorf("decode kms key %s: %w", k, err)) {
					return
				}
				continue
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// accountKeyIDs lists an account's key ids in byte order.
func accountKeyIDs(tx meta.Tx, account string) []string {
	prefix := accountPrefix(account)
	var ids []string
	c := tx.Cursor(meta.TableKMSAccountKeys)
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

func getAlias(tx meta.Tx, account, name string) (*aliasRecord, error) {
	b, err := tx.Get(meta.TableKMSAliases, accountKey(account, name))
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a := new(aliasRecord)
	if err := meta.Decode(b, a); err != nil {
		return nil, fmt.Errorf("decode kms alias %s: %w", name, err)
	}
	return a, nil
}

func deleteAlias(tx meta.Tx, account, name string) error {
	return tx.Delete(meta.TableKMSAliases, accountKey(account, name))
}

func putAlias(tx meta.Tx, a *aliasRecord) error {
	b, err := meta.Encode(a)
	if err != nil {
		return err
	}
	return tx.Put(meta.TableKMSAliases, accountKey(a.Account, a.Name), b)
}

// accountAliases lists an account's aliases ordered by name.
func accountAliases(tx meta.Tx, account string) ([]aliasRecord, error) {
	prefix := accountPrefix(account)
	var out []aliasRecord
	c := tx.Cursor(meta.TableKMSAliases)
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		var a aliasRecord
		if err := meta.Decode(v, &a); err != nil {
			return nil, fmt.Errorf("decode kms alias %q: %w", k[len(prefix):], err)
		}
		out = append(out, a)
	}
	return out, nil
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}
