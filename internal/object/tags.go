package object

import (
	"context"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// ValidateTags applies S3's tag limits (max tags, key and value lengths,
// unique keys).
func ValidateTags(tags []kura.Tag, max int) error {
	if len(tags) > max {
		return s3err.InvalidTag.WithMessage("Object tags cannot be greater than %d", max)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.Key == "" || len([]rune(t.Key)) > 128:
			return s3err.InvalidTag.WithMessage("The TagKey you have provided is invalid")
		case len([]rune(t.Value)) > 256:
			return s3err.InvalidTag.WithMessage("The TagValue you have provided is invalid")
		case seen[t.Key]:
			return s3err.InvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

// UpdateVersion applies fn to one object version's record in place (tags,
// and later encryption, retention, legal hold). It returns the updated
// version. Delete markers cannot be updated.
func (s *Service) UpdateVersion(ctx context.Context, bucket, key, versionID string, fn func(v *kura.ObjectVersion) error) (*kura.ObjectVersion, error) {
	var out *kura.ObjectVersion
	err := s.meta.Update(ctx, func(tx meta.Tx) error {
		v, err := lookup(tx, bucket, key, versionID)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		out = v
		return meta.PutVersion(tx, v)
	})
	return out, internal(err)
}
