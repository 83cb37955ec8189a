package accesslog

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/ops"
)

// Entry is one server access log record: S3's fields, in S3's order
// (docs/formats.md, "Server access logs"). A zero or empty field is
// written "-", as S3 writes fields that are unknown or do not apply.
type Entry struct {
	BucketOwner      string // canonical id of the source bucket's owner
	Bucket           string
	Time             time.Time
	RemoteIP         string
	Requester        string // canonical id (root), IAM ARN, or "" anonymous
	RequestID        string
	Operation        string // REST.PUT.OBJECT, BATCH.…
	Key              string // as stored; written URL-encoded
	RequestURI       string // the request line, "-" without HTTP
	HTTPStatus       int
	ErrorCode        string
	BytesSent        int64
	ObjectSize       int64
	TotalTime        time.Duration
	TurnAround       time.Duration // negative: not known
	Referer          string
	UserAgent        string
	VersionID        string
	HostID           string
	SignatureVersion string // SigV2, SigV4
	CipherSuite      string
	AuthType         string // AuthHeader, QueryString
	HostHeader       string
	TLSVersion       string // TLSv1.2, TLSv1.3
	AccessPointARN   string
	ACLRequired      string // "Yes" or ""
	SourceRegion     string
}

// Fields is the number of fields Line writes.
const Fields = 27

// timeLayout is S3's [06/Feb/2019:00:00:38 +0000].
const timeLayout = "02/Jan/2006:15:04:05 -0700"

// Line is the record as S3 writes it: space-separated fields, the time
// in brackets, the request line, referer and user agent in quotes.
func (e Entry) Line() string {
	var b strings.Builder
	w := func(s string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if s == "" {
			s = "-"
		}
		b.WriteString(s)
	}
	num := func(n int64) string {
		if n <= 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	quoted := func(s string) string {
		if s == "" {
			s = "-"
		}
		return `"` + clean(s, true) + `"`
	}
	w(clean(e.BucketOwner, false))
	w(clean(e.Bucket, false))
	w("[" + e.Time.UTC().Format(timeLayout) + "]")
	w(clean(e.RemoteIP, false))
	w(clean(e.Requester, false))
	w(clean(e.RequestID, false))
	w(clean(e.Operation, false))
	if e.Key != "" {
		w(escapeKey(e.Key))
	} else {
		w("")
	}
	if e.RequestURI != "" {
		w(quoted(e.RequestURI))
	} else {
		w("-")
	}
	if e.HTTPStatus > 0 {
		w(strconv.Itoa(e.HTTPStatus))
	} else {
		w("")
	}
	w(clean(e.ErrorCode, false))
	w(num(e.BytesSent))
	w(num(e.ObjectSize))
	w(strconv.FormatInt(max(e.TotalTime.Milliseconds(), 0), 10))
	if e.TurnAround >= 0 {
		w(strconv.FormatInt(e.TurnAround.Milliseconds(), 10))
	} else {
		w("")
	}
	w(quoted(e.Referer))
	w(quoted(e.UserAgent))
	w(clean(e.VersionID, false))
	w(clean(e.HostID, false))
	w(clean(e.SignatureVersion, false))
	w(clean(e.CipherSuite, false))
	w(clean(e.AuthType, false))
	w(clean(e.HostHeader, false))
	w(clean(e.TLSVersion, false))
	w(clean(e.AccessPointARN, false))
	w(clean(e.ACLRequired, false))
	w(clean(e.SourceRegion, false))
	return b.String()
}

// escapeKey is the key field: URL-encoded, its slashes kept, as S3's
// records show keys (photos/2019/08/puppy.jpg).
func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// clean keeps a field on its line and in its place: control characters
// become '?', an unquoted field's spaces '+', and a backslash or a quote
// is escaped with a backslash (so a user agent ending in a backslash
// cannot swallow the quote that closes it).
func clean(s string, quoted bool) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return '?'
		case r == ' ' && !quoted:
			return '+'
		}
		return r
	}, quoteEscaper.Replace(s))
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// Split is Line's inverse: the fields of one record, brackets and quotes
// removed ("-" fields stay "-"). It is what a reader of the log objects
// does, and what the tests check lines with.
func Split(line string) ([]string, error) {
	var out []string
	for i := 0; i < len(line); {
		switch line[i] {
		case ' ':
			i++
		case '[':
			if len(out) != 2 { // only the time is bracketed; "[::1]:8420" is a host
				j := strings.IndexByte(line[i:], ' ')
				if j < 0 {
					j = len(line) - i
				}
				out = append(out, line[i:i+j])
				i += j
				continue
			}
			j := strings.IndexByte(line[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ at %d", i)
			}
			out = append(out, line[i+1:i+j])
			i += j + 1
		case '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
				}
				b.WriteByte(line[j])
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated quote at %d", i)
			}
			out = append(out, b.String())
			i = j + 1
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			out = append(out, line[i:i+j])
			i += j
		}
	}
	return out, nil
}

