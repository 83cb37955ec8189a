package s3api

import (
	"strconv"

	"github.com/kurastore/kura"
)

// partChecksum is the checksum a GET or HEAD with partNumber=n of a
// multipart version answers with: that part's own checksum, in the
// object's algorithm and checksum type (S3 returns the part checksum, not
// the object's, for a part read). nil when the object has no per-part
// checksums (no algorithm was declared at CreateMultipartUpload) or the
// read names no part.
func partChecksum(v *kura.ObjectVersion, partNumber string) *kura.Checksum {
	n, err := strconv.Atoi(partNumber)
	if err != nil || v.Checksum == nil || len(v.Parts) == 0 {
		return nil
	}
	for _, p := range v.Parts {
		if p.Number == n && p.Checksum != "" {
			return &kura.Checksum{Algorithm: v.Checksum.Algorithm, Type: v.Checksum.Type, Value: p.Checksum}
		}
	}
	return nil
}
