package iam

import (
	"bytes"
	"errors"

	"github.com/kurastore/kura/internal/meta"
)

// All of IAM's table access: one set of accessors per stored entity, over
// the records of records.go (meta.Encode JSON). Accounts, access keys and
// sessions are keyed by id; users, roles and managed policies by account
// and lower-case name (nameKey), so an account's are listed by its prefix.

func readAccount(tx meta.Tx, id string, rec *accountRecord) (bool, error) {
	return load(tx, meta.TableIAMAccounts, []byte(id), rec)
}

func writeAccount(tx meta.Tx, id string, rec *accountRecord) error {
	return store(tx, meta.TableIAMAccounts, []byte(id), rec)
}

// hasAccount reports whether account id exists.
func hasAccount(tx meta.Tx, id string) (bool, error) {
	_, err := tx.Get(meta.TableIAMAccounts, []byte(id))
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func eachAccount(tx meta.Tx, fn func(*accountRecord) error) error {
	return scan(tx, meta.TableIAMAccounts, nil, fn)
}

func readUser(tx meta.Tx, account, name string, rec *userRecord) (bool, error) {
	return load(tx, meta.TableIAMUsers, nameKey(account, name), rec)
}

func writeUser(tx meta.Tx, account, name string, rec *userRecord) error {
	return store(tx, meta.TableIAMUsers, nameKey(account, name), rec)
}

func removeUser(tx meta.Tx, account, name string) error {
	return tx.Delete(meta.TableIAMUsers, nameKey(account, name))
}

func eachUser(tx meta.Tx, account string, fn func(*userRecord) error) error {
	return scan(tx, meta.TableIAMUsers, accountPrefix(account), fn)
}

func readAccessKey(tx meta.Tx, id string, rec *keyRecord) (bool, error) {
	return load(tx, meta.TableIAMKeys, []byte(id), rec)
}

func writeAccessKey(tx meta.Tx, id string, rec *keyRecord) error {
	return store(tx, meta.TableIAMKeys, []byte(id), rec)
}

func removeAccessKey(tx meta.Tx, id string) error {
	return tx.Delete(meta.TableIAMKeys, []byte(id))
}

func readRole(tx meta.Tx, account, name string, rec *roleRecord) (bool, error) {
	return load(tx, meta.TableIAMRoles, nameKey(account, name), rec)
}

func writeRole(tx meta.Tx, account, name string, rec *roleRecord) error {
	return store(tx, meta.TableIAMRoles, nameKey(account, name), rec)
}

func removeRole(tx meta.Tx, account, name string) error {
	return tx.Delete(meta.TableIAMRoles, nameKey(account, name))
}

func eachRole(tx meta.Tx, account string, fn func(*roleRecord) error) error {
	return scan(tx, meta.TableIAMRoles, accountPrefix(account), fn)
}

func readPolicy(tx meta.Tx, account, name string, rec *ManagedPolicy) (bool, error) {
	return load(tx, meta.TableIAMPolicies, nameKey(account, name), rec)
}

func writePolicy(tx meta.Tx, account, name string, rec *ManagedPolicy) error {
	return store(tx, meta.TableIAMPolicies, nameKey(account, name), rec)
}

func removePolicy(tx meta.Tx, account, name string) error {
	return tx.Delete(meta.TableIAMPolicies, nameKey(account, name))
}

func eachPolicy(tx meta.Tx, account string, fn func(*ManagedPolicy) error) error {
	return scan(tx, meta.TableIAMPolicies, accountPrefix(account), fn)
}

func readSession(tx meta.Tx, id string, rec *sessionRecord) (bool, error) {
	return load(tx, meta.TableIAMSessions, []byte(id), rec)
}

func writeSession(tx meta.Tx, id string, rec *sessionRecord) error {
	return store(tx, meta.TableIAMSessions, []byte(id), rec)
}

func removeSession(tx meta.Tx, id string) error {
	return tx.Delete(meta.TableIAMSessions, []byte(id))
}

func eachSession(tx meta.Tx, fn func(*sessionRecord) error) error {
	return scan(tx, meta.TableIAMSessions, nil, fn)
}

// sealedSecret is what access keys and sessions share: an id and the
// secret sealed under the root key (ProbeRootKey).
type sealedSecret struct {
	ID     string `json:"id"`
	Sealed []byte `json:"sealed"`
}

// firstSealedSecret returns the first access key or session secret that
// decodes and has sealed material (nil: none).
func firstSealedSecret(tx meta.Tx) *sealedSecret {
	for _, t := range []meta.Table{meta.TableIAMKeys, meta.TableIAMSessions} {
		c := tx.Cursor(t)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			var rec sealedSecret
			if meta.Decode(v, &rec) != nil || len(rec.Sealed) == 0 {
				continue
			}
			return &rec
		}
	}
	return nil
}

// load reads and decodes a record; found is false when the key is absent.
func load(tx meta.Tx, t meta.Table, key []byte, v any) (found bool, err error) {
	b, err := tx.Get(t, key)
	if errors.Is(err, meta.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := meta.Decode(b, v); err != nil {
		return false, err
	}
	return true, nil
}

func store(tx meta.Tx, t meta.Table, key []byte, v any) error {
	b, err := meta.Encode(v)
	if err != nil {
		return err
	}
	return tx.Put(t, key, b)
}

// scan decodes every record under prefix in key order and passes it to fn.
func scan[T any](tx meta.Tx, t meta.Table, prefix []byte, fn func(*T) error) error {
	c := tx.Cursor(t)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var rec T
		if err := meta.Decode(v, &rec); err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}
