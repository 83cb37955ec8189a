package iam

import (
	"context"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// ProbeRootKey tells whether root is the root key the stored access key
// and session secrets in m were sealed under, for a data directory that
// has no root key check yet (one from before the check existed). sealed is
// false when m holds no sealed secret; otherwise opened tells whether root
// opened the first one found (an AES-GCM open that succeeds proves the
// key).
func ProbeRootKey(ctx context.Context, m meta.Store, root []byte) (sealed, opened bool, err error) {
	kek := sse.DeriveKey(root, secretKEKPurpose)
	defer clear(kek)
	err = m.View(ctx, func(tx meta.Tx) error {
		rec := firstSealedSecret(tx)
		if rec == nil {
			return nil
		}
		sealed = true
		secret, err := sse.OpenWithKey(kek, rec.Sealed, secretAAD(rec.ID))
		clear(secret)
		opened = err == nil
		return nil
	})
	return sealed, opened, err
}
