// Package rootkey keeps a data directory's root key check — the record in
// its metadata store by which the server and `kura fsck` recognise the root
// key the directory was created with (docs/formats.md, "Root key check") —
// and words the refusal of a key that is missing or not the directory's,
// so that every command says the same thing about it.
//
// rootkey never stores, logs or prints the key, nor anything that helps to
// guess it: the record holds a salt and an HMAC (sse.RootKeyCheck).
package rootkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// checkV1 is the only version of the check's construction: HMAC-SHA256 of
// the salt under DeriveKey(root, "kura root key check v1").
const checkV1 = 1

// record is the check as stored: system record meta.SystemRootKeyCheck
// (meta.PutSystem's JSON).
type record struct {
	V    int    `json:"v"`
	Salt []byte `json:"salt"`
	MAC  []byte `json:"mac"`
}

// Check is a root key check as recorded in a metadata store.
type Check struct {
	Version int
	sse.RootKeyCheck
}

// Read returns the check recorded in ms; found is false when there is
// none (a fresh data directory, or one from before the check existed).
func Read(ctx context.Context, ms meta.Store) (c Check, found bool, err error) {
	err = ms.View(ctx, func(tx meta.Tx) error {
		var r record
		if found, err = meta.GetSystem(tx, meta.SystemRootKeyCheck, &r); err != nil || !found {
			return err
		}
		c = Check{Version: r.V, RootKeyCheck: sse.RootKeyCheck{Salt: r.Salt, MAC: r.MAC}}
		return nil
	})
	return c, found, err
}

// Record stores a new check of root in ms, replacing any other.
func Record(ctx context.Context, ms meta.Store, root []byte) error {
	check, err := sse.NewRootKeyCheck(root)
	if err != nil {
		return err
	}
	r := record{V: checkV1, Salt: check.Salt, MAC: check.MAC}
	if err := ms.Update(ctx, func(tx meta.Tx) error { return meta.PutSystem(tx, meta.SystemRootKeyCheck, r) }); err != nil {
		return fmt.Errorf("recording the root key check: %w", err)
	}
	return nil
}

// Key names a root key and where it came from, for the words of a
// refusal.
type Key struct {
	// Source is sse.RootKeyEnv or the path of the key file.
	Source string
	// Path is the data directory's key file, whichever the source.
	Path string
}

func (k Key) fromEnv() bool { return k.Source == sse.RootKeyEnv }

// Refusal says why a root key cannot be used on a data directory: what is
// wrong, and what to do, each a sentence.
type Refusal struct {
	Problem string
	Fix     string
}

func (r *Refusal) Error() string { return r.Problem + " " + r.Fix }

// Message is r as a command prints it: refusing ("refusing to start"),
// what is wrong, that nothing in dataDir was changed and what was not done
// (untouched), what to do, and where the recovery steps are.
func (r *Refusal) Message(refusing, dataDir, untouched string) string {
	return fmt.Sprintf("%s: %s\n  Nothing in %s was changed: %s.\n  %s\n  "+
		`See "The root key: backup and recovery" in docs/operations.md.`, refusing, r.Problem, dataDir, untouched, r.Fix)
}

// Verify checks root, the key k names, against the check c recorded in
// metaPath. again says what to do once the key is right ("start again").
func (c Check) Verify(root []byte, k Key, metaPath, again string) *Refusal {
	if c.Version != checkV1 {
		return &Refusal{Problem: fmt.Sprintf("the root key check in %s has version %d, which this Kura does not know.", metaPath, c.Version),
			Fix: "Run the Kura version that wrote it, or restore meta.db from your backup."}
	}
	err := c.RootKeyCheck.Verify(root)
	switch {
	case errors.Is(err, sse.ErrRootKeyMismatch):
		return Wrong(k, "does not match the key this data directory was created with.", again)
	case err != nil:
		return &Refusal{Problem: fmt.Sprintf("the root key check in %s is damaged (%v).", metaPath, err),
			Fix: "Restore meta.db from your backup."}
	}
	return nil
}

// Wrong refuses a key that is not the data directory's; problem ends the
// sentence "the root key in <source> …".
func Wrong(k Key, problem, again string) *Refusal {
	if k.fromEnv() {
		return &Refusal{Problem: "the root key in " + sse.RootKeyEnv + " " + problem,
			Fix: fmt.Sprintf("Set %s to this data directory's root key (or unset it to use %s), then %s.", sse.RootKeyEnv, k.Path, again)}
	}
	return &Refusal{Problem: "the root key in " + k.Path + " " + problem,
		Fix: fmt.Sprintf("Restore this data directory's %s from your backup, or set %s to its root key, then %s.", k.Path, sse.RootKeyEnv, again)}
}

// Missing refuses to go on without the key file of a data directory that
// holds data encrypted under a root key; evidence says what shows it.
func Missing(k Key, evidence, again string) *Refusal {
	return &Refusal{
		Problem: fmt.Sprintf("the root key file %s is missing, but the data directory holds data encrypted under a root key: %s.", k.Path, evidence),
		Fix:     fmt.Sprintf("Restore %s from your backup (mode 0600), or set %s to the key's 64 hex characters, then %s.", k.Path, sse.RootKeyEnv, again),
	}
}

// Unusable refuses a key that cannot be loaded: not 32 raw bytes or 64
// hex characters, all zeros, unreadable.
func Unusable(k Key, err error, again string) *Refusal {
	r := &Refusal{Problem: fmt.Sprintf("the root key cannot be used: %v.", err)}
	if k.fromEnv() {
		r.Fix = fmt.Sprintf("Set %s to this data directory's root key, 64 hex characters, then %s.", sse.RootKeyEnv, again)
	} else {
		r.Fix = fmt.Sprintf("Restore %s from your backup (32 raw bytes or 64 hex characters), or set %s, then %s.", k.Path, sse.RootKeyEnv, again)
	}
	return r
}
