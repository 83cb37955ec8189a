package s3control

import (
	"encoding/xml"
	"net/http"
	"sort"
	"time"

	"github.com/kurastore/kura"
)

// The response documents, shaped as the model's output shapes. Lists
// without a locationName in the model carry <member> items (rest-xml's
// default, what every SDK writes and reads).

const xmlns = "http://awss3control.amazonaws.com/doc/2018-08-20/"

type createJobResult struct {
	XMLName xml.Name `xml:"CreateJobResult"`
	NS      string   `xml:"xmlns,attr"`
	JobID   string   `xml:"JobId"`
}

type describeJobResult struct {
	XMLName xml.Name       `xml:"DescribeJobResult"`
	NS      string         `xml:"xmlns,attr"`
	Job     jobDescriptorX `xml:"Job"`
}

type listJobsResult struct {
	XMLName   xml.Name   `xml:"ListJobsResult"`
	NS        string     `xml:"xmlns,attr"`
	NextToken string     `xml:"NextToken,omitempty"`
	Jobs      *listJobsX `xml:"Jobs"`
}

type listJobsX struct {
	Members []jobListX `xml:"member"`
}

type jobListX struct {
	JobID           string    `xml:"JobId"`
	Description     string    `xml:"Description,omitempty"`
	Operation       string    `xml:"Operation,omitempty"`
	Priority        int       `xml:"Priority"`
	Status          string    `xml:"Status"`
	CreationTime    string    `xml:"CreationTime,omitempty"`
	TerminationDate string    `xml:"TerminationDate,omitempty"`
	ProgressSummary progressX `xml:"ProgressSummary"`
}

type updatePriorityResult struct {
	XMLName  xml.Name `xml:"UpdateJobPriorityResult"`
	NS       string   `xml:"xmlns,attr"`
	JobID    string   `xml:"JobId"`
	Priority int      `xml:"Priority"`
}

type updateStatusResult struct {
	XMLName            xml.Name `xml:"UpdateJobStatusResult"`
	NS                 string   `xml:"xmlns,attr"`
	JobID              string   `xml:"JobId"`
	Status             string   `xml:"Status"`
	StatusUpdateReason string   `xml:"StatusUpdateReason,omitempty"`
}

type getTaggingResult struct {
	XMLName xml.Name `xml:"GetJobTaggingResult"`
	NS      string   `xml:"xmlns,attr"`
	Tags    tagsX    `xml:"Tags"`
}

type tagsX struct {
	Members []tagX `xml:"member"`
}

type tagX struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type jobDescriptorX struct {
	JobID                       string      `xml:"JobId"`
	ConfirmationRequired        bool        `xml:"ConfirmationRequired"`
	Description                 string      `xml:"Description,omitempty"`
	JobArn                      string      `xml:"JobArn,omitempty"`
	Status                      string      `xml:"Status"`
	Manifest                    *manifestX  `xml:"Manifest,omitempty"`
	Operation                   operationX  `xml:"Operation"`
	Priority                    int         `xml:"Priority"`
	ProgressSummary             progressX   `xml:"ProgressSummary"`
	StatusUpdateReason          string      `xml:"StatusUpdateReason,omitempty"`
	FailureReasons              *failuresX  `xml:"FailureReasons,omitempty"`
	Report                      reportX     `xml:"Report"`
	CreationTime                string      `xml:"CreationTime,omitempty"`
	TerminationDate             string      `xml:"TerminationDate,omitempty"`
	RoleArn                     string      `xml:"RoleArn,omitempty"`
	SuspendedDate               string      `xml:"SuspendedDate,omitempty"`
	SuspendedCause              string      `xml:"SuspendedCause,omitempty"`
	ManifestGenerator           *generatorX `xml:"ManifestGenerator,omitempty"`
	GeneratedManifestDescriptor *generatedX `xml:"GeneratedManifestDescriptor,omitempty"`
}

