package s3control

import (
	"math"
	"net/http"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// createJob is a decoded CreateJob body.
type createJob struct {
	spec kura.JobSpec
	tags []kura.Tag
}

// decodeCreateJob reads a CreateJobRequest document into a JobSpec,
// checking every member against the model: required members, lengths,
// patterns and enums, and no element the model does not have.
func decodeCreateJob(body []byte) (*createJob, error) {
	root, err := parseTree(body)
	if err != nil {
		return nil, err
	}
	if root.name != "CreateJobRequest" {
		return nil, s3err.MalformedXML.WithMessage("The document's root element is %s; CreateJob takes a CreateJobRequest.", root.name)
	}
	var fail problems
	r := newReader(root, &fail)
	out := &createJob{}
	s := &out.spec
	// An omitted ConfirmationRequired is true: S3 keeps a job created
	// without it (aws s3control create-job without
	// --no-confirmation-required) Suspended until it is confirmed.
	s.ConfirmationRequired = true
	if b := r.boolean("ConfirmationRequired"); b != nil {
		s.ConfirmationRequired = *b
	}
	if op := r.required("Operation"); op != nil {
		s.Operation = decodeOperation(op)
	}
	if rep := r.required("Report"); rep != nil {
		s.Report = decodeReport(rep)
	}
	s.ClientRequestToken = r.reqStr("ClientRequestToken", 1, 64)
	if m := r.child("Manifest"); m != nil {
		s.Manifest = decodeManifest(m)
	}
	s.Description = r.str("Description", 1, 256)
	if r.required("Priority") != nil {
		if p := r.integer("Priority", 0, math.MaxInt32); p != nil {
			s.Priority = int(*p)
		}
	}
	s.RoleARN = r.reqStr("RoleArn", 1, 2048)
	if s.RoleARN != "" && !roleARNPattern.MatchString(s.RoleARN) {
		r.failf("RoleArn %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).", s.RoleARN)
	}
	out.tags = decodeTags(r, "Tags")
	if g := r.child("ManifestGenerator"); g != nil {
		s.ManifestGenerator = decodeGenerator(g)
	}
	r.done()
	if fail.first == nil {
		switch {
		case s.Manifest == nil && s.ManifestGenerator == nil:
			r.failf("CreateJob needs a Manifest or a ManifestGenerator.")
		case s.Manifest != nil && s.ManifestGenerator != nil:
			r.failf("CreateJob takes a Manifest or a ManifestGenerator, not both.")
		}
	}
	if err := fail.error(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeOperation reads JobOperation, a union: exactly one member.
func decodeOperation(r *reader) kura.JobOperation {
	var op kura.JobOperation
	var named []string
	for _, k := range r.n.kids {
		if contains(operationNames, k.name) && !contains(named, k.name) {
			named = append(named, k.name)
		}
	}
	switch {
	case len(named) == 0 && len(r.n.kids) == 0:
		r.failf("Operation must name the operation to run; valid operations are: %s.", strings.Join(operationNames, ", "))
		return op
	case len(named) > 1:
		r.failf("Operation must name exactly one operation, but names %s.", strings.Join(named, " and "))
		return op
	}
	for _, name := range operationNames {
		c := r.child(name)
		if c == nil {
			continue
		}
		op.Name = kura.JobOperationName(name)
		switch op.Name {
		case kura.OpLambdaInvoke:
			r.fail(s3err.NotImplemented.WithMessage("Kura does not run Lambda functions: the LambdaInvoke operation is not supported. Use one of the S3 operations."))
			return op
		case kura.OpS3UpdateObjectEncryption:
			op.UpdateEncryption = decodeUpdateEncryption(c)
		case kura.OpS3PutObjectCopy:
			op.Copy = decodeCopy(c)
		case kura.OpS3PutObjectAcl:
			op.ACL = decodeACL(c)
		case kura.OpS3PutObjectTagging:
			op.Tagging = decodeTags(c, "TagSet")
			if op.Tagging == nil {
				op.Tagging = []kura.Tag{}
			}
		case kura.OpS3PutObjectLegalHold:
			if lh := c.required("LegalHold"); lh != nil {
				on := lh.required("Status") != nil && lh.enum("Status", legalHoldStatuses) == "ON"
				op.LegalHold = &on
				lh.done()
			}
		case kura.OpS3PutObjectRetention:
			op.Retention = &kura.JobRetention{BypassGovernance: c.flag("BypassGovernanceRetention")}
			if rt := c.required("Retention"); rt != nil {
				op.Retention.Retention = kura.Retention{Until: rt.timestamp("RetainUntilDate"), Mode: rt.enum("Mode", objectLockModes)}
				rt.done()
			}
		case kura.OpS3InitiateRestoreObject:
			op.Restore = &kura.JobRestore{Tier: c.enum("GlacierJobTier", glacierTiers)}
			if d := c.integer("ExpirationInDays", 0, math.MaxInt32); d != nil {
				op.Restore.ExpirationDays = int(*d)
			}
		case kura.OpS3ComputeObjectChecksum:
			op.Checksum = &kura.JobChecksum{Algorithm: c.enum("ChecksumAlgorithm", computeAlgorithms), Type: c.enum("ChecksumType", computeTypes)}
		case kura.OpS3DeleteObjectTagging, kura.OpS3ReplicateObject:
			// No members.
		}
		c.done()
	}
	r.done()
	return op
}

// decodeUpdateEncryption reads S3UpdateObjectEncryption: ObjectEncryption
// is a union whose one member is SSE-KMS, the only new encryption the
// operation offers.
func decodeUpdateEncryption(r *reader) *kura.JobUpdateEncryption {
	ue := &kura.JobUpdateEncryption{Type: kura.SSEKMS}
	oe := r.child("ObjectEncryption")
	r.done() // an element of another shape (seed 000's ServerSideEncryption) is the better message
	if oe == nil {
		r.failf("S3UpdateObjectEncryption needs ObjectEncryption, the new encryption: <ObjectEncryption><SSE-KMS><KMSKeyArn>…</KMSKeyArn></SSE-KMS></ObjectEncryption>.")
		return ue
	}
	kms := oe.child("SSE-KMS")
	oe.done()
	if kms == nil {
		oe.failf("Operation/S3UpdateObjectEncryption/ObjectEncryption must be SSE-KMS: it is the only valid new encryption type.")
		return ue
	}
	ue.KMSKeyARN = kms.reqStr("KMSKeyArn", 20, 2048)
	if ue.KMSKeyARN != "" && !kmsKeyARNPattern.MatchString(ue.KMSKeyARN) {
		kms.failf("KMSKeyArn %q is not a KMS key ARN: give the key's full ARN (arn:aws:kms:<region>:<account>:key/<key-id>), not an alias or a bare key id.", ue.KMSKeyARN)
	}
	ue.BucketKeyEnabled = kms.flag("BucketKeyEnabled")
	kms.done()
	return ue
}

func decodeCopy(r *reader) *kura.JobCopy {
	c := &kura.JobCopy{
		TargetResource:    r.str("TargetResource", 1, 128),
		CannedACL:         r.enum("CannedAccessControlList", cannedACLs),
		Grants:            decodeGrants(r, "AccessControlGrants"),
		MetadataDirective: r.enum("MetadataDirective", metadataDirectives),
		ModifiedSince:     r.timestamp("ModifiedSinceConstraint"),
		NewTagging:        decodeTags(r, "NewObjectTagging"),
		RedirectLocation:  r.str("RedirectLocation", 1, 2048),
		RequesterPays:     r.flag("RequesterPays"),
		StorageClass:      r.enum("StorageClass", storageClasses),
		UnmodifiedSince:   r.timestamp("UnModifiedSinceConstraint"),
		SSEAwsKmsKeyID:    r.str("SSEAwsKmsKeyId", 1, 2000),
		TargetKeyPrefix:   r.str("TargetKeyPrefix", 1, 1024),
		// ObjectLockLegalHoldStatus and the rest follow.
		ObjectLockLegalHoldStatus: r.enum("ObjectLockLegalHoldStatus", legalHoldStatuses),
		ObjectLockMode:            r.enum("ObjectLockMode", objectLockModes),
		ObjectLockRetainUntilDate: r.timestamp("ObjectLockRetainUntilDate"),
		BucketKeyEnabled:          r.flag("BucketKeyEnabled"),
		ChecksumAlgorithm:         r.enum("ChecksumAlgorithm", copyChecksumAlgorithms),
	}
	if c.TargetResource != "" && !copyTargetARN.MatchString(c.TargetResource) {
		r.failf("TargetResource %q is not a bucket ARN (arn:aws:s3:::<bucket>).", c.TargetResource)
	}
	if c.NewTagging == nil && r.n != nil && hasChild(r.n, "NewObjectTagging") {
		c.NewTagging = []kura.Tag{}
	}
	if m := r.child("NewObjectMetadata"); m != nil {
		h := &kura.ContentHeaders{
			CacheControl:       m.str("CacheControl", 1, 1024),
			ContentDisposition: m.str("ContentDisposition", 1, 1024),
			ContentEncoding:    m.str("ContentEncoding", 1, 1024),
			ContentLanguage:    m.str("ContentLanguage", 1, 1024),
			ContentType:        m.str("ContentType", 1, 1024),
		}
		if t := m.timestamp("HttpExpiresDate"); !t.IsZero() {
			h.Expires = t.UTC().Format(http.TimeFormat)
		}
		m.list("UserMetadata", func(e *reader) {
			k, v := e.reqStr("key", 1, 1024), e.str("value", 0, 1024)
			e.done()
			if h.Metadata == nil {
				h.Metadata = map[string]string{}
			}
			h.Metadata[strings.ToLower(k)] = v
		})
		switch m.enum("SSEAlgorithm", sseAlgorithms) {
		case "AES256":
			c.SSE = kura.SSES3
		case "KMS":
			c.SSE = kura.SSEKMS
		}
		// Accepted as the model has them, and not kept: S3 computes a
		// copy's length and MD5 itself, and RequesterCharged is a
		// response flag.
		m.integer("ContentLength", 0, math.MaxInt64)
		m.str("ContentMD5", 1, 1024)
		m.boolean("RequesterCharged")
		m.done()
		if h.CacheControl+h.ContentDisposition+h.ContentEncoding+h.ContentLanguage+h.ContentType+h.Expires != "" || h.Metadata != nil {
			c.NewMetadata = h
		}
	}
	return c
}

func hasChild(n *node, name string) bool {
	for _, k := range n.kids {
		if k.name == name {
			return true
		}
	}
	return false
}

func decodeACL(r *reader) *kura.JobACL {
	a := &kura.JobACL{}
	p := r.child("AccessControlPolicy")
	if p == nil {
		r.failf("S3PutObjectAcl needs an AccessControlPolicy.")
		return a
	}
	a.CannedACL = p.enum("CannedAccessControlList", cannedACLs)
	if l := p.child("AccessControlList"); l != nil {
		if o := l.required("Owner"); o != nil {
			a.OwnerID = o.str("ID", 1, 1024)
			o.str("DisplayName", 1, 1024)
			o.done()
		}
		a.Grants = decodeGrants(l, "Grants")
		l.done()
	}
	p.done()
	return a
}

// decodeGrants reads an S3GrantList: grantees by canonical id, e-mail
// address or group URI, in the kura.Grant spelling the ACL operations
// take.
func decodeGrants(r *reader, name string) []kura.Grant {
	var out []kura.Grant
	r.list(name, func(m *reader) {
		g := kura.Grant{Permission: m.enum("Permission", permissions)}
		if ge := m.child("Grantee"); ge != nil {
			id := ge.str("Identifier", 1, 1024)
			ge.str("DisplayName", 1, 1024)
			switch ge.enum("TypeIdentifier", granteeTypes) {
			case "id":
				g.Type, g.ID = "CanonicalUser", id
			case "emailAddress":
				g.Type, g.ID = "AmazonCustomerByEmail", id
			case "uri":
				g.Type, g.URI = "Group", id
			}
			ge.done()
		}
		m.done()
		out = append(out, g)
	})
	return out
}

// decodeTags reads an S3TagSet.
func decodeTags(r *reader, name string) []kura.Tag {
	var out []kura.Tag
	r.list(name, func(m *reader) {
		t := kura.Tag{Key: m.reqStr("Key", 1, 128), Value: m.required("Value").valueOr("", 0, 256)}
		if !tagPattern.MatchString(t.Key) || !tagPattern.MatchString(t.Value) {
			m.failf("%s: tag keys and values may hold letters, digits, spaces and _ . : / = + - @ only.", m.path)
		}
		m.done()
		out = append(out, t)
	})
	return out
}

// valueOr is strValue on a possibly missing element (required already
// reported it).
func (r *reader) valueOr(def string, min, max int) string {
	if r == nil {
		return def
	}
	return r.strValue(min, max)
}

func decodeReport(r *reader) kura.JobReport {
	rep := kura.JobReport{
		Bucket:              r.str("Bucket", 1, 128),
		Format:              r.enum("Format", reportFormats),
		Prefix:              r.str("Prefix", 1, 512),
		Scope:               r.enum("ReportScope", reportScopes),
		ExpectedBucketOwner: r.str("ExpectedBucketOwner", 0, 64),
	}
	if r.required("Enabled") != nil {
		rep.Enabled = r.flag("Enabled")
	}
	checkBucketARN(r, "Report/Bucket", rep.Bucket)
	checkAccountID(r, "Report/ExpectedBucketOwner", rep.ExpectedBucketOwner)
	if rep.Enabled && rep.Bucket == "" {
		r.failf("Report/Bucket is required when the report is Enabled.")
	}
	if rep.Enabled && rep.Format == "" {
		r.failf("Report/Format is required when the report is Enabled; valid values are: %s.", strings.Join(reportFormats, ", "))
	}
	r.done()
	return rep
}

func decodeManifest(r *reader) *kura.JobManifest {
	m := &kura.JobManifest{}
	if sp := r.required("Spec"); sp != nil {
		if sp.required("Format") != nil {
			m.Format = sp.enum("Format", manifestFormats)
		}
		m.Fields = sp.enumList("Fields", manifestFields)
		sp.done()
	}
	if l := r.required("Location"); l != nil {
		m.Location = decodeLocation(l)
	}
	r.done()
	return m
}

func decodeLocation(l *reader) kura.JobManifestLocation {
	loc := kura.JobManifestLocation{
		ObjectARN:       l.reqStr("ObjectArn", 1, 2000),
		ObjectVersionID: l.str("ObjectVersionId", 1, 2000),
		ETag:            l.reqStr("ETag", 1, 1024),
	}
	if loc.ObjectARN != "" && (!s3ARNPattern.MatchString(loc.ObjectARN) || !strings.Contains(strings.TrimPrefix(loc.ObjectARN, "arn:"), "/")) {
		l.failf("%s/ObjectArn %q is not an object ARN (arn:aws:s3:::<bucket>/<key>).", l.path, loc.ObjectARN)
	}
	l.done()
	return loc
}

func decodeGenerator(r *reader) *kura.JobManifestGenerator {
	g := &kura.JobManifestGenerator{}
	s := r.child("S3JobManifestGenerator")
	r.done()
	if s == nil {
		r.failf("ManifestGenerator must be an S3JobManifestGenerator.")
		return g
	}
	g.ExpectedBucketOwner = s.str("ExpectedBucketOwner", 0, 64)
	checkAccountID(s, s.sub("ExpectedBucketOwner"), g.ExpectedBucketOwner)
	g.SourceBucket = s.reqStr("SourceBucket", 1, 128)
	checkBucketARN(s, s.sub("SourceBucket"), g.SourceBucket)
	if o := s.child("ManifestOutputLocation"); o != nil {
		out := &kura.JobManifestOutput{
			ExpectedBucketOwner: o.str("ExpectedManifestBucketOwner", 0, 64),
			Bucket:              o.reqStr("Bucket", 1, 128),
			Prefix:              o.str("ManifestPrefix", 1, 512),
		}
		checkAccountID(o, o.sub("ExpectedManifestBucketOwner"), out.ExpectedBucketOwner)
		checkBucketARN(o, o.sub("Bucket"), out.Bucket)
		if e := o.child("ManifestEncryption"); e != nil {
			if e.child("SSE-S3") != nil {
				out.Encryption = kura.SSES3
				e.child("SSE-S3").done()
			}
			if k := e.child("SSE-KMS"); k != nil {
				if out.Encryption != kura.SSENone {
					e.failf("%s takes SSE-S3 or SSE-KMS, not both.", e.path)
				}
				out.Encryption = kura.SSEKMS
				out.KMSKeyID = k.reqStr("KeyId", 1, 2000)
				k.done()
			}
			e.done()
		}
		if o.required("ManifestFormat") != nil {
			out.Format = o.enum("ManifestFormat", generatedFormats)
		}
		o.done()
		g.Output = out
	}
	if f := s.child("Filter"); f != nil {
		g.Filter = decodeFilter(f)
	}
	if s.required("EnableManifestOutput") != nil {
		g.EnableOutput = s.flag("EnableManifestOutput")
	}
	if g.EnableOutput && g.Output == nil {
		s.failf("%s: EnableManifestOutput needs a ManifestOutputLocation.", s.path)
	}
	s.done()
	return g
}

func decodeFilter(r *reader) kura.JobManifestFilter {
	f := kura.JobManifestFilter{
		EligibleForReplication:    r.boolean("EligibleForReplication"),
		CreatedAfter:              r.timestamp("CreatedAfter"),
		CreatedBefore:             r.timestamp("CreatedBefore"),
		ObjectReplicationStatuses: r.enumList("ObjectReplicationStatuses", replicationStatuses),
		MatchAnyStorageClass:      r.enumList("MatchAnyStorageClass", storageClasses),
	}
	if k := r.child("KeyNameConstraint"); k != nil {
		f.MatchAnyPrefix = k.strList("MatchAnyPrefix", 1, 1024)
		f.MatchAnySuffix = k.strList("MatchAnySuffix", 1, 1024)
		f.MatchAnySubstring = k.strList("MatchAnySubstring", 1, 1024)
		k.done()
	}
	f.ObjectSizeGreaterThanBytes = r.integer("ObjectSizeGreaterThanBytes", math.MinInt64, math.MaxInt64)
	f.ObjectSizeLessThanBytes = r.integer("ObjectSizeLessThanBytes", math.MinInt64, math.MaxInt64)
	present := r.list("MatchAnyObjectEncryption", func(m *reader) {
		f.MatchAnyObjectEncryption = append(f.MatchAnyObjectEncryption, decodeEncryptionFilter(m))
	})
	if present && len(f.MatchAnyObjectEncryption) != 1 {
		r.failf("%s: MatchAnyObjectEncryption must hold exactly one ObjectEncryption.", r.path)
	}
	r.done()
	return f
}

// encryptionFilterTypes maps ObjectEncryptionFilter's members (by their
// wire names) to the encryption they select.
var encryptionFilterTypes = []struct {
	name string
	typ  kura.SSEType
}{{"SSE-S3", kura.SSES3}, {"SSE-KMS", kura.SSEKMS}, {"DSSE-KMS", kura.SSEDSSE}, {"SSE-C", kura.SSEC}, {"NOT-SSE", kura.SSENone}}

func decodeEncryptionFilter(r *reader) kura.EncryptionFilter {
	var ef kura.EncryptionFilter
	n := 0
	for _, t := range encryptionFilterTypes {
		c := r.child(t.name)
		if c == nil {
			continue
		}
		n++
		ef.Type = t.typ
		switch t.typ {
		case kura.SSEKMS:
			ef.KMSKeyARN = c.str("KmsKeyArn", 20, 2048)
			ef.BucketKeyEnabled = c.boolean("BucketKeyEnabled")
		case kura.SSEDSSE:
			ef.KMSKeyARN = c.str("KmsKeyArn", 20, 2048)
		}
		if ef.KMSKeyARN != "" && !kmsKeyARNPattern.MatchString(ef.KMSKeyARN) {
			c.failf("%s/KmsKeyArn %q is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>).", c.path, ef.KMSKeyARN)
		}
		c.done()
	}
	r.done()
	if n != 1 {
		r.failf("%s must be exactly one of SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE.", r.path)
	}
	return ef
}

func checkBucketARN(r *reader, where, v string) {
	if v != "" && !s3ARNPattern.MatchString(v) {
		r.failf("%s %q is not a bucket ARN (arn:aws:s3:::<bucket>).", where, v)
	}
}

func checkAccountID(r *reader, where, v string) {
	if v != "" && !accountIDPattern.MatchString(v) {
		r.failf("%s %q is not a 12-digit account id.", where, v)
	}
}

// decodeTagging reads a PutJobTaggingRequest document.
func decodeTagging(body []byte) ([]kura.Tag, error) {
	root, err := parseTree(body)
	if err != nil {
		return nil, err
	}
	if root.name != "PutJobTaggingRequest" {
		return nil, s3err.MalformedXML.WithMessage("The document's root element is %s; PutJobTagging takes a PutJobTaggingRequest.", root.name)
	}
	var fail problems
	r := newReader(root, &fail)
	if r.required("Tags") == nil {
		return nil, fail.error()
	}
	tags := decodeTags(r, "Tags")
	r.done()
	if err := fail.error(); err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []kura.Tag{}
	}
	return tags, nil
}
