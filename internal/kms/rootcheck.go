package kms

import (
	"context"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// ProbeRootKey tells whether root is the root key the KMS material in m was
// sealed under, for a data directory that has no root key check yet (one
// from before the check existed). sealed is false when m holds no key
// material at all; otherwise opened tells whether root opened the first
// material found. An AES-GCM open that succeeds proves the key: a wrong key
// cannot produce a valid tag.
func ProbeRootKey(ctx context.Context, m meta.Store, root []byte) (sealed, opened bool, err error) {
	kek := sse.DeriveKey(root, materialKEKPurpose)
	defer clear(kek)
	err = m.View(ctx, func(tx meta.Tx) error {
		for rec, err := range keyRecords(tx) {
			if err != nil || len(rec.Materials) == 0 {
				continue // not ours to judge here; a damaged record is not proof either way
			}
			mat := rec.Materials[0]
			sealed = true
			secret, err := sse.OpenWithKey(kek, mat.Sealed, materialAAD(rec.ID, mat.ID))
			clear(secret)
			opened = err == nil
			return nil
		}
		return nil
	})
	return sealed, opened, err
}
