package kms

import (
	"reflect"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/meta"
)

// TestKeyRecordCache: getKeyRecord's decoding cache answers only for the
// exact bytes it decoded, and hands out copies a caller may change.
func TestKeyRecordCache(t *testing.T) {
	rec := &keyRecord{ID: "cache-test-key", Account: "111122223333", State: KeyStateEnabled, Created: time.Unix(1, 0).UTC(),
		Tags: []Tag{{TagKey: "a", TagValue: "b"}}, Materials: []material{{ID: "m1", Sealed: []byte{1, 2, 3}}}}
	raw, err := meta.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	decodedKeys.Put(rec.ID, raw, rec)
	got, _ := decodedKeys.Get(rec.ID, raw)
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("cached %+v, want %+v", got, rec)
	}
	got.Tags[0].TagValue, got.Materials[0].Sealed[0], got.State = "changed", 9, KeyStateDisabled
	if again, _ := decodedKeys.Get(rec.ID, raw); !reflect.DeepEqual(again, rec) {
		t.Errorf("a caller's change reached the cache: %+v", again)
	}
	rec.Description = "other bytes"
	raw2, err := meta.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := decodedKeys.Get(rec.ID, raw2); ok || got != nil {
		t.Errorf("cache answered for other bytes: %+v", got)
	}
}