type progressX struct {
	TotalNumberOfTasks     *int64 `xml:"TotalNumberOfTasks,omitempty"`
	NumberOfTasksSucceeded int64  `xml:"NumberOfTasksSucceeded"`
	NumberOfTasksFailed    int64  `xml:"NumberOfTasksFailed"`
	Timers                 struct {
		ElapsedTimeInActiveSeconds int64 `xml:"ElapsedTimeInActiveSeconds"`
	} `xml:"Timers"`
}

type failuresX struct {
	Members []failureX `xml:"member"`
}

type failureX struct {
	FailureCode   string `xml:"FailureCode,omitempty"`
	FailureReason string `xml:"FailureReason,omitempty"`
}

type reportX struct {
	Bucket              string `xml:"Bucket,omitempty"`
	Format              string `xml:"Format,omitempty"`
	Enabled             bool   `xml:"Enabled"`
	Prefix              string `xml:"Prefix,omitempty"`
	ReportScope         string `xml:"ReportScope,omitempty"`
	ExpectedBucketOwner string `xml:"ExpectedBucketOwner,omitempty"`
}

type manifestX struct {
	Spec struct {
		Format string       `xml:"Format"`
		Fields *stringListX `xml:"Fields,omitempty"`
	} `xml:"Spec"`
	Location locationX `xml:"Location"`
}

type stringListX struct {
	Members []string `xml:"member"`
}

func strList(v []string) *stringListX {
	if v == nil {
		return nil
	}
	return &stringListX{Members: v}
}

type locationX struct {
	ObjectArn       string `xml:"ObjectArn"`
	ObjectVersionID string `xml:"ObjectVersionId,omitempty"`
	ETag            string `xml:"ETag"`
}

type generatedX struct {
	Format   string    `xml:"Format,omitempty"`
	Location locationX `xml:"Location"`
}

type generatorX struct {
	S3 struct {
		ExpectedBucketOwner    string   `xml:"ExpectedBucketOwner,omitempty"`
		SourceBucket           string   `xml:"SourceBucket"`
		ManifestOutputLocation *outputX `xml:"ManifestOutputLocation,omitempty"`
		Filter                 *filterX `xml:"Filter,omitempty"`
		EnableManifestOutput   bool     `xml:"EnableManifestOutput"`
	} `xml:"S3JobManifestGenerator"`
}

type outputX struct {
	ExpectedManifestBucketOwner string `xml:"ExpectedManifestBucketOwner,omitempty"`
	Bucket                      string `xml:"Bucket"`
	ManifestPrefix              string `xml:"ManifestPrefix,omitempty"`
	ManifestEncryption          *struct {
		SSES3  *struct{} `xml:"SSE-S3,omitempty"`
		SSEKMS *struct {
			KeyID string `xml:"KeyId"`
		} `xml:"SSE-KMS,omitempty"`
	} `xml:"ManifestEncryption,omitempty"`
	ManifestFormat string `xml:"ManifestFormat"`
}

type filterX struct {
	EligibleForReplication    *bool        `xml:"EligibleForReplication,omitempty"`
	CreatedAfter              string       `xml:"CreatedAfter,omitempty"`
	CreatedBefore             string       `xml:"CreatedBefore,omitempty"`
	ObjectReplicationStatuses *stringListX `xml:"ObjectReplicationStatuses,omitempty"`
	KeyNameConstraint         *struct {
		MatchAnyPrefix    *stringListX `xml:"MatchAnyPrefix,omitempty"`
		MatchAnySuffix    *stringListX `xml:"MatchAnySuffix,omitempty"`
		MatchAnySubstring *stringListX `xml:"MatchAnySubstring,omitempty"`
	} `xml:"KeyNameConstraint,omitempty"`
	ObjectSizeGreaterThanBytes *int64       `xml:"ObjectSizeGreaterThanBytes,omitempty"`
	ObjectSizeLessThanBytes    *int64       `xml:"ObjectSizeLessThanBytes,omitempty"`
	MatchAnyStorageClass       *stringListX `xml:"MatchAnyStorageClass,omitempty"`
	MatchAnyObjectEncryption   *struct {
		Members []encFilterX `xml:"ObjectEncryption"`
	} `xml:"MatchAnyObjectEncryption,omitempty"`
}

