package meta

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
)

var updateV2Golden = flag.Bool("update-v2", false, "rewrite testdata/records-v2 from the current encoder")

// sameTime compares times as a record must keep them: the same instant to
// the nanosecond and the same zone offset (cmp's default, time.Equal,
// would accept a time moved to another zone).
var sameTime = cmp.Comparer(func(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
})

// filler sets every field of a value by reflection, so that a field added
// to kura.ObjectVersion later is set here without anyone touching this
// test, and the round trips below fail until the codec carries it. With a
// random source it leaves some fields zero, nil or empty instead.
type filler struct {
	t   *testing.T
	n   int
	rnd *rand.Rand // nil: every field set
}

// pick returns 0 (zero value), 1 (empty, not nil, where that exists) or 2
// (set); always 2 without a random source.
func (f *filler) pick() int {
	if f.rnd == nil {
		return 2
	}
	return f.rnd.IntN(3)
}

var (
	timeType = reflect.TypeFor[time.Time]()
	zone2h   = time.FixedZone("", 2*3600)
	zoneNeg  = time.FixedZone("", -(9*3600 + 30*60))
)

func (f *filler) fill(v reflect.Value, path string) {
	f.n++
	n := f.n
	if v.Type() == timeType {
		var t time.Time
		switch p := f.pick(); {
		case p == 0 && f.rnd.IntN(2) == 0:
			t = time.Time{}.In(zone2h) // the zero instant, not in UTC: kept
		case p == 0:
		case p == 1:
			t = time.Date(2025, 6, 7, 8, 9, 10, 500000000+n, zone2h)
		case f.rnd != nil && f.rnd.IntN(2) == 0:
			t = time.Date(1969, 12, 31, 23, 59, 59, n, zoneNeg) // before the Unix epoch
		default:
			t = time.Date(2024, 3, 5, 7, 8, 9, 123456789+n, time.UTC)
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	p := f.pick()
	switch v.Kind() {
	case reflect.String:
		if p != 0 {
			v.SetString("s" + strings.Repeat("x", n%3) + "-é✓" + string(rune('a'+n%26)))
		}
	case reflect.Bool:
		v.SetBool(p != 0)
	case reflect.Int, reflect.Int64:
		switch p {
		case 1:
			v.SetInt(-int64(n))
		case 2:
			v.SetInt(1<<40 + int64(n))
		}
	case reflect.Uint64:
		if p != 0 {
			v.SetUint(1<<63 + uint64(n))
		}
	case reflect.Slice:
		switch {
		case p == 0:
		case p == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case v.Type().Elem().Kind() == reflect.Uint8:
			v.SetBytes([]byte{0, byte(n), 255, '"'})
		default:
			s := reflect.MakeSlice(v.Type(), 2, 2)
			for i := range 2 {
				f.fill(s.Index(i), path+"[]")
			}
			v.Set(s)
		}
	case reflect.Map:
		if p == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := range 2 * (p - 1) {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k, path+"{}")
			k.SetString(k.String() + string(rune('0'+i)))
			f.fill(e, path+"{}")
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		if p != 0 {
			e := reflect.New(v.Type().Elem())
			if p == 2 {
				f.fill(e.Elem(), path)
			}
			v.Set(e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	default:
		f.t.Fatalf("fill: %s is a %s, which this test does not know how to set: teach it", path, v.Type())
	}
}

func fullVersion(t *testing.T) *kura.ObjectVersion {
	v := &kura.ObjectVersion{}
	(&filler{t: t}).fill(reflect.ValueOf(v).Elem(), "ObjectVersion")
	return v
}

func roundTripV2(t *testing.T, v *kura.ObjectVersion) *kura.ObjectVersion {
	t.Helper()
	b, err := EncodeVersion(v)
	if err != nil {
		t.Fatalf("EncodeVersion: %v", err)
	}
	if b[0] != versionRecordV2 {
		t.Fatalf("record version %d, want %d", b[0], versionRecordV2)
	}
	got, err := DecodeVersion(b)
	if err != nil {
		t.Fatalf("DecodeVersion: %v", err)
	}
	return got
}

// TestVersionV2EveryField: a version with every field set, nested ones
// included, comes back equal; zeroFields proves the filler left none out.
func TestVersionV2EveryField(t *testing.T) {
	v := fullVersion(t)
	if zero := zeroFields(reflect.ValueOf(v), ""); len(zero) != 0 {
		t.Fatalf("the filler left fields zero: %v", zero)
	}
	if d := cmp.Diff(v, roundTripV2(t, v), sameTime); d != "" {
		t.Errorf("version 2 round trip (-want +got):\n%s", d)
	}
}

// TestVersionV2ReadsAsV1 holds the two record versions to one meaning: a
// value written as JSON (what data directories hold) and as version 2
// reads back the same from both, nil and empty slices, pointers to empty
// structs, times and their zones included. The values are the golden
// records and 3,000 random ones in which each field is zero, empty or set.
func TestVersionV2ReadsAsV1(t *testing.T) {
	var cases []*kura.ObjectVersion
	for name, v := range goldenRecords() {
		if strings.HasPrefix(name, "version-") {
			cases = append(cases, v.(*kura.ObjectVersion))
		}
	}
	cases = append(cases, fullVersion(t))
	rnd := rand.New(rand.NewPCG(18, 2))
	for range 3000 {
		v := &kura.ObjectVersion{}
		(&filler{t: t, rnd: rnd}).fill(reflect.ValueOf(v).Elem(), "ObjectVersion")
		cases = append(cases, v)
	}
	for i, v := range cases {
		j, err := EncodeVersionV1(v)
		if err != nil {
			t.Fatalf("case %d: JSON: %v", i, err)
		}
		fromJSON, err := DecodeVersion(j)
		if err != nil {
			t.Fatalf("case %d: decoding JSON: %v", i, err)
		}
		if d := cmp.Diff(fromJSON, roundTripV2(t, v), sameTime); d != "" {
			t.Fatalf("case %d: version 2 reads differently from JSON (-json +v2):\n%s\nJSON: %s", i, d, j)
		}
		// And a record read from JSON, written again (the first update of
		// an old version), keeps what it held.
		if d := cmp.Diff(fromJSON, roundTripV2(t, fromJSON), sameTime); d != "" {
			t.Fatalf("case %d: JSON → version 2 (-json +v2):\n%s", i, d)
		}
	}
}

// hexDump writes 32 bytes a line.
func hexDump(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		n := min(32, len(b))
		sb.WriteString(hex.EncodeToString(b[:n]))
		sb.WriteByte('\n')
		b = b[n:]
	}
	return sb.String()
}

func TestVersionV2Refuses(t *testing.T) {
	good, err := EncodeVersion(&kura.ObjectVersion{Bucket: "b", Key: "k", LastModified: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	zz := func(n int64) uint64 { return uint64(n<<1) ^ uint64(n>>63) }
	timeField := func(vals ...uint64) []byte {
		var inner []byte
		for _, u := range vals {
			inner = binary.AppendUvarint(inner, u)
		}
		return append([]byte{versionRecordV2, 6<<3 | wireBytes, byte(len(inner))}, inner...)
	}
	for _, c := range []struct {
		name string
		raw  []byte
	}{
		{"truncated", good[:len(good)-1]},
		{"tag 0", []byte{2, 0x00, 1}},
		{"wire type 1", []byte{2, 1<<3 | 1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"wire type 5", []byte{2, 1<<3 | 5, 0, 0, 0, 0}},
		{"length past the end", []byte{2, 1<<3 | 2, 5, 'a'}},
		{"string as varint", []byte{2, 1<<3 | 0, 1}},
		{"varint as bytes", []byte{2, 4<<3 | 2, 1, 1}},
		{"bool 2", []byte{2, 5 << 3, 2}},
		{"unterminated varint", []byte{2, 4 << 3, 0x80}},
		{"nested message truncated", []byte{2, 11<<3 | 2, 3, 1<<3 | 2, 5, 'a'}},
		{"time with a varint too many", timeField(2, 0, 0, 0)},
		{"time with a varint too few", timeField(2, 0)},
		{"time nanoseconds ≥ 1e9", timeField(2, 1e9, 0)},
		{"time zone a day off", timeField(2, 0, zz(86400))},
		{"time in year 10000", timeField(zz(253402300800), 0, 0)},
		{"time in year 10000 in its zone", timeField(zz(253402297200), 0, zz(7200))},
		{"time before year 0", timeField(zz(-62167219201), 0, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if v, err := DecodeVersion(c.raw); err == nil {
				t.Errorf("decoded %x as %+v", c.raw, v)
			}
		})
	}
	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("", 86400)),
	} {
		if _, err := EncodeVersion(&kura.ObjectVersion{LastModified: bad}); err == nil {
			t.Errorf("EncodeVersion with LastModified %v succeeded; JSON refuses it too", bad)
		}
		if _, err := EncodeVersionV1(&kura.ObjectVersion{LastModified: bad}); err == nil {
			t.Errorf("JSON took LastModified %v; then version 2 should too", bad)
		}
	}
}

// FuzzDecodeVersion: any input is an error or a version that encodes and
// reads back as itself, never a panic.
func FuzzDecodeVersion(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "records", "version-*.rec"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		if v, err := DecodeVersion(raw); err == nil {
			if b, err := EncodeVersion(v); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := DecodeVersion(raw)
		if len(raw) > 0 && raw[0] == versionRecordV2 {
			// Cutting the inline field out (decodeVersionV2) reads as
			// reading the record whole.
			whole, werr := decodeVersionV2Fields(string(raw[1:]), nil)
			if (err == nil) != (werr == nil) {
				t.Fatalf("decoding %x: %v; read whole: %v", raw, err, werr)
			}
			if d := cmp.Diff(whole, v); err == nil && d != "" {
				t.Fatalf("decoding %x differs from reading it whole (-whole +decoded):\n%s", raw, d)
			}
		}
		if err != nil {
			return
		}
		b, err := EncodeVersion(v)
		if err != nil {
			t.Fatalf("decoded %x, cannot encode it: %v", raw, err)
		}
		again, err := DecodeVersion(b)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", b, err)
		}
		if d := cmp.Diff(v, again, sameTime); d != "" {
			t.Fatalf("re-encoded record differs (-first +again):\n%s", d)
		}
	})
}

var benchVersion = &kura.ObjectVersion{
	Bucket: "bench-bucket", Key: "photos/2024/03/05/IMG_0001.jpg", VersionID: "0000018e0c2d5c1a-3f9a2b7c", Seq: 123456789,
	LastModified: time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.UTC), Owner: "111122223333",
	Size: 4 << 20, ETag: "9b2cf535f27731c974343645a3985328", StorageClass: "STANDARD",
	Checksum:       &kura.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: "AAAAAAAAAAA="},
	ContentHeaders: kura.ContentHeaders{ContentType: "image/jpeg", Metadata: map[string]string{"camera": "x100"}},
	BlobID:         "20240305T070809-0123456789abcdef",
	Encryption: kura.Encryption{Type: kura.SSEKMS, SealedKey: bytes.Repeat([]byte{0xa5}, 60),
		KMSKeyARN: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
}

// BenchmarkVersionCodec: the typical version record (SSE-KMS, a checksum,
// one metadata entry) in each record version.
func BenchmarkVersionCodec(b *testing.B) {
	v1, err := EncodeVersionV1(benchVersion)
	if err != nil {
		b.Fatal(err)
	}
	v2, err := EncodeVersion(benchVersion)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("record size: JSON %d bytes, binary %d bytes", len(v1), len(v2))
	for _, c := range []struct {
		name string
		enc  func(*kura.ObjectVersion) ([]byte, error)
		raw  []byte
	}{{"json", EncodeVersionV1, v1}, {"binary", EncodeVersion, v2}} {
		b.Run("encode/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.enc(benchVersion); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeVersion(c.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestVersionV2LongValues: nested records whose length needs a two- and a
// three-byte varint (the encoder moves the body after writing it).
func TestVersionV2LongValues(t *testing.T) {
	for _, n := range []int{127, 128, 16383, 16384, 1 << 20} {
		v := &kura.ObjectVersion{Bucket: "b", Key: strings.Repeat("k", n),
			ContentHeaders: kura.ContentHeaders{Metadata: map[string]string{"m": strings.Repeat("v", n)}},
			Encryption:     kura.Encryption{Type: kura.SSES3, SealedKey: bytes.Repeat([]byte{7}, n)},
			ACL:            &kura.ACL{Grants: []kura.Grant{{Type: "CanonicalUser", ID: strings.Repeat("i", n), Permission: "READ"}}},
		}
		if d := cmp.Diff(v, roundTripV2(t, v), sameTime); d != "" {
			t.Errorf("values of %d bytes (-want +got):\n%s", n, d)
		}
	}
}

// TestVersionV2Inline: the inline field is read wherever it stands in the
// record (the encoder writes it last; fields of a later Kura may follow
// it), alone or repeated (the last one holds, as for any field), and the
// decoded record shares no bytes with the stored one (a RawVersion is
// valid only in its transaction).
func TestVersionV2Inline(t *testing.T) {
	data := bytes.Repeat([]byte{0xab, 0, 0xfa, 1}, 1100) // 4,400 bytes, with bytes that look like keys
	base := &kura.ObjectVersion{Bucket: "b", Key: "k", VersionID: "null", Size: 4000, ETag: "e",
		Encryption: kura.Encryption{Type: kura.SSES3, SealedKey: []byte{1, 2, 3}}}
	record := func(fields func(e *enc)) []byte {
		e := enc{b: []byte{versionRecordV2}}
		e.str(1, base.Bucket)
		e.str(2, base.Key)
		fields(&e)
		e.str(3, base.VersionID)
		e.int(8, base.Size)
		e.str(9, base.ETag)
		e.encryption(23, &base.Encryption)
		return e.b
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want []byte
	}{
		{"as encoded", func() []byte {
			v := *base
			v.Inline = data
			b, err := EncodeVersion(&v)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}(), data},
		{"in the middle", record(func(e *enc) { e.bytes(31, data) }), data},
		{"followed by an unknown field", append(record(func(e *enc) { e.bytes(31, data) }), 0xc2, 0x3e, 1, 'x'), data},
		{"twice", record(func(e *enc) { e.bytes(31, []byte("first")); e.bytes(31, data) }), data},
		{"empty", record(func(e *enc) { e.key(31, wireBytes); e.b = append(e.b, 0) }), nil},
		{"none", record(func(*enc) {}), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := bytes.Clone(c.raw)
			v, err := DecodeVersion(raw)
			if err != nil {
				t.Fatal(err)
			}
			want := *base
			want.Inline = c.want
			if d := cmp.Diff(&want, v, sameTime); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
			for i := range raw {
				raw[i] ^= 0xff // the transaction's bytes change once it ends
			}
			if d := cmp.Diff(&want, v, sameTime); d != "" {
				t.Errorf("the decoded record changed with the stored bytes (-want +got):\n%s", d)
			}
		})
	}
}
