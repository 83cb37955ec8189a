package ops

import (
	"context"
	"strconv"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

var (
	// ListObjectsV2 is recorded as ListObjects, as CloudTrail does.
	specListObjects = spec{name: "ListObjects", readOnly: true, status: statusOK,
		actions: []string{"s3:ListBucket"}}
	specListObjectVersions = spec{name: "ListObjectVersions", sub: "versions", readOnly: true, status: statusOK,
		actions: []string{"s3:ListBucketVersions"}}
)

// MaxListKeys is the most entries one listing page holds.
const MaxListKeys = 1000

// ListInput is ListObjects' and ListObjectVersions': the keys of a
// bucket under Prefix, rolled up at Delimiter, after a marker.
type ListInput struct {
	BucketTarget
	Prefix, Delimiter string
	// After lists keys strictly after this one (ListObjects' marker,
	// ListObjectsV2's start-after or decoded continuation token,
	// ListObjectVersions' key-marker).
	After string
	// VersionAfter, with After, resumes a version listing after that
	// version of After (version-id-marker).
	VersionAfter string
	// MaxKeys is at most MaxListKeys; 0 lists nothing (S3 answers an
	// empty page, the bucket still checked).
	MaxKeys int
}

// listConditions are the listing's condition keys (s3:prefix,
// s3:delimiter, s3:max-keys), present when the input names them.
func listConditions(in ListInput) map[string][]string {
	m := map[string][]string{"s3:max-keys": {strconv.Itoa(in.MaxKeys)}}
	if in.Prefix != "" {
		m["s3:prefix"] = []string{in.Prefix}
	}
	if in.Delimiter != "" {
		m["s3:delimiter"] = []string{in.Delimiter}
	}
	return m
}

// ListObjects lists a bucket's current objects (no delete markers), by
// key. The versions listed carry no key material.
func (s *Service) ListObjects(ctx context.Context, call kura.Call, in ListInput) (*object.ListResult, error) {
	return s.list(ctx, call, specListObjects, in, s.obj.ListObjects)
}

// ListObjectVersions lists every version and delete marker of a bucket's
// keys, newest first per key. The versions listed carry no key material.
func (s *Service) ListObjectVersions(ctx context.Context, call kura.Call, in ListInput) (*object.ListResult, error) {
	return s.list(ctx, call, specListObjectVersions, in, s.obj.ListVersions)
}

func (s *Service) list(ctx context.Context, call kura.Call, sp spec, in ListInput,
	list func(context.Context, object.ListInput) (*object.ListResult, error)) (*object.ListResult, error) {
	r, ctx := s.begin(ctx, call, sp, in.target(), listConditions(in))
	if r.front == nil {
		for k, v := range map[string]string{"prefix": in.Prefix, "delimiter": in.Delimiter} {
			if v != "" {
				r.rec.RequestParameters[k] = v
			}
		}
	}
	res, err := func() (*object.ListResult, error) {
		if err := r.authorize(ctx); err != nil {
			return nil, err
		}
		if in.MaxKeys < 0 {
			return nil, s3err.InvalidArgument.WithMessage("Provided %s not an integer or within integer range", "max-keys").With("ArgumentName", "max-keys")
		}
		if in.VersionAfter != "" && in.After == "" {
			return nil, s3err.InvalidArgument.WithMessage("A version-id marker cannot be specified without a key marker.").
				With("ArgumentName", "version-id-marker")
		}
		res, err := list(ctx, object.ListInput{Bucket: in.Bucket, Prefix: in.Prefix, Delimiter: in.Delimiter,
			After: in.After, VersionAfter: in.VersionAfter, MaxKeys: min(in.MaxKeys, MaxListKeys)})
		if err != nil {
			return nil, err
		}
		// Each listing decodes its own records: scrubbing them in place
		// touches no one else's.
		for _, v := range res.Objects {
			v.Encryption = PublicEncryption(v.Encryption)
		}
		return res, nil
	}()
	return res, r.finish(r.spec.status, err)
}