type encFilterX struct {
	SSES3  *struct{}   `xml:"SSE-S3,omitempty"`
	SSEKMS *kmsFilterX `xml:"SSE-KMS,omitempty"`
	DSSE   *kmsFilterX `xml:"DSSE-KMS,omitempty"`
	SSEC   *struct{}   `xml:"SSE-C,omitempty"`
	NotSSE *struct{}   `xml:"NOT-SSE,omitempty"`
}

type kmsFilterX struct {
	KmsKeyArn        string `xml:"KmsKeyArn,omitempty"`
	BucketKeyEnabled *bool  `xml:"BucketKeyEnabled,omitempty"`
}

type operationX struct {
	LambdaInvoke             *struct{}          `xml:"LambdaInvoke,omitempty"`
	S3PutObjectCopy          *copyX             `xml:"S3PutObjectCopy,omitempty"`
	S3PutObjectAcl           *aclOpX            `xml:"S3PutObjectAcl,omitempty"`
	S3PutObjectTagging       *taggingOpX        `xml:"S3PutObjectTagging,omitempty"`
	S3DeleteObjectTagging    *struct{}          `xml:"S3DeleteObjectTagging,omitempty"`
	S3InitiateRestoreObject  *restoreX          `xml:"S3InitiateRestoreObject,omitempty"`
	S3PutObjectLegalHold     *legalHoldX        `xml:"S3PutObjectLegalHold,omitempty"`
	S3PutObjectRetention     *retentionX        `xml:"S3PutObjectRetention,omitempty"`
	S3ReplicateObject        *struct{}          `xml:"S3ReplicateObject,omitempty"`
	S3ComputeObjectChecksum  *checksumX         `xml:"S3ComputeObjectChecksum,omitempty"`
	S3UpdateObjectEncryption *updateEncryptionX `xml:"S3UpdateObjectEncryption,omitempty"`
}

type updateEncryptionX struct {
	ObjectEncryption struct {
		SSEKMS struct {
			KMSKeyArn        string `xml:"KMSKeyArn"`
			BucketKeyEnabled bool   `xml:"BucketKeyEnabled"`
		} `xml:"SSE-KMS"`
	} `xml:"ObjectEncryption"`
}

type copyX struct {
	TargetResource            string     `xml:"TargetResource,omitempty"`
	CannedAccessControlList   string     `xml:"CannedAccessControlList,omitempty"`
	AccessControlGrants       *grantsX   `xml:"AccessControlGrants,omitempty"`
	MetadataDirective         string     `xml:"MetadataDirective,omitempty"`
	ModifiedSinceConstraint   string     `xml:"ModifiedSinceConstraint,omitempty"`
	NewObjectMetadata         *metadataX `xml:"NewObjectMetadata,omitempty"`
	NewObjectTagging          *tagsX     `xml:"NewObjectTagging,omitempty"`
	RedirectLocation          string     `xml:"RedirectLocation,omitempty"`
	RequesterPays             bool       `xml:"RequesterPays,omitempty"`
	StorageClass              string     `xml:"StorageClass,omitempty"`
	UnModifiedSinceConstraint string     `xml:"UnModifiedSinceConstraint,omitempty"`
	SSEAwsKmsKeyID            string     `xml:"SSEAwsKmsKeyId,omitempty"`
	TargetKeyPrefix           string     `xml:"TargetKeyPrefix,omitempty"`
	ObjectLockLegalHoldStatus string     `xml:"ObjectLockLegalHoldStatus,omitempty"`
	ObjectLockMode            string     `xml:"ObjectLockMode,omitempty"`
	ObjectLockRetainUntilDate string     `xml:"ObjectLockRetainUntilDate,omitempty"`
	BucketKeyEnabled          bool       `xml:"BucketKeyEnabled,omitempty"`
	ChecksumAlgorithm         string     `xml:"ChecksumAlgorithm,omitempty"`
}

