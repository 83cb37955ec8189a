package meta

// Generates testdata/records from the record types as they were before the
// kura package existed (run once: KURA_GEN_FIXTURES=1 go test -run
// TestGenerateFixtures ./internal/meta). Removed in the next commit; the
// fixtures are the on-disk bytes the new codec must keep.

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGenerateFixtures(t *testing.T) {
	if os.Getenv("KURA_GEN_FIXTURES") == "" {
		t.Skip("set KURA_GEN_FIXTURES=1 to regenerate")
	}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	n64 := func(n int64) *int64 { return &n }
	yes := func(b bool) *bool { return &b }
	t1 := time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.UTC)
	t2 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	t3 := time.Date(2025, 6, 7, 8, 9, 10, 500000000, time.FixedZone("", 2*3600))
	acl := &ACL{Grants: []Grant{
		{Type: "CanonicalUser", ID: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", Permission: "FULL_CONTROL"},
		{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"},
	}}
	sse := Encryption{
		Type: SSEDSSE, SealedKey: []byte("sealed-key-1"), SealedKey2: []byte("sealed-key-2"),
		KMSKeyARN: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", BucketKeyEnabled: true,
		BucketKeyBlob: []byte("bucket-key-blob"), Context: `{"project":"kura"}`,
		CustomerKeyMD5: "ck-md5==", CustomerKeySalt: []byte("salt"), CustomerKeyHMAC: []byte("hmac"),
	}
	headers := ContentHeaders{
		ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "attachment", ContentLanguage: "en",
		CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT", WebsiteRedirect: "/other",
		Metadata: map[string]string{"zeta": "last", "alpha": "first"},
	}
	tags := []Tag{{Key: "k1", Value: "v1"}, {Key: "k2", Value: ""}}
	records := map[string]any{
		"bucket-full.rec": Bucket{
			Name: "full-bucket", Created: t1, Region: "eu-west-1", Owner: "111122223333", Versioning: "Enabled",
			ObjectLockEnabled: true, Tags: tags,
			Encryption:     &BucketEncryption{Algorithm: SSEKMS, KMSMasterKeyID: "alias/my-key", BucketKeyEnabled: true, BlockedEncryptionTypes: []string{"SSE-C"}},
			ObjectLockRule: &LockRule{Mode: "GOVERNANCE", Days: 3, Years: 1},
			Policy:         `{"Version":"2012-10-17","Statement":[]}`,
			CORS: []CORSRule{{
				ID: "rule1", AllowedHeaders: []string{"*"}, AllowedMethods: []string{"GET", "PUT"},
				AllowedOrigins: []string{"https://a.example", "*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: num(3000),
			}},
			Lifecycle: []LifecycleRule{{
				ID: "all-parts", Status: "Enabled",
				Filter: &LifecycleFilter{
					Prefix: str("logs/"), Tag: &Tag{Key: "t", Value: "1"}, ObjectSizeGreaterThan: n64(10), ObjectSizeLessThan: n64(1 << 40),
					And: &LifecycleAnd{Prefix: str("a/"), Tags: tags, ObjectSizeGreaterThan: n64(1), ObjectSizeLessThan: n64(99)},
				},
				Prefix:                         str("legacy/"),
				Expiration:                     &LifecycleExpiration{Date: "2030-01-01T00:00:00Z", Days: num(30), ExpiredObjectDeleteMarker: yes(true)},
				Transitions:                    []LifecycleTransition{{Date: "2029-01-01T00:00:00Z", Days: num(7), StorageClass: "GLACIER"}},
				NoncurrentVersionTransitions:   []NoncurrentVersionTransition{{NoncurrentDays: num(5), StorageClass: "DEEP_ARCHIVE", NewerNoncurrentVersions: num(2)}},
				NoncurrentVersionExpiration:    &NoncurrentVersionExpiration{NoncurrentDays: num(60), NewerNoncurrentVersions: num(3)},
				AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{DaysAfterInitiation: num(1)},
			}, {
				ID: "zeros", Status: "Disabled", Prefix: str(""),
				Filter:     &LifecycleFilter{Prefix: str("")},
				Expiration: &LifecycleExpiration{Days: num(0), ExpiredObjectDeleteMarker: yes(false)},
			}},
			ObjectOwnership:   "BucketOwnerPreferred",
			ACL:               acl,
			PublicAccessBlock: &PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
		},
		"bucket-minimal.rec": Bucket{Name: "min-bucket", Created: t2, Region: "us-east-1", Owner: "111122223333"},
		// Empty but present slices and structs, where the encoding tells
		// them from absent ones.
		"bucket-empty.rec": Bucket{
			Name: "empty-bucket", Created: t3, Owner: "111122223333",
			Tags: []Tag{}, Encryption: &BucketEncryption{}, ObjectLockRule: &LockRule{},
			CORS:              []CORSRule{{AllowedMethods: nil, AllowedOrigins: []string{}}},
			Lifecycle:         []LifecycleRule{{Filter: &LifecycleFilter{And: &LifecycleAnd{Tags: []Tag{}}}, Expiration: &LifecycleExpiration{}, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{}}},
			ACL:               &ACL{Grants: []Grant{}},
			PublicAccessBlock: &PublicAccessBlock{},
		},
		"version-full.rec": ObjectVersion{
			Bucket: "full-bucket", Key: "dir/obj.txt", VersionID: "0000017e2d5c1a2b-abcdef", Seq: 1<<62 + 12345,
			DeleteMarker: true, LastModified: t1, Owner: "111122223333",
			Size: 1 << 33, ETag: "9b2cf535f27731c974343645a3985328-2", StorageClass: "GLACIER",
			Checksum:       &Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: "AAAAAAAAAAA="},
			ContentHeaders: headers, Tags: tags,
			BlobID: "20240305T070809-0123456789abcdef",
			Parts: []Part{
				{Number: 1, Size: 5 << 20, ETag: "etag1", Checksum: "ck1==", BlobID: "blob-part-1"},
				{Number: 2, Size: 17, ETag: "etag2", Checksum: "ck2==", BlobID: "blob-part-2"},
			},
			Encryption: sse, UploadID: "upload-id-1",
			Retention: &Retention{Mode: "COMPLIANCE", Until: t2}, LegalHold: true, LegalHoldSet: true,
			Restore: &Restore{Requested: t1, Ready: t2, Expiry: t3, Days: 7, Tier: "Bulk"},
			ACL:     acl,
		},
		"version-minimal.rec": ObjectVersion{
			Bucket: "min-bucket", Key: "k", VersionID: "null", Seq: 1, LastModified: t2,
			Encryption: Encryption{Type: SSES3, SealedKey: []byte{0, 1, 2, 255}},
		},
		"version-marker.rec": ObjectVersion{Bucket: "b", Key: "gone", VersionID: "v2", Seq: 2, DeleteMarker: true, LastModified: t2},
		"version-empty.rec": ObjectVersion{
			Bucket: "b", Key: "e", VersionID: "v3", Seq: 3, LastModified: t3,
			ContentHeaders: ContentHeaders{Metadata: map[string]string{}}, Parts: []Part{}, Tags: []Tag{},
			Encryption: Encryption{SealedKey: []byte{}}, ACL: &ACL{},
		},
		"upload-full.rec": Upload{
			Bucket: "full-bucket", Key: "dir/mpu.bin", UploadID: "upload-id-1", Initiated: t1, Owner: "111122223333",
			Initiator: "444455556666", StorageClass: "STANDARD_IA", ChecksumAlgorithm: "SHA256", ChecksumType: "COMPOSITE",
			ContentHeaders: headers, Tags: tags, Encryption: sse,
			Retention: &Retention{Mode: "GOVERNANCE", Until: t3}, LegalHold: true, LegalHoldSet: true, ACL: acl,
		},
		"upload-minimal.rec": Upload{Bucket: "b", Key: "k", UploadID: "u", Initiated: t2, Encryption: Encryption{Type: SSEC, SealedKey: []byte("x")}},
		"part-full.rec": UploadPart{
			Number: 10000, Size: 5 << 30, ETag: "d41d8cd98f00b204e9800998ecf8427e", ChecksumAlgorithm: "CRC32C",
			Checksum: "yZRlqg==", CRC64NVME: "AAAAAAAAAAA=", BlobID: "20240305T070809-fedcba", LastModified: t1,
		},
		"part-minimal.rec": UploadPart{Number: 1, Size: 0, ETag: "e", BlobID: "b", LastModified: t2},
	}
	for name, r := range records {
		b, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "records", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
