// Package inventory writes S3 Inventory reports: it walks a source bucket
// in key order, one page of versions at a time, and delivers gzip CSV data
// files, manifest.json, manifest.checksum and the Hive symlink.txt into
// the destination bucket through the object service, in S3's layout, so
// that anything reading S3's inventory (Batch Operations'
// S3InventoryReport_CSV_20161130 manifests, Athena) reads Kura's.
//
// It never imports net/http: the scheduler and `kura inventory run` drive
// it without a request. It never holds more than one page of versions and
// one open data file in memory, whatever the size of the bucket.
package inventory

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// Column names that are not optional fields.
const (
	colBucket         = "Bucket"
	colKey            = "Key"
	colVersionID      = "VersionId"
	colIsLatest       = "IsLatest"
	colIsDeleteMarker = "IsDeleteMarker"
)

// Columns is the report's schema for c, in S3's order: Bucket, Key, the
// version columns when c lists all versions, then the optional fields c
// asks for in kura.InventoryOptionalFields' order (a field asked for twice
// is one column).
func Columns(c *kura.InventoryConfiguration) []string {
	cols := []string{colBucket, colKey}
	if c.IncludedObjectVersions == "All" {
		cols = append(cols, colVersionID, colIsLatest, colIsDeleteMarker)
	}
	for _, f := range kura.InventoryOptionalFields {
		if slices.Contains(c.OptionalFields, f) {
			cols = append(cols, f)
		}
	}
	return cols
}

// Schema is the manifest's fileSchema: the columns joined by ", ", as S3
// writes it.
func Schema(cols []string) string { return strings.Join(cols, ", ") }

// Entry is one row's source: a version, whether it is its key's latest,
// and what the row needs from outside the version.
type Entry struct {
	Bucket   string
	Version  *kura.ObjectVersion
	IsLatest bool
	// OwnerID is the canonical user id of the version's owner (the
	// ObjectOwner column and the owner's grant in the ACL column).
	OwnerID string
	// Expires is the version's lifecycle expiration date (zero: none).
	Expires time.Time
}

// timeLayout is how S3 writes dates in an inventory CSV.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Row encodes e as the values of cols.
func Row(cols []string, e Entry) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = value(c, e)
	}
	return out
}

// value is one column of a row. A delete marker has no size, date of
// lock, storage class or encryption: those columns are empty.
func value(col string, e Entry) string {
	v := e.Version
	dm := v.DeleteMarker
	switch col {
	case colBucket:
		return e.Bucket
	case colKey:
		return EncodeKey(v.Key)
	case colVersionID:
		return v.VersionID
	case colIsLatest:
		return strconv.FormatBool(e.IsLatest)
	case colIsDeleteMarker:
		return strconv.FormatBool(dm)
	case "LastModifiedDate":
		return v.LastModified.UTC().Format(timeLayout)
	case "ObjectOwner":
		return e.OwnerID
	}
	if dm {
		return ""
	}
	switch col {
	case "Size":
		return strconv.FormatInt(v.Size, 10)
	case "ETag":
		return v.ETag
	case "StorageClass":
		return storageClass(v)
	case "IsMultipartUploaded":
		return strconv.FormatBool(len(v.Parts) > 0)
	case "ReplicationStatus":
		return v.ReplicationStatus // PENDING, COMPLETED, FAILED, REPLICA or empty
	case "EncryptionStatus":
		return EncryptionStatus(v.Encryption)
	case "ObjectLockRetainUntilDate":
		if v.Retention == nil {
			return ""
		}
		return v.Retention.Until.UTC().Format(timeLayout)
	case "ObjectLockMode":
		if v.Retention == nil {
			return ""
		}
		return v.Retention.Mode
	case "ObjectLockLegalHoldStatus":
		if v.LegalHold {
			return "ON"
		}
		return "OFF"
	case "IntelligentTieringAccessTier":
		// Kura keeps every object in one tier: an INTELLIGENT_TIERING
		// object is always in the frequent access tier.
		if v.StorageClass == "INTELLIGENT_TIERING" {
			return "FREQUENT"
		}
		return ""
	case "BucketKeyStatus":
		return BucketKeyStatus(v.Encryption)
	case "ChecksumAlgorithm":
		if v.Checksum == nil {
			return ""
		}
		return v.Checksum.Algorithm
	case "ObjectAccessControlList":
		return ACLColumn(v.ACL, e.OwnerID)
	case "LifecycleExpirationDate":
		if e.Expires.IsZero() {
			return ""
		}
		return e.Expires.UTC().Format(timeLayout)
	}
	return ""
}

func storageClass(v *kura.ObjectVersion) string {
	if v.StorageClass == "" {
		return "STANDARD"
	}
	return v.StorageClass
}

// EncryptionStatus is the EncryptionStatus column for an encryption:
// SSE-S3, SSE-KMS, DSSE-KMS, SSE-C or NOT-SSE.
func EncryptionStatus(e kura.Encryption) string {
	if n := e.Type.Name(); n != "" {
		return n
	}
	return "NOT-SSE"
}

// BucketKeyStatus is the BucketKeyStatus column: ENABLED for an SSE-KMS
// (or DSSE-KMS) object sealed under an S3 Bucket Key, DISABLED otherwise.
func BucketKeyStatus(e kura.Encryption) string {
	if e.BucketKeyEnabled && (e.Type == kura.SSEKMS || e.Type == kura.SSEDSSE) {
		return "ENABLED"
	}
	return "DISABLED"
}

// aclVersion is the version of the ObjectAccessControlList JSON.
const aclVersion = "2022-11-10"

type aclJSON struct {
	Version string      `json:"version"`
	Status  string      `json:"status"`
	Grants  []grantJSON `json:"grants"`
}

type grantJSON struct {
	Permission  string `json:"permission"`
	Type        string `json:"type"`
	CanonicalID string `json:"canonicalId,omitempty"`
	URI         string `json:"uri,omitempty"`
}

// ACLColumn is the ObjectAccessControlList column: the version's ACL as
// S3's JSON ({"version","status","grants"}), base64-encoded. A version
// without an ACL of its own has the private ACL: its owner's FULL_CONTROL.
func ACLColumn(acl *kura.ACL, ownerID string) string {
	doc := aclJSON{Version: aclVersion, Status: "AVAILABLE", Grants: []grantJSON{}}
	if acl == nil {
		doc.Grants = append(doc.Grants, grantJSON{Permission: "FULL_CONTROL", Type: "CanonicalUser", CanonicalID: ownerID})
	} else {
		for _, g := range acl.Grants {
			doc.Grants = append(doc.Grants, grantJSON{Permission: g.Permission, Type: g.Type, CanonicalID: g.ID, URI: g.URI})
		}
	}
	b, _ := json.Marshal(doc) // plain strings: cannot fail
	return base64.StdEncoding.EncodeToString(b)
}

// EncodeKey URL-encodes a key for the Key column: every byte but
// A–Z a–z 0–9 - _ . ~ / as %XX (a space is %20, a '+' %2B), so that
// url.PathUnescape and url.QueryUnescape both give the key back.
func EncodeKey(key string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// appendCSV appends one CSV line: every value in double quotes (S3 quotes
// every field of an inventory CSV), a quote inside doubled.
func appendCSV(dst []byte, vals []string) []byte {
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		for j := 0; j < len(v); j++ {
			if v[j] == '"' {
				dst = append(dst, '"')
			}
			dst = append(dst, v[j])
		}
		dst = append(dst, '"')
	}
	return append(dst, '\n')
}
