package object

import (
	"bytes"
	"context"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// ListInput selects objects for ListObjects (V1 and V2) and
// ListObjectVersions.
type ListInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	// After: list keys strictly after this key (V1 marker, V2 start-after or
	// continuation). If it is a common prefix, everything under it is skipped.
	After   string
	MaxKeys int
	// VersionAfter, with After, resumes a version listing after that
	// version of After (ListObjectVersions version-id-marker).
	VersionAfter string
}

// ListResult is one page of a listing.
type ListResult struct {
	Objects        []*kura.ObjectVersion // current versions (ListObjects) or all versions (ListObjectVersions)
	IsLatest       []bool                // per Objects entry, version listings only
	CommonPrefixes []string
	Truncated      bool
	// NextKey is the last key or common prefix returned; NextVersion the
	// last version id (version listings).
	NextKey, NextVersion string
}

// successor returns the smallest string greater than every string with the
// given prefix, or "" if there is none (prefix all 0xff).
func successor(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// ListObjects lists current, non-deleted object versions. It walks the
// versions table once, seeking past every key's older versions and past
// every common prefix, so its cost is proportional to the page, not to the
// number of versions or keys rolled up into prefixes.
func (s *Service) ListObjects(ctx context.Context, in ListInput) (*ListResult, error) {
	return s.list(ctx, in, false)
}

// ListVersions lists all versions and delete markers, newest first per key.
func (s *Service) ListVersions(ctx context.Context, in ListInput) (*ListResult, error) {
	return s.list(ctx, in, true)
}

func (s *Service) list(ctx context.Context, in ListInput, versions bool) (*ListResult, error) {
	res := &ListResult{}
	if in.MaxKeys <= 0 {
		return res, s3err.Internal(s.meta.View(ctx, func(tx meta.Tx) error { _, err := getBucket(tx, in.Bucket); return err }))
	}
	err := s.meta.View(ctx, func(tx meta.Tx) error {
		if _, err := getBucket(tx, in.Bucket); err != nil {
			return err
		}
		w := walker{tx: tx, in: in, res: res, versions: versions, c: meta.Versions(tx), bucketPrefix: meta.ObjectPrefix(in.Bucket, "")}
		return w.run()
	})
	return res, s3err.Internal(err)
}

type walker struct {
	tx           meta.Tx
	in           ListInput
	res          *ListResult
	versions     bool
	c            meta.VersionCursor
	bucketPrefix []byte
	count        int
	curKey       string
	curLatest    uint64
}

func (w *walker) full() bool { return w.count >= w.in.MaxKeys }

func (w *walker) run() error {
	in := w.in
	k, v := w.start()
	for k != nil {
		key, _, ok := meta.SplitVersionKey(in.Bucket, k)
		if !ok || !strings.HasPrefix(key, in.Prefix) {
			return nil
		}
		if in.Delimiter != "" {
			if i := strings.Index(key[len(in.Prefix):], in.Delimiter); i >= 0 {
				cp := key[:len(in.Prefix)+i+len(in.Delimiter)]
				if w.full() {
					w.res.Truncated = true
					return nil
				}
				w.res.CommonPrefixes = append(w.res.CommonPrefixes, cp)
				w.res.NextKey, w.res.NextVersion = cp, ""
				w.count++
				next := successor(cp)
				if next == "" {
					return nil
				}
				k, v = w.c.Seek(meta.ObjectPrefix(in.Bucket, next))
				continue
			}
		}
		ov, err := v.Decode()
		if err != nil {
			return err
		}
		if !w.versions {
			// The first record of a key is its current version.
			if !ov.DeleteMarker {
				if w.full() {
					w.res.Truncated = true
					return nil
				}
				w.res.Objects = append(w.res.Objects, ov)
				w.res.NextKey = key
				w.count++
			}
			k, v = w.skipVersions(key)
			continue
		}
		if w.full() {
			w.res.Truncated = true
			return nil
		}
		if key != w.curKey {
			w.curKey = key
			if cur, err := latest(w.tx, in.Bucket, key); err == nil {
				w.curLatest = cur.Seq
			}
		}
		w.res.Objects = append(w.res.Objects, ov)
		w.res.IsLatest = append(w.res.IsLatest, ov.Seq == w.curLatest)
		w.res.NextKey, w.res.NextVersion = key, ov.VersionID
		w.count++
		k, v = w.c.Next()
	}
	return nil
}

// skipVersions moves the cursor past the older versions of key. Most keys
// have one or two versions, and Next is several times cheaper than Seek, so
// it steps first and seeks only past a long version stack.
func (w *walker) skipVersions(key string) (k []byte, v meta.RawVersion) {
	prefix := meta.VersionsPrefix(w.in.Bucket, key)
	for i := 0; i < 4; i++ {
		k, v = w.c.Next()
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return k, v
		}
	}
	return w.c.Seek(meta.AfterKey(w.in.Bucket, key))
}

// start positions the cursor at the first record to consider.
func (w *walker) start() (k []byte, v meta.RawVersion) {
	in := w.in
	from := in.Prefix
	if in.After == "" || in.After < from {
		k, v = w.c.Seek(meta.ObjectPrefix(in.Bucket, from))
		return w.bound(k, v)
	}
	if in.Delimiter != "" && strings.HasPrefix(in.After, in.Prefix) && strings.HasSuffix(in.After, in.Delimiter) &&
		strings.Contains(in.After[len(in.Prefix):], in.Delimiter) {
		// Resuming after a common prefix: skip everything under it.
		if next := successor(in.After); next != "" {
			return w.bound(w.c.Seek(meta.ObjectPrefix(in.Bucket, next)))
		}
		return nil, nil
	}
	if w.versions && in.VersionAfter != "" {
		// Resume inside the versions of in.After, after VersionAfter.
		prefix := meta.VersionsPrefix(in.Bucket, in.After)
		for k, v = w.c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = w.c.Next() {
			ov, err := v.Decode()
			if err == nil && ov.VersionID == in.VersionAfter {
				return w.bound(w.c.Next())
			}
		}
		// Unknown version marker: continue with the next key.
	}
	return w.bound(w.c.Seek(meta.AfterKey(in.Bucket, in.After)))
}

// bound stops the walk at the end of the bucket.
func (w *walker) bound(k []byte, v meta.RawVersion) ([]byte, meta.RawVersion) {
	if k == nil || !bytes.HasPrefix(k, w.bucketPrefix) {
		return nil, nil
	}
	return k, v
}
