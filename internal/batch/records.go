package batch

import (
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/conv"
)

// The on-disk form of a job (table batch_jobs), apart from the kura types
// so that either can change without the other: a version byte and JSON
// (meta.Encode) whose field names are the format (docs/formats.md, "Batch
// Operations records"). The cursor and counters of a running job live in
// the same record, so a checkpoint is one write.

type jobRecord struct {
	ID        string    `json:"id"`
	Account   string    `json:"account"`
	ARN       string    `json:"arn"`
	Spec      specRec   `json:"spec"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	Created   time.Time `json:"created"`
	Ended     time.Time `json:"ended,omitzero"`
	Suspended time.Time `json:"suspended,omitzero"`
	SusCause  string    `json:"suspendedCause,omitempty"`
	Progress  progRec   `json:"progress"`
	Failures  []failRec `json:"failures,omitempty"`
	Tags      []tagRec  `json:"tags,omitempty"`
	Generated *locRec   `json:"generated,omitempty"`
	CreatedBy string    `json:"createdBy,omitempty"`
	// Digest identifies the request that created the job, for
	// ClientRequestToken idempotency.
	Digest string `json:"digest"`
	// Cursor is where the job's manifest has been processed up to: the
	// next task to run is the first after it.
	Cursor cursor `json:"cursor"`
	// Chunks is the number of checkpointed chunks (rows of batch_chunks).
	Chunks int64 `json:"chunks"`
	// Reported: the completion report's manifest.json is written.
	Reported bool `json:"reported,omitempty"`
}

// cursor is a position in a manifest. Tasks are numbered from 0 in
// manifest order; Next is the number of the next task. File and Offset
// say where that task's line starts (the CSV manifest's byte offset, or
// an inventory manifest's data file and the offset in its uncompressed
// CSV); After is the generator's last listed key.
type cursor struct {
	Next   int64  `json:"next"`
	File   int    `json:"file,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	After  string `json:"after,omitempty"`
	Done   bool   `json:"done,omitempty"` // the manifest has been read to its end
	// Generated counts the manifest lines written by a generator with
	// output (its data files are numbered by chunk).
	Generated int64 `json:"generated,omitempty"`
}

type progRec struct {
	Total      int64     `json:"total"`
	Succeeded  int64     `json:"succeeded"`
	Failed     int64     `json:"failed"`
	Active     int64     `json:"activeSeconds"`
	TotalKnown bool      `json:"totalKnown,omitempty"`
	LastTask   time.Time `json:"lastTask,omitzero"`
	ActiveFrom time.Time `json:"activeFrom,omitzero"`
}

type failRec struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

type tagRec struct {
	K string `json:"k"`
	V string `json:"v"`
}

type locRec struct {
	ARN     string `json:"arn"`
	Version string `json:"vid,omitempty"`
	ETag    string `json:"etag,omitempty"`
}

type specRec struct {
	Description string    `json:"description,omitempty"`
	Priority    int       `json:"priority"`
	Role        string    `json:"role"`
	Confirm     bool      `json:"confirm,omitempty"`
	Token       string    `json:"token"`
	Op          opRec     `json:"op"`
	Manifest    *manRec   `json:"manifest,omitempty"`
	Generator   *genRec   `json:"generator,omitempty"`
	Report      reportRec `json:"report"`
	DryRun      bool      `json:"dryRun,omitempty"`
	UndoOf      string    `json:"undoOf,omitempty"`
}

type opRec struct {
	Name       string       `json:"name"`
	Encryption *encRec      `json:"encryption,omitempty"`
	Tags       []tagRec     `json:"tags,omitempty"`
	ACL        *aclRec      `json:"acl,omitempty"`
	Retention  *retRec      `json:"retention,omitempty"`
	LegalHold  *bool        `json:"legalHold,omitempty"`
	Restore    *restoreRec  `json:"restore,omitempty"`
	Checksum   *checksumRec `json:"checksum,omitempty"`
	Copy       *copyRec     `json:"copy,omitempty"`
}

// copyRec is S3PutObjectCopy's operation.
type copyRec struct {
	Target       string      `json:"target"`
	Prefix       string      `json:"prefix,omitempty"`
	CannedACL    string      `json:"cannedAcl,omitempty"`
	Grants       []grantRec  `json:"grants,omitempty"`
	Directive    string      `json:"metadataDirective,omitempty"`
	ModSince     time.Time   `json:"modifiedSince,omitzero"`
	UnmodSince   time.Time   `json:"unmodifiedSince,omitzero"`
	Metadata     *headersRec `json:"metadata,omitempty"`
	Tags         []tagRec    `json:"tags,omitempty"`
	ReplaceTags  bool        `json:"replaceTags,omitempty"` // NewTagging was given (an empty set removes the tags)
	StorageClass string      `json:"storageClass,omitempty"`
	SSE          string      `json:"sse,omitempty"`
	KMSKeyID     string      `json:"kmsKeyId,omitempty"`
	BucketKey    bool        `json:"bucketKey,omitempty"`
	LegalHold    string      `json:"legalHold,omitempty"`
	LockMode     string      `json:"lockMode,omitempty"`
	RetainUntil  time.Time   `json:"retainUntil,omitzero"`
	ChecksumAlg  string      `json:"checksumAlg,omitempty"`
	Redirect     string      `json:"redirect,omitempty"`
	RequesterPay bool        `json:"requesterPays,omitempty"`
}

