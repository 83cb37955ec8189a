package meta

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
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

// recordCodec is one record type's encoders and decoder, for the tests
// that hold uploads and parts to the same rules.
type recordCodec[T any] struct {
	encode, encodeV1 func(*T) ([]byte, error)
	decode           func([]byte) (*T, error)
}

var (
	uploadCodec = recordCodec[kura.Upload]{EncodeUpload, EncodeUploadV1, DecodeUpload}
	partCodec   = recordCodec[kura.UploadPart]{EncodeUploadPart, EncodeUploadPartV1, DecodeUploadPart}
)

// roundTrip encodes v in version 2 and decodes it.
func (c recordCodec[T]) roundTrip(t *testing.T, v *T) *T {
	t.Helper()
	b, err := c.encode(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if b[0] != 2 {
		t.Fatalf("record version %d, want 2", b[0])
	}
	got, err := c.decode(b)
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	return got
}

// viaJSON encodes v in version 1 (JSON) and decodes it: what reading a
// record an older Kura wrote gives.
func (c recordCodec[T]) viaJSON(t *testing.T, v *T) *T {
	t.Helper()
	j, err := c.encodeV1(v)
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	got, err := c.decode(j)
	if err != nil {
		t.Fatalf("decoding JSON %s: %v", j, err)
	}
	return got
}

// fill returns a value of T with every field set (rnd nil) or each field
// zero, empty or set at random (filler, version_v2_test.go).
func fill[T any](t *testing.T, rnd *rand.Rand) *T {
	v := new(T)
	(&filler{t: t, rnd: rnd}).fill(reflect.ValueOf(v).Elem(), reflect.TypeFor[T]().Name())
	return v
}

// TestUploadV2EveryField: every field of kura.Upload and kura.UploadPart,
// nested ones included, set by reflection, comes back equal from version
// 2; zeroFields proves the filler left none out, so a field added to
// either type and not to its codec fails here.
func TestUploadV2EveryField(t *testing.T) {
	for _, v := range []any{fill[kura.Upload](t, nil), fill[kura.UploadPart](t, nil)} {
		if zero := zeroFields(reflect.ValueOf(v), ""); len(zero) != 0 {
			t.Fatalf("the filler left fields of %T zero: %v", v, zero)
		}
	}
	u := fill[kura.Upload](t, nil)
	if d := cmp.Diff(u, uploadCodec.roundTrip(t, u), sameTime); d != "" {
		t.Errorf("upload (-want +got):\n%s", d)
	}
	p := fill[kura.UploadPart](t, nil)
	if d := cmp.Diff(p, partCodec.roundTrip(t, p), sameTime); d != "" {
		t.Errorf("part (-want +got):\n%s", d)
	}
}

// TestUploadV2RoundTrip: full, minimal and edge records of both types
// read back from version 2 exactly as they were, and read the same from
// version 1 (JSON), nil and empty kept apart where JSON keeps them apart.
func TestUploadV2RoundTrip(t *testing.T) {
	t1 := time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.UTC)
	inZone := time.Date(2025, 6, 7, 8, 9, 10, 500000000, zoneNeg)
	golden := goldenRecords()
	cases := []struct {
		name string
		v    any
	}{
		{"upload every field", fill[kura.Upload](t, nil)},
		{"upload golden full", golden["upload-full.rec"]},
		{"upload golden SealBucket", golden["upload-sealbucket-full.rec"]},
		{"upload golden minimal", golden["upload-minimal.rec"]},
		{"upload zero", &kura.Upload{}},
		{"upload plain", &kura.Upload{Bucket: "b", Key: "k", UploadID: "u", Initiated: t1, Owner: "111122223333"}},
		{"upload empty, not nil", &kura.Upload{Bucket: "b", Key: "k", UploadID: "u", Initiated: inZone,
			Encryption: kura.Encryption{SealedKey: []byte{}}, Retention: &kura.Retention{}, ACL: &kura.ACL{Grants: []kura.Grant{}}}},
		{"upload pointers to empty", &kura.Upload{Retention: &kura.Retention{}, ACL: &kura.ACL{},
			Tags: []kura.Tag{{}}, ContentHeaders: kura.ContentHeaders{Metadata: map[string]string{"": ""}}}},
		{"upload zero time in a zone", &kura.Upload{Bucket: "b", Initiated: time.Time{}.In(zone2h)}},
		{"part every field", fill[kura.UploadPart](t, nil)},
		{"part golden full", golden["part-full.rec"]},
		{"part golden minimal", golden["part-minimal.rec"]},
		{"part zero", &kura.UploadPart{}},
		{"part extremes", &kura.UploadPart{Number: math.MaxInt, Size: math.MinInt64, ETag: strings.Repeat("e", 20000), LastModified: inZone}},
		{"part negative", &kura.UploadPart{Number: -1, Size: -1, LastModified: time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got, fromJSON any
			switch v := c.v.(type) {
			case *kura.Upload:
				got, fromJSON = uploadCodec.roundTrip(t, v), uploadCodec.viaJSON(t, v)
			case *kura.UploadPart:
				got, fromJSON = partCodec.roundTrip(t, v), partCodec.viaJSON(t, v)
			default:
				t.Fatalf("a %T", c.v)
			}
			if d := cmp.Diff(c.v, got, sameTime); d != "" {
				t.Errorf("version 2 (-want +got):\n%s", d)
			}
			if d := cmp.Diff(c.v, fromJSON, sameTime); d != "" {
				t.Errorf("version 1 (-want +got):\n%s", d)
			}
		})
	}
}

