package batch

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/url"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Manifests, read as streams: a source yields one entry at a time with
// the cursor just after it, so a job holds one chunk in memory however
// long its manifest is, and resumes from a checkpointed cursor.

// entry is one task's object.
type entry struct {
	Bucket, Key, VersionID string
	// RawKey is the key as the manifest wrote it (URL-encoded), which is
	// how the completion report names it.
	RawKey string
	// undo is the row of the report an undo job reverses (nil otherwise).
	undo *undoRow
}

// source is a manifest being read.
type source interface {
	// next returns the next entry and the cursor after it; io.EOF at the
	// end.
	next(ctx context.Context) (entry, cursor, error)
	close()
}

// opener reads objects as the job's role.
type opener func(ctx context.Context, bucket, key, versionID string, off int64) (*kura.ObjectVersion, io.ReadCloser, error)

// manifestError is a job-level failure reading the manifest: the job
// fails with it (FailureReasons).
type manifestError struct {
	code, reason string
}

func (e *manifestError) Error() string { return e.code + ": " + e.reason }

func manifestFail(format string, args ...any) error {
	return &manifestError{code: "ManifestError", reason: fmt.Sprintf(format, args...)}
}

// readFailure is a manifest that could not be read: S3's reason text
// names the status ("Reading the manifest is forbidden: 403 Forbidden").
func readFailure(what string, err error) error {
	e := s3err.As(err)
	if e.Status >= 500 {
		return err // retried: not the manifest's fault
	}
	return manifestFail("Reading the %s failed: %s (%s: %s)", what, e.Code, statusText(e.Status), e.Message)
}

func statusText(code int) string {
	switch code {
	case 400:
		return "400 Bad Request"
	case 403:
		return "403 Forbidden"
	case 404:
		return "404 Not Found"
	}
	return fmt.Sprint(code)
}

// csvSource reads S3BatchOperations_CSV_20180820: bucket,key[,versionId]
// in the columns Fields names, keys URL-encoded.
type csvSource struct {
	body   io.ReadCloser
	r      *csv.Reader
	base   int64 // byte offset of the reader's start in the object
	fields []string
	cur    cursor
}

// newCSVReader is the CSV reader every manifest uses: any number of
// fields, quotes as written by S3 Inventory, no comment lines.
func newCSVReader(r io.Reader) *csv.Reader {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1
	c.ReuseRecord = true
	return c
}

func openCSV(ctx context.Context, open opener, m kura.JobManifest, at cursor) (source, error) {
	bucket, key, _ := splitObjectARN(m.Location.ObjectARN)
	v, body, err := open(ctx, bucket, key, m.Location.ObjectVersionID, at.Offset)
	if err != nil {
		return nil, readFailure("manifest", err)
	}
	if v.ETag != strings.Trim(m.Location.ETag, `"`) {
		body.Close()
		return nil, manifestFail("The manifest's ETag is %q, not the %q the job names: the manifest object changed after the job was created.", v.ETag, m.Location.ETag)
	}
	return &csvSource{body: body, r: newCSVReader(bufio.NewReaderSize(body, 64<<10)), base: at.Offset, fields: m.Fields, cur: at}, nil
}

func (c *csvSource) next(ctx context.Context) (entry, cursor, error) {
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return entry{}, c.cur, io.EOF
		}
		if err != nil {
			return entry{}, c.cur, manifestFail("The manifest is not valid CSV: %v", err)
		}
		c.cur.Offset = c.base + c.r.InputOffset()
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		e, err := entryOf(rec, c.fields)
		if err != nil {
			return entry{}, c.cur, err
		}
		c.cur.Next++
		return e, c.cur, nil
	}
}

func (c *csvSource) close() { c.body.Close() }

// entryOf reads one manifest row by its field names (Bucket, Key,
// VersionId; others ignored).
func entryOf(rec []string, fields []string) (entry, error) {
	var e entry
	for i, f := range fields {
		if i >= len(rec) {
			break
		}
		switch f {
		case "Bucket":
			e.Bucket = rec[i]
		case "Key":
			e.RawKey = rec[i]
		case "VersionId":
			e.VersionID = rec[i]
		}
	}
	if e.Bucket == "" || e.RawKey == "" {
		return entry{}, manifestFail("A manifest row has no bucket or no key: %q.", strings.Join(rec, ","))
	}
	key, err := url.QueryUnescape(e.RawKey)
	if err != nil {
		return entry{}, manifestFail("The manifest key %q is not URL-encoded correctly: %v", e.RawKey, err)
	}
	e.Key = key
	return e, nil
}

