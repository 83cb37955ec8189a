package inventory

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
)

func TestColumns(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions string
		fields   []string
		want     string
	}{
		{"current, no fields", "Current", nil, "Bucket, Key"},
		{"all versions", "All", nil, "Bucket, Key, VersionId, IsLatest, IsDeleteMarker"},
		// Asked in any order, written in S3's; a duplicate is one column.
		{"S3's order", "Current", []string{"ObjectOwner", "Size", "EncryptionStatus", "ETag", "Size", "BucketKeyStatus"},
			"Bucket, Key, Size, ETag, EncryptionStatus, BucketKeyStatus, ObjectOwner"},
		{"every field", "All", kura.InventoryOptionalFields,
			"Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, " +
				"ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, " +
				"IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm, ObjectAccessControlList, ObjectOwner, LifecycleExpirationDate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Schema(Columns(&kura.InventoryConfiguration{IncludedObjectVersions: tc.versions, OptionalFields: tc.fields}))
			if got != tc.want {
				t.Errorf("schema\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRowValues(t *testing.T) {
	modified := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))
	obj := &kura.ObjectVersion{
		Bucket: "src", Key: "dir/a b+c.txt", VersionID: "v1", LastModified: modified, Owner: "111122223333",
		Size: 1234, ETag: "0123456789abcdef0123456789abcdef", Checksum: &kura.Checksum{Algorithm: "CRC64NVME"},
		Encryption: kura.Encryption{Type: kura.SSEKMS, BucketKeyEnabled: true},
		Retention:  &kura.Retention{Mode: "GOVERNANCE", Until: until}, LegalHold: true,
	}
	multipart := &kura.ObjectVersion{Key: "mp", VersionID: "null", Size: 10, ETag: "abc-2", StorageClass: "INTELLIGENT_TIERING",
		Parts: []kura.Part{{Number: 1}, {Number: 2}}, Encryption: kura.Encryption{Type: kura.SSES3}}
	marker := &kura.ObjectVersion{Key: "gone", VersionID: "v9", DeleteMarker: true, LastModified: modified}
	expires := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		col  string
		e    Entry
		want string
	}{
		{"Bucket", Entry{Bucket: "src", Version: obj}, "src"},
		{"Key", Entry{Version: obj}, "dir/a%20b%2Bc.txt"},
		{"VersionId", Entry{Version: obj}, "v1"},
		{"VersionId", Entry{Version: multipart}, "null"},
		{"IsLatest", Entry{Version: obj, IsLatest: true}, "true"},
		{"IsLatest", Entry{Version: obj}, "false"},
		{"IsDeleteMarker", Entry{Version: marker}, "true"},
		{"IsDeleteMarker", Entry{Version: obj}, "false"},
		{"Size", Entry{Version: obj}, "1234"},
		{"Size", Entry{Version: marker}, ""},
		{"LastModifiedDate", Entry{Version: obj}, "2026-03-04T05:06:07.890Z"},
		{"LastModifiedDate", Entry{Version: marker}, "2026-03-04T05:06:07.890Z"},
		{"ETag", Entry{Version: obj}, "0123456789abcdef0123456789abcdef"},
		{"ETag", Entry{Version: multipart}, "abc-2"},
		{"ETag", Entry{Version: marker}, ""},
		{"StorageClass", Entry{Version: obj}, "STANDARD"},
		{"StorageClass", Entry{Version: multipart}, "INTELLIGENT_TIERING"},
		{"StorageClass", Entry{Version: marker}, ""},
		{"IsMultipartUploaded", Entry{Version: obj}, "false"},
		{"IsMultipartUploaded", Entry{Version: multipart}, "true"},
		{"ReplicationStatus", Entry{Version: obj}, ""},
		{"ReplicationStatus", Entry{Version: &kura.ObjectVersion{ReplicationStatus: kura.ReplicationCompleted}}, "COMPLETED"},
		{"EncryptionStatus", Entry{Version: obj}, "SSE-KMS"},
		{"EncryptionStatus", Entry{Version: multipart}, "SSE-S3"},
		{"EncryptionStatus", Entry{Version: marker}, ""},
		{"ObjectLockRetainUntilDate", Entry{Version: obj}, "2030-01-02T02:04:05.000Z"},
		{"ObjectLockRetainUntilDate", Entry{Version: multipart}, ""},
		{"ObjectLockMode", Entry{Version: obj}, "GOVERNANCE"},
		{"ObjectLockMode", Entry{Version: multipart}, ""},
		{"ObjectLockLegalHoldStatus", Entry{Version: obj}, "ON"},
		{"ObjectLockLegalHoldStatus", Entry{Version: multipart}, "OFF"},
		{"IntelligentTieringAccessTier", Entry{Version: obj}, ""},
		{"IntelligentTieringAccessTier", Entry{Version: multipart}, "FREQUENT"},
		{"BucketKeyStatus", Entry{Version: obj}, "ENABLED"},
		{"BucketKeyStatus", Entry{Version: multipart}, "DISABLED"},
		{"BucketKeyStatus", Entry{Version: marker}, ""},
		{"ChecksumAlgorithm", Entry{Version: obj}, "CRC64NVME"},
		{"ChecksumAlgorithm", Entry{Version: multipart}, ""},
		{"ObjectOwner", Entry{Version: obj, OwnerID: "cid-1"}, "cid-1"},
		{"LifecycleExpirationDate", Entry{Version: obj, Expires: expires}, "2026-04-01T00:00:00.000Z"},
		{"LifecycleExpirationDate", Entry{Version: obj}, ""},
	} {
		t.Run(tc.col+"/"+tc.e.Version.Key, func(t *testing.T) {
			if got := Row([]string{tc.col}, tc.e)[0]; got != tc.want {
				t.Errorf("%s = %q, want %q", tc.col, got, tc.want)
			}
		})
	}
}

