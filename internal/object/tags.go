package object

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/s3err"
)

// ValidateTags applies S3's tag rules: at most max tags (10 on an object,
// 50 on a bucket; more is BadRequest, as S3 answers, not InvalidTag), keys
// of 1–128 and values of 0–256 characters drawn from letters, digits,
// white space and + - = . _ : / @, no key twice, no key in the aws:
// namespace.
func ValidateTags(tags []kura.Tag, max int) error {
	if len(tags) > max {
		if max == 10 {
			return s3err.BadRequest.WithMessage("Object tags cannot be greater than 10")
		}
		return s3err.BadRequest.WithMessage("Bucket tag count cannot be greater than %d", max)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > 128 || !tagText(t.Key):
			return s3err.InvalidTag.WithMessage("The TagKey you have provided is invalid")
		case utf8.RuneCountInString(t.Value) > 256 || !tagText(t.Value):
			return s3err.InvalidTag.WithMessage("The TagValue you have provided is invalid")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return s3err.InvalidTag.WithMessage("Your TagKey cannot be prefixed with aws:")
		case seen[t.Key]:
			return s3err.InvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

// tagText reports whether s is valid UTF-8 made of the characters AWS
// allows in tags.
func tagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && !unicode.IsMark(r) && !strings.ContainsRune("+-=._:/@", r) {
			return false
		}
	}
	return true
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
		before := *v
		if err := fn(v); err != nil {
			return err
		}
		if err := queueMetadataReplication(tx, &before, v); err != nil {
			return err
		}
		out = v
		return meta.PutVersion(tx, v)
	})
	return out, s3err.Internal(err)
}
