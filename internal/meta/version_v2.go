package meta

import (
	"bytes"
	"slices"
	"strings"

	"github.com/kurastore/kura"
)

// versionRecordV2 is the record version byte of the binary object version
// record (docs/formats.md, "Binary records (version 2)"); version records
// of version 1 (JSON, versionRecord) are still read.
const versionRecordV2 = 2

// The field tags of the version 2 object version record. A tag is never
// reused: a field removed keeps its number reserved here and in
// docs/formats.md. Adding a field to kura.ObjectVersion is one line in
// appendVersion and one case in decodeVersionV2, with the next free tag
// (TestVersionV2EveryField fails until both are there).
//
//	1 Bucket  2 Key  3 VersionID  4 Seq  5 DeleteMarker  6 LastModified
//	7 Owner  8 Size  9 ETag  10 StorageClass  11 Checksum  12–18 content
//	headers  19 Metadata (one field per entry)  20 Tags (one per tag)
//	21 BlobID  22 Parts (one per part)  23 Encryption  24 UploadID
//	25 Retention  26 LegalHold  27 LegalHoldSet  28 Restore  29 ACL
//	30 ReplicationStatus  31 Inline

func appendVersion(b []byte, v *kura.ObjectVersion) ([]byte, error) {
	e := enc{b: append(b, versionRecordV2)}
	e.str(1, v.Bucket)
	e.str(2, v.Key)
	e.str(3, v.VersionID)
	e.uint(4, v.Seq)
	e.bool(5, v.DeleteMarker)
	e.time(6, v.LastModified)
	e.str(7, v.Owner)
	e.int(8, v.Size)
	e.str(9, v.ETag)
	e.str(10, v.StorageClass)
	if c := v.Checksum; c != nil {
		s := e.begin(11)
		e.str(1, c.Algorithm)
		e.str(2, c.Type)
		e.str(3, c.Value)
		e.end(s)
	}
	e.str(12, v.ContentType)
	e.str(13, v.ContentEncoding)
	e.str(14, v.ContentDisposition)
	e.str(15, v.ContentLanguage)
	e.str(16, v.CacheControl)
	e.str(17, v.Expires)
	e.str(18, v.WebsiteRedirect)
	e.metadata(19, v.Metadata)
	e.tags(20, v.Tags)
	e.str(21, v.BlobID)
	for _, p := range v.Parts {
		s := e.begin(22)
		e.int(1, int64(p.Number))
		e.int(2, p.Size)
		e.str(3, p.ETag)
		e.str(4, p.Checksum)
		e.str(5, p.BlobID)
		e.end(s)
	}
	e.encryption(23, &v.Encryption)
	e.str(24, v.UploadID)
	e.retention(25, v.Retention)
	e.bool(26, v.LegalHold)
	e.bool(27, v.LegalHoldSet)
	if r := v.Restore; r != nil {
		s := e.begin(28)
		e.time(1, r.Requested)
		e.time(2, r.Ready)
		e.time(3, r.Expiry)
		e.int(4, int64(r.Days))
		e.str(5, r.Tier)
		e.end(s)
	}
	e.acl(29, v.ACL)
	e.str(30, v.ReplicationStatus)
	e.bytes(31, v.Inline)
	return e.b, e.err
}

// decodeVersionV2 copies the record once. dec reads a string converted
// from the record, and a string holding the inline ciphertext as well as
// a []byte copy of it for Inline copied the data twice (a 64 KiB inline
// record allocated 148 KB, docs/benchmarks.md "Small objects inline"): so
// the one inline field, which the encoder writes last, is cut out of the
// string and copied on its own. A record that does not parse, or has no
// inline field or several, is read whole, as before.
func decodeVersionV2(b []byte) (*kura.ObjectVersion, error) {
	f, ok := findField(b, 31)
	if !ok {
		return decodeVersionV2Fields(string(b), nil)
	}
	var sb strings.Builder
	sb.Grow(len(b) - (f.end - f.start))
	sb.Write(b[:f.start])
	sb.Write(b[f.end:])
	var inline []byte
	if f.end > f.val {
		inline = bytes.Clone(b[f.val:f.end])
	}
	return decodeVersionV2Fields(sb.String(), inline)
}

