package objecttest

import "testing"

// Run runs the suite as subtests of t, each on a fresh Service over fresh
// stores from open. The subtests run in parallel with one another (each has
// its own stores), so open must be safe to call concurrently.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		// objects.go
		{"Buckets", testBuckets},
		{"PutGetHead", testPutGetHead},
		{"EmptyObject", testEmptyObject},
		{"InvalidKeys", testInvalidKeys},
		{"Ranges", testRanges},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Tags", testTags},
		{"Checksums", testChecksums},
		{"ConditionalWrites", testConditionalWrites},
		// inline.go
		{"InlineThreshold", testInlineThreshold},
		{"DataDamage", testDataDamage},
		// versions.go
		{"VersioningEnabled", testVersioningEnabled},
		{"VersioningSuspended", testVersioningSuspended},
		{"DeleteMarkers", testDeleteMarkers},
		{"DeleteMany", testDeleteMany},
		// list.go
		{"ListPrefixDelimiter", testListPrefixDelimiter},
		{"ListPagination", testListPagination},
		{"ListSkipsDeleted", testListSkipsDeleted},
		{"ListVersions", testListVersions},
		{"ListVersionsPagination", testListVersionsPagination},
		// copy.go
		{"Copy", testCopy},
		{"CopyErrors", testCopyErrors},
		// multipart.go
		{"Multipart", testMultipart},
		{"MultipartErrors", testMultipartErrors},
		{"MultipartAbort", testMultipartAbort},
		{"ListParts", testListParts},
		{"ListUploads", testListUploads},
		{"UploadPartCopy", testUploadPartCopy},
		// lock.go
		{"LockRetentionModes", testLockRetentionModes},
		{"LockLegalHold", testLockLegalHold},
		{"LockDefaultRetention", testLockDefaultRetention},
		{"LockRetentionChanges", testLockRetentionChanges},
		{"LockNotEnabled", testLockNotEnabled},
		// sse.go
		{"SSERoundTrips", testSSERoundTrips},
		{"SSECustomerKey", testSSECustomerKey},
		{"SSEBucketDefault", testSSEBucketDefault},
		{"OpaqueETags", testOpaqueETags},
		{"UpdateEncryption", testUpdateEncryption},
		{"UpdateEncryptionMany", testUpdateEncryptionMany},
		{"UpdateEncryptionRefusals", testUpdateEncryptionRefusals},
		{"RestoreEncryption", testRestoreEncryption},
	}
	// Every test runs with small objects stored inline in their version
	// records (the default), and again with every object in a blob
	// (InlineMax < 0), so both layouts of a single-part object meet every
	// behaviour.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newEnv(t, open, 0))
		})
	}
	t.Run("BlobsOnly", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, newEnv(t, open, -1))
			})
		}
	})
}
