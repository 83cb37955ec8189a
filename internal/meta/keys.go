package meta

import (
	"bytes"
	"encoding/binary"
)

// Key layout. Object keys may not contain NUL (S3 cannot carry it in XML),
// so NUL separates the components and the byte order of the composite key
// is the S3 listing order:
//
//	versions: bucket 0x00 key 0x00 ^seq (8 bytes BE)   newest version first
//	uploads:  bucket 0x00 key 0x00 uploadID
//	parts:    uploadID 0x00 partNumber (4 bytes BE)

// ObjectPrefix returns the versions-table prefix of all versions of bucket
// (key == "") or of all keys starting with key.
func ObjectPrefix(bucket, key string) []byte {
	b := make([]byte, 0, len(bucket)+1+len(key))
	b = append(b, bucket...)
	b = append(b, 0)
	return append(b, key...)
}

// VersionsPrefix returns the prefix of all versions of exactly bucket/key.
func VersionsPrefix(bucket, key string) []byte {
	return append(ObjectPrefix(bucket, key), 0)
}

// VersionKey returns the versions-table key of one version.
func VersionKey(bucket, key string, seq uint64) []byte {
	b := VersionsPrefix(bucket, key)
	return binary.BigEndian.AppendUint64(b, ^seq)
}

// AfterKey returns the first versions-table key past every version of
// bucket/key: seeking to it skips to the next object key.
func AfterKey(bucket, key string) []byte {
	return append(ObjectPrefix(bucket, key), 1)
}

// SplitVersionKey splits a versions-table key into object key and seq.
func SplitVersionKey(bucket string, k []byte) (key string, seq uint64, ok bool) {
	if len(k) < len(bucket)+1+1+8 || !bytes.HasPrefix(k, []byte(bucket)) || k[len(bucket)] != 0 {
		return "", 0, false
	}
	rest := k[len(bucket)+1:]
	key = string(rest[:len(rest)-9])
	if rest[len(rest)-9] != 0 {
		return "", 0, false
	}
	return key, ^binary.BigEndian.Uint64(rest[len(rest)-8:]), true
}

// UploadKey returns the uploads-table key of an upload.
func UploadKey(bucket, key, uploadID string) []byte {
	return append(VersionsPrefix(bucket, key), uploadID...)
}

// PartKey returns the parts-table key of one part; PartKey(id, 0) is the
// prefix of all parts of the upload.
func PartKey(uploadID string, number int) []byte {
	b := append([]byte(uploadID), 0)
	if number == 0 {
		return b
	}
	return binary.BigEndian.AppendUint32(b, uint32(number))
}