type metadataX struct {
	CacheControl       string `xml:"CacheControl,omitempty"`
	ContentDisposition string `xml:"ContentDisposition,omitempty"`
	ContentEncoding    string `xml:"ContentEncoding,omitempty"`
	ContentLanguage    string `xml:"ContentLanguage,omitempty"`
	UserMetadata       *struct {
		Entries []entryX `xml:"entry"`
	} `xml:"UserMetadata,omitempty"`
	ContentType     string `xml:"ContentType,omitempty"`
	HttpExpiresDate string `xml:"HttpExpiresDate,omitempty"`
	SSEAlgorithm    string `xml:"SSEAlgorithm,omitempty"`
}

type entryX struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type grantsX struct {
	Members []grantX `xml:"member"`
}

type grantX struct {
	Grantee struct {
		TypeIdentifier string `xml:"TypeIdentifier,omitempty"`
		Identifier     string `xml:"Identifier,omitempty"`
	} `xml:"Grantee"`
	Permission string `xml:"Permission,omitempty"`
}

type aclOpX struct {
	AccessControlPolicy struct {
		AccessControlList *struct {
			Owner struct {
				ID string `xml:"ID,omitempty"`
			} `xml:"Owner"`
			Grants *grantsX `xml:"Grants,omitempty"`
		} `xml:"AccessControlList,omitempty"`
		CannedAccessControlList string `xml:"CannedAccessControlList,omitempty"`
	} `xml:"AccessControlPolicy"`
}

type taggingOpX struct {
	TagSet tagsX `xml:"TagSet"`
}

type restoreX struct {
	ExpirationInDays *int   `xml:"ExpirationInDays,omitempty"`
	GlacierJobTier   string `xml:"GlacierJobTier,omitempty"`
}

type legalHoldX struct {
	LegalHold struct {
		Status string `xml:"Status"`
	} `xml:"LegalHold"`
}

type retentionX struct {
	BypassGovernanceRetention bool `xml:"BypassGovernanceRetention,omitempty"`
	Retention                 struct {
		RetainUntilDate string `xml:"RetainUntilDate,omitempty"`
		Mode            string `xml:"Mode,omitempty"`
	} `xml:"Retention"`
}

type checksumX struct {
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

// isoTime is rest-xml's timestamp format; the zero time is absent.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func tagsOf(tags []kura.Tag) tagsX {
	x := tagsX{Members: make([]tagX, 0, len(tags))}
	for _, t := range tags {
		x.Members = append(x.Members, tagX(t))
	}
	return x
}

func progressOf(p kura.JobProgress) progressX {
	x := progressX{NumberOfTasksSucceeded: p.Succeeded, NumberOfTasksFailed: p.Failed}
	if p.TotalKnown {
		total := p.TotalTasks
		x.TotalNumberOfTasks = &total
	}
	x.Timers.ElapsedTimeInActiveSeconds = p.ActiveSeconds
	return x
}

func locationOf(l kura.JobManifestLocation) locationX {
	return locationX{ObjectArn: l.ObjectARN, ObjectVersionID: l.ObjectVersionID, ETag: l.ETag}
}

