package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Encryption posture: how a bucket's current objects are encrypted, by
// kind (SSE-S3, each KMS key with and without a bucket key, DSSE-KMS,
// SSE-C, none), which do not match the bucket's default encryption, and
// the one action that fixes them: a Batch Operations job re-keying them
// to a KMS key (UpdateObjectEncryption), a dry run first.
//
// The posture is read with the principal's own ListObjects (one audited
// call per 1000 objects), so a principal sees the posture of what it may
// list. postureLimit bounds one read; past it the view says so.

const postureLimit = 1_000_000

func (c *Console) postureRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/api/posture", c.authed(c.posture))
	m.HandleFunc("POST /console/api/rekey", c.authed(c.rekey))
}

// postureGroup is the objects under one kind of encryption.
type postureGroup struct {
	encView
	Objects   int64 `json:"objects"`
	Bytes     int64 `json:"bytes"`
	Matches   bool  `json:"matchesDefault"`
	ReKeyable bool  `json:"rekeyable"` // UpdateObjectEncryption can re-seal it (not SSE-C)
}

// Posture is a bucket's encryption posture.
type Posture struct {
	Bucket     string         `json:"bucket"`
	Default    encView        `json:"default"`
	Groups     []postureGroup `json:"groups"`
	Objects    int64          `json:"objects"`
	Bytes      int64          `json:"bytes"`
	Mismatched int64          `json:"mismatched"`
	// Samples are up to 20 keys not matching the default.
	Samples   []string `json:"samples"`
	Truncated bool     `json:"truncated"`
}

func groupKey(e encView) string {
	return e.Type + "|" + e.KMSKeyARN + "|" + map[bool]string{true: "bk", false: ""}[e.BucketKey]
}

// matches says whether an object's encryption is the bucket default's.
func matches(def, e encView) bool {
	if def.Type != e.Type {
		return false
	}
	if e.Type != "SSE-KMS" && e.Type != "DSSE-KMS" {
		return true
	}
	if def.KMSKeyARN != "" && !sameKey(def.KMSKeyARN, e.KMSKeyARN) {
		return false
	}
	return e.Type != "SSE-KMS" || def.BucketKey == e.BucketKey
}

// sameKey compares a configured key id (an ARN, a key id or an alias) with
// an object's key ARN: an ARN must be equal, a bare id its suffix. An
// alias cannot be told without KMS and is taken as matching no key.
func sameKey(conf, arn string) bool {
	if strings.HasPrefix(conf, "arn:") {
		return conf == arn
	}
	return strings.HasSuffix(arn, ":key/"+conf)
}

// keyARN resolves a bucket default's KMS key id (a key id, an alias, or
// "" for the account's aws/s3 key) to its ARN with DescribeKey as the
// principal; when that fails (no kms:DescribeKey, or an aws/s3 key not
// made yet) the id is kept as configured, and sameKey compares it as it
// can.
func (c *Console) keyARN(ctx context.Context, call kura.Call, id string) string {
	if strings.HasPrefix(id, "arn:") && strings.Contains(id, ":key/") {
		return id
	}
	name := id
	if name == "" {
		name = "alias/aws/s3"
	}
	body, _ := json.Marshal(map[string]string{"KeyId": name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(body))
	if err != nil {
		return id
	}
	req.Header.Set("X-Amz-Target", "TrentService.DescribeKey")
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	call.Source.RequestID = requestID()
	c.cfg.KMS.Serve(rec, req, call, call.Source.RequestID)
	var out struct{ KeyMetadata struct{ Arn string } }
	if rec.code != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &out) != nil || out.KeyMetadata.Arn == "" {
		return id
	}
	return out.KeyMetadata.Arn
}

func (c *Console) readPosture(ctx context.Context, call kura.Call, bucket string) (*Posture, error) {
	p := &Posture{Bucket: bucket, Groups: []postureGroup{}, Samples: []string{}}
	def, err := c.cfg.Ops.GetBucketEncryption(ctx, call, ops.BucketTarget{Bucket: bucket})
	switch {
	case err == nil && def != nil:
		p.Default = encOf(kura.Encryption{Type: def.Algorithm, KMSKeyARN: def.KMSMasterKeyID, BucketKeyEnabled: def.BucketKeyEnabled})
		if p.Default.Type == "SSE-KMS" || p.Default.Type == "DSSE-KMS" {
			p.Default.KMSKeyARN = c.keyARN(ctx, call, def.KMSMasterKeyID)
		}
	case err == nil, s3err.Is(err, s3err.SSEConfigNotFound):
		p.Default = encView{Type: "SSE-S3"} // S3's default for every bucket
	default:
		return nil, err
	}
	groups := map[string]*postureGroup{}
	after := ""
	for {
		res, err := c.cfg.Ops.ListObjects(ctx, call, ops.ListInput{BucketTarget: ops.BucketTarget{Bucket: bucket}, After: after, MaxKeys: 1000})
		if err != nil {
			return nil, err
		}
		for _, v := range res.Objects {
			e := encOf(v.Encryption)
			g := groups[groupKey(e)]
			if g == nil {
				g = &postureGroup{encView: e, Matches: matches(p.Default, e), ReKeyable: e.Type != "SSE-C"}
				groups[groupKey(e)] = g
			}
			g.Objects++
			g.Bytes += v.Size
			p.Objects++
			p.Bytes += v.Size
			if !g.Matches {
				p.Mismatched++
				if len(p.Samples) < 20 {
					p.Samples = append(p.Samples, v.Key)
				}
			}
			after = v.Key
		}
		if !res.Truncated {
			break
		}
		if p.Objects >= postureLimit {
			p.Truncated = true
			break
		}
	}
	for _, g := range groups {
		p.Groups = append(p.Groups, *g)
	}
	sort.Slice(p.Groups, func(i, j int) bool { return p.Groups[i].Objects > p.Groups[j].Objects })
	return p, nil
}

