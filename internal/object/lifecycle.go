package object

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// What bucket lifecycle rules (internal/lifecycle) may do to objects, as
// object-service operations. Rules are judged twice: once over a page read
// by ScanVersions or ScanUploads, and again inside the transaction that
// applies the action, over the records as they are at commit time. The
// second judgement (Still) is what keeps a lifecycle run from undoing a
// concurrent write: an object overwritten, deleted, re-tagged or given a
// legal hold since the scan, or a configuration removed since, no longer
// gets the action it was scanned for. Object Lock is checked in that same
// transaction. Every operation is safe to repeat: applied twice, the second
// finds nothing left to do (ErrLifecycleStale).

// ErrLifecycleStale says a lifecycle action no longer applies: the version
// or upload changed or went away since it was evaluated, or the rules no
// longer call for the action. Nothing was changed.
var ErrLifecycleStale = errors.New("lifecycle action no longer applies")

// VersionState is one object version in the context of its key's versions,
// as lifecycle rules judge it.
type VersionState struct {
	*kura.ObjectVersion
	// Current is true for the newest version of its key (possibly a delete
	// marker); Only when it is also the key's only version.
	Current, Only bool
	// NoncurrentSince is when a noncurrent version became noncurrent: the
	// Last-Modified of the next newer version (its successor).
	NoncurrentSince time.Time
	// NewerNoncurrent counts the noncurrent versions newer than this one.
	// Inside a lifecycle transaction it is counted up to the limit the
	// caller gives, no further.
	NewerNoncurrent int

	// successor is the seq of the next newer version when the state was
	// read (noncurrent only): where a lifecycle transaction looks first.
	successor uint64
}

// LifecycleChange is what a lifecycle action did, for its audit event. It
// is handed to LifecycleHooks.Record inside the transaction that makes it.
type LifecycleChange struct {
	Bucket  *kura.Bucket        // as read in the transaction
	Version *kura.ObjectVersion // the version acted on, as it was (nil for an upload)
	Upload  *kura.Upload        // the upload aborted
	// Marker is the delete marker placed on top (expiration in a versioned
	// bucket).
	Marker *kura.ObjectVersion
	// Replaced is the null version a null delete marker replaced
	// (expiration with versioning suspended), now gone for good.
	Replaced *kura.ObjectVersion
	// Removed says the version or upload (and its data) is gone for good.
	Removed bool
	// ToClass is the storage class a transition gave the version.
	ToClass string
}

// LifecycleHooks connect a lifecycle action's transaction to its caller.
// Both run inside the transaction and may run more than once (group
// commit), so they must have no effect outside it.
type LifecycleHooks struct {
	// Still reports whether the action still applies to the version as it
	// is now (b is the bucket record, with its current rules). Required.
	Still func(b *kura.Bucket, v VersionState) bool
	// StillUpload is Still for AbortExpiredUpload.
	StillUpload func(b *kura.Bucket, u *kura.Upload) bool
	// Record is given the change once it is written; an error undoes it.
	Record func(tx meta.Tx, c LifecycleChange) error
	// CountLimit bounds the NewerNoncurrent count of a noncurrent version
	// (the largest NewerNoncurrentVersions the rules name).
	CountLimit int
}

func (h LifecycleHooks) record(tx meta.Tx, c LifecycleChange) error {
	if h.Record == nil {
		return nil
	}
	return h.Record(tx, c)
}

// ScanPosition is where a ScanVersions page ended; the zero value starts at
// the bucket's first key. It carries what the next page needs to place the
// rest of a key's versions (their successor and newer-noncurrent count), so
// a page may end in the middle of a key.
type ScanPosition struct {
	key       string
	seq       uint64
	started   bool
	index     int // versions of key visited so far
	succ      uint64
	succMTime time.Time
}

