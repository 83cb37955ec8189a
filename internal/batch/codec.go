package batch

import (
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
)

// Conversions between the kura job types and their records (records.go).

func specToRec(s kura.JobSpec) specRec {
	r := specRec{Description: s.Description, Priority: s.Priority, Role: s.RoleARN, Confirm: s.ConfirmationRequired,
		Token: s.ClientRequestToken, DryRun: s.DryRun, UndoOf: s.UndoOf, Op: opToRec(s.Operation),
		Report: reportRec{Enabled: s.Report.Enabled, Bucket: s.Report.Bucket, Prefix: s.Report.Prefix, Format: s.Report.Format,
			Scope: s.Report.Scope, ExpectedOwner: s.Report.ExpectedBucketOwner}}
	r.Manifest = conv.Ptr(s.Manifest, func(m kura.JobManifest) manRec {
		return manRec{Format: m.Format, Fields: m.Fields, Loc: locToRec(m.Location)}
	})
	r.Generator = conv.Ptr(s.ManifestGenerator, func(g kura.JobManifestGenerator) genRec {
		out := genRec{Source: g.SourceBucket, ExpectedOwner: g.ExpectedBucketOwner, Filter: filterToRec(g.Filter)}
		if g.EnableOutput {
			out.Output = conv.Ptr(g.Output, func(o kura.JobManifestOutput) outputRec {
				return outputRec{Bucket: o.Bucket, Prefix: o.Prefix, ExpectedOwner: o.ExpectedBucketOwner, Format: o.Format,
					Encryption: string(o.Encryption), KMSKeyID: o.KMSKeyID}
			})
		}
		return out
	})
	return r
}

func specOf(r specRec) kura.JobSpec {
	s := kura.JobSpec{Description: r.Description, Priority: r.Priority, RoleARN: r.Role, ConfirmationRequired: r.Confirm,
		ClientRequestToken: r.Token, DryRun: r.DryRun, UndoOf: r.UndoOf, Operation: opOf(r.Op),
		Report: kura.JobReport{Enabled: r.Report.Enabled, Bucket: r.Report.Bucket, Prefix: r.Report.Prefix, Format: r.Report.Format,
			Scope: r.Report.Scope, ExpectedBucketOwner: r.Report.ExpectedOwner}}
	s.Manifest = conv.Ptr(r.Manifest, func(m manRec) kura.JobManifest {
		return kura.JobManifest{Format: m.Format, Fields: m.Fields, Location: locOf(m.Loc)}
	})
	s.ManifestGenerator = conv.Ptr(r.Generator, func(g genRec) kura.JobManifestGenerator {
		out := kura.JobManifestGenerator{SourceBucket: g.Source, ExpectedBucketOwner: g.ExpectedOwner, Filter: filterOf(g.Filter),
			EnableOutput: g.Output != nil}
		out.Output = conv.Ptr(g.Output, func(o outputRec) kura.JobManifestOutput {
			return kura.JobManifestOutput{Bucket: o.Bucket, Prefix: o.Prefix, ExpectedBucketOwner: o.ExpectedOwner, Format: o.Format,
				Encryption: kura.SSEType(o.Encryption), KMSKeyID: o.KMSKeyID}
		})
		return out
	})
	return s
}

func opToRec(o kura.JobOperation) opRec {
	r := opRec{Name: string(o.Name), Tags: tagsRec(o.Tagging), LegalHold: o.LegalHold}
	r.Encryption = conv.Ptr(o.UpdateEncryption, func(e kura.JobUpdateEncryption) encRec {
		return encRec{Type: string(e.Type), KeyARN: e.KMSKeyARN, BucketKey: e.BucketKeyEnabled}
	})
	r.ACL = conv.Ptr(o.ACL, func(a kura.JobACL) aclRec {
		return aclRec{Canned: a.CannedACL, Owner: a.OwnerID, Grants: grantsRec(a.Grants)}
	})
	r.Retention = conv.Ptr(o.Retention, func(t kura.JobRetention) retRec {
		return retRec{Bypass: t.BypassGovernance, Mode: t.Retention.Mode, Until: t.Retention.Until}
	})
	r.Restore = conv.Ptr(o.Restore, func(t kura.JobRestore) restoreRec { return restoreRec{Days: t.ExpirationDays, Tier: t.Tier} })
	r.Checksum = conv.Ptr(o.Checksum, func(c kura.JobChecksum) checksumRec { return checksumRec{Alg: c.Algorithm, Type: c.Type} })
	r.Copy = conv.Ptr(o.Copy, copyToRec)
	return r
}