// TestUploadV2ReadsAsV1 holds the two record versions to one meaning, as
// TestVersionV2ReadsAsV1 does for versions: 3,000 random uploads and
// parts, each field zero, empty or set, read the same from JSON (what
// data directories hold) and from version 2, and a record read from JSON
// and written again keeps what it held.
func TestUploadV2ReadsAsV1(t *testing.T) {
	rnd := rand.New(rand.NewPCG(18, 3))
	for i := range 3000 {
		u := fill[kura.Upload](t, rnd)
		fromJSON := uploadCodec.viaJSON(t, u)
		if d := cmp.Diff(fromJSON, uploadCodec.roundTrip(t, u), sameTime); d != "" {
			t.Fatalf("upload %d: version 2 reads differently from JSON (-json +v2):\n%s", i, d)
		}
		if d := cmp.Diff(fromJSON, uploadCodec.roundTrip(t, fromJSON), sameTime); d != "" {
			t.Fatalf("upload %d: JSON → version 2 (-json +v2):\n%s", i, d)
		}
		p := fill[kura.UploadPart](t, rnd)
		fromJSONPart := partCodec.viaJSON(t, p)
		if d := cmp.Diff(fromJSONPart, partCodec.roundTrip(t, p), sameTime); d != "" {
			t.Fatalf("part %d: version 2 reads differently from JSON (-json +v2):\n%s", i, d)
		}
		if d := cmp.Diff(fromJSONPart, partCodec.roundTrip(t, fromJSONPart), sameTime); d != "" {
			t.Fatalf("part %d: JSON → version 2 (-json +v2):\n%s", i, d)
		}
	}
}

// v2Record is one kind of version 2 record with its full golden value.
type v2Record struct {
	file   string // its golden bytes in testdata/records-v2
	want   any
	encode func() ([]byte, error)
	decode func([]byte) (any, error)
}

func v2Records() []v2Record {
	golden := goldenRecords()
	return []v2Record{
		{"version-full.hex", golden["version-full.rec"],
			func() ([]byte, error) { return EncodeVersion(golden["version-full.rec"].(*kura.ObjectVersion)) },
			func(b []byte) (any, error) { return DecodeVersion(b) }},
		{"upload-full.hex", golden["upload-full.rec"],
			func() ([]byte, error) { return EncodeUpload(golden["upload-full.rec"].(*kura.Upload)) },
			func(b []byte) (any, error) { return DecodeUpload(b) }},
		{"part-full.hex", golden["part-full.rec"],
			func() ([]byte, error) { return EncodeUploadPart(golden["part-full.rec"].(*kura.UploadPart)) },
			func(b []byte) (any, error) { return DecodeUploadPart(b) }},
	}
}

// TestV2Golden pins version 2's bytes for the full golden version, upload
// and part records, and reads them back: data directories hold these
// bytes, so an encoder change that changes them is a format change
// (docs/formats.md). -update-v2 rewrites the files.
func TestV2Golden(t *testing.T) {
	for _, c := range v2Records() {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "records-v2", c.file)
			b, err := c.encode()
			if err != nil {
				t.Fatal(err)
			}
			if *updateV2Golden {
				if err := os.WriteFile(path, []byte(hexDump(b)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("the encoder changed its bytes:\n got %x\nwant %x", b, want)
			}
			got, err := c.decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got, sameTime); d != "" {
				t.Errorf("golden bytes decode (-want +got):\n%s", d)
			}
		})
	}
}

// withUnknownFields appends fields a later Kura might add: a varint, a
// string and a nested record with a field of its own.
func withUnknownFields(b []byte) []byte {
	e := enc{b: bytes.Clone(b)}
	e.uint(1000, 7)
	e.str(1001, "future")
	s := e.begin(1002)
	e.str(1, "nested")
	e.uint(5000, 1)
	e.end(s)
	return e.b
}