// ScanVersions reads up to limit versions of bucket, in key order and
// newest first within a key, starting after pos, each with its place among
// its key's versions. It returns the position to continue from and whether
// the bucket has been read to its end. One page is one read transaction;
// versions written between pages may be missed until the next scan.
func (s *Service) ScanVersions(ctx context.Context, bucket string, pos ScanPosition, limit int) ([]VersionState, ScanPosition, bool, error) {
	var out []VersionState
	done := false
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		out, done = out[:0], false
		if _, err := getBucket(tx, bucket); err != nil {
			return err
		}
		p := pos
		prefix := meta.ObjectPrefix(bucket, "")
		c := meta.Versions(tx)
		k, v := c.Seek(prefix)
		if p.started {
			from := meta.VersionKey(bucket, p.key, p.seq)
			if k, v = c.Seek(from); k != nil && bytes.Equal(k, from) {
				k, v = c.Next()
			}
		}
		for k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit {
			key, seq, ok := meta.SplitVersionKey(bucket, k)
			if !ok {
				return errors.New("lifecycle scan: malformed version key")
			}
			ov, err := v.Decode()
			if err != nil {
				return err
			}
			if !p.started || key != p.key {
				p = ScanPosition{key: key, started: true}
			}
			st := VersionState{ObjectVersion: ov, Current: p.index == 0}
			if !st.Current {
				st.NoncurrentSince, st.NewerNoncurrent, st.successor = p.succMTime, p.index-1, p.succ
			}
			k, v = c.Next()
			if st.Current {
				next, _, ok := meta.SplitVersionKey(bucket, k)
				st.Only = k == nil || !bytes.HasPrefix(k, prefix) || !ok || next != key
			}
			out = append(out, st)
			p.seq, p.index, p.succ, p.succMTime = seq, p.index+1, seq, ov.LastModified
		}
		pos, done = p, k == nil || !bytes.HasPrefix(k, prefix)
		return nil
	})
	return out, pos, done, s3err.Internal(err)
}

// stateOf re-reads, inside a transaction, the version with want's seq in
// its key's context as it is now, or ErrLifecycleStale when it is gone.
// A noncurrent version's successor is the next newer version now, which
// is not the one the scan saw when versions in between were removed since
// (often by the same run, expiring a chain of old versions).
func stateOf(tx meta.Tx, bucket, key string, want VersionState, limit int) (VersionState, error) {
	vkey := meta.VersionKey(bucket, key, want.Seq)
	v, err := meta.GetVersion(tx, bucket, key, want.Seq)
	if errors.Is(err, meta.ErrNotFound) {
		return VersionState{}, ErrLifecycleStale
	}
	if err != nil {
		return VersionState{}, err
	}
	if v.VersionID != want.VersionID {
		return VersionState{}, ErrLifecycleStale
	}
	st := VersionState{ObjectVersion: v}
	prefix := meta.VersionsPrefix(bucket, key)
	c := meta.Versions(tx)
	if first, _ := c.Seek(prefix); bytes.Equal(first, vkey) {
		st.Current = true
		k, _ := c.Next()
		st.Only = k == nil || !bytes.HasPrefix(k, prefix)
		return st, nil
	}
	// The successor: the scan's, if it is still directly newer than v (one
	// seek), else found below by walking from the newest version.
	var succ meta.RawVersion
	if want.successor != 0 {
		skey := meta.VersionKey(bucket, key, want.successor)
		if k, val := c.Seek(skey); bytes.Equal(k, skey) {
			if next, _ := c.Next(); bytes.Equal(next, vkey) {
				succ = val
			}
		}
	}
	// Count the noncurrent versions newer than v (every version before it
	// but the current one), up to limit; without the successor, walk on to
	// v: the last version before it is its successor.
	found, n := succ != nil, 0
	for k, val := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, val = c.Next() {
		if bytes.Equal(k, vkey) || found && n > limit {
			break
		}
		n++
		if !found {
			succ = val
		}
	}
	if succ == nil {
		return VersionState{}, ErrLifecycleStale
	}
	sv, err := succ.Decode()
	if err != nil {
		return VersionState{}, err
	}
	st.NoncurrentSince, st.successor, st.NewerNoncurrent = sv.LastModified, sv.Seq, max(n-1, 0)
	return st, nil
}