// inventoryManifest is manifest.json as S3 Inventory writes it.
type inventoryManifest struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"`
	Version           string `json:"version"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key         string `json:"key"`
		Size        int64  `json:"size"`
		MD5Checksum string `json:"MD5checksum"`
	} `json:"files"`
}

// maxManifestJSON bounds what is read of an inventory manifest.json.
const maxManifestJSON = 64 << 20

// parseInventoryManifest reads an inventory manifest.json and returns it
// with its field names (fileSchema).
func parseInventoryManifest(b []byte) (*inventoryManifest, []string, error) {
	var m inventoryManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, manifestFail("The inventory manifest.json is not valid JSON: %v", err)
	}
	if !strings.EqualFold(m.FileFormat, "CSV") {
		return nil, nil, manifestFail("The inventory report's fileFormat is %q; only CSV inventory reports can be job manifests here.", m.FileFormat)
	}
	if _, ok := bucketOfARN(m.DestinationBucket); !ok {
		return nil, nil, manifestFail("The inventory manifest's destinationBucket %q is not a bucket ARN.", m.DestinationBucket)
	}
	var fields []string
	for _, f := range strings.Split(m.FileSchema, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "Bucket", "Key", "VersionId":
		default:
			f = "Ignore"
		}
		fields = append(fields, f)
	}
	if checkFields(fields) != nil {
		return nil, nil, manifestFail("The inventory manifest's fileSchema %q does not name Bucket and Key.", m.FileSchema)
	}
	return &m, fields, nil
}

// inventorySource reads S3InventoryReport_CSV_20161130: the gzip CSV
// files an inventory manifest.json lists, in order.
type inventorySource struct {
	open   opener
	m      *inventoryManifest
	dest   string
	fields []string
	cur    cursor

	body io.ReadCloser
	gz   *gzip.Reader
	md5  hash.Hash // of the compressed file, when read from its start
	want string
	r    *csv.Reader
	base int64
}

func openInventory(ctx context.Context, open opener, m kura.JobManifest, at cursor) (source, error) {
	bucket, key, _ := splitObjectARN(m.Location.ObjectARN)
	v, body, err := open(ctx, bucket, key, m.Location.ObjectVersionID, 0)
	if err != nil {
		return nil, readFailure("manifest", err)
	}
	b, err := io.ReadAll(io.LimitReader(body, maxManifestJSON+1))
	body.Close()
	if err != nil {
		return nil, readFailure("manifest", err)
	}
	if v.ETag != strings.Trim(m.Location.ETag, `"`) {
		return nil, manifestFail("The manifest's ETag is %q, not the %q the job names: the manifest object changed after the job was created.", v.ETag, m.Location.ETag)
	}
	if len(b) > maxManifestJSON {
		return nil, manifestFail("The inventory manifest.json is larger than %d bytes.", maxManifestJSON)
	}
	im, fields, err := parseInventoryManifest(b)
	if err != nil {
		return nil, err
	}
	dest, _ := bucketOfARN(im.DestinationBucket)
	return &inventorySource{open: open, m: im, dest: dest, fields: fields, cur: at}, nil
}

// openFile opens data file cur.File and skips to cur.Offset in its
// uncompressed CSV.
func (s *inventorySource) openFile(ctx context.Context) error {
	f := s.m.Files[s.cur.File]
	_, body, err := s.open(ctx, s.dest, f.Key, "", 0)
	if err != nil {
		return readFailure("inventory data file "+f.Key, err)
	}
	var r io.Reader = body
	s.md5, s.want = nil, ""
	if s.cur.Offset == 0 && f.MD5Checksum != "" {
		s.md5, s.want = md5.New(), f.MD5Checksum
		r = io.TeeReader(body, s.md5)
	}
	gz, err := gzip.NewReader(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		body.Close()
		return manifestFail("The inventory data file %s is not gzip: %v", f.Key, err)
	}
	if s.cur.Offset > 0 {
		if _, err := io.CopyN(io.Discard, gz, s.cur.Offset); err != nil {
			body.Close()
			return manifestFail("The inventory data file %s is shorter than when the job read it: %v", f.Key, err)
		}
	}
	s.body, s.gz, s.base = body, gz, s.cur.Offset
	s.r = newCSVReader(gz)
	return nil
}

func (s *inventorySource) next(ctx context.Context) (entry, cursor, error) {
	for {
		if s.cur.File >= len(s.m.Files) {
			return entry{}, s.cur, io.EOF
		}
		if s.r == nil {
			if err := s.openFile(ctx); err != nil {
				return entry{}, s.cur, err
			}
		}
		rec, err := s.r.Read()
		if err == io.EOF {
			if s.md5 != nil {
				io.Copy(io.Discard, s.body) // the gzip trailer's tail, if any
				if got := hex.EncodeToString(s.md5.Sum(nil)); got != s.want {
					s.closeFile()
					return entry{}, s.cur, manifestFail("The inventory data file %s has MD5 %s, not the %s manifest.json lists.", s.m.Files[s.cur.File].Key, got, s.want)
				}
			}
			s.closeFile()
			s.cur.File++
			s.cur.Offset = 0
			continue
		}
		if err != nil {
			return entry{}, s.cur, manifestFail("An inventory data file is not valid CSV: %v", err)
		}
		s.cur.Offset = s.base + s.r.InputOffset()
		e, err := entryOf(rec, s.fields)
		if err != nil {
			return entry{}, s.cur, err
		}
		s.cur.Next++
		return e, s.cur, nil
	}
}

func (s *inventorySource) closeFile() {
	if s.body != nil {
		s.body.Close()
	}
	s.body, s.gz, s.r = nil, nil, nil
}

func (s *inventorySource) close() { s.closeFile() }

// roleOpener reads objects through the operation layer as the job's role
// (s3:GetObject / s3:GetObjectVersion, audited).
func roleOpener(o *ops.Service, call kura.Call, expectedOwner string) opener {
	return func(ctx context.Context, bucket, key, versionID string, off int64) (*kura.ObjectVersion, io.ReadCloser, error) {
		return readObject(ctx, o, call, ops.Target{Bucket: bucket, Key: key, VersionID: versionID,
			ExpectedBucketOwner: expectedOwner}, off)
	}
}