// TestV2SkipsUnknownFields: fields of a later Kura, of either wire type
// and nested or not, are skipped by this reader, in every record.
func TestV2SkipsUnknownFields(t *testing.T) {
	for _, c := range v2Records() {
		t.Run(c.file, func(t *testing.T) {
			b, err := c.encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.decode(withUnknownFields(b))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got, sameTime); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestUploadV2Refuses: truncated and malformed records of either version
// are errors, not values, and the encoders refuse a time JSON could not
// hold.
func TestUploadV2Refuses(t *testing.T) {
	t1 := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	goodU, err := EncodeUpload(&kura.Upload{Bucket: "b", Key: "k", UploadID: "u", Initiated: t1})
	if err != nil {
		t.Fatal(err)
	}
	goodP, err := EncodeUploadPart(&kura.UploadPart{Number: 1, Size: 5, ETag: "e", BlobID: "blob", LastModified: t1})
	if err != nil {
		t.Fatal(err)
	}
	// field is a version 2 record of one field: its key, then rest.
	field := func(tag uint64, wt byte, rest ...byte) []byte {
		return append(binary.AppendUvarint([]byte{2}, tag<<3|uint64(wt)), rest...)
	}
	timeField := func(tag byte, vals ...uint64) []byte {
		var inner []byte
		for _, u := range vals {
			inner = binary.AppendUvarint(inner, u)
		}
		return append([]byte{2, tag<<3 | wireBytes, byte(len(inner))}, inner...)
	}
	common := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"unknown record version", []byte{3}},
		{"JSON cut short", append([]byte{1}, `{"bucket":"b"`...)},
		{"JSON record version, not JSON", []byte{1, 2, 0x0a, 1, 'b'}},
		{"tag 0", []byte{2, 0x00, 1}},
		{"wire type 1", []byte{2, 1<<3 | 1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"wire type 5", []byte{2, 1<<3 | 5, 0, 0, 0, 0}},
		{"unterminated key", []byte{2, 0x80}},
		{"unterminated varint", []byte{2, 1 << 3, 0x80}},
		{"varint of 11 bytes", append([]byte{2, 1 << 3}, bytes.Repeat([]byte{0xff}, 10)...)},
		{"length past the end", []byte{2, 3<<3 | 2, 5, 'a'}},
		{"length past the end of an unknown field", []byte{2, 0xc2, 0x3e, 2, 'a'}},
	}
	uploads := append(common[:len(common):len(common)], []struct {
		name string
		raw  []byte
	}{
		{"truncated", goodU[:len(goodU)-1]},
		{"string as varint", field(1, wireVarint, 1)},
		{"bool as bytes", field(21, wireBytes, 1, 1)},
		{"bool 2", field(21, wireVarint, 2)},
		{"nested message truncated", field(20, wireBytes, 3, 1<<3|2, 5, 'a')},
		{"nested field of the wrong type", field(23, wireBytes, 2, 2<<3|wireBytes, 0)},
		{"metadata entry not a message", field(17, wireVarint, 1)},
		{"time with a varint too many", timeField(4, 2, 0, 0, 0)},
		{"time with a varint too few", timeField(4, 2, 0)},
		{"time nanoseconds ≥ 1e9", timeField(4, 2, 1e9, 0)},
		{"time in year 10000", timeField(4, 253402300800*2, 0, 0)},
	}...)
	parts := append(common[:len(common):len(common)], []struct {
		name string
		raw  []byte
	}{
		{"truncated", goodP[:len(goodP)-1]},
		{"number as bytes", field(1, wireBytes, 1, 1)},
		{"size as bytes", field(2, wireBytes, 1, 1)},
		{"ETag as varint", field(3, wireVarint, 1)},
		{"time zone a day off", timeField(8, 2, 0, 86400*2)},
		{"time as varint", field(8, wireVarint, 1)},
	}...)
	for _, c := range uploads {
		t.Run("upload/"+c.name, func(t *testing.T) {
			if u, err := DecodeUpload(c.raw); err == nil {
				t.Errorf("decoded %x as %+v", c.raw, u)
			}
		})
	}
	for _, c := range parts {
		t.Run("part/"+c.name, func(t *testing.T) {
			if p, err := DecodeUploadPart(c.raw); err == nil {
				t.Errorf("decoded %x as %+v", c.raw, p)
			}
		})
	}
	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("", 86400)),
	} {
		if _, err := EncodeUpload(&kura.Upload{Initiated: bad}); err == nil {
			t.Errorf("EncodeUpload with Initiated %v succeeded; JSON refuses it too", bad)
		}
		if _, err := EncodeUpload(&kura.Upload{Retention: &kura.Retention{Until: bad}}); err == nil {
			t.Errorf("EncodeUpload with retention until %v succeeded; JSON refuses it too", bad)
		}
		if _, err := EncodeUploadPart(&kura.UploadPart{LastModified: bad}); err == nil {
			t.Errorf("EncodeUploadPart with LastModified %v succeeded; JSON refuses it too", bad)
		}
		if _, err := EncodeUploadPartV1(&kura.UploadPart{LastModified: bad}); err == nil {
			t.Errorf("JSON took LastModified %v; then version 2 should too", bad)
		}
	}
}

