package object

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/sse"
)

// ProbeManagedKey tells whether managed is the SSE-S3 key the object
// versions in m were sealed under, for a data directory that has no root
// key check yet (one from before the check existed). sealed is false when
// no version is SSE-S3; otherwise opened tells whether managed opened the
// first SSE-S3 data key found (an AES-GCM open that succeeds proves the
// key). It may read the whole versions table, once, at an upgrade.
func ProbeManagedKey(ctx context.Context, m meta.Store, managed *sse.ManagedKey) (sealed, opened bool, err error) {
	err = m.View(ctx, func(tx meta.Tx) error {
		c := meta.Versions(tx)
		for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
			ver, err := v.Decode()
			if err != nil || ver.Encryption.Type != kura.SSES3 || len(ver.Encryption.SealedKey) == 0 {
				continue
			}
			sealed = true
			dek, err := managed.OpenObjectKey(ver.Encryption.SealedKey, ver.Bucket, ver.Key)
			clear(dek)
			opened = err == nil
			return nil
		}
		return nil
	})
	return sealed, opened, err
}
