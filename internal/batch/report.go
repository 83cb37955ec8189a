package batch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/ops"
)

// Completion reports (Report_CSV_20180820) in S3's layout:
//
//	<prefix>/job-<id>/results/<40 hex>.csv   rows of one chunk's succeeded or failed tasks
//	<prefix>/job-<id>/manifest.json          the index of the result files, written last
//
// A result file's name is derived from the job, the chunk and the status,
// so a chunk run again after a crash rewrites the same file. The files are
// written by the job's role through the operation layer (s3:PutObject,
// audited) under the report bucket's default encryption.

// ReportSchema is the schema S3 names in the report's manifest.json. The
// rows carry the HTTP status before the error code, as S3's do.
const ReportSchema = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"

// PreviousEncryptionColumn is the first of Kura's own columns in the reports of
// S3UpdateObjectEncryption jobs: each object's encryption before the
// task (EncryptionColumn), from which an undo job can be built.
const PreviousEncryptionColumn = "PreviousEncryption"

// KuraReportSchema names every column of a re-seal job's rows: S3's
// seven, PreviousEncryption, then NewEncryption (the encryption the task
// set), ResealedVersionId and ResealedLastModified (the version it acted
// on and its Last-Modified, RFC 3339 with nanoseconds), which an undo job
// checks so that it never reverts a later change.
const KuraReportSchema = ReportSchema + ", " + PreviousEncryptionColumn + ", NewEncryption, ResealedVersionId, ResealedLastModified"

// jobDir is <prefix>/job-<id>.
func jobDir(prefix, id string) string {
	p := strings.TrimSuffix(prefix, "/")
	if p == "" {
		return "job-" + id
	}
	return p + "/job-" + id
}

// resultKey is the result file of a chunk's tasks of one status.
func resultKey(prefix, id string, chunk int64, status string) string {
	sum := sha1.Sum([]byte(id + "/" + strconv.FormatInt(chunk, 10) + "/" + status))
	return jobDir(prefix, id) + "/results/" + hex.EncodeToString(sum[:]) + ".csv"
}

