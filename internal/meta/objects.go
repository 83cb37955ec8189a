package meta

import (
	"bytes"
	"fmt"
	"time"

	"github.com/kurastore/kura"
)

// Typed access to the object tables: buckets, versions, uploads, parts and
// the blob GC queue. This file is the only place that turns kura values
// into rows of those tables and back; callers pass a Tx and get kura
// values. Absent records are ErrNotFound.

// GetBucket returns the bucket name, decoded once per distinct stored
// record (decodedBuckets).
func GetBucket(tx Tx, name string) (*kura.Bucket, error) {
	raw, err := tx.Get(TableBuckets, []byte(name))
	if err != nil {
		return nil, err
	}
	return decodeBucket(name, raw)
}

// PutBucket writes b.
func PutBucket(tx Tx, b *kura.Bucket) error {
	rec, err := EncodeBucket(b)
	if err != nil {
		return err
	}
	return tx.Put(TableBuckets, []byte(b.Name), rec)
}

// DeleteBucket removes the bucket record name (nothing else).
func DeleteBucket(tx Tx, name string) error { return tx.Delete(TableBuckets, []byte(name)) }

// Buckets returns every bucket, by name.
func Buckets(tx Tx) ([]*kura.Bucket, error) {
	var out []*kura.Bucket
	c := tx.Cursor(TableBuckets)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		b, err := DecodeBucket(v)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// GetVersion returns the version seq of bucket/key.
func GetVersion(tx Tx, bucket, key string, seq uint64) (*kura.ObjectVersion, error) {
	raw, err := tx.Get(TableVersions, VersionKey(bucket, key, seq))
	if err != nil {
		return nil, err
	}
	return DecodeVersion(raw)
}

// NewestVersion returns the newest version of bucket/key (the current one,
// possibly a delete marker).
func NewestVersion(tx Tx, bucket, key string) (*kura.ObjectVersion, error) {
	prefix := VersionsPrefix(bucket, key)
	k, v := tx.Cursor(TableVersions).Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, ErrNotFound
	}
	return DecodeVersion(v)
}

// VersionsOf returns every version of bucket/key, newest first.
func VersionsOf(tx Tx, bucket, key string) ([]*kura.ObjectVersion, error) {
	prefix := VersionsPrefix(bucket, key)
	var out []*kura.ObjectVersion
	c := tx.Cursor(TableVersions)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		ov, err := DecodeVersion(v)
		if err != nil {
			return nil, err
		}
		out = append(out, ov)
	}
	return out, nil
}