// describeOf is job as DescribeJob's JobDescriptor.
func describeOf(j *kura.Job) jobDescriptorX {
	x := jobDescriptorX{
		JobID: j.ID, ConfirmationRequired: j.ConfirmationRequired, Description: j.Description, JobArn: j.ARN,
		Status: string(j.Status), Operation: operationOf(j.Operation), Priority: j.Priority,
		ProgressSummary: progressOf(j.Progress), StatusUpdateReason: j.StatusUpdateReason,
		Report: reportX{Bucket: j.Report.Bucket, Format: j.Report.Format, Enabled: j.Report.Enabled, Prefix: j.Report.Prefix,
			ReportScope: j.Report.Scope, ExpectedBucketOwner: j.Report.ExpectedBucketOwner},
		CreationTime: isoTime(j.CreationTime), TerminationDate: isoTime(j.TerminationDate), RoleArn: j.RoleARN,
		SuspendedDate: isoTime(j.SuspendedDate), SuspendedCause: j.SuspendedCause,
	}
	if m := j.Manifest; m != nil {
		x.Manifest = &manifestX{Location: locationOf(m.Location)}
		x.Manifest.Spec.Format, x.Manifest.Spec.Fields = m.Format, strList(m.Fields)
	}
	if len(j.FailureReasons) > 0 {
		x.FailureReasons = &failuresX{}
		for _, f := range j.FailureReasons {
			x.FailureReasons.Members = append(x.FailureReasons.Members, failureX{FailureCode: f.Code, FailureReason: f.Reason})
		}
	}
	if g := j.ManifestGenerator; g != nil {
		x.ManifestGenerator = generatorOf(g)
	}
	if gm := j.GeneratedManifest; gm != nil {
		x.GeneratedManifestDescriptor = &generatedX{Format: kura.ManifestGeneratedCSV, Location: locationOf(*gm)}
	}
	return x
}

func generatorOf(g *kura.JobManifestGenerator) *generatorX {
	x := &generatorX{}
	s := &x.S3
	s.ExpectedBucketOwner, s.SourceBucket, s.EnableManifestOutput = g.ExpectedBucketOwner, g.SourceBucket, g.EnableOutput
	if o := g.Output; o != nil {
		ox := &outputX{ExpectedManifestBucketOwner: o.ExpectedBucketOwner, Bucket: o.Bucket, ManifestPrefix: o.Prefix, ManifestFormat: o.Format}
		switch o.Encryption {
		case kura.SSES3:
			ox.ManifestEncryption = &struct {
				SSES3  *struct{} `xml:"SSE-S3,omitempty"`
				SSEKMS *struct {
					KeyID string `xml:"KeyId"`
				} `xml:"SSE-KMS,omitempty"`
			}{SSES3: &struct{}{}}
		case kura.SSEKMS:
			ox.ManifestEncryption = &struct {
				SSES3  *struct{} `xml:"SSE-S3,omitempty"`
				SSEKMS *struct {
					KeyID string `xml:"KeyId"`
				} `xml:"SSE-KMS,omitempty"`
			}{SSEKMS: &struct {
				KeyID string `xml:"KeyId"`
			}{KeyID: o.KMSKeyID}}
		}
		s.ManifestOutputLocation = ox
	}
	s.Filter = filterOf(g.Filter)
	return x
}

