package object

import (
	"cmp"
	"context"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// CompletePart is one <Part> of a CompleteMultipartUpload request.
type CompletePart struct {
	Number    int
	ETag      string
	Checksums map[checksum.Algorithm]string // <ChecksumCRC32> etc., if given
}

// CompleteInput is a CompleteMultipartUpload request.
type CompleteInput struct {
	Bucket, Key, UploadID string
	Parts                 []CompletePart
	// Checksum is a whole-object checksum header, if given.
	Checksum     ChecksumInput
	ChecksumType string
	ObjectSize   int64 // x-amz-mp-object-size, -1 when absent
	Cond         WriteConditions
	// CustomerKey is the SSE-C key the request carries, if any. An SSE-C
	// upload's Complete must carry its key: S3 requires it when the object
	// is created with a checksum algorithm, and every Kura object is (the
	// full-object CRC64NVME is always computed).
	CustomerKey []byte
}

// CompleteUpload assembles an upload's parts into a new object version. The
// parts' blobs become the version's data as they are: nothing is copied.
func (s *Service) CompleteUpload(ctx context.Context, in CompleteInput) (*kura.ObjectVersion, error) {
	if len(in.Parts) == 0 {
		return nil, s3err.MalformedXML
	}
	for i := 1; i < len(in.Parts); i++ {
		if in.Parts[i].Number <= in.Parts[i-1].Number {
			return nil, s3err.InvalidPartOrder
		}
	}
	var v *kura.ObjectVersion
	err := s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		v = nil
		b, err := getBucket(tx, in.Bucket)
		if err != nil {
			return err
		}
		u, err := getUpload(tx, in.Bucket, in.Key, in.UploadID)
		if s3err.Is(err, s3err.NoSuchUpload) {
			// Perhaps a retry of a Complete that already succeeded.
			done, derr := completedVersion(tx, in)
			if derr != nil || done == nil {
				return cmp.Or(derr, err)
			}
			v = done
			return nil
		}
		if err != nil {
			return err
		}
		if err := checkPartCustomerKey(u.Encryption, in.CustomerKey); err != nil {
			return err
		}
		stored, err := meta.UploadParts(tx, in.UploadID)
		if err != nil {
			return err
		}
		v, err = s.assemble(u, stored, in)
		if err != nil {
			return err
		}
		if err := checkWriteConditions(tx, in.Bucket, in.Key, in.Cond); err != nil {
			return err
		}
		// Parts not named in the request are discarded.
		used := map[string]bool{}
		for _, p := range v.Parts {
			used[p.BlobID] = true
		}
		for _, p := range stored {
			if err := meta.DeleteUploadPart(tx, in.UploadID, p.Number); err != nil {
				return err
			}
			if !used[p.BlobID] {
				if err := release(p.BlobID); err != nil {
					return err
				}
			}
		}
		if err := meta.DeleteUpload(tx, in.Bucket, in.Key, in.UploadID); err != nil {
			return err
		}
		if err := lockNewVersion(b, v); err != nil {
			return err
		}
		if err := allocate(tx, v); err != nil {
			return err
		}
		return install(tx, b, v, release)
	})
	return v, s3err.Internal(err)
}

// completedVersion finds the version an earlier CompleteMultipartUpload of
// in.UploadID created, for a client that repeats the request (a retry
// after a lost response): S3 answers it with the same result for a while
// after the upload completed. Kura answers it while that version is still
// the key's current one and the request names the same parts; once the
// key was overwritten or deleted the upload is gone (NoSuchUpload), since
// nothing of it is current any more. nil means no such version.
func completedVersion(tx meta.Tx, in CompleteInput) (*kura.ObjectVersion, error) {
	cur, err := latest(tx, in.Bucket, in.Key)
	if s3err.Is(err, s3err.NoSuchKey) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if cur.DeleteMarker || cur.UploadID != in.UploadID || len(cur.Parts) != len(in.Parts) {
		return nil, nil
	}
	for i, p := range cur.Parts {
		if in.Parts[i].Number != p.Number || strings.Trim(in.Parts[i].ETag, `"`) != p.ETag {
			return nil, nil
		}
	}
	return cur, nil
}

