package ops

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// What the writes that create an object (PutObject, CopyObject,
// CreateMultipartUpload, a browser POST) decide from values: the new
// object's owner and ACL, whether its lock settings are acceptable, and
// the checks of the values a write names. The HTTP front parses headers
// into these values; Batch Operations builds them from a job's operation.

// newObject is what a write asks of the object it creates, for its
// condition keys.
type newObject struct {
	SSE             object.SSERequest
	StorageClass    string
	ACL             ObjectACL
	Lock            object.Lock
	RetainUntilDate string
	Tags            []kura.Tag
}

// writeActions are the actions a write calls for besides s3:PutObject,
// as S3 requires them: setting a retention, a legal hold, tags or an ACL
// on the new object.
func writeActions(l object.Lock, tags bool, acl ObjectACL) []string {
	var a []string
	if l.Retention != nil {
		a = append(a, "s3:PutObjectRetention")
	}
	if l.LegalHold != nil {
		a = append(a, "s3:PutObjectLegalHold")
	}
	if tags {
		a = append(a, "s3:PutObjectTagging")
	}
	if acl.Given() {
		a = append(a, "s3:PutObjectAcl")
	}
	return a
}

// writeConditions sets the condition keys of a write creating o, as the
// HTTP front's headers would carry them.
func (s *Service) writeConditions(m map[string][]string, call kura.Call, o newObject) {
	if o.StorageClass != "" {
		m["s3:x-amz-storage-class"] = []string{o.StorageClass}
	}
	if o.ACL.Canned != "" {
		m["s3:x-amz-acl"] = []string{o.ACL.Canned}
	}
	sseConditions(m, o.SSE, s.region, call.Principal.AccountID)
	var mode, hold string
	if rt := o.Lock.Retention; rt != nil {
		mode = rt.Mode
	}
	if h := o.Lock.LegalHold; h != nil {
		hold = onOff(*h)
	}
	LockConditions(m, mode, o.RetainUntilDate, hold, s.obj.Now())
	if len(o.Tags) > 0 {
		tags := url.Values{}
		for _, t := range o.Tags {
			tags.Add(t.Key, t.Value)
		}
		TagConditions(m, tags)
	}
}

// ObjectACL is the ACL a write asks for: a canned ACL (x-amz-acl) or
// grants (x-amz-grant-*: canonical users, e-mail grantees as
// AmazonCustomerByEmail, groups), not both. The zero value asks for none:
// the owner's FULL_CONTROL.
type ObjectACL struct {
	Canned string
	Grants []kura.Grant
}

// Given says the write names an ACL.
func (a ObjectACL) Given() bool { return a.Canned != "" || len(a.Grants) > 0 }

// NewObjectACL decides the owner (an account id) and the stored ACL of an
// object call writes to b. Under BucketOwnerEnforced the bucket owner
// owns it and only bucket-owner full control is accepted (nothing is
// stored); under BucketOwnerPreferred the bucket owner owns what is
// written with bucket-owner-full-control; otherwise the writer owns it.
// Anonymous writes belong to the bucket owner. Grants are resolved
// through the account directory; a public ACL is refused under
// BlockPublicAcls.
func (s *Service) NewObjectACL(ctx context.Context, call kura.Call, b *kura.Bucket, a ObjectACL) (owner string, acl *kura.ACL, err error) {
	owner = call.Principal.AccountID
	switch {
	case call.Principal.IsAnonymous(), b.ObjectOwnership == kura.BucketOwnerEnforced:
		owner = b.Owner
	case b.ObjectOwnership == kura.BucketOwnerPreferred && a.Canned == "bucket-owner-full-control":
		owner = b.Owner
	}
	if !a.Given() {
		return owner, nil, nil
	}
	if a.Canned != "" && len(a.Grants) > 0 {
		return "", nil, ErrACLBothWays
	}
	ownerID := s.ownerID(ctx, call, owner)
	grants := a.Grants
	if a.Canned != "" {
		var ok bool
		if grants, ok = CannedACL(a.Canned, ACLParties{Owner: ownerID, BucketOwner: s.ownerID(ctx, call, b.Owner)}); !ok {
			return "", nil, ErrUnknownCannedACL(a.Canned)
		}
	} else if grants, err = ResolveGrants(ctx, s.accounts, grants); err != nil {
		return "", nil, err
	}
	if !b.ACLsEnabled() {
		// owner is the bucket owner here.
		if !EnforcedACLAccepted(a.Canned, grants, ownerID) {
			return "", nil, s3err.AccessControlListNotSupported
		}
		return owner, nil, nil
	}
	if err := BlockPublicACL(b, grants); err != nil {
		return "", nil, err
	}
	return owner, StoredACL(grants, ownerID), nil
}

// errLockNeedsIntegrity is S3's answer to a PutObject that will be
// retained or held but carries no integrity value for its body.
var errLockNeedsIntegrity = s3err.InvalidRequest.WithMessage("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")

// CheckLockWrite refuses lock settings on a bucket without Object Lock
// and, for a write with a body (PutObject: body) whose version will be
// retained or held, a body sent without Content-MD5 or an
// x-amz-checksum-* value (integrity; a SigV4 payload hash does not
// count). Writes without a body (CopyObject, CreateMultipartUpload) pass
// body false.
func CheckLockWrite(b *kura.Bucket, l object.Lock, body, integrity bool) error {
	if err := object.CheckLock(b, l); err != nil {
		return err
	}
	if body && !integrity && object.LockNeedsIntegrity(b, l) {
		return errLockNeedsIntegrity
	}
	return nil
}

