package meta

import (
	"reflect"
	"time"

	"github.com/kurastore/kura"
)

// decodedBuckets keeps bucket records decoded: every S3 request reads its
// bucket's record (a PUT twice: for authorization and in its commit), and
// decoding its JSON was a few per cent of a 4 KiB GET's CPU and a tenth
// of its allocations (issue 18). At most 1,024 records (well under a
// kilobyte each unless they carry a large policy or configuration).
var decodedBuckets = NewDecoded(1024, cloneBucket)

// decodeBucket is DecodeBucket(raw) for the record of bucket name.
func decodeBucket(name string, raw []byte) (*kura.Bucket, error) {
	if b, ok := decodedBuckets.Get(name, raw); ok {
		return b, nil
	}
	b, err := DecodeBucket(raw)
	if err != nil {
		return nil, err
	}
	decodedBuckets.Put(name, raw, b)
	return b, nil
}

// cloneBucket returns a copy of b that shares nothing that can be written
// through with it: every pointer, slice and map in it, at any depth, is
// copied (TestCloneBucket checks every field).
func cloneBucket(b *kura.Bucket) *kura.Bucket {
	c := new(kura.Bucket)
	deepCopy(reflect.ValueOf(c).Elem(), reflect.ValueOf(b).Elem())
	return c
}

var timeValueType = reflect.TypeFor[time.Time]()

// deepCopy sets dst, a settable value, to a deep copy of src. Nil stays
// nil and empty stays empty, as a decoding gives them. time.Time is a
// value (its *Location is shared and immutable); a struct with unexported
// fields other than that is copied as a value, which TestCloneBucket
// would catch in the kura types.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	case reflect.Struct:
		if src.Type() == timeValueType {
			dst.Set(src)
			return
		}
		for i := range src.NumField() {
			if !dst.Field(i).CanSet() {
				dst.Set(src)
				return
			}
		}
		for i := range src.NumField() {
			deepCopy(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}