func filterOf(f kura.JobManifestFilter) *filterX {
	x := &filterX{
		EligibleForReplication: f.EligibleForReplication, CreatedAfter: isoTime(f.CreatedAfter), CreatedBefore: isoTime(f.CreatedBefore),
		ObjectReplicationStatuses: strList(f.ObjectReplicationStatuses), ObjectSizeGreaterThanBytes: f.ObjectSizeGreaterThanBytes,
		ObjectSizeLessThanBytes: f.ObjectSizeLessThanBytes, MatchAnyStorageClass: strList(f.MatchAnyStorageClass),
	}
	if f.MatchAnyPrefix != nil || f.MatchAnySuffix != nil || f.MatchAnySubstring != nil {
		x.KeyNameConstraint = &struct {
			MatchAnyPrefix    *stringListX `xml:"MatchAnyPrefix,omitempty"`
			MatchAnySuffix    *stringListX `xml:"MatchAnySuffix,omitempty"`
			MatchAnySubstring *stringListX `xml:"MatchAnySubstring,omitempty"`
		}{strList(f.MatchAnyPrefix), strList(f.MatchAnySuffix), strList(f.MatchAnySubstring)}
	}
	if len(f.MatchAnyObjectEncryption) > 0 {
		x.MatchAnyObjectEncryption = &struct {
			Members []encFilterX `xml:"ObjectEncryption"`
		}{}
		for _, e := range f.MatchAnyObjectEncryption {
			var ex encFilterX
			switch e.Type {
			case kura.SSES3:
				ex.SSES3 = &struct{}{}
			case kura.SSEKMS:
				ex.SSEKMS = &kmsFilterX{KmsKeyArn: e.KMSKeyARN, BucketKeyEnabled: e.BucketKeyEnabled}
			case kura.SSEDSSE:
				ex.DSSE = &kmsFilterX{KmsKeyArn: e.KMSKeyARN}
			case kura.SSEC:
				ex.SSEC = &struct{}{}
			default:
				ex.NotSSE = &struct{}{}
			}
			x.MatchAnyObjectEncryption.Members = append(x.MatchAnyObjectEncryption.Members, ex)
		}
	}
	if *x == (filterX{}) {
		return nil
	}
	return x
}

func grantsOf(gs []kura.Grant) *grantsX {
	if gs == nil {
		return nil
	}
	x := &grantsX{}
	for _, g := range gs {
		var gx grantX
		gx.Permission = g.Permission
		switch g.Type {
		case "Group":
			gx.Grantee.TypeIdentifier, gx.Grantee.Identifier = "uri", g.URI
		case "AmazonCustomerByEmail":
			gx.Grantee.TypeIdentifier, gx.Grantee.Identifier = "emailAddress", g.ID
		default:
			gx.Grantee.TypeIdentifier, gx.Grantee.Identifier = "id", g.ID
		}
		x.Members = append(x.Members, gx)
	}
	return x
}

func operationOf(op kura.JobOperation) operationX {
	var x operationX
	switch op.Name {
	case kura.OpLambdaInvoke:
		x.LambdaInvoke = &struct{}{}
	case kura.OpS3UpdateObjectEncryption:
		u := &updateEncryptionX{}
		if e := op.UpdateEncryption; e != nil {
			u.ObjectEncryption.SSEKMS.KMSKeyArn, u.ObjectEncryption.SSEKMS.BucketKeyEnabled = e.KMSKeyARN, e.BucketKeyEnabled
		}
		x.S3UpdateObjectEncryption = u
	case kura.OpS3PutObjectCopy:
		x.S3PutObjectCopy = copyOf(op.Copy)
	case kura.OpS3PutObjectAcl:
		a := &aclOpX{}
		if acl := op.ACL; acl != nil {
			a.AccessControlPolicy.CannedAccessControlList = acl.CannedACL
			if acl.OwnerID != "" || acl.Grants != nil {
				a.AccessControlPolicy.AccessControlList = &struct {
					Owner struct {
						ID string `xml:"ID,omitempty"`
					} `xml:"Owner"`
					Grants *grantsX `xml:"Grants,omitempty"`
				}{Grants: grantsOf(acl.Grants)}
				a.AccessControlPolicy.AccessControlList.Owner.ID = acl.OwnerID
			}
		}
		x.S3PutObjectAcl = a
	case kura.OpS3PutObjectTagging:
		x.S3PutObjectTagging = &taggingOpX{TagSet: tagsOf(op.Tagging)}
	case kura.OpS3DeleteObjectTagging:
		x.S3DeleteObjectTagging = &struct{}{}
	case kura.OpS3InitiateRestoreObject:
		r := &restoreX{}
		if op.Restore != nil {
			days := op.Restore.ExpirationDays
			r.ExpirationInDays, r.GlacierJobTier = &days, op.Restore.Tier
		}
		x.S3InitiateRestoreObject = r
	case kura.OpS3PutObjectLegalHold:
		l := &legalHoldX{}
		l.LegalHold.Status = "OFF"
		if op.LegalHold != nil && *op.LegalHold {
			l.LegalHold.Status = "ON"
		}
		x.S3PutObjectLegalHold = l
	case kura.OpS3PutObjectRetention:
		r := &retentionX{}
		if op.Retention != nil {
			r.BypassGovernanceRetention = op.Retention.BypassGovernance
			r.Retention.Mode, r.Retention.RetainUntilDate = op.Retention.Retention.Mode, isoTime(op.Retention.Retention.Until)
		}
		x.S3PutObjectRetention = r
	case kura.OpS3ReplicateObject:
		x.S3ReplicateObject = &struct{}{}
	case kura.OpS3ComputeObjectChecksum:
		c := &checksumX{}
		if op.Checksum != nil {
			c.ChecksumAlgorithm, c.ChecksumType = op.Checksum.Algorithm, op.Checksum.Type
		}
		x.S3ComputeObjectChecksum = c
	}
	return x
}

