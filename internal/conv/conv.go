// Package conv maps slices and pointers value by value, keeping nil apart
// from empty. The converters between kura's domain types and their
// encodings (meta's records, s3api's XML) are built from it, because an
// encoding may tell nil from empty ("grants":null and "grants":[]) and a
// value must survive a round trip unchanged.
package conv

// Slice converts s element by element; nil stays nil.
func Slice[F, T any](s []F, f func(F) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// Ptr converts what p points to; nil stays nil.
func Ptr[F, T any](p *F, f func(F) T) *T {
	if p == nil {
		return nil
	}
	v := f(*p)
	return &v
}