func (c *Console) posture(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	p, err := c.readPosture(r.Context(), call, r.URL.Query().Get("bucket"))
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type rekeyInput struct {
	Bucket       string `json:"bucket"`
	KMSKeyARN    string `json:"kmsKeyArn"`
	BucketKey    bool   `json:"bucketKey"`
	RoleARN      string `json:"roleArn"`
	ReportBucket string `json:"reportBucket"`
	DryRun       bool   `json:"dryRun"`
}

// rekey creates the Batch Operations job that re-keys every object of the
// bucket not already under the target key (with the target's bucket key
// setting) to it: a manifest generator over the bucket, filtered to the
// encryption kinds the posture found that differ from the target. SSE-C
// objects are left out: re-sealing them needs the customer's key. A dry
// run reports what the job would do; a real job waits for confirmation.
func (c *Console) rekey(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	if c.cfg.Jobs == nil {
		writeErr(w, http.StatusNotImplemented, "BatchOff", "Batch Operations is off on this server.")
		return
	}
	var in rekeyInput
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "MalformedRequest", "The body must be JSON with bucket, kmsKeyArn and roleArn.")
		return
	}
	if !strings.HasPrefix(in.KMSKeyARN, "arn:") || in.RoleARN == "" {
		writeErr(w, http.StatusBadRequest, "InvalidArgument", "Name the target KMS key by its ARN and the role the job runs as (roleArn).")
		return
	}
	p, err := c.readPosture(r.Context(), call, in.Bucket)
	if err != nil {
		c.fail(w, err)
		return
	}
	target := encView{Type: "SSE-KMS", KMSKeyARN: in.KMSKeyARN, BucketKey: in.BucketKey}
	var filters []kura.EncryptionFilter
	var count int64
	for _, g := range p.Groups {
		if !g.ReKeyable || groupKey(g.encView) == groupKey(target) {
			continue
		}
		count += g.Objects
		f := kura.EncryptionFilter{Type: sseType(g.Type), KMSKeyARN: g.KMSKeyARN}
		if g.Type == "SSE-KMS" {
			bk := g.BucketKey
			f.BucketKeyEnabled = &bk
		}
		filters = append(filters, f)
	}
	if len(filters) == 0 {
		writeErr(w, http.StatusConflict, "NothingToReKey", "Every re-keyable object of "+in.Bucket+" is already under that key.")
		return
	}
	spec := kura.JobSpec{
		Description: "console: re-key " + in.Bucket + " to " + in.KMSKeyARN, Priority: 10, RoleARN: in.RoleARN,
		ConfirmationRequired: !in.DryRun, DryRun: in.DryRun, ClientRequestToken: requestID(),
		ManifestGenerator: &kura.JobManifestGenerator{SourceBucket: "arn:aws:s3:::" + in.Bucket,
			Filter: kura.JobManifestFilter{MatchAnyObjectEncryption: filters}},
		Operation: kura.JobOperation{Name: kura.OpS3UpdateObjectEncryption,
			UpdateEncryption: &kura.JobUpdateEncryption{Type: kura.SSEKMS, KMSKeyARN: in.KMSKeyARN, BucketKeyEnabled: in.BucketKey}},
	}
	if in.ReportBucket != "" {
		spec.Report = kura.JobReport{Enabled: true, Bucket: "arn:aws:s3:::" + in.ReportBucket, Prefix: "console-reports",
			Format: kura.ReportFormatCSV, Scope: kura.ReportScopeAllTasks}
	}
	id, err := c.cfg.Jobs.CreateJob(r.Context(), call, call.Principal.AccountID, spec, []kura.Tag{{Key: "kura-console", Value: "rekey"}})
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobId": id, "dryRun": in.DryRun, "expected": count})
}

func sseType(t string) kura.SSEType {
	switch t {
	case "SSE-S3":
		return kura.SSES3
	case "SSE-KMS":
		return kura.SSEKMS
	case "DSSE-KMS":
		return kura.SSEDSSE
	case "SSE-C":
		return kura.SSEC
	}
	return kura.SSENone
}

// recorder keeps the answer of an API called from inside the console.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }
