package meta

import "github.com/kurastore/kura"

// uploadRecordV2 and partRecordV2 are the record version bytes of the
// binary multipart upload and upload part records (docs/formats.md,
// "Binary records (version 2)"): the encoding of version_v2.go's version
// records, each record with tags of its own. Records of version 1 (JSON,
// uploadRecord and uploadPartRecord) are still read.
const (
	uploadRecordV2 = 2
	partRecordV2   = 2
)

// The field tags of the version 2 upload record, kura.Upload. A tag is
// never reused: a field removed keeps its number reserved here and in
// docs/formats.md. A field added to kura.Upload is one line in
// appendUpload and one case in decodeUploadV2, with the next free tag
// (TestUploadV2EveryField fails until both are there).
//
//	1 Bucket  2 Key  3 UploadID  4 Initiated  5 Owner  6 Initiator
//	7 StorageClass  8 ChecksumAlgorithm  9 ChecksumType  10–16 content
//	headers  17 Metadata (one field per entry)  18 Tags (one per tag)
//	19 Encryption  20 Retention  21 LegalHold  22 LegalHoldSet  23 ACL

func appendUpload(b []byte, u *kura.Upload) ([]byte, error) {
	e := enc{b: append(b, uploadRecordV2)}
	e.str(1, u.Bucket)
	e.str(2, u.Key)
	e.str(3, u.UploadID)
	e.time(4, u.Initiated)
	e.str(5, u.Owner)
	e.str(6, u.Initiator)
	e.str(7, u.StorageClass)
	e.str(8, u.ChecksumAlgorithm)
	e.str(9, u.ChecksumType)
	e.str(10, u.ContentType)
	e.str(11, u.ContentEncoding)
	e.str(12, u.ContentDisposition)
	e.str(13, u.ContentLanguage)
	e.str(14, u.CacheControl)
	e.str(15, u.Expires)
	e.str(16, u.WebsiteRedirect)
	e.metadata(17, u.Metadata)
	e.tags(18, u.Tags)
	e.encryption(19, &u.Encryption)
	e.retention(20, u.Retention)
	e.bool(21, u.LegalHold)
	e.bool(22, u.LegalHoldSet)
	e.acl(23, u.ACL)
	return e.b, e.err
}

// decodeUploadV2 converts the record to one string, whose substrings are
// the upload's strings (dec).
func decodeUploadV2(b []byte) (*kura.Upload, error) {
	var err error
	u := &kura.Upload{}
	d := newDec(string(b), &err)
	for d.next() {
		switch d.tag {
		case 1:
			u.Bucket = d.str()
		case 2:
			u.Key = d.str()
		case 3:
			u.UploadID = d.str()
		case 4:
			u.Initiated = d.time()
		case 5:
			u.Owner = d.str()
		case 6:
			u.Initiator = d.str()
		case 7:
			u.StorageClass = d.str()
		case 8:
			u.ChecksumAlgorithm = d.str()
		case 9:
			u.ChecksumType = d.str()
		case 10:
			u.ContentType = d.str()
		case 11:
			u.ContentEncoding = d.str()
		case 12:
			u.ContentDisposition = d.str()
		case 13:
			u.ContentLanguage = d.str()
		case 14:
			u.CacheControl = d.str()
		case 15:
			u.Expires = d.str()
		case 16:
			u.WebsiteRedirect = d.str()
		case 17:
			u.Metadata = decodeMetadataEntry(d.msg(), u.Metadata)
		case 18:
			u.Tags = append(u.Tags, decodeTag(d.msg()))
		case 19:
			u.Encryption = decodeEncryption(d.msg())
		case 20:
			u.Retention = decodeRetention(d.msg())
		case 21:
			u.LegalHold = d.bool()
		case 22:
			u.LegalHoldSet = d.bool()
		case 23:
			u.ACL = decodeACL(d.msg())
		}
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// The field tags of the version 2 part record, kura.UploadPart (the same
// rules as the upload's):
//
//	1 Number  2 Size  3 ETag  4 ChecksumAlgorithm  5 Checksum  6 CRC64NVME
//	7 BlobID  8 LastModified

func appendUploadPart(b []byte, p *kura.UploadPart) ([]byte, error) {
	e := enc{b: append(b, partRecordV2)}
	e.int(1, int64(p.Number))
	e.int(2, p.Size)
	e.str(3, p.ETag)
	e.str(4, p.ChecksumAlgorithm)
	e.str(5, p.Checksum)
	e.str(6, p.CRC64NVME)
	e.str(7, p.BlobID)
	e.time(8, p.LastModified)
	return e.b, e.err
}

// partRecordSize bounds the size of p's version 2 record when its strings
// are shorter than 16 KiB (a longer one makes the buffer grow once): the
// version byte, two integers of at most 11 bytes with their keys, a time
// of at most 16, and each string with a key and a length of at most 3: so
// that encoding a part, once per UploadPart, allocates once.
func partRecordSize(p *kura.UploadPart) int {
	return 1 + 2*11 + 16 + 5*3 +
		len(p.ETag) + len(p.ChecksumAlgorithm) + len(p.Checksum) + len(p.CRC64NVME) + len(p.BlobID)
}

// decodeUploadPartV2 allocates twice: the record's string and the part.
// The decoder's error lives in the part's allocation: on its own it is
// moved to the heap (dec holds a pointer to it, and escape analysis does
// not tell that pointer from the strings that leave), a third allocation
// per part.
func decodeUploadPartV2(b []byte) (*kura.UploadPart, error) {
	x := &struct {
		p   kura.UploadPart
		err error
	}{}
	p, err := &x.p, &x.err
	d := newDec(string(b), err)
	for d.next() {
		switch d.tag {
		case 1:
			p.Number = d.int()
		case 2:
			p.Size = d.int64()
		case 3:
			p.ETag = d.str()
		case 4:
			p.ChecksumAlgorithm = d.str()
		case 5:
			p.Checksum = d.str()
		case 6:
			p.CRC64NVME = d.str()
		case 7:
			p.BlobID = d.str()
		case 8:
			p.LastModified = d.time()
		}
	}
	if *err != nil {
		return nil, *err
	}
	return p, nil
}
