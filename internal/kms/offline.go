package kms

import (
	"context"
	"fmt"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// ErrKeyDeleted is returned by UnsealOffline for a ciphertext whose KMS key
// no longer exists: the data it protects is unreadable by design (the key
// was scheduled for deletion and deleted), not damaged. It is the
// envelope's sse.ErrKeyDeleted, which fsck tests for.
var ErrKeyDeleted = sse.ErrKeyDeleted

// UnsealOffline decrypts a ciphertext blob this KMS produced (a data key
// S3 sealed) with the key material it names, and nothing else: no key
// policy or identity check, no audit event, no key state check (a disabled
// key's material still opens), no change to the metadata (a key whose
// deletion is due is not reaped). It exists for `kura fsck`, which runs with
// the server stopped and reads the metadata file and the root key directly
// (whoever holds both can read everything anyway) to prove every object
// can still be decrypted. Never call it on a request's behalf.
func (s *Service) UnsealOffline(ctx context.Context, blob []byte, encCtx map[string]string) ([]byte, error) {
	ref, err := parseBlob(blob)
	if err != nil {
		return nil, err
	}
	var rec *keyRecord
	if err := s.meta.View(ctx, func(tx meta.Tx) error {
		var err error
		rec, err = getKeyRecord(tx, ref.keyID)
		return err
	}); err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("%w: key %s", ErrKeyDeleted, ref.keyID)
	}
	m, ok := rec.materialByID(ref.materialID)
	if !ok {
		return nil, fmt.Errorf("kms: key %s has no key material %s", ref.keyID, ref.materialID)
	}
	secret, err := s.openMaterial(rec.ID, m)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	pt, err := openBlob(secret, blob, encCtx)
	if err != nil {
		return nil, fmt.Errorf("kms: ciphertext does not authenticate under key %s (damaged, or a different encryption context): %w", ref.keyID, err)
	}
	return pt, nil
}