// lifecycleUpdate runs one lifecycle action: it re-reads the bucket and the
// version the caller evaluated, asks h.Still whether the action still
// applies, and if so lets act change it and records the change.
func (s *Service) lifecycleUpdate(ctx context.Context, bucket string, want VersionState, h LifecycleHooks,
	act func(tx meta.Tx, b *kura.Bucket, st VersionState, release func(...string) error) (LifecycleChange, error)) (LifecycleChange, error) {
	var out LifecycleChange
	err := s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		out = LifecycleChange{}
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		st, err := stateOf(tx, bucket, want.Key, want, h.CountLimit)
		if err != nil {
			return err
		}
		if !h.Still(b, st) {
			return ErrLifecycleStale
		}
		c, err := act(tx, b, st, release)
		if err != nil {
			return err
		}
		c.Bucket = b
		if c.Version == nil {
			c.Version = st.ObjectVersion
		}
		if err := h.record(tx, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	if errors.Is(err, ErrLifecycleStale) {
		return LifecycleChange{}, err
	}
	return out, s3err.Internal(err)
}

// ExpireCurrentVersion applies an Expiration action to the current version
// want: in a bucket that never had versioning the version is deleted; with
// versioning enabled a delete marker is placed on top; with versioning
// suspended a null delete marker replaces the null version. The marker's
// Last-Modified is markerTime (S3 dates lifecycle markers at the midnight of
// the run). A version under Object Lock is never deleted (ErrLocked); a
// marker may still be placed on top of it, as for a simple DELETE.
func (s *Service) ExpireCurrentVersion(ctx context.Context, bucket string, want VersionState, markerTime time.Time, h LifecycleHooks) (LifecycleChange, error) {
	return s.lifecycleUpdate(ctx, bucket, want, h, func(tx meta.Tx, b *kura.Bucket, st VersionState, release func(...string) error) (LifecycleChange, error) {
		if !st.Current || st.DeleteMarker {
			return LifecycleChange{}, ErrLifecycleStale
		}
		if b.Versioning == "" {
			if err := checkDelete(st.ObjectVersion, s.now(), false); err != nil {
				return LifecycleChange{}, err
			}
			if err := meta.DeleteVersion(tx, st.ObjectVersion); err != nil {
				return LifecycleChange{}, err
			}
			return LifecycleChange{Removed: true}, release(st.BlobIDs()...)
		}
		var replaced *kura.ObjectVersion
		if b.Versioning != "Enabled" {
			// Suspended: the null delete marker replaces the null version,
			// wherever it is in the stack; a protected one cannot be.
			vs, err := meta.VersionsOf(tx, bucket, st.Key)
			if err != nil {
				return LifecycleChange{}, err
			}
			for _, old := range vs {
				if old.VersionID == NullVersion {
					if err := checkDelete(old, s.now(), false); err != nil {
						return LifecycleChange{}, err
					}
					replaced = old
				}
			}
		}
		dm := &kura.ObjectVersion{Bucket: bucket, Key: st.Key, DeleteMarker: true,
			LastModified: markerTime.UTC().Truncate(time.Millisecond), Owner: b.Owner}
		if err := allocate(tx, dm); err != nil {
			return LifecycleChange{}, err
		}
		if err := installLocal(tx, b, dm, release); err != nil { // S3 does not replicate lifecycle's delete markers
			return LifecycleChange{}, err
		}
		return LifecycleChange{Marker: dm, Replaced: replaced, Removed: replaced != nil && replaced.Seq == st.Seq}, nil
	})
}

// RemoveExpiredDeleteMarker removes want, a delete marker that is its key's
// only version (an expired object delete marker).
func (s *Service) RemoveExpiredDeleteMarker(ctx context.Context, bucket string, want VersionState, h LifecycleHooks) (LifecycleChange, error) {
	return s.lifecycleUpdate(ctx, bucket, want, h, func(tx meta.Tx, _ *kura.Bucket, st VersionState, _ func(...string) error) (LifecycleChange, error) {
		if !st.Current || !st.Only || !st.DeleteMarker {
			return LifecycleChange{}, ErrLifecycleStale
		}
		return LifecycleChange{Removed: true}, meta.DeleteVersion(tx, st.ObjectVersion)
	})
}

// ExpireNoncurrentVersion permanently deletes want, a noncurrent version or
// delete marker, unless Object Lock protects it (ErrLocked).
func (s *Service) ExpireNoncurrentVersion(ctx context.Context, bucket string, want VersionState, h LifecycleHooks) (LifecycleChange, error) {
	return s.lifecycleUpdate(ctx, bucket, want, h, func(tx meta.Tx, _ *kura.Bucket, st VersionState, release func(...string) error) (LifecycleChange, error) {
		if st.Current {
			return LifecycleChange{}, ErrLifecycleStale
		}
		if err := checkDelete(st.ObjectVersion, s.now(), false); err != nil {
			return LifecycleChange{}, err
		}
		if err := meta.DeleteVersion(tx, st.ObjectVersion); err != nil {
			return LifecycleChange{}, err
		}
		return LifecycleChange{Removed: true}, release(st.BlobIDs()...)
	})
}

// TransitionVersion changes want's storage class to class. Only the record
// changes: the data stays where and as it is, and an archive class makes it
// readable only after a restore, as for any version of that class.
func (s *Service) TransitionVersion(ctx context.Context, bucket string, want VersionState, class string, h LifecycleHooks) (LifecycleChange, error) {
	return s.lifecycleUpdate(ctx, bucket, want, h, func(tx meta.Tx, _ *kura.Bucket, st VersionState, _ func(...string) error) (LifecycleChange, error) {
		if st.DeleteMarker {
			return LifecycleChange{}, ErrLifecycleStale
		}
		before := *st.ObjectVersion
		st.StorageClass = class
		return LifecycleChange{Version: &before, ToClass: class}, meta.PutVersion(tx, st.ObjectVersion)
	})
}

// ScanUploads reads up to limit in-progress multipart uploads of bucket in
// key order, after the upload whose table key is after (nil: from the
// first). It returns the key to continue from and whether it reached the
// end.
func (s *Service) ScanUploads(ctx context.Context, bucket string, after []byte, limit int) ([]*kura.Upload, []byte, bool, error) {
	var out []*kura.Upload
	var next []byte
	done := false
	err := s.meta.View(ctx, func(tx meta.Tx) (err error) {
		if _, err := getBucket(tx, bucket); err != nil {
			return err
		}
		out, next, done, err = meta.UploadsPage(tx, bucket, "", after, limit)
		return err
	})
	return out, next, done, s3err.Internal(err)
}

// AbortExpiredUpload aborts an incomplete multipart upload on a lifecycle
// rule's behalf, releasing its parts' blobs, if h.StillUpload still says so.
func (s *Service) AbortExpiredUpload(ctx context.Context, want *kura.Upload, h LifecycleHooks) (LifecycleChange, error) {
	var out LifecycleChange
	err := s.update(ctx, func(tx meta.Tx, release func(...string) error) error {
		out = LifecycleChange{}
		b, err := getBucket(tx, want.Bucket)
		if err != nil {
			return err
		}
		u, err := getUpload(tx, want.Bucket, want.Key, want.UploadID)
		if s3err.Is(err, s3err.NoSuchUpload) {
			return ErrLifecycleStale
		}
		if err != nil {
			return err
		}
		if !h.StillUpload(b, u) {
			return ErrLifecycleStale
		}
		if err := deleteUploadParts(tx, u.UploadID, release); err != nil {
			return err
		}
		if err := meta.DeleteUpload(tx, u.Bucket, u.Key, u.UploadID); err != nil {
			return err
		}
		c := LifecycleChange{Bucket: b, Upload: u, Removed: true}
		if err := h.record(tx, c); err != nil {
			return err
		}
		out = c
		return nil
	})
	if errors.Is(err, ErrLifecycleStale) {
		return LifecycleChange{}, err
	}
	return out, s3err.Internal(err)
}