// fuzzSeeds adds the golden JSON records matching pattern and their
// version 2 encodings.
func fuzzSeeds[T any](f *testing.F, pattern string, c recordCodec[T]) {
	files, _ := filepath.Glob(filepath.Join("testdata", "records", pattern))
	if len(files) == 0 {
		f.Fatalf("no seeds %s", pattern)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		if v, err := c.decode(raw); err == nil {
			if b, err := c.encode(v); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{2})
}

// reencodes: a record that decodes encodes, and reads back as itself.
func (c recordCodec[T]) reencodes(t *testing.T, raw []byte) {
	v, err := c.decode(raw)
	if err != nil {
		return
	}
	b, err := c.encode(v)
	if err != nil {
		t.Fatalf("decoded %x, cannot encode it: %v", raw, err)
	}
	again, err := c.decode(b)
	if err != nil {
		t.Fatalf("re-encoded %x does not decode: %v", b, err)
	}
	if d := cmp.Diff(v, again, sameTime); d != "" {
		t.Fatalf("re-encoded record differs (-first +again):\n%s", d)
	}
}

// FuzzDecodeUpload: any input is an error or an upload that encodes and
// reads back as itself, never a panic.
func FuzzDecodeUpload(f *testing.F) {
	fuzzSeeds(f, "upload-*.rec", uploadCodec)
	f.Fuzz(func(t *testing.T, raw []byte) { uploadCodec.reencodes(t, raw) })
}

// FuzzDecodeUploadPart: the same for part records.
func FuzzDecodeUploadPart(f *testing.F) {
	fuzzSeeds(f, "part-*.rec", partCodec)
	f.Fuzz(func(t *testing.T, raw []byte) { partCodec.reencodes(t, raw) })
}

// The typical records of an SDK's multipart upload under SSE-KMS: the
// upload with a content type and one metadata entry, a part with the
// CRC32 the SDKs send by default and the CRC64NVME Kura always keeps.
var (
	benchUpload = &kura.Upload{
		Bucket: "bench-bucket", Key: "backups/2024/03/05/db.tar.zst", UploadID: "0000018e0c2d5c1a-3f9a2b7c4d5e6f70",
		Initiated: time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.UTC), Owner: "111122223333",
		StorageClass: "STANDARD", ChecksumAlgorithm: "CRC32", ChecksumType: "COMPOSITE",
		ContentHeaders: kura.ContentHeaders{ContentType: "application/zstd", Metadata: map[string]string{"host": "db1"}},
		Encryption: kura.Encryption{Type: kura.SSEKMS, SealedKey: bytes.Repeat([]byte{0xa5}, 60),
			KMSKeyARN: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
	}
	benchPart = &kura.UploadPart{
		Number: 417, Size: 8 << 20, ETag: "9b2cf535f27731c974343645a3985328", ChecksumAlgorithm: "CRC32",
		Checksum: "yZRlqg==", CRC64NVME: "AAAAAAAAAAA=", BlobID: "20240305T070809-0123456789abcdef",
		LastModified: time.Date(2024, 3, 5, 7, 9, 10, 987654321, time.UTC),
	}
)

// BenchmarkUploadCodec: the typical upload and part records in each record
// version (BenchmarkVersionCodec).
func BenchmarkUploadCodec(b *testing.B) {
	benchCodec(b, "upload", uploadCodec, benchUpload)
	benchCodec(b, "part", partCodec, benchPart)
}

func benchCodec[T any](b *testing.B, name string, c recordCodec[T], v *T) {
	v1, err := c.encodeV1(v)
	if err != nil {
		b.Fatal(err)
	}
	v2, err := c.encode(v)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s record size: JSON %d bytes, binary %d bytes", name, len(v1), len(v2))
	for _, f := range []struct {
		name string
		enc  func(*T) ([]byte, error)
		raw  []byte
	}{{"json", c.encodeV1, v1}, {"binary", c.encode, v2}} {
		b.Run(name+"/encode/"+f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.enc(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/decode/"+f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(f.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