// Operation is S3's operation field for an operation Kura names as
// CloudTrail does: REST.<method>.<resource>. Operations S3 documents no
// log name for (UpdateObjectEncryption) follow the same pattern
// (docs/formats.md lists them).
func Operation(name, method string) string {
	if op, ok := operations[name]; ok {
		return op
	}
	if method == "" {
		method = "UNKNOWN"
	}
	return "REST." + method + ".UNKNOWN"
}

var operations = map[string]string{
	"ListBuckets": "REST.GET.SERVICE", "CreateBucket": "REST.PUT.BUCKET", "DeleteBucket": "REST.DELETE.BUCKET",
	"HeadBucket": "REST.HEAD.BUCKET", "ListObjects": "REST.GET.BUCKET", "ListObjectVersions": "REST.GET.BUCKETVERSIONS",
	"GetBucketLocation": "REST.GET.LOCATION",
	"GetBucketAcl":      "REST.GET.ACL", "PutBucketAcl": "REST.PUT.ACL", "GetObjectAcl": "REST.GET.ACL", "PutObjectAcl": "REST.PUT.ACL",
	"GetBucketCors": "REST.GET.CORS", "PutBucketCors": "REST.PUT.CORS", "DeleteBucketCors": "REST.DELETE.CORS",
	"GetBucketEncryption": "REST.GET.ENCRYPTION", "PutBucketEncryption": "REST.PUT.ENCRYPTION", "DeleteBucketEncryption": "REST.DELETE.ENCRYPTION",
	"GetBucketInventoryConfiguration": "REST.GET.INVENTORY", "PutBucketInventoryConfiguration": "REST.PUT.INVENTORY",
	"DeleteBucketInventoryConfiguration": "REST.DELETE.INVENTORY", "ListBucketInventoryConfigurations": "REST.GET.INVENTORY",
	"KuraRunBucketInventory":          "REST.POST.INVENTORY",
	"GetBucketLifecycleConfiguration": "REST.GET.LIFECYCLE", "PutBucketLifecycleConfiguration": "REST.PUT.LIFECYCLE",
	"DeleteBucketLifecycle": "REST.DELETE.LIFECYCLE",
	"GetBucketLogging":      "REST.GET.LOGGING_STATUS", "PutBucketLogging": "REST.PUT.LOGGING_STATUS",
	"GetBucketOwnershipControls": "REST.GET.OWNERSHIP_CONTROLS", "PutBucketOwnershipControls": "REST.PUT.OWNERSHIP_CONTROLS",
	"DeleteBucketOwnershipControls": "REST.DELETE.OWNERSHIP_CONTROLS",
	"GetBucketPolicy":               "REST.GET.BUCKETPOLICY", "PutBucketPolicy": "REST.PUT.BUCKETPOLICY", "DeleteBucketPolicy": "REST.DELETE.BUCKETPOLICY",
	"GetBucketPolicyStatus": "REST.GET.POLICY_STATUS",
	"GetBucketReplication":  "REST.GET.REPLICATION", "PutBucketReplication": "REST.PUT.REPLICATION", "DeleteBucketReplication": "REST.DELETE.REPLICATION",
	"KuraGetBucketReplicationStatus": "REST.GET.REPLICATION",
	"GetBucketTagging":               "REST.GET.TAGGING", "PutBucketTagging": "REST.PUT.TAGGING", "DeleteBucketTagging": "REST.DELETE.TAGGING",
	"GetBucketVersioning": "REST.GET.VERSIONING", "PutBucketVersioning": "REST.PUT.VERSIONING",
	"GetBucketWebsite": "REST.GET.WEBSITE", "PutBucketWebsite": "REST.PUT.WEBSITE", "DeleteBucketWebsite": "REST.DELETE.WEBSITE",
	"GetObjectLockConfiguration": "REST.GET.OBJECT_LOCK_CONFIGURATION", "PutObjectLockConfiguration": "REST.PUT.OBJECT_LOCK_CONFIGURATION",
	"GetPublicAccessBlock": "REST.GET.PUBLIC_ACCESS_BLOCK", "PutPublicAccessBlock": "REST.PUT.PUBLIC_ACCESS_BLOCK",
	"DeletePublicAccessBlock": "REST.DELETE.PUBLIC_ACCESS_BLOCK",
	"ListMultipartUploads":    "REST.GET.UPLOADS",
	"GetObject":               "REST.GET.OBJECT", "HeadObject": "REST.HEAD.OBJECT", "PutObject": "REST.PUT.OBJECT",
	"PostObject": "REST.POST.OBJECT", "DeleteObject": "REST.DELETE.OBJECT", "DeleteObjects": "REST.POST.MULTI_OBJECT_DELETE",
	"CopyObject": "REST.COPY.OBJECT", "GetObjectAttributes": "REST.GET.OBJECT_ATTRIBUTES",
	"GetObjectTagging": "REST.GET.OBJECT_TAGGING", "PutObjectTagging": "REST.PUT.OBJECT_TAGGING", "DeleteObjectTagging": "REST.DELETE.OBJECT_TAGGING",
	"GetObjectRetention": "REST.GET.RETENTION", "PutObjectRetention": "REST.PUT.RETENTION",
	"GetObjectLegalHold": "REST.GET.LEGAL_HOLD", "PutObjectLegalHold": "REST.PUT.LEGAL_HOLD",
	"RestoreObject":          "REST.POST.RESTORE",
	"UpdateObjectEncryption": "REST.PUT.OBJECT_ENCRYPTION",
	// Replication writes into the destination bucket (Kura's event names).
	"ReplicateObject": "REST.PUT.OBJECT", "ReplicateDelete": "REST.DELETE.OBJECT",
	"CreateMultipartUpload": "REST.POST.UPLOADS", "UploadPart": "REST.PUT.PART", "UploadPartCopy": "REST.COPY.PART",
	"CompleteMultipartUpload": "REST.POST.UPLOAD", "AbortMultipartUpload": "REST.DELETE.UPLOAD", "ListParts": "REST.GET.UPLOAD",
}