func copyToRec(c kura.JobCopy) copyRec {
	return copyRec{Target: c.TargetResource, Prefix: c.TargetKeyPrefix, CannedACL: c.CannedACL, Grants: grantsRec(c.Grants),
		Directive: c.MetadataDirective, ModSince: c.ModifiedSince, UnmodSince: c.UnmodifiedSince,
		Metadata: conv.Ptr(c.NewMetadata, func(h kura.ContentHeaders) headersRec {
			return headersRec{ContentType: h.ContentType, ContentEncoding: h.ContentEncoding, ContentDisposition: h.ContentDisposition,
				ContentLanguage: h.ContentLanguage, CacheControl: h.CacheControl, Expires: h.Expires, Metadata: h.Metadata}
		}),
		Tags: tagsRec(c.NewTagging), ReplaceTags: c.NewTagging != nil, StorageClass: c.StorageClass, SSE: string(c.SSE),
		KMSKeyID: c.SSEAwsKmsKeyID, BucketKey: c.BucketKeyEnabled, LegalHold: c.ObjectLockLegalHoldStatus,
		LockMode: c.ObjectLockMode, RetainUntil: c.ObjectLockRetainUntilDate, ChecksumAlg: c.ChecksumAlgorithm,
		Redirect: c.RedirectLocation, RequesterPay: c.RequesterPays}
}

func copyOf(r copyRec) kura.JobCopy {
	c := kura.JobCopy{TargetResource: r.Target, TargetKeyPrefix: r.Prefix, CannedACL: r.CannedACL, Grants: grantsOf(r.Grants),
		MetadataDirective: r.Directive, ModifiedSince: r.ModSince, UnmodifiedSince: r.UnmodSince,
		NewMetadata: conv.Ptr(r.Metadata, func(h headersRec) kura.ContentHeaders {
			return kura.ContentHeaders{ContentType: h.ContentType, ContentEncoding: h.ContentEncoding, ContentDisposition: h.ContentDisposition,
				ContentLanguage: h.ContentLanguage, CacheControl: h.CacheControl, Expires: h.Expires, Metadata: h.Metadata}
		}),
		NewTagging: tagsOf(r.Tags), StorageClass: r.StorageClass, SSE: kura.SSEType(r.SSE), SSEAwsKmsKeyID: r.KMSKeyID,
		BucketKeyEnabled: r.BucketKey, ObjectLockLegalHoldStatus: r.LegalHold, ObjectLockMode: r.LockMode,
		ObjectLockRetainUntilDate: r.RetainUntil, ChecksumAlgorithm: r.ChecksumAlg, RedirectLocation: r.Redirect,
		RequesterPays: r.RequesterPay}
	if r.ReplaceTags && c.NewTagging == nil {
		c.NewTagging = []kura.Tag{}
	}
	return c
}