// checkLock checks lock settings given as values, as the HTTP front
// checks its x-amz-object-lock-* headers: a known mode and a retain-until
// date in the future.
func checkLock(l object.Lock, until string, now time.Time) error {
	rt := l.Retention
	if rt == nil {
		return nil
	}
	if rt.Mode != object.Governance && rt.Mode != object.Compliance {
		return s3err.InvalidArgument.WithMessage("Unknown wormMode directive.").
			With("ArgumentName", "x-amz-object-lock-mode").With("ArgumentValue", rt.Mode)
	}
	if !rt.Until.After(now) {
		return s3err.InvalidArgument.WithMessage("The retain until date must be in the future!").
			With("ArgumentName", "x-amz-object-lock-retain-until-date").With("ArgumentValue", until)
	}
	return nil
}

// storageClasses are the classes Kura accepts on writes.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
}

// CheckStorageClass refuses a storage class Kura does not accept on
// writes; "" (none named) is accepted.
func CheckStorageClass(c string) error {
	if c != "" && !storageClasses[c] {
		return s3err.InvalidStorageClass.With("StorageClassRequested", c)
	}
	return nil
}

// MaxWebsiteRedirect is S3's limit on x-amz-website-redirect-location.
const MaxWebsiteRedirect = 2 << 10

// CheckWebsiteRedirect checks an object's website redirect location: a
// path in the bucket or an http(s) URL; "" is none.
func CheckWebsiteRedirect(v string) error {
	if v == "" {
		return nil
	}
	if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return s3err.InvalidRedirectLocation
	}
	if len(v) > MaxWebsiteRedirect {
		return s3err.InvalidRedirectLocation.WithMessage("The website redirect location must be at most %d bytes long.", MaxWebsiteRedirect)
	}
	return nil
}

// checkMetadata refuses user metadata larger than S3 allows (names and
// values together).
func checkMetadata(m map[string]string) error {
	size := 0
	for k, v := range m {
		size += len(k) + len(v)
	}
	if size > object.MaxUserMetadata {
		return s3err.MetadataTooLarge.With("Size", strconv.Itoa(size)).With("MaxSizeAllowed", strconv.Itoa(object.MaxUserMetadata))
	}
	return nil
}

// KMSKeyARN is the value of s3:x-amz-server-side-encryption-aws-kms-key-id
// for a key named in a request: policies compare it as a key ARN (SPEC
// 7.3), so a bare key id or alias name is expanded in the caller's region
// and account, where S3 resolves it.
func KMSKeyARN(v, region, account string) string {
	switch {
	case strings.HasPrefix(v, "arn:"):
		return v
	case strings.HasPrefix(v, "alias/"):
		return "arn:aws:kms:" + region + ":" + account + ":" + v
	}
	return "arn:aws:kms:" + region + ":" + account + ":key/" + v
}

// sseConditions sets the encryption condition keys of a write that asks
// for encryption e (as the HTTP front's headers would carry it).
func sseConditions(m map[string][]string, e object.SSERequest, region, account string) {
	switch e.Type {
	case kura.SSENone:
	case kura.SSEC:
		m["s3:x-amz-server-side-encryption-customer-algorithm"] = []string{"AES256"}
	default:
		m["s3:x-amz-server-side-encryption"] = []string{string(e.Type)}
		if e.KMSKeyID != "" {
			m["s3:x-amz-server-side-encryption-aws-kms-key-id"] = []string{KMSKeyARN(e.KMSKeyID, region, account)}
		}
	}
}

// checkSSE checks the encryption a write asks for, given as a value: a
// type S3 knows, and for SSE-C a 256-bit key (whose MD5 is filled in when
// not given).
func checkSSE(e *object.SSERequest) error {
	switch e.Type {
	case kura.SSENone, kura.SSES3, kura.SSEKMS, kura.SSEDSSE:
		if len(e.CustomerKey) > 0 {
			return s3err.InvalidArgument.WithMessage("Server Side Encryption with Customer provided key is incompatible with the encryption method specified").
				With("ArgumentName", "x-amz-server-side-encryption")
		}
		return nil
	case kura.SSEC:
		if len(e.CustomerKey) != 32 {
			return s3err.InvalidArgument.WithMessage("The secret key was invalid for the specified algorithm.").
				With("ArgumentName", "x-amz-server-side-encryption-customer-key")
		}
		if e.CustomerKeyMD5 == "" {
			sum := md5.Sum(e.CustomerKey)
			e.CustomerKeyMD5 = base64.StdEncoding.EncodeToString(sum[:])
		}
		return nil
	}
	return s3err.InvalidArgument.WithMessage("The encryption method specified is not supported").
		With("ArgumentName", "x-amz-server-side-encryption").With("ArgumentValue", string(e.Type))
}

// sseAppliedNames are CloudTrail's SSEApplied names of the types.
var sseAppliedNames = map[kura.SSEType]string{kura.SSES3: "SSE_S3", kura.SSEKMS: "SSE_KMS", kura.SSEDSSE: "SSE_KMS_DSSE", kura.SSEC: "SSE_C"}

// SSEApplied is CloudTrail's SSEApplied for a write that asked for
// encryption asked and got applied: SSE_* when the write asked for it,
// Default_SSE_* when the bucket default chose it.
func SSEApplied(asked, applied kura.SSEType) string {
	if asked != kura.SSENone {
		return sseAppliedNames[asked]
	}
	if n := sseAppliedNames[applied]; n != "" && applied != kura.SSEC {
		return "Default_" + n
	}
	return ""
}

// PublicEncryption is e without key material: what a result or an event
// may carry (type, KMS key, bucket key, context, the SSE-C key's MD5).
func PublicEncryption(e kura.Encryption) kura.Encryption {
	return kura.Encryption{Type: e.Type, KMSKeyARN: e.KMSKeyARN, BucketKeyEnabled: e.BucketKeyEnabled,
		Context: e.Context, CustomerKeyMD5: e.CustomerKeyMD5}
}
