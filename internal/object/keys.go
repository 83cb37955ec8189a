package object

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sse"
)

// KeyAccess is what a request brings to use data keys: who is asking (KMS
// checks and audits the caller) and, for SSE-C, the customer's key.
type KeyAccess struct {
	Caller      kura.Call
	CustomerKey []byte
}

// dataKeys are the plaintext data keys of one object version or upload:
// DEK encrypts the blob; DEK2 is DSSE-KMS's second, inner layer.
type dataKeys struct {
	DEK, DEK2 []byte
}

// bucketKeyTTL bounds how long a plaintext S3 Bucket Key is reused before
// KMS is asked again.
const bucketKeyTTL = 5 * time.Minute

// bucketKeys caches plaintext S3 Bucket Keys: for writes by (bucket, KMS
// key as named, requester) — S3 fetches a bucket key at least once per
// requester so each appears in the KMS trail — and for reads by the
// bucket key's ciphertext.
type bucketKeys struct {
	mu      sync.Mutex
	entries map[string]bucketKey
}

type bucketKey struct {
	plain, blob []byte
	keyARN      string
	expires     time.Time
}

func (c *bucketKeys) get(k string, now time.Time) (bucketKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.After(e.expires) {
		delete(c.entries, k)
		return bucketKey{}, false
	}
	return e, true
}

func (c *bucketKeys) put(k string, e bucketKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]bucketKey{}
	}
	c.entries[k] = e
}

func objectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }
func bucketARN(bucket string) string      { return "arn:aws:s3:::" + bucket }

// kmsContext is the encryption context S3 passes to KMS: the user's pairs
// plus aws:s3:arn (the object ARN, or the bucket ARN under a bucket key).
func kmsContext(user, arn string) (map[string]string, error) {
	m := map[string]string{}
	if user != "" {
		if err := json.Unmarshal([]byte(user), &m); err != nil {
			return nil, err
		}
	}
	m["aws:s3:arn"] = arn
	return m, nil
}

// viaS3 marks a KMS call as made by S3 on the caller's behalf.
func (s *Service) viaS3(c kura.Call) kura.Call {
	c.Source.InvokedBy = "s3.amazonaws.com"
	c.Source.ViaService = "s3." + s.region + ".amazonaws.com"
	return c
}

// kmsError turns a KMS failure into the S3 error S3 sends: KMS exceptions
// are 400s named "KMS.<Exception>", a KMS access denial is S3's 403, and
// throttling is a retryable 503.
func kmsError(err error) error {
	var ke *kms.Error
	if !errors.As(err, &ke) {
		return internal(err)
	}
	switch ke.Type {
	case "AccessDeniedException":
		return s3err.AccessDenied.Wrap(err)
	case "ThrottlingException":
		return s3err.SlowDown.Wrap(err)
	}
	if ke.Status >= 500 {
		return s3err.InternalError.Wrap(err)
	}
	return (&s3err.Error{Code: "KMS." + ke.Type, Status: http.StatusBadRequest, Message: ke.Message}).Wrap(err)
}

// customerKEK derives the key that wraps a DEK under an SSE-C key.
func customerKEK(key []byte) []byte { return sse.DeriveKey(key, "kura sse-c kek v1") }

// customerKeyHMAC is the salted HMAC S3 keeps to recognise an SSE-C key
// without storing it.
func customerKeyHMAC(salt, key []byte) []byte {
	m := hmac.New(sha256.New, salt)
	m.Write(key)
	return m.Sum(nil)
}

// CheckCustomerKey verifies an SSE-C key against an object's or upload's
// encryption block, as S3 does before any read: a missing key is a 400, a
// wrong key a 403.
func CheckCustomerKey(enc kura.Encryption, key []byte) error {
	if enc.Type != kura.SSEC {
		if key != nil {
			return s3err.InvalidRequest.WithMessage("The encryption parameters are not applicable to this object.")
		}
		return nil
	}
	if key == nil {
		return s3err.InvalidRequest.WithMessage("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	}
	if !hmac.Equal(customerKeyHMAC(enc.CustomerKeySalt, key), enc.CustomerKeyHMAC) {
		return s3err.AccessDenied.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// CheckKMSKeyID checks the form of a KMS key id given for a bucket's
// default encryption: the error (S3's KMS.NotFoundException or
// KMS.ValidationException, 400) is the one every write under that default
// would otherwise get. Whether the key exists is not checked, as S3 does
// not: an alias may be created later.
func (s *Service) CheckKMSKeyID(id string) error {
	if err := kms.CheckKeyID(s.region, id); err != nil {
		return kmsError(err)
	}
	return nil
}