// reportRows is the CSV of results (no header, as S3 writes it).
func reportRows(results []result, withPrev bool) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, r := range results {
		status := "succeeded"
		if !r.ok {
			status = "failed"
		}
		row := []string{r.e.Bucket, r.e.RawKey, r.e.VersionID, status, strconv.Itoa(r.status), r.code, r.msg}
		if withPrev {
			mod := ""
			if !r.mod.IsZero() {
				mod = r.mod.UTC().Format(time.RFC3339Nano)
			}
			row = append(row, r.prev, r.after, r.version, mod)
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// writeResults writes a chunk's result files and returns them.
func (s *Service) writeResults(ctx context.Context, call kura.Call, j *kura.Job, chunk int64, results []result) ([]resultFile, error) {
	rep := j.Report
	if !rep.Enabled {
		return nil, nil
	}
	bucket, _ := bucketOfARN(rep.Bucket)
	var ok, bad []result
	for _, r := range results {
		if r.ok {
			ok = append(ok, r)
		} else {
			bad = append(bad, r)
		}
	}
	groups := []struct {
		status string
		rows   []result
	}{{"succeeded", ok}, {"failed", bad}}
	withPrev := j.Operation.Name == kura.OpS3UpdateObjectEncryption
	var files []resultFile
	for _, g := range groups {
		if len(g.rows) == 0 || g.status == "succeeded" && rep.Scope == kura.ReportScopeFailedTasksOnly {
			continue
		}
		body := reportRows(g.rows, withPrev)
		key := resultKey(rep.Prefix, j.ID, chunk, g.status)
		if _, err := writeObject(ctx, s.cfg.Ops, call, ops.Target{Bucket: bucket, Key: key,
			ExpectedBucketOwner: rep.ExpectedBucketOwner}, body, "text/csv", kura.SSENone, ""); err != nil {
			return nil, err
		}
		sum := md5.Sum(body)
		files = append(files, resultFile{Status: g.status, Key: key, MD5: hex.EncodeToString(sum[:])})
	}
	return files, nil
}

// reportIndex is the report's manifest.json.
type reportIndex struct {
	Format             string        `json:"Format"`
	ReportCreationDate string        `json:"ReportCreationDate"`
	Results            []reportEntry `json:"Results"`
	ReportSchema       string        `json:"ReportSchema"`
	// KuraSchema names the columns of Kura's rows when they go beyond
	// S3's (the PreviousEncryption column of a re-seal job).
	KuraSchema string `json:"KuraReportSchema,omitempty"`
}

type reportEntry struct {
	TaskExecutionStatus string `json:"TaskExecutionStatus"`
	Bucket              string `json:"Bucket"`
	MD5Checksum         string `json:"MD5Checksum"`
	Key                 string `json:"Key"`
}

// writeReportIndex writes the report's manifest.json, listing every
// result file the job's chunks wrote.
func (s *Service) writeReportIndex(ctx context.Context, call kura.Call, j *kura.Job) error {
	rep := j.Report
	bucket, _ := bucketOfARN(rep.Bucket)
	idx := reportIndex{Format: kura.ReportFormatCSV, ReportCreationDate: s.now().Format("2006-01-02T15:04:05.000Z"),
		Results: []reportEntry{}, ReportSchema: ReportSchema}
	if j.Operation.Name == kura.OpS3UpdateObjectEncryption {
		idx.KuraSchema = KuraReportSchema
	}
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		idx.Results = idx.Results[:0]
		return eachChunk(tx, j.ID, func(_ int64, c *chunkRecord) error {
			for _, f := range c.Files {
				if f.Status == "succeeded" || f.Status == "failed" {
					idx.Results = append(idx.Results, reportEntry{TaskExecutionStatus: f.Status, Bucket: bucket, MD5Checksum: f.MD5, Key: f.Key})
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	body, _ := json.Marshal(idx)
	_, err = writeObject(ctx, s.cfg.Ops, call, ops.Target{Bucket: bucket, Key: jobDir(rep.Prefix, j.ID) + "/manifest.json",
		ExpectedBucketOwner: rep.ExpectedBucketOwner}, body, "application/json", kura.SSENone, "")
	return err
}

// The generator's manifest output (EnableManifestOutput), in the layout
// of S3InventoryReport_CSV_20211130 as Kura writes it:
//
//	<prefix>/job-<id>/data/<40 hex>.csv.gz   gzip CSV: Bucket, Key (URL-encoded), VersionId
//	<prefix>/job-<id>/manifest.json          inventory-style index (version 2021-11-30)
//	<prefix>/job-<id>/manifest.checksum      MD5 of manifest.json

func outputKey(prefix, id string, chunk int64) string {
	sum := sha1.Sum([]byte(id + "/" + strconv.FormatInt(chunk, 10) + "/manifest"))
	return jobDir(prefix, id) + "/data/" + hex.EncodeToString(sum[:]) + ".csv.gz"
}

// writeOutput writes one chunk's entries as a data file of the generated
// manifest.
func (s *Service) writeOutput(ctx context.Context, call kura.Call, j *kura.Job, chunk int64, entries []entry) (*resultFile, error) {
	g := j.ManifestGenerator
	if g == nil || !g.EnableOutput || g.Output == nil || len(entries) == 0 {
		return nil, nil
	}
	o := g.Output
	bucket, _ := bucketOfARN(o.Bucket)
	var b bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	gz.ModTime = time.Time{}
	w := csv.NewWriter(gz)
	for _, e := range entries {
		w.Write([]string{e.Bucket, e.RawKey, e.VersionID})
	}
	w.Flush()
	gz.Close()
	key := outputKey(o.Prefix, j.ID, chunk)
	if _, err := s.writeOutputFile(ctx, call, o, bucket, key, b.Bytes(), "application/gzip"); err != nil {
		return nil, err
	}
	sum := md5.Sum(b.Bytes())
	return &resultFile{Status: "manifest", Key: key, MD5: hex.EncodeToString(sum[:])}, nil
}

// writeOutputFile writes one file of a generated manifest under the
// encryption its output location asks for.
func (s *Service) writeOutputFile(ctx context.Context, call kura.Call, o *kura.JobManifestOutput, bucket, key string, body []byte, ctype string) (ops.PutResult, error) {
	return writeObject(ctx, s.cfg.Ops, call, ops.Target{Bucket: bucket, Key: key, ExpectedBucketOwner: o.ExpectedBucketOwner},
		body, ctype, o.Encryption, o.KMSKeyID)
}

type outputManifest struct {
	SourceBucket      string       `json:"sourceBucket"`
	DestinationBucket string       `json:"destinationBucket"`
	Version           string       `json:"version"`
	CreationTimestamp string       `json:"creationTimestamp"`
	FileFormat        string       `json:"fileFormat"`
	FileSchema        string       `json:"fileSchema"`
	Files             []outputFile `json:"files"`
}

type outputFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5Checksum string `json:"MD5checksum"`
}

// writeOutputIndex writes the generated manifest's manifest.json and
// manifest.checksum, and returns its location.
func (s *Service) writeOutputIndex(ctx context.Context, call kura.Call, j *kura.Job) (*locRec, error) {
	g := j.ManifestGenerator
	o := g.Output
	bucket, _ := bucketOfARN(o.Bucket)
	src, _ := bucketOfARN(g.SourceBucket)
	m := outputManifest{SourceBucket: src, DestinationBucket: o.Bucket, Version: "2021-11-30",
		CreationTimestamp: strconv.FormatInt(s.now().UnixMilli(), 10), FileFormat: "CSV", FileSchema: "Bucket, Key, VersionId",
		Files: []outputFile{}}
	err := s.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		m.Files = m.Files[:0]
		return eachChunk(tx, j.ID, func(_ int64, c *chunkRecord) error {
			for _, f := range c.Files {
				if f.Status == "manifest" {
					m.Files = append(m.Files, outputFile{Key: f.Key, MD5Checksum: f.MD5})
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(m)
	key := jobDir(o.Prefix, j.ID) + "/manifest.json"
	res, err := s.writeOutputFile(ctx, call, o, bucket, key, body, "application/json")
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(body)
	if _, err := s.writeOutputFile(ctx, call, o, bucket, jobDir(o.Prefix, j.ID)+"/manifest.checksum",
		[]byte(hex.EncodeToString(sum[:])+"\n"), "text/plain"); err != nil {
		return nil, err
	}
	// The location names the object's ETag, which a job reading this
	// manifest checks: an MD5 under SSE-S3, opaque under SSE-KMS.
	loc := &locRec{ARN: "arn:aws:s3:::" + bucket + "/" + key, ETag: res.ETag}
	if res.VersionID != "" && res.VersionID != "null" {
		loc.Version = res.VersionID
	}
	return loc, nil
}