// assemble validates the requested part list against the stored parts and
// builds the new version.
func (s *Service) assemble(u *kura.Upload, stored []*kura.UploadPart, in CompleteInput) (*kura.ObjectVersion, error) {
	byNum := make(map[int]*kura.UploadPart, len(stored))
	for _, p := range stored {
		byNum[p.Number] = p
	}
	alg := checksum.Algorithm(u.ChecksumAlgorithm)
	var (
		parts []kura.Part
		etags []string
		sums  [][]byte
		crcs  []checksum.PartSum
		size  int64
	)
	for i, rp := range in.Parts {
		p := byNum[rp.Number]
		if p == nil || strings.Trim(rp.ETag, `"`) != p.ETag {
			return nil, s3err.InvalidPart.With("PartNumber", itoa(rp.Number)).With("ETag", rp.ETag)
		}
		if i < len(in.Parts)-1 && p.Size < MinPartSize {
			return nil, s3err.EntityTooSmall.With("ProposedSize", itoa64(p.Size)).With("MinSizeAllowed", itoa64(MinPartSize)).With("PartNumber", itoa(p.Number))
		}
		if err := checkCompletePart(u, p, rp); err != nil {
			return nil, err
		}
		part := kura.Part{Number: p.Number, Size: p.Size, ETag: p.ETag, BlobID: p.BlobID}
		if alg != "" {
			if p.ChecksumAlgorithm != string(alg) {
				return nil, s3err.InvalidRequest.WithMessage("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(string(alg)), p.Number)
			}
			raw, err := alg.Decode(p.Checksum)
			if err != nil {
				return nil, err
			}
			sums = append(sums, raw)
			crcs = append(crcs, checksum.PartSum{Sum: raw, Size: p.Size})
			part.Checksum = p.Checksum
		} else {
			raw, err := checksum.CRC64NVME.Decode(p.CRC64NVME)
			if err != nil {
				return nil, err
			}
			crcs = append(crcs, checksum.PartSum{Sum: raw, Size: p.Size})
		}
		parts = append(parts, part)
		etags = append(etags, p.ETag)
		size += p.Size
	}
	if in.ObjectSize >= 0 && in.ObjectSize != size {
		return nil, s3err.InvalidRequest.WithMessage("The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", in.ObjectSize, size)
	}
	ck, err := objectChecksum(u, alg, sums, crcs, in)
	if err != nil {
		return nil, err
	}
	return &kura.ObjectVersion{
		Bucket: u.Bucket, Key: u.Key,
		LastModified: s.stamp(), Owner: u.Owner, Size: size, ETag: multipartETag(etags),
		StorageClass: u.StorageClass, Checksum: ck, ContentHeaders: u.ContentHeaders, Tags: u.Tags,
		Parts: parts, Encryption: u.Encryption, UploadID: u.UploadID,
		Retention: u.Retention, LegalHold: u.LegalHold, LegalHoldSet: u.LegalHoldSet, ACL: u.ACL,
	}, nil
}

// objectChecksum computes a completed upload's checksum: the declared
// algorithm and type, or S3's default full-object CRC64NVME.
func objectChecksum(u *kura.Upload, alg checksum.Algorithm, sums [][]byte, crcs []checksum.PartSum, in CompleteInput) (*kura.Checksum, error) {
	typ := u.ChecksumType
	if u.ChecksumAlgorithm == "" && in.Checksum.Value != "" {
		switch in.Checksum.Algorithm {
		case checksum.CRC32, checksum.CRC32C, checksum.CRC64NVME, checksum.SHA1, checksum.SHA256:
			// Not declared at Create: accepted, neither checked nor kept
			// (S3, CompleteMultipartUpload).
		default:
			// The 2026 algorithms must have been declared at Create.
			return nil, s3err.InvalidRequest.WithMessage("The upload was not created with a %s checksum; a %s checksum cannot be given when the upload is completed.",
				strings.ToLower(string(in.Checksum.Algorithm)), strings.ToLower(string(in.Checksum.Algorithm)))
		}
	}
	if alg == "" {
		alg, typ = checksum.CRC64NVME, checksum.FullObject
	}
	if in.ChecksumType != "" && u.ChecksumType != "" && !strings.EqualFold(in.ChecksumType, u.ChecksumType) {
		return nil, s3err.InvalidRequest.WithMessage("The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", u.ChecksumType)
	}
	var val string
	if typ == checksum.Composite {
		v, err := checksum.CompositeOf(alg, sums)
		if err != nil {
			return nil, s3err.Internal(err)
		}
		val = v
	} else {
		raw, err := checksum.FullObjectOf(alg, crcs)
		if err != nil {
			return nil, s3err.Internal(err)
		}
		val = checksum.Encode(raw)
	}
	if in.Checksum.Value != "" && string(in.Checksum.Algorithm) == string(alg) && u.ChecksumAlgorithm != "" {
		want := in.Checksum.Value
		if typ == checksum.Composite && !strings.Contains(want, "-") {
			want += "-" + itoa(len(sums))
		}
		if want != val {
			return nil, s3err.BadDigest.WithMessage("The %s you specified did not match the calculated checksum.", strings.ToLower(string(alg)))
		}
	}
	return &kura.Checksum{Algorithm: string(alg), Type: typ, Value: val}, nil
}

// checkCompletePart checks the checksum elements of one <Part> of a
// CompleteMultipartUpload request against the stored part, as S3 does:
// at most one element, valid base64 of the algorithm's size; equal to the
// part's checksum when in the upload's algorithm (S3 then answers the
// plain InvalidPart, naming no checksum); and present for every part of a
// COMPOSITE upload, whose object checksum is built from them.
func checkCompletePart(u *kura.Upload, p *kura.UploadPart, rp CompletePart) error {
	bad := len(rp.Checksums) > 1
	for a, val := range rp.Checksums {
		if _, err := a.Decode(val); err != nil {
			bad = true
		}
	}
	if bad {
		var arg strings.Builder
		for _, a := range checksum.All {
			if v, ok := rp.Checksums[a]; ok {
				arg.WriteString(string(a) + ":" + v + ";")
			}
		}
		return s3err.InvalidArgument.WithMessage("Invalid Base64 or multiple checksums present in request").
			With("ArgumentName", "Checksum").With("ArgumentValue", arg.String())
	}
	for a, val := range rp.Checksums {
		if string(a) == p.ChecksumAlgorithm && val != p.Checksum {
			return s3err.InvalidPart.With("UploadId", u.UploadID).With("PartNumber", itoa(p.Number)).With("ETag", p.ETag)
		}
	}
	if u.ChecksumType == checksum.Composite && rp.Checksums[checksum.Algorithm(u.ChecksumAlgorithm)] == "" {
		return s3err.InvalidRequest.WithMessage("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.",
			strings.ToLower(u.ChecksumAlgorithm), p.Number)
	}
	return nil
}
