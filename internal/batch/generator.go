package batch

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
)

// The manifest generator (S3JobManifestGenerator): the current versions
// of the source bucket's objects that match every filter set, in key
// order. It lists page by page from its cursor (the last key listed), so
// it holds one page in memory and resumes after a crash without listing
// what it has already passed.

const listPage = 1000

type generatorSource struct {
	obj    *object.Service
	bucket string
	filter kura.JobManifestFilter
	cur    cursor
	page   []*kura.ObjectVersion
	end    bool // the last page has been listed
	// repl is the source bucket's replication configuration, read at the
	// first page (the replication filters are decided under it).
	repl   *kura.ReplicationConfiguration
	loaded bool
}

func openGenerator(obj *object.Service, g kura.JobManifestGenerator, at cursor) source {
	b, _ := bucketOfARN(g.SourceBucket)
	return &generatorSource{obj: obj, bucket: b, filter: g.Filter, cur: at}
}

func (g *generatorSource) next(ctx context.Context) (entry, cursor, error) {
	for {
		for len(g.page) > 0 {
			v := g.page[0]
			g.page = g.page[1:]
			g.cur.After = v.Key
			if !MatchesIn(g.filter, v, g.repl) {
				continue
			}
			g.cur.Next++
			e := entry{Bucket: g.bucket, Key: v.Key, RawKey: encodeKey(v.Key)}
			if v.VersionID != object.NullVersion {
				e.VersionID = v.VersionID
			}
			return e, g.cur, nil
		}
		if g.end {
			return entry{}, g.cur, io.EOF
		}
		if !g.loaded && (len(g.filter.ObjectReplicationStatuses) > 0 || g.filter.EligibleForReplication != nil) {
			b, err := g.obj.Bucket(ctx, g.bucket)
			if err != nil {
				return entry{}, g.cur, readFailure("source bucket", err)
			}
			g.repl, g.loaded = b.Replication, true
		}
		res, err := g.obj.ListObjects(ctx, object.ListInput{Bucket: g.bucket, After: g.cur.After, MaxKeys: listPage})
		if err != nil {
			return entry{}, g.cur, readFailure("source bucket listing", err)
		}
		g.page, g.end = res.Objects, !res.Truncated
	}
}

func (g *generatorSource) close() {}

// Matches says whether an object version passes every filter of f that is
// set (JobManifestGeneratorFilter), its bucket having no replication
// configuration (MatchesIn).
func Matches(f kura.JobManifestFilter, v *kura.ObjectVersion) bool {
	return MatchesIn(f, v, nil)
}

// MatchesIn is Matches in a bucket with replication configuration repl:
// ObjectReplicationStatuses match the version's status (NONE: it has
// none; a PENDING version matches no status, as the filter has no
// PENDING), and EligibleForReplication true keeps the versions an
// enabled rule of repl selects (false filters nothing).
func MatchesIn(f kura.JobManifestFilter, v *kura.ObjectVersion, repl *kura.ReplicationConfiguration) bool {
	if v.DeleteMarker {
		return false
	}
	if !f.CreatedAfter.IsZero() && !v.LastModified.After(f.CreatedAfter) {
		return false
	}
	if !f.CreatedBefore.IsZero() && !v.LastModified.Before(f.CreatedBefore) {
		return false
	}
	if len(f.MatchAnyPrefix) > 0 && !slices.ContainsFunc(f.MatchAnyPrefix, func(p string) bool { return strings.HasPrefix(v.Key, p) }) {
		return false
	}
	if len(f.MatchAnySuffix) > 0 && !slices.ContainsFunc(f.MatchAnySuffix, func(p string) bool { return strings.HasSuffix(v.Key, p) }) {
		return false
	}
	if len(f.MatchAnySubstring) > 0 && !slices.ContainsFunc(f.MatchAnySubstring, func(p string) bool { return strings.Contains(v.Key, p) }) {
		return false
	}
	if n := f.ObjectSizeGreaterThanBytes; n != nil && !(v.Size > *n) {
		return false
	}
	if n := f.ObjectSizeLessThanBytes; n != nil && !(v.Size < *n) {
		return false
	}
	if len(f.MatchAnyStorageClass) > 0 {
		class := v.StorageClass
		if class == "" {
			class = "STANDARD"
		}
		if !slices.Contains(f.MatchAnyStorageClass, class) {
			return false
		}
	}
	if len(f.ObjectReplicationStatuses) > 0 {
		st := v.ReplicationStatus
		if st == "" {
			st = "NONE"
		}
		if !slices.Contains(f.ObjectReplicationStatuses, st) {
			return false
		}
	}
	if e := f.EligibleForReplication; e != nil && *e && len(repl.Targets(v.Key, v.Tags, v.Encryption.Type, false)) == 0 {
		return false
	}
	if len(f.MatchAnyObjectEncryption) > 0 && !slices.ContainsFunc(f.MatchAnyObjectEncryption, func(e kura.EncryptionFilter) bool {
		return encryptionMatches(e, v.Encryption)
	}) {
		return false
	}
	return true
}

func encryptionMatches(f kura.EncryptionFilter, e kura.Encryption) bool {
	if f.Type != e.Type {
		return false
	}
	if f.Type != kura.SSEKMS && f.Type != kura.SSEDSSE {
		return true
	}
	if f.KMSKeyARN != "" && f.KMSKeyARN != e.KMSKeyARN {
		return false
	}
	if b := f.BucketKeyEnabled; b != nil && f.Type == kura.SSEKMS && *b != e.BucketKeyEnabled {
		return false
	}
	return true
}

// encodeKey URL-encodes a key as manifests and reports write it (S3
// Inventory's encoding: spaces as %20, slashes kept).
func encodeKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~/!*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}