// entryOf is the log record of a finished operation on bucket, owned by
// ownerID (its canonical id).
func entryOf(r *ops.Record, bucket, ownerID string) Entry {
	src := r.Call.Source
	e := Entry{BucketOwner: ownerID, Bucket: bucket, Time: src.Time, RemoteIP: src.IP, RequestID: src.RequestID,
		HTTPStatus: r.Status, ErrorCode: r.ErrorCode, BytesSent: r.BytesOut, ObjectSize: r.ObjectSize,
		TotalTime: r.Duration, TurnAround: -1, UserAgent: src.UserAgent, SourceRegion: r.Region}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Requester = requester(r)
	method := ""
	if h := r.HTTP; h != nil {
		method = h.Method
		e.RequestURI, e.Referer, e.HostHeader, e.HostID, e.TurnAround = h.RequestLine, h.Referer, h.Host, h.HostID, h.TurnAround
	}
	e.Operation = Operation(r.Name, method)
	if r.ACLRequired {
		e.ACLRequired = "Yes"
	}
	if k, ok := r.RequestParameters["key"].(string); ok {
		e.Key = k
	}
	if v, ok := r.ResponseElements["x-amz-version-id"].(string); ok {
		e.VersionID = v
	} else if v, ok := r.RequestParameters["versionId"].(string); ok {
		e.VersionID = v
	}
	if e.HostID == "" {
		if v, ok := r.AdditionalEventData["x-amz-id-2"].(string); ok {
			e.HostID = v
		}
	}
	if v, ok := r.AdditionalEventData["SignatureVersion"].(string); ok {
		e.SignatureVersion = v
		e.AuthType, _ = r.AdditionalEventData["AuthenticationMethod"].(string)
	}
	if t := r.TLS; t != nil {
		e.CipherSuite, e.TLSVersion = t.CipherSuite, t.TLSVersion
		if e.HostHeader == "" {
			e.HostHeader = t.ClientProvidedHostHeader
		}
	}
	return e
}