// HasVersions reports whether bucket holds any version or delete marker.
func HasVersions(tx Tx, bucket string) bool {
	prefix := ObjectPrefix(bucket, "")
	k, _ := tx.Cursor(TableVersions).Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// PutVersion writes v under its bucket, key and seq.
func PutVersion(tx Tx, v *kura.ObjectVersion) error {
	rec, err := EncodeVersion(v)
	if err != nil {
		return err
	}
	return tx.Put(TableVersions, VersionKey(v.Bucket, v.Key, v.Seq), rec)
}

// DeleteVersion removes v's record.
func DeleteVersion(tx Tx, v *kura.ObjectVersion) error {
	return tx.Delete(TableVersions, VersionKey(v.Bucket, v.Key, v.Seq))
}

// VersionCursor walks the versions table in key order (keys.go: by bucket,
// object key, newest version first). Listings step over many records they
// do not return, so a record is decoded only when asked (RawVersion).
type VersionCursor struct{ c Cursor }

// Versions returns a cursor over the versions table.
func Versions(tx Tx) VersionCursor { return VersionCursor{tx.Cursor(TableVersions)} }

// Seek moves to the first record at or after the table key k and returns
// its key (nil past the end) and record.
func (c VersionCursor) Seek(k []byte) ([]byte, RawVersion) {
	k, v := c.c.Seek(k)
	return k, RawVersion(v)
}

// Next moves to the next record.
func (c VersionCursor) Next() ([]byte, RawVersion) {
	k, v := c.c.Next()
	return k, RawVersion(v)
}

// RawVersion is an encoded version record, valid until its transaction
// ends.
type RawVersion []byte

// Decode parses the record.
func (r RawVersion) Decode() (*kura.ObjectVersion, error) { return DecodeVersion(r) }

// GetUpload returns the upload id of bucket/key.
func GetUpload(tx Tx, bucket, key, id string) (*kura.Upload, error) {
	raw, err := tx.Get(TableUploads, UploadKey(bucket, key, id))
	if err != nil {
		return nil, err
	}
	return DecodeUpload(raw)
}

// PutUpload writes u.
func PutUpload(tx Tx, u *kura.Upload) error {
	rec, err := EncodeUpload(u)
	if err != nil {
		return err
	}
	return tx.Put(TableUploads, UploadKey(u.Bucket, u.Key, u.UploadID), rec)
}

// DeleteUpload removes the upload record (not its parts).
func DeleteUpload(tx Tx, bucket, key, id string) error {
	return tx.Delete(TableUploads, UploadKey(bucket, key, id))
}

// Uploads returns the uploads of bucket whose keys start with prefix, in
// table order: by key, then upload id.
func Uploads(tx Tx, bucket, prefix string) ([]*kura.Upload, error) {
	out, _, _, err := UploadsPage(tx, bucket, prefix, nil, -1)
	return out, err
}

// UploadsPage returns up to limit (negative: no limit) uploads of bucket
// whose keys start with prefix, in table order, after the upload whose
// table key is after (nil: from the first). It returns the table key to
// continue from and whether the uploads have been read to their end.
func UploadsPage(tx Tx, bucket, prefix string, after []byte, limit int) (page []*kura.Upload, next []byte, done bool, err error) {
	from := ObjectPrefix(bucket, prefix)
	c := tx.Cursor(TableUploads)
	k, v := c.Seek(from)
	if after != nil {
		if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	next = after
	for ; k != nil && bytes.HasPrefix(k, from) && (limit < 0 || len(page) < limit); k, v = c.Next() {
		u, err := DecodeUpload(v)
		if err != nil {
			return nil, nil, false, err
		}
		page = append(page, u)
		next = bytes.Clone(k)
	}
	return page, next, k == nil || !bytes.HasPrefix(k, from), nil
}

// GetUploadPart returns part number of upload uploadID.
func GetUploadPart(tx Tx, uploadID string, number int) (*kura.UploadPart, error) {
	raw, err := tx.Get(TableParts, PartKey(uploadID, number))
	if err != nil {
		return nil, err
	}
	return DecodeUploadPart(raw)
}

// PutUploadPart writes p as a part of upload uploadID.
func PutUploadPart(tx Tx, uploadID string, p *kura.UploadPart) error {
	rec, err := EncodeUploadPart(p)
	if err != nil {
		return err
	}
	return tx.Put(TableParts, PartKey(uploadID, p.Number), rec)
}

// DeleteUploadPart removes part number of upload uploadID.
func DeleteUploadPart(tx Tx, uploadID string, number int) error {
	return tx.Delete(TableParts, PartKey(uploadID, number))
}

// UploadParts returns the parts of upload uploadID by part number.
func UploadParts(tx Tx, uploadID string) ([]*kura.UploadPart, error) {
	prefix := PartKey(uploadID, 0)
	var out []*kura.UploadPart
	c := tx.Cursor(TableParts)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		p, err := DecodeUploadPart(v)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// QueueBlob adds a released blob to the blob GC queue: its metadata is gone
// in this transaction, its data is deleted once released is older than the
// grace period (object.Service.CollectBlobs).
func QueueBlob(tx Tx, id string, released time.Time) error {
	rec, err := Encode(blobGCRecord{Released: released.UTC()})
	if err != nil {
		return err
	}
	return tx.Put(TableBlobGC, []byte(id), rec)
}

// UnqueueBlob removes a deleted blob from the GC queue.
func UnqueueBlob(tx Tx, id string) error { return tx.Delete(TableBlobGC, []byte(id)) }

// QueuedBlob is an entry of the blob GC queue.
type QueuedBlob struct {
	ID string
	// Released is when the metadata naming the blob went. It is zero for
	// entries queued before release times were recorded (an empty value):
	// their blobs were due at once then, and are due now.
	Released time.Time
}

// blobGCRecord is the value of a blob GC queue entry (docs/formats.md).
type blobGCRecord struct {
	Released time.Time `json:"released"`
}

// QueuedBlobs returns up to limit (negative: no limit) entries of the blob
// GC queue after the blob id after ("": from the first), in blob id order,
// and whether the queue was read to its end.
func QueuedBlobs(tx Tx, after string, limit int) (page []QueuedBlob, done bool, err error) {
	c := tx.Cursor(TableBlobGC)
	k, v := c.Seek([]byte(after))
	if after != "" && k != nil && string(k) == after {
		k, v = c.Next()
	}
	for ; k != nil && (limit < 0 || len(page) < limit); k, v = c.Next() {
		q := QueuedBlob{ID: string(k)}
		if len(v) > 0 {
			var rec blobGCRecord
			if err := Decode(v, &rec); err != nil {
				return nil, false, fmt.Errorf("blob GC queue entry %q: %w", k, err)
			}
			q.Released = rec.Released
		}
		page = append(page, q)
	}
	return page, k == nil, nil
}

// DataRecord is one metadata record that names blobs, as WalkData reports
// it. Exactly one of Version, Part and Queued is set, or Err.
type DataRecord struct {
	// Version is an object version that has data (delete markers have
	// none and are not reported).
	Version *kura.ObjectVersion
	// Part is a part of an in-progress multipart upload, with Upload its
	// upload (nil when the upload record is gone: a dangling part).
	Part   *kura.UploadPart
	Upload *kura.Upload
	// Queued is a blob released by a delete or overwrite and queued for
	// deletion (the blob GC queue), not yet deleted: it stays queued until
	// its grace period has passed.
	Queued string
	// Err is a record that does not decode, in Table under Key. Whatever
	// it names is unknown, so a caller deciding what is unreferenced must
	// stop.
	Err   error
	Table Table
	Key   []byte
}

// BlobIDs returns the blobs r names.
func (r DataRecord) BlobIDs() []string {
	switch {
	case r.Version != nil:
		return r.Version.BlobIDs()
	case r.Part != nil:
		return []string{r.Part.BlobID}
	case r.Queued != "":
		return []string{r.Queued}
	}
	return nil
}

// WalkData calls fn for every record in tx that names blobs: object
// versions, upload parts and the blob GC queue. It is the one definition of
// "referenced" that the orphan sweep (object/sweep.go) and kura fsck share:
// a blob no record names is an orphan. Whoever adds a record that names
// blobs adds it here.
//
// Uploads are held in memory while parts are walked (one record per
// in-progress upload, not per part). An error from fn stops the walk.
func WalkData(tx Tx, fn func(DataRecord) error) error {
	c := tx.Cursor(TableVersions)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		ver, err := DecodeVersion(v)
		if err != nil {
			if err := fn(badRecord(TableVersions, k, err)); err != nil {
				return err
			}
			continue
		}
		if ver.DeleteMarker {
			continue
		}
		if err := fn(DataRecord{Version: ver}); err != nil {
			return err
		}
	}

	uploads := map[string]*kura.Upload{}
	c = tx.Cursor(TableUploads)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		u, err := DecodeUpload(v)
		if err != nil {
			// Its parts are still reported (as dangling); only the
			// upload's own fields are unknown.
			if err := fn(badRecord(TableUploads, k, err)); err != nil {
				return err
			}
			continue
		}
		uploads[u.UploadID] = u
	}
	c = tx.Cursor(TableParts)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		p, err := DecodeUploadPart(v)
		if err != nil {
			if err := fn(badRecord(TableParts, k, err)); err != nil {
				return err
			}
			continue
		}
		id, _, _ := bytes.Cut(k, []byte{0})
		if err := fn(DataRecord{Part: p, Upload: uploads[string(id)]}); err != nil {
			return err
		}
	}

	c = tx.Cursor(TableBlobGC)
	for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
		if err := fn(DataRecord{Queued: string(k)}); err != nil {
			return err
		}
	}
	return nil
}

func badRecord(t Table, k []byte, err error) DataRecord {
	return DataRecord{Err: fmt.Errorf("%s record %q does not decode: %w", t, k, err), Table: t, Key: bytes.Clone(k)}
}
