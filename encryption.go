package kura

// SSEType is how an object version's data key is protected.
type SSEType string

// The SSE types, spelled as S3's x-amz-server-side-encryption header except
// SSE-C, which S3 signals with the customer-algorithm header instead.
const (
	SSENone SSEType = ""
	SSES3   SSEType = "AES256"
	SSEKMS  SSEType = "aws:kms"
	SSEDSSE SSEType = "aws:kms:dsse"
	SSEC    SSEType = "SSE-C"
)

// Name is the name S3 gives the type in bodies and reports — SSE-S3,
// SSE-KMS, DSSE-KMS, SSE-C — and "" for none, which each place spells its
// own way (NONE in UpdateObjectEncryption's events, NOT-SSE in inventory).
func (t SSEType) Name() string {
	switch t {
	case SSES3:
		return "SSE-S3"
	case SSEKMS:
		return "SSE-KMS"
	case SSEDSSE:
		return "DSSE-KMS"
	case SSEC:
		return "SSE-C"
	}
	return ""
}

// Encryption is the SSE block of an object version or upload: everything
// needed to recover the data key (DEK), and nothing that reveals it. Changing
// an object's encryption rewrites only this block.
type Encryption struct {
	Type SSEType
	// SealedKey is the DEK sealed by the wrapping the Type implies: the
	// store's managed key (SSE-S3), a KMS key or bucket key (SSE-KMS, first
	// DSSE layer), or the customer's key (SSE-C).
	SealedKey []byte
	// SealedKey2 is DSSE's second, independent layer key.
	SealedKey2 []byte
	// KMSKeyARN is the KMS key protecting SealedKey (SSE-KMS, DSSE).
	KMSKeyARN        string
	BucketKeyEnabled bool
	// BucketKeyBlob is the KMS ciphertext of the S3 Bucket Key that seals
	// SealedKey when BucketKeyEnabled (encryption context: the bucket ARN).
	BucketKeyBlob []byte
	// Context is the user-supplied encryption context (JSON object), without
	// the aws:s3:arn entry S3 adds itself.
	Context string
	// CustomerKeyMD5 is the base64 MD5 S3 echoes for SSE-C; CustomerKeyHMAC
	// is a salted HMAC of the customer key used to check later requests.
	CustomerKeyMD5  string
	CustomerKeySalt []byte
	CustomerKeyHMAC []byte
	// SealBucket is the bucket whose name SealedKey's seal is bound to
	// when it is not the version's own: an SSE-C replica keeps its
	// source's seal, which only the customer's key opens ("" for every
	// other version).
	SealBucket string
}

// BucketEncryption is a bucket's default encryption configuration
// (PutBucketEncryption).
type BucketEncryption struct {
	Algorithm        SSEType // AES256, aws:kms or aws:kms:dsse
	KMSMasterKeyID   string  // as configured; only its form is checked (s3api/bucketencryption.go)
	BucketKeyEnabled bool
	// BlockedEncryptionTypes lists write encryption types refused in this
	// bucket ("SSE-C"), or holds "NONE".
	BlockedEncryptionTypes []string
}

// Blocks reports whether the configuration blocks writes that ask for the
// given encryption type.
func (e *BucketEncryption) Blocks(t SSEType) bool {
	if e == nil || t != SSEC {
		return false
	}
	for _, b := range e.BlockedEncryptionTypes {
		if b == "SSE-C" {
			return true
		}
	}
	return false
}