func opOf(r opRec) kura.JobOperation {
	o := kura.JobOperation{Name: kura.JobOperationName(r.Name), Tagging: tagsOf(r.Tags), LegalHold: r.LegalHold}
	if o.Name == kura.OpS3PutObjectTagging && o.Tagging == nil {
		o.Tagging = []kura.Tag{} // an empty TagSet is a valid operation
	}
	o.UpdateEncryption = conv.Ptr(r.Encryption, func(e encRec) kura.JobUpdateEncryption {
		return kura.JobUpdateEncryption{Type: kura.SSEType(e.Type), KMSKeyARN: e.KeyARN, BucketKeyEnabled: e.BucketKey}
	})
	o.ACL = conv.Ptr(r.ACL, func(a aclRec) kura.JobACL {
		return kura.JobACL{CannedACL: a.Canned, OwnerID: a.Owner, Grants: grantsOf(a.Grants)}
	})
	o.Retention = conv.Ptr(r.Retention, func(t retRec) kura.JobRetention {
		return kura.JobRetention{BypassGovernance: t.Bypass, Retention: kura.Retention{Mode: t.Mode, Until: t.Until}}
	})
	o.Restore = conv.Ptr(r.Restore, func(t restoreRec) kura.JobRestore { return kura.JobRestore{ExpirationDays: t.Days, Tier: t.Tier} })
	o.Checksum = conv.Ptr(r.Checksum, func(c checksumRec) kura.JobChecksum { return kura.JobChecksum{Algorithm: c.Alg, Type: c.Type} })
	o.Copy = conv.Ptr(r.Copy, copyOf)
	return o
}

func filterToRec(f kura.JobManifestFilter) filterRec {
	return filterRec{Replicable: f.EligibleForReplication, After: f.CreatedAfter, Before: f.CreatedBefore,
		ReplStatuses: f.ObjectReplicationStatuses, Prefixes: f.MatchAnyPrefix, Suffixes: f.MatchAnySuffix,
		Substrings: f.MatchAnySubstring, Greater: f.ObjectSizeGreaterThanBytes, Less: f.ObjectSizeLessThanBytes,
		StorageClass: f.MatchAnyStorageClass,
		Encryption: conv.Slice(f.MatchAnyObjectEncryption, func(e kura.EncryptionFilter) encFilterRec {
			return encFilterRec{Type: string(e.Type), KeyARN: e.KMSKeyARN, BucketKey: e.BucketKeyEnabled}
		})}
}

func filterOf(r filterRec) kura.JobManifestFilter {
	return kura.JobManifestFilter{EligibleForReplication: r.Replicable, CreatedAfter: r.After, CreatedBefore: r.Before,
		ObjectReplicationStatuses: r.ReplStatuses, MatchAnyPrefix: r.Prefixes, MatchAnySuffix: r.Suffixes,
		MatchAnySubstring: r.Substrings, ObjectSizeGreaterThanBytes: r.Greater, ObjectSizeLessThanBytes: r.Less,
		MatchAnyStorageClass: r.StorageClass,
		MatchAnyObjectEncryption: conv.Slice(r.Encryption, func(e encFilterRec) kura.EncryptionFilter {
			return kura.EncryptionFilter{Type: kura.SSEType(e.Type), KMSKeyARN: e.KeyARN, BucketKeyEnabled: e.BucketKey}
		})}
}

// jobOf is the job a record holds.
func jobOf(r *jobRecord, now time.Time) *kura.Job {
	j := &kura.Job{ID: r.ID, AccountID: r.Account, ARN: r.ARN, JobSpec: specOf(r.Spec), Status: kura.JobStatus(r.Status),
		StatusUpdateReason: r.Reason, CreationTime: r.Created, TerminationDate: r.Ended, SuspendedDate: r.Suspended,
		SuspendedCause: r.SusCause, Tags: tagsOf(r.Tags), CreatedBy: r.CreatedBy,
		Progress: kura.JobProgress{TotalTasks: r.Progress.Total, Succeeded: r.Progress.Succeeded, Failed: r.Progress.Failed,
			ActiveSeconds: r.Progress.Active, TotalKnown: r.Progress.TotalKnown, LastTaskAt: r.Progress.LastTask,
			ActiveSinceRun: r.Progress.ActiveFrom},
		FailureReasons: conv.Slice(r.Failures, func(f failRec) kura.JobFailure { return kura.JobFailure{Code: f.Code, Reason: f.Reason} }),
	}
	if !j.Progress.ActiveSinceRun.IsZero() {
		// A job Active now has also been Active since its period began.
		j.Progress.ActiveSeconds += int64(now.Sub(j.Progress.ActiveSinceRun).Seconds())
	}
	j.GeneratedManifest = conv.Ptr(r.Generated, locOf)
	return j
}
