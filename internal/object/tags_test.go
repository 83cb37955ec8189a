package object

import (
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

func TestValidateTags(t *testing.T) {
	n := func(count int) []kura.Tag {
		tags := make([]kura.Tag, count)
		for i := range tags {
			tags[i] = kura.Tag{Key: "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Value: "v"}
		}
		return tags
	}
	for _, tc := range []struct {
		name string
		tags []kura.Tag
		max  int
		want *s3err.Error // nil: valid
	}{
		{"none", nil, 10, nil},
		{"ten on an object", n(10), 10, nil},
		{"eleven on an object", n(11), 10, s3err.BadRequest},
		{"fifty on a bucket", n(50), 50, nil},
		{"fifty-one on a bucket", n(51), 50, s3err.BadRequest},
		{"every allowed character", []kura.Tag{{Key: "Aé 1+-=._:/@", Value: "日本語 ok"}}, 10, nil},
		{"empty value", []kura.Tag{{Key: "k", Value: ""}}, 10, nil},
		{"empty key", []kura.Tag{{Key: "", Value: "v"}}, 10, s3err.InvalidTag},
		{"key of 128", []kura.Tag{{Key: strings.Repeat("é", 128), Value: "v"}}, 10, nil},
		{"key of 129", []kura.Tag{{Key: strings.Repeat("k", 129), Value: "v"}}, 10, s3err.InvalidTag},
		{"value of 257", []kura.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}, 10, s3err.InvalidTag},
		{"key with ;", []kura.Tag{{Key: "a;b", Value: "v"}}, 10, s3err.InvalidTag},
		{"value with <", []kura.Tag{{Key: "k", Value: "<"}}, 10, s3err.InvalidTag},
		{"invalid UTF-8", []kura.Tag{{Key: "k", Value: "\xff"}}, 10, s3err.InvalidTag},
		{"aws: prefix", []kura.Tag{{Key: "AWS:thing", Value: "v"}}, 10, s3err.InvalidTag},
		{"duplicate key", []kura.Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}, 10, s3err.InvalidTag},
	} {
		err := ValidateTags(tc.tags, tc.max)
		if tc.want == nil && err != nil || tc.want != nil && !s3err.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