// headersRec is a copy's NewObjectMetadata.
type headersRec struct {
	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	Expires            string            `json:"expires,omitempty"`
	Metadata           map[string]string `json:"meta,omitempty"`
}

type encRec struct {
	Type      string `json:"type"`
	KeyARN    string `json:"kmsKeyArn"`
	BucketKey bool   `json:"bucketKey,omitempty"`
}

type aclRec struct {
	Canned string     `json:"canned,omitempty"`
	Owner  string     `json:"owner,omitempty"`
	Grants []grantRec `json:"grants,omitempty"`
}

type grantRec struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	URI  string `json:"uri,omitempty"`
	Perm string `json:"perm"`
}

type retRec struct {
	Bypass bool      `json:"bypass,omitempty"`
	Mode   string    `json:"mode,omitempty"`
	Until  time.Time `json:"until,omitzero"`
}

type restoreRec struct {
	Days int    `json:"days"`
	Tier string `json:"tier,omitempty"`
}

type checksumRec struct {
	Alg  string `json:"alg"`
	Type string `json:"type,omitempty"`
}

type manRec struct {
	Format string   `json:"format"`
	Fields []string `json:"fields,omitempty"`
	Loc    locRec   `json:"loc"`
}

type genRec struct {
	Source        string     `json:"source"`
	ExpectedOwner string     `json:"expectedOwner,omitempty"`
	Output        *outputRec `json:"output,omitempty"`
	Filter        filterRec  `json:"filter"`
}

type outputRec struct {
	Bucket        string `json:"bucket"`
	Prefix        string `json:"prefix,omitempty"`
	ExpectedOwner string `json:"expectedOwner,omitempty"`
	Format        string `json:"format"`
	Encryption    string `json:"sse,omitempty"`
	KMSKeyID      string `json:"kmsKeyId,omitempty"`
}

type filterRec struct {
	Replicable   *bool          `json:"eligibleForReplication,omitempty"`
	After        time.Time      `json:"createdAfter,omitzero"`
	Before       time.Time      `json:"createdBefore,omitzero"`
	ReplStatuses []string       `json:"replicationStatuses,omitempty"`
	Prefixes     []string       `json:"prefixes,omitempty"`
	Suffixes     []string       `json:"suffixes,omitempty"`
	Substrings   []string       `json:"substrings,omitempty"`
	Greater      *int64         `json:"sizeGreaterThan,omitempty"`
	Less         *int64         `json:"sizeLessThan,omitempty"`
	StorageClass []string       `json:"storageClasses,omitempty"`
	Encryption   []encFilterRec `json:"encryption,omitempty"`
}

type encFilterRec struct {
	Type      string `json:"type"`
	KeyARN    string `json:"kmsKeyArn,omitempty"`
	BucketKey *bool  `json:"bucketKey,omitempty"`
}

type reportRec struct {
	Enabled       bool   `json:"enabled"`
	Bucket        string `json:"bucket,omitempty"`
	Prefix        string `json:"prefix,omitempty"`
	Format        string `json:"format,omitempty"`
	Scope         string `json:"scope,omitempty"`
	ExpectedOwner string `json:"expectedOwner,omitempty"`
}

// chunkRecord is one checkpointed chunk of a job (table batch_chunks):
// its counts and the result files it wrote into the report bucket.
type chunkRecord struct {
	First     int64        `json:"first"` // number of the chunk's first task
	Succeeded int64        `json:"succeeded"`
	Failed    int64        `json:"failed"`
	Files     []resultFile `json:"files,omitempty"`
}

type resultFile struct {
	Status string `json:"status"` // succeeded or failed
	Key    string `json:"key"`
	MD5    string `json:"md5"`
}

// tokenRecord maps an account's ClientRequestToken to the job it created
// (table batch_tokens).
type tokenRecord struct {
	Job    string `json:"job"`
	Digest string `json:"digest"`
}

func tagsRec(in []kura.Tag) []tagRec {
	return conv.Slice(in, func(t kura.Tag) tagRec { return tagRec{t.Key, t.Value} })
}

func tagsOf(in []tagRec) []kura.Tag {
	return conv.Slice(in, func(t tagRec) kura.Tag { return kura.Tag{Key: t.K, Value: t.V} })
}

func grantsRec(in []kura.Grant) []grantRec {
	return conv.Slice(in, func(g kura.Grant) grantRec { return grantRec{g.Type, g.ID, g.URI, g.Permission} })
}

func grantsOf(in []grantRec) []kura.Grant {
	return conv.Slice(in, func(g grantRec) kura.Grant { return kura.Grant{Type: g.Type, ID: g.ID, URI: g.URI, Permission: g.Perm} })
}

func locOf(l locRec) kura.JobManifestLocation {
	return kura.JobManifestLocation{ObjectARN: l.ARN, ObjectVersionID: l.Version, ETag: l.ETag}
}

func locToRec(l kura.JobManifestLocation) locRec {
	return locRec{ARN: l.ObjectARN, Version: l.ObjectVersionID, ETag: l.ETag}
}
