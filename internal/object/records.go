package object

import (
	"bytes"
	"fmt"

	"github.com/kurastore/kura/internal/meta"
)

// DataRecord is one metadata record that names blobs, as WalkData reports
// it. Exactly one of Version, Part and Queued is set, or Err.
type DataRecord struct {
	// Version is an object version that has data (delete markers have
	// none and are not reported).
	Version *meta.ObjectVersion
	// Part is a part of an in-progress multipart upload, with Upload its
	// upload (nil when the upload record is gone: a dangling part).
	Part   *meta.UploadPart
	Upload *meta.Upload
	// Queued is a blob released by a delete or overwrite and queued for
	// deletion (the blob GC queue), not yet deleted.
	Queued string
	// Err is a record that does not decode, in Table under Key. Whatever
	// it names is unknown, so a caller deciding what is unreferenced must
	// stop.
	Err   error
	Table meta.Table
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
// "referenced" that the orphan sweep (sweep.go) and kura fsck share: a blob
// no record names is an orphan. Whoever adds a record that names blobs adds
// it here.
//
// Uploads are held in memory while parts are walked (one record per
// in-progress upload, not per part). An error from fn stops the walk.
func WalkData(tx meta.Tx, fn func(DataRecord) error) error {
	c := tx.Cursor(meta.TableVersions)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		var ver meta.ObjectVersion
		if err := meta.Decode(v, &ver); err != nil {
			if err := fn(badRecord(meta.TableVersions, k, err)); err != nil {
				return err
			}
			continue
		}
		if ver.DeleteMarker {
			continue
		}
		if err := fn(DataRecord{Version: &ver}); err != nil {
			return err
		}
	}

	uploads := map[string]*meta.Upload{}
	c = tx.Cursor(meta.TableUploads)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		var u meta.Upload
		if err := meta.Decode(v, &u); err != nil {
			// Its parts are still reported (as dangling); only the
			// upload's own fields are unknown.
			if err := fn(badRecord(meta.TableUploads, k, err)); err != nil {
				return err
			}
			continue
		}
		uploads[u.UploadID] = &u
	}
	c = tx.Cursor(meta.TableParts)
	for k, v := c.Seek(nil); k != nil; k, v = c.Next() {
		var p meta.UploadPart
		if err := meta.Decode(v, &p); err != nil {
			if err := fn(badRecord(meta.TableParts, k, err)); err != nil {
				return err
			}
			continue
		}
		id, _, _ := bytes.Cut(k, []byte{0})
		if err := fn(DataRecord{Part: &p, Upload: uploads[string(id)]}); err != nil {
			return err
		}
	}

	c = tx.Cursor(meta.TableBlobGC)
	for k, _ := c.Seek(nil); k != nil; k, _ = c.Next() {
		if err := fn(DataRecord{Queued: string(k)}); err != nil {
			return err
		}
	}
	return nil
}

func badRecord(t meta.Table, k []byte, err error) DataRecord {
	return DataRecord{Err: fmt.Errorf("%s record %q does not decode: %w", t, k, err), Table: t, Key: bytes.Clone(k)}
}