// decodeVersionV2Fields decodes the fields in s, a copy of the record
// that nothing else holds, with inline as its Inline (nil: none, or as s
// has it).
func decodeVersionV2Fields(s string, inline []byte) (*kura.ObjectVersion, error) {
	var err error
	v := &kura.ObjectVersion{Inline: inline}
	d := newDec(s, &err)
	for d.next() {
		switch d.tag {
		case 1:
			v.Bucket = d.str()
		case 2:
			v.Key = d.str()
		case 3:
			v.VersionID = d.str()
		case 4:
			v.Seq = d.uint()
		case 5:
			v.DeleteMarker = d.bool()
		case 6:
			v.LastModified = d.time()
		case 7:
			v.Owner = d.str()
		case 8:
			v.Size = d.int64()
		case 9:
			v.ETag = d.str()
		case 10:
			v.StorageClass = d.str()
		case 11:
			v.Checksum = decodeChecksum(d.msg())
		case 12:
			v.ContentType = d.str()
		case 13:
			v.ContentEncoding = d.str()
		case 14:
			v.ContentDisposition = d.str()
		case 15:
			v.ContentLanguage = d.str()
		case 16:
			v.CacheControl = d.str()
		case 17:
			v.Expires = d.str()
		case 18:
			v.WebsiteRedirect = d.str()
		case 19:
			v.Metadata = decodeMetadataEntry(d.msg(), v.Metadata)
		case 20:
			v.Tags = append(v.Tags, decodeTag(d.msg()))
		case 21:
			v.BlobID = d.str()
		case 22:
			v.Parts = append(v.Parts, decodePart(d.msg()))
		case 23:
			v.Encryption = decodeEncryption(d.msg())
		case 24:
			v.UploadID = d.str()
		case 25:
			v.Retention = decodeRetention(d.msg())
		case 26:
			v.LegalHold = d.bool()
		case 27:
			v.LegalHoldSet = d.bool()
		case 28:
			v.Restore = decodeRestore(d.msg())
		case 29:
			v.ACL = decodeACL(d.msg())
		case 30:
			v.ReplicationStatus = d.str()
		case 31:
			v.Inline = d.bytes()
		}
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Nested messages shared by records: their tags are their own.

// metadata writes one field per entry, {1 name, 2 value}, in name order so
// that a record has one encoding. No entries reads back as nil (JSON's
// omitempty).
func (e *enc) metadata(tag uint64, m map[string]string) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := e.begin(tag)
		e.str(1, k)
		e.str(2, m[k])
		e.end(s)
	}
}