func TestEncryptionColumns(t *testing.T) {
	for _, tc := range []struct {
		enc               kura.Encryption
		status, bucketKey string
	}{
		{kura.Encryption{}, "NOT-SSE", "DISABLED"},
		{kura.Encryption{Type: kura.SSES3}, "SSE-S3", "DISABLED"},
		{kura.Encryption{Type: kura.SSEKMS}, "SSE-KMS", "DISABLED"},
		{kura.Encryption{Type: kura.SSEKMS, BucketKeyEnabled: true}, "SSE-KMS", "ENABLED"},
		{kura.Encryption{Type: kura.SSEDSSE}, "DSSE-KMS", "DISABLED"},
		{kura.Encryption{Type: kura.SSEC}, "SSE-C", "DISABLED"},
	} {
		if got := EncryptionStatus(tc.enc); got != tc.status {
			t.Errorf("EncryptionStatus(%+v) = %s, want %s", tc.enc, got, tc.status)
		}
		if got := BucketKeyStatus(tc.enc); got != tc.bucketKey {
			t.Errorf("BucketKeyStatus(%+v) = %s, want %s", tc.enc, got, tc.bucketKey)
		}
	}
}

func TestACLColumn(t *testing.T) {
	for _, tc := range []struct {
		name string
		acl  *kura.ACL
		want string
	}{
		{"private", nil, `{"version":"2022-11-10","status":"AVAILABLE","grants":[{"permission":"FULL_CONTROL","type":"CanonicalUser","canonicalId":"owner-cid"}]}`},
		{"grants", &kura.ACL{Grants: []kura.Grant{
			{Type: "CanonicalUser", ID: "owner-cid", Permission: "FULL_CONTROL"},
			{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"},
		}}, `{"version":"2022-11-10","status":"AVAILABLE","grants":[{"permission":"FULL_CONTROL","type":"CanonicalUser","canonicalId":"owner-cid"},` +
			`{"permission":"READ","type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers"}]}`},
		{"empty", &kura.ACL{}, `{"version":"2022-11-10","status":"AVAILABLE","grants":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := base64.StdEncoding.DecodeString(ACLColumn(tc.acl, "owner-cid"))
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != tc.want {
				t.Errorf("ACL JSON\n got %s\nwant %s", raw, tc.want)
			}
		})
	}
}

func TestEncodeKey(t *testing.T) {
	for _, key := range []string{"plain/key.txt", "a b", "a+b", "100%", "日本/語", "q?x=1&y", `quote"comma,`, "~tilde_-.", "tab\there\nnl"} {
		enc := EncodeKey(key)
		if strings.ContainsAny(enc, " +\",\n\t") {
			t.Errorf("EncodeKey(%q) = %q keeps a character that needs escaping", key, enc)
		}
		for name, dec := range map[string]func(string) (string, error){"PathUnescape": url.PathUnescape, "QueryUnescape": url.QueryUnescape} {
			if got, err := dec(enc); err != nil || got != key {
				t.Errorf("%s(EncodeKey(%q) = %q) = %q, %v", name, key, enc, got, err)
			}
		}
	}
}

func TestAppendCSV(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		want string
	}{
		{[]string{"src", "k"}, "\"src\",\"k\"\n"},
		{[]string{"", "x"}, "\"\",\"x\"\n"},
		{[]string{`a"b`}, "\"a\"\"b\"\n"},
	} {
		if got := string(appendCSV(nil, tc.vals)); got != tc.want {
			t.Errorf("appendCSV(%q) = %q, want %q", tc.vals, got, tc.want)
		}
	}
}

func TestOptionalFieldsMatchEnum(t *testing.T) {
	// botocore's InventoryOptionalField enum on this machine, in its order.
	enum := []string{"Size", "LastModifiedDate", "StorageClass", "ETag", "IsMultipartUploaded", "ReplicationStatus",
		"EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus",
		"IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm", "ObjectAccessControlList", "ObjectOwner",
		"LifecycleExpirationDate"}
	a, b := slices.Clone(enum), slices.Clone(kura.InventoryOptionalFields)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("kura.InventoryOptionalFields %v is not the enum %v", kura.InventoryOptionalFields, enum)
	}
}
