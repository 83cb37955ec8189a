package object

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// UploadInput is a CreateMultipartUpload request.
type UploadInput struct {
	Bucket, Key       string
	Headers           kura.ContentHeaders
	Tags              []kura.Tag
	StorageClass      string
	ChecksumAlgorithm checksum.Algorithm
	ChecksumType      string
	SSE               SSERequest
	Access            KeyAccess
	Owner             string
	Initiator         string    // the initiating account, when not Owner
	ACL               *kura.ACL // given to the version Complete creates
	Lock              Lock      // applied to the version Complete creates
}

// CreateUpload starts a multipart upload. Its data key is created and sealed
// now, as S3 calls GenerateDataKey at CreateMultipartUpload; every part is
// encrypted under a key derived from it.
func (s *Service) CreateUpload(ctx context.Context, in UploadInput) (*kura.Upload, error) {
	if err := ValidKey(in.Key); err != nil {
		return nil, err
	}
	// S3 accepts the type in any case, as it does the algorithm.
	in.ChecksumType = strings.ToUpper(in.ChecksumType)
	if in.ChecksumType != "" && in.ChecksumAlgorithm == "" {
		return nil, s3err.InvalidRequest.WithMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	}
	if in.ChecksumAlgorithm != "" && in.ChecksumType == "" {
		in.ChecksumType = checksum.Composite
		if in.ChecksumAlgorithm == checksum.CRC64NVME {
			in.ChecksumType = checksum.FullObject
		}
	}
	switch {
	case in.ChecksumType == checksum.FullObject && !in.ChecksumAlgorithm.SupportsFullObject(),
		in.ChecksumType == checksum.Composite && !in.ChecksumAlgorithm.SupportsComposite():
		return nil, s3err.InvalidRequest.WithMessage("The %s checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(in.ChecksumType), strings.ToLower(string(in.ChecksumAlgorithm)))
	case in.ChecksumType != "" && in.ChecksumType != checksum.FullObject && in.ChecksumType != checksum.Composite:
		return nil, s3err.InvalidRequest.WithMessage("Value for x-amz-checksum-type header is invalid.")
	}
	b, err := s.Bucket(ctx, in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := CheckLock(b, in.Lock); err != nil {
		return nil, err
	}
	_, enc, err := s.writeKeys(ctx, b, in.Key, in.SSE, in.Access)
	if err != nil {
		return nil, err
	}
	u := &kura.Upload{
		Bucket: in.Bucket, Key: in.Key, UploadID: newID(), Initiated: s.stamp(), Owner: in.Owner, Initiator: in.Initiator,
		StorageClass: in.StorageClass, ChecksumAlgorithm: string(in.ChecksumAlgorithm), ChecksumType: in.ChecksumType,
		ContentHeaders: in.Headers, Tags: in.Tags, Encryption: enc, ACL: in.ACL,
	}
	in.Lock.stamp(&u.Retention, &u.LegalHold, &u.LegalHoldSet)
	err = s.meta.Update(ctx, func(tx meta.Tx) error {
		if _, err := getBucket(tx, in.Bucket); err != nil {
			return err
		}
		return meta.PutUpload(tx, u)
	})
	return u, s3err.Internal(err)
}

func getUpload(tx meta.Tx, bucket, key, id string) (*kura.Upload, error) {
	if _, err := getBucket(tx, bucket); err != nil {
		return nil, err
	}
	u, err := meta.GetUpload(tx, bucket, key, id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, s3err.NoSuchUpload.With("UploadId", id)
	}
	return u, err
}

// Upload returns an in-progress upload.
func (s *Service) Upload(ctx context.Context, bucket, key, id string) (*kura.Upload, error) {
	var u *kura.Upload
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		u, err = getUpload(tx, bucket, key, id)
		return err
	})
	return u, s3err.Internal(err)
}

// PartInput is an UploadPart request.
type PartInput struct {
	Bucket, Key, UploadID string
	Number                int
	Body                  io.Reader
	Size                  int64
	Checksum              ChecksumInput
	ContentMD5            []byte
	Access                KeyAccess
	// copied marks UploadPartCopy's data, which carries no client checksum:
	// S3 computes the part's checksum in the upload's algorithm itself.
	copied bool
}

// UploadPart stores one part of an upload, replacing an earlier part with
// the same number.
func (s *Service) UploadPart(ctx context.Context, in PartInput) (*kura.UploadPart, *kura.Upload, error) {
	if in.Number < 1 || in.Number > MaxParts {
		return nil, nil, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber").With("ArgumentValue", itoa(in.Number))
	}
	if in.Size > MaxPutSize {
		return nil, nil, s3err.EntityTooLarge.With("MaxSizeAllowed", itoa64(MaxPutSize))
	}
	u, err := s.Upload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, nil, err
	}
	if err := checkPartChecksum(u, in.Checksum.Algorithm); err != nil && !in.copied {
		return nil, nil, err
	}
	ck := in.Checksum
	if ck.Algorithm == "" {
		ck.Algorithm = checksum.Algorithm(u.ChecksumAlgorithm)
	}
	if err := checkPartCustomerKey(u.Encryption, in.Access.CustomerKey); err != nil {
		return nil, nil, err
	}
	keys, err := s.env.Open(ctx, u.Encryption, u.Bucket, u.Key, in.Access)
	if err != nil {
		return nil, nil, err
	}
	crc := checksum.NewHashes(checksum.CRC64NVME, false)
	body := in.Body
	if ck.Algorithm != "" && ck.Algorithm != checksum.CRC64NVME {
		body = io.TeeReader(body, crc)
	}
	st, err := s.store(ctx, body, in.Size, MaxPutSize, keys.ForPart(in.Number), ck, in.ContentMD5, true, false)
	if err != nil {
		return nil, nil, err
	}
	defer s.writes.done(st.blobID)
	p := &kura.UploadPart{Number: in.Number, Size: st.size, ETag: hex.EncodeToString(st.md5), BlobID: st.blobID, LastModified: s.stamp()}
	if ck.Algorithm != "" {
		p.ChecksumAlgorithm, p.Checksum = st.checksum.Algorithm, st.checksum.Value
	}
	if st.checksum.Algorithm == string(checksum.CRC64NVME) {
		p.CRC64NVME = st.checksum.Value
	} else {
		p.CRC64NVME = checksum.Encode(crc.Sum())
	}
	err = s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		if _, err := getUpload(tx, in.Bucket, in.Key, in.UploadID); err != nil {
			return err
		}
		old, err := meta.GetUploadPart(tx, in.UploadID, in.Number)
		switch {
		case err == nil:
			if err := release(old.BlobID); err != nil {
				return err
			}
		case !errors.Is(err, meta.ErrNotFound):
			return err
		}
		return meta.PutUploadPart(tx, in.UploadID, p)
	})
	if err != nil {
		s.discard(st.blobID)
		return nil, nil, s3err.Internal(err)
	}
	return p, u, nil
}

// checkPartChecksum applies S3's rules for a part's checksum: it must be in
// the upload's algorithm, and a COMPOSITE upload's parts must each carry
// one (header or trailer), since the object's checksum is made of the
// client's part checksums. A FULL_OBJECT upload's parts may come without
// one: Kura computes it, as S3 does. S3 words both refusals alike, with
// "null" for the missing algorithm.
func checkPartChecksum(u *kura.Upload, alg checksum.Algorithm) error {
	if u.ChecksumAlgorithm == "" || string(alg) == u.ChecksumAlgorithm {
		return nil
	}
	actual := "null"
	if alg != "" {
		actual = alg.Lower()
	} else if u.ChecksumType != checksum.Composite {
		return nil
	}
	return s3err.InvalidRequest.WithMessage("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
		strings.ToLower(u.ChecksumAlgorithm), actual)
}

// checkPartCustomerKey applies S3's SSE-C rules for parts: every part of
// an SSE-C upload carries the upload's key, and no other upload's part does.
func checkPartCustomerKey(enc kura.Encryption, key []byte) error {
	switch {
	case enc.Type == kura.SSEC && key == nil:
		return s3err.InvalidRequest.WithMessage("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
	case enc.Type != kura.SSEC && key != nil:
		return s3err.InvalidRequest.WithMessage("The multipart upload initiate did not request encryption. Subsequent part requests must not include encryption parameters.")
	case enc.Type == kura.SSEC && CheckCustomerKey(enc, key) != nil:
		return s3err.InvalidRequest.WithMessage("The provided encryption parameters did not match the ones used originally.")
	}
	return nil
}

func deleteUploadParts(tx meta.Tx, uploadID string, release func(...string) error) error {
	parts, err := meta.UploadParts(tx, uploadID)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := meta.DeleteUploadPart(tx, uploadID, p.Number); err != nil {
			return err
		}
		if err := release(p.BlobID); err != nil {
			return err
		}
	}
	return nil
}