func decodeMetadataEntry(d dec, m map[string]string) map[string]string {
	var k, v string
	for d.next() {
		switch d.tag {
		case 1:
			k = d.str()
		case 2:
			v = d.str()
		}
	}
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// tags writes one field per tag, {1 key, 2 value}; none reads back as nil.
func (e *enc) tags(tag uint64, tags []kura.Tag) {
	for _, t := range tags {
		s := e.begin(tag)
		e.str(1, t.Key)
		e.str(2, t.Value)
		e.end(s)
	}
}

func decodeTag(d dec) kura.Tag {
	var t kura.Tag
	for d.next() {
		switch d.tag {
		case 1:
			t.Key = d.str()
		case 2:
			t.Value = d.str()
		}
	}
	return t
}

func decodeChecksum(d dec) *kura.Checksum {
	c := &kura.Checksum{}
	for d.next() {
		switch d.tag {
		case 1:
			c.Algorithm = d.str()
		case 2:
			c.Type = d.str()
		case 3:
			c.Value = d.str()
		}
	}
	return c
}

func decodePart(d dec) kura.Part {
	var p kura.Part
	for d.next() {
		switch d.tag {
		case 1:
			p.Number = d.int()
		case 2:
			p.Size = d.int64()
		case 3:
			p.ETag = d.str()
		case 4:
			p.Checksum = d.str()
		case 5:
			p.BlobID = d.str()
		}
	}
	return p
}

// encryption writes the block unless it is entirely zero. SealedKey keeps
// nil apart from empty (JSON's "sealedKey" has no omitempty); the other
// byte fields read back nil when empty.
func (e *enc) encryption(tag uint64, x *kura.Encryption) {
	before := len(e.b)
	s := e.begin(tag)
	e.str(1, string(x.Type))
	e.bytesOrNil(2, x.SealedKey)
	e.bytes(3, x.SealedKey2)
	e.str(4, x.KMSKeyARN)
	e.bool(5, x.BucketKeyEnabled)
	e.bytes(6, x.BucketKeyBlob)
	e.str(7, x.Context)
	e.str(8, x.CustomerKeyMD5)
	e.bytes(9, x.CustomerKeySalt)
	e.bytes(10, x.CustomerKeyHMAC)
	e.str(11, x.SealBucket)
	if len(e.b) == s {
		e.b = e.b[:before] // nothing set: no field
		return
	}
	e.end(s)
}

func decodeEncryption(d dec) kura.Encryption {
	var x kura.Encryption
	for d.next() {
		switch d.tag {
		case 1:
			x.Type = kura.SSEType(d.str())
		case 2:
			x.SealedKey = d.bytesOrNil()
		case 3:
			x.SealedKey2 = d.bytes()
		case 4:
			x.KMSKeyARN = d.str()
		case 5:
			x.BucketKeyEnabled = d.bool()
		case 6:
			x.BucketKeyBlob = d.bytes()
		case 7:
			x.Context = d.str()
		case 8:
			x.CustomerKeyMD5 = d.str()
		case 9:
			x.CustomerKeySalt = d.bytes()
		case 10:
			x.CustomerKeyHMAC = d.bytes()
		case 11:
			x.SealBucket = d.str()
		}
	}
	return x
}

// retention writes a non-nil retention as {1 mode, 2 until}.
func (e *enc) retention(tag uint64, r *kura.Retention) {
	if r == nil {
		return
	}
	s := e.begin(tag)
	e.str(1, r.Mode)
	e.time(2, r.Until)
	e.end(s)
}

func decodeRetention(d dec) *kura.Retention {
	r := &kura.Retention{}
	for d.next() {
		switch d.tag {
		case 1:
			r.Mode = d.str()
		case 2:
			r.Until = d.time()
		}
	}
	return r
}

func decodeRestore(d dec) *kura.Restore {
	r := &kura.Restore{}
	for d.next() {
		switch d.tag {
		case 1:
			r.Requested = d.time()
		case 2:
			r.Ready = d.time()
		case 3:
			r.Expiry = d.time()
		case 4:
			r.Days = d.int()
		case 5:
			r.Tier = d.str()
		}
	}
	return r
}

// acl writes a non-nil ACL as {1 grant, one field per grant; 2 empty}:
// field 2 (1) marks an empty, not nil, grant list (JSON's "grants":[]
// against "grants":null).
func (e *enc) acl(tag uint64, a *kura.ACL) {
	if a == nil {
		return
	}
	s := e.begin(tag)
	for _, g := range a.Grants {
		gs := e.begin(1)
		e.str(1, g.Type)
		e.str(2, g.ID)
		e.str(3, g.URI)
		e.str(4, g.Permission)
		e.end(gs)
	}
	e.bool(2, a.Grants != nil && len(a.Grants) == 0)
	e.end(s)
}

func decodeACL(d dec) *kura.ACL {
	a := &kura.ACL{}
	for d.next() {
		switch d.tag {
		case 1:
			a.Grants = append(a.Grants, decodeGrant(d.msg()))
		case 2:
			if d.bool() && a.Grants == nil {
				a.Grants = []kura.Grant{}
			}
		}
	}
	return a
}

func decodeGrant(d dec) kura.Grant {
	var g kura.Grant
	for d.next() {
		switch d.tag {
		case 1:
			g.Type = d.str()
		case 2:
			g.ID = d.str()
		case 3:
			g.URI = d.str()
		case 4:
			g.Permission = d.str()
		}
	}
	return g
}
