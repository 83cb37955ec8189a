package meta

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
)

// TestCloneBucket: a clone of a bucket with every field set, nested ones
// included, is equal to it and shares no pointer, slice or map with it,
// so a caller modifying the bucket GetBucket gave it cannot reach the
// cached decoding. The filler fails the test for a field added to
// kura.Bucket that it cannot fill.
func TestCloneBucket(t *testing.T) {
	b := &kura.Bucket{}
	(&filler{t: t}).fill(reflect.ValueOf(b).Elem(), "Bucket")
	if zero := zeroFields(reflect.ValueOf(b), ""); len(zero) != 0 {
		t.Fatalf("the filler left fields zero: %v", zero)
	}
	c := cloneBucket(b)
	if d := cmp.Diff(b, c); d != "" {
		t.Fatalf("clone differs (-want +got):\n%s", d)
	}
	if shared := sharedMemory(reflect.ValueOf(b), reflect.ValueOf(c), "Bucket"); len(shared) != 0 {
		t.Errorf("the clone shares memory with the original at %v", shared)
	}
	// nil and empty stay as they are.
	e := &kura.Bucket{Tags: []kura.Tag{}, CORS: nil}
	if c := cloneBucket(e); c.Tags == nil || len(c.Tags) != 0 || c.CORS != nil {
		t.Errorf("clone of empty and nil slices: Tags %#v, CORS %#v", c.Tags, c.CORS)
	}
}

// sharedMemory lists the paths at which a and b, equal values, hold the
// same pointer, slice array or map.
func sharedMemory(a, b reflect.Value, path string) []string {
	var out []string
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return nil
		}
		if a.Pointer() == b.Pointer() {
			out = append(out, path)
		}
		out = append(out, sharedMemory(a.Elem(), b.Elem(), path)...)
	case reflect.Slice:
		if a.Len() == 0 {
			return nil
		}
		if a.Pointer() == b.Pointer() {
			out = append(out, path)
		}
		for i := range a.Len() {
			out = append(out, sharedMemory(a.Index(i), b.Index(i), path+"[]")...)
		}
	case reflect.Map:
		if a.IsNil() {
			return nil
		}
		if a.Pointer() == b.Pointer() {
			out = append(out, path)
		}
		for it := a.MapRange(); it.Next(); {
			out = append(out, sharedMemory(it.Value(), b.MapIndex(it.Key()), path+"[k]")...)
		}
	case reflect.Struct:
		if a.Type() == timeValueType {
			return nil
		}
		for i := range a.NumField() {
			out = append(out, sharedMemory(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)...)
		}
	case reflect.Interface:
		out = append(out, path+" (an interface: deepCopy copies it shallow)")
	}
	return out
}

// TestGetBucketDecodesOnce: GetBucket answers from the decoding of the
// exact bytes stored, and from nothing else: a changed record is decoded
// again, and what a caller does to the bucket it got never shows in the
// next caller's.
func TestGetBucketDecodesOnce(t *testing.T) {
	name := "cache-test-bucket"
	get := func(raw []byte) *kura.Bucket {
		t.Helper()
		b, err := decodeBucket(name, raw)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v1, err := EncodeBucket(&kura.Bucket{Name: name, Owner: "111122223333", Tags: []kura.Tag{{Key: "k", Value: "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := EncodeBucket(&kura.Bucket{Name: name, Owner: "111122223333", Versioning: "Enabled"})
	if err != nil {
		t.Fatal(err)
	}
	first := get(v1)
	first.Tags[0].Value = "changed by the caller"
	first.Owner = "someone else"
	if again := get(v1); again.Owner != "111122223333" || again.Tags[0].Value != "v" {
		t.Errorf("a caller's change reached the cache: %+v", again)
	}
	if b := get(v2); b.Versioning != "Enabled" || b.Tags != nil {
		t.Errorf("changed record: %+v", b)
	}
	if b := get(v1); b.Versioning != "" || len(b.Tags) != 1 {
		t.Errorf("the record changed back: %+v", b)
	}
	if _, err := decodeBucket(name, []byte{1, '{'}); err == nil {
		t.Error("a damaged record decoded")
	}
}

// BenchmarkGetBucketRecord: what reading a bucket's record costs a
// request, decoded each time and through decodedBuckets.
func BenchmarkGetBucketRecord(b *testing.B) {
	raw, err := EncodeBucket(&kura.Bucket{Name: "bench", Owner: "111122223333", Region: "us-east-1",
		Created: time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC), ObjectOwnership: "BucketOwnerEnforced"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeBucket(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeBucket("bench", raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