// AbortUpload discards an upload and its parts.
//
// A non-zero ifInitiated is S3's x-amz-if-match-initiated-time: the upload
// is aborted only if it was initiated at that time (to the second, the
// header's precision), else PreconditionFailed; and an upload that does not
// exist is then no error, as S3 documents, since the condition's point is
// that the caller's upload be gone.
func (s *Service) AbortUpload(ctx context.Context, bucket, key, id string, ifInitiated time.Time) error {
	return s3err.Internal(s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		u, err := getUpload(tx, bucket, key, id)
		if !ifInitiated.IsZero() && s3err.Is(err, s3err.NoSuchUpload) {
			return nil
		}
		if err != nil {
			return err
		}
		if !ifInitiated.IsZero() && !u.Initiated.Truncate(time.Second).Equal(ifInitiated.Truncate(time.Second)) {
			return s3err.PreconditionFailed.With("Condition", "x-amz-if-match-initiated-time")
		}
		if err := deleteUploadParts(tx, id, release); err != nil {
			return err
		}
		return meta.DeleteUpload(tx, bucket, key, id)
	}))
}

// PartsPage is one page of ListParts.
type PartsPage struct {
	Upload    *kura.Upload
	Parts     []*kura.UploadPart
	Truncated bool
	Next      int
}

// ListParts lists an upload's parts after marker.
func (s *Service) ListParts(ctx context.Context, bucket, key, id string, marker, max int) (*PartsPage, error) {
	page := &PartsPage{}
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		u, err := getUpload(tx, bucket, key, id)
		if err != nil {
			return err
		}
		page.Upload = u
		parts, err := meta.UploadParts(tx, id)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.Number <= marker {
				continue
			}
			if len(page.Parts) == max {
				page.Truncated = true
				break
			}
			page.Parts = append(page.Parts, p)
			page.Next = p.Number
		}
		return nil
	})
	return page, s3err.Internal(err)
}

// UploadsInput selects uploads for ListMultipartUploads.
type UploadsInput struct {
	Bucket, Prefix, Delimiter string
	KeyMarker, UploadIDMarker string
	Max                       int
}

// UploadsPage is one page of ListMultipartUploads.
type UploadsPage struct {
	Uploads        []*kura.Upload
	CommonPrefixes []string
	Truncated      bool
	NextKey        string
	NextUploadID   string
}

// ListUploads lists in-progress uploads by key, then initiation order.
func (s *Service) ListUploads(ctx context.Context, in UploadsInput) (*UploadsPage, error) {
	page := &UploadsPage{}
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		if _, err := getBucket(tx, in.Bucket); err != nil {
			return err
		}
		all, err := meta.Uploads(tx, in.Bucket, in.Prefix)
		if err != nil {
			return err
		}
		sortUploads(all)
		count := 0
		lastCP := ""
		for _, u := range all {
			if in.KeyMarker != "" {
				if u.Key < in.KeyMarker || (u.Key == in.KeyMarker && (in.UploadIDMarker == "" || !uploadAfter(u, in.UploadIDMarker, all))) {
					continue
				}
			}
			if in.Delimiter != "" {
				if i := strings.Index(u.Key[len(in.Prefix):], in.Delimiter); i >= 0 {
					cp := u.Key[:len(in.Prefix)+i+len(in.Delimiter)]
					if cp == lastCP || cp == in.KeyMarker {
						continue
					}
					if count == in.Max {
						page.Truncated = true
						break
					}
					lastCP = cp
					page.CommonPrefixes = append(page.CommonPrefixes, cp)
					page.NextKey, page.NextUploadID = cp, ""
					count++
					continue
				}
			}
			if count == in.Max {
				page.Truncated = true
				break
			}
			page.Uploads = append(page.Uploads, u)
			page.NextKey, page.NextUploadID = u.Key, u.UploadID
			count++
		}
		return nil
	})
	return page, s3err.Internal(err)
}

// uploadAfter reports whether u comes after the upload with id marker among
// uploads of the same key.
func uploadAfter(u *kura.Upload, marker string, all []*kura.Upload) bool {
	seen := false
	for _, o := range all {
		if o.Key != u.Key {
			continue
		}
		if o.UploadID == u.UploadID {
			return seen
		}
		if o.UploadID == marker {
			seen = true
		}
	}
	return false
}

// sortUploads orders uploads by key, then initiation time, as S3 lists them.
func sortUploads(us []*kura.Upload) {
	sort.Slice(us, func(i, j int) bool { return uploadLess(us[i], us[j]) })
}

func uploadLess(a, b *kura.Upload) bool {
	if a.Key != b.Key {
		return a.Key < b.Key
	}
	if !a.Initiated.Equal(b.Initiated) {
		return a.Initiated.Before(b.Initiated)
	}
	return a.UploadID < b.UploadID
}

// multipartETag is S3's ETag of a multipart object.
func multipartETag(etags []string) string {
	h := md5.New()
	for _, e := range etags {
		b, _ := hex.DecodeString(e)
		h.Write(b)
	}
	return fmt.Sprintf("%x-%d", h.Sum(nil), len(etags))
}