// LifecycleRequester is the requester field of lifecycle actions' records.
const LifecycleRequester = "AmazonS3"

// lifecycleEntry is the log record of the lifecycle action ev (an audit
// event of internal/lifecycle) with access log operation op.
func lifecycleEntry(ev audit.Event, bucket, op, ownerID string) Entry {
	e := Entry{BucketOwner: ownerID, Bucket: bucket, Time: ev.EventTime, Requester: LifecycleRequester,
		RequestID: ev.EventID, Operation: op, TurnAround: -1, SourceRegion: ev.AWSRegion}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Key, _ = ev.RequestParameters["key"].(string)
	e.VersionID, _ = ev.RequestParameters["versionId"].(string)
	switch n := ev.AdditionalEventData["objectSize"].(type) {
	case int64:
		e.ObjectSize = n
	case float64: // an event read back from JSON
		e.ObjectSize = int64(n)
	}
	return e
}

// batchDeletes are the records S3 writes besides a DeleteObjects' own
// (REST.POST.MULTI_OBJECT_DELETE): one BATCH.DELETE.OBJECT a key, so that
// the log names every key deleted, whatever API deleted it. Each is the
// request's record (time, requester, request id, signature, TLS) for one
// key: its version (the one named, or the delete marker made), 204 or the
// key's error, no request line (it is the request's record's), no bytes.
func batchDeletes(req Entry, keys []ops.DeletedObject) []Entry {
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		e := req
		e.Operation, e.Key, e.RequestURI = "BATCH.DELETE.OBJECT", k.Key, ""
		e.BytesSent, e.ObjectSize, e.TurnAround = 0, 0, -1
		e.HTTPStatus, e.ErrorCode = 204, ""
		e.VersionID = k.VersionID
		if k.DeleteMarkerVersionID != "" {
			e.VersionID = k.DeleteMarkerVersionID
		}
		if k.Err != nil {
			e.HTTPStatus, e.ErrorCode = k.Err.Status, k.Err.Code
		}
		out = append(out, e)
	}
	return out
}

// requester is the requester field: the account's canonical id for a
// root user, the ARN of an IAM user or a role session, "-" anonymous.
func requester(r *ops.Record) string {
	if r.Identity != nil {
		switch {
		case r.Identity.Type == "Root" && r.Call.Principal.CanonicalID != "":
			return r.Call.Principal.CanonicalID
		case r.Identity.ARN != "":
			return r.Identity.ARN
		case r.Identity.Type == "AWSService" && r.Identity.InvokedBy != "":
			return r.Identity.InvokedBy
		}
		return ""
	}
	p := r.Call.Principal
	if p.CanonicalID != "" && p.Type == "Root" {
		return p.CanonicalID
	}
	return p.ARN
}