func copyOf(c *kura.JobCopy) *copyX {
	if c == nil {
		return &copyX{}
	}
	x := &copyX{
		TargetResource: c.TargetResource, CannedAccessControlList: c.CannedACL, AccessControlGrants: grantsOf(c.Grants),
		MetadataDirective: c.MetadataDirective, ModifiedSinceConstraint: isoTime(c.ModifiedSince),
		RedirectLocation: c.RedirectLocation, RequesterPays: c.RequesterPays, StorageClass: c.StorageClass,
		UnModifiedSinceConstraint: isoTime(c.UnmodifiedSince), SSEAwsKmsKeyID: c.SSEAwsKmsKeyID, TargetKeyPrefix: c.TargetKeyPrefix,
		ObjectLockLegalHoldStatus: c.ObjectLockLegalHoldStatus, ObjectLockMode: c.ObjectLockMode,
		ObjectLockRetainUntilDate: isoTime(c.ObjectLockRetainUntilDate), BucketKeyEnabled: c.BucketKeyEnabled,
		ChecksumAlgorithm: c.ChecksumAlgorithm,
	}
	if c.NewTagging != nil {
		t := tagsOf(c.NewTagging)
		x.NewObjectTagging = &t
	}
	var m metadataX
	if h := c.NewMetadata; h != nil {
		m = metadataX{CacheControl: h.CacheControl, ContentDisposition: h.ContentDisposition, ContentEncoding: h.ContentEncoding,
			ContentLanguage: h.ContentLanguage, ContentType: h.ContentType}
		if t, err := http.ParseTime(h.Expires); err == nil {
			m.HttpExpiresDate = isoTime(t)
		}
		if len(h.Metadata) > 0 {
			m.UserMetadata = &struct {
				Entries []entryX `xml:"entry"`
			}{}
			keys := make([]string, 0, len(h.Metadata))
			for k := range h.Metadata {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				m.UserMetadata.Entries = append(m.UserMetadata.Entries, entryX{Key: k, Value: h.Metadata[k]})
			}
		}
	}
	switch c.SSE {
	case kura.SSES3:
		m.SSEAlgorithm = "AES256"
	case kura.SSEKMS:
		m.SSEAlgorithm = "KMS"
	}
	if m != (metadataX{}) {
		x.NewObjectMetadata = &m
	}
	return x
}

// listOf is a job as ListJobs' JobListDescriptor.
func listOf(j *kura.Job) jobListX {
	return jobListX{JobID: j.ID, Description: j.Description, Operation: string(j.Operation.Name), Priority: j.Priority,
		Status: string(j.Status), CreationTime: isoTime(j.CreationTime), TerminationDate: isoTime(j.TerminationDate),
		ProgressSummary: progressOf(j.Progress)}
}
