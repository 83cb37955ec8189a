package ops_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// requireSSES3 is seed 002's policy: every PutObject must ask for SSE-S3.
const requireSSES3 = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::enc/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}`

// A multipart upload as a principal, without HTTP: each step authorized
// (the upload's own encryption standing for the parts' condition keys),
// recorded and counted; UploadPartCopy decided on both ends.
func TestMultipartUpload(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.put(bucket, "public/a.jpg") // "data"
	e.put(bucket, "secret.jpg")
	if err := e.obj.CreateBucket(ctx, kura.Bucket{Name: "enc", Owner: owner}); err != nil {
		t.Fatal(err)
	}
	if err := e.obj.UpdateBucket(ctx, "enc", func(b *kura.Bucket) error { b.Policy = requireSSES3; return nil }); err != nil {
		t.Fatal(err)
	}
	up := func(b, key, id string) ops.UploadTarget {
		return ops.UploadTarget{Target: ops.Target{Bucket: b, Key: key}, UploadID: id}
	}
	// step runs one operation and checks its outcome, its count and its
	// event (named op, for the request id).
	step := func(name, op string, p kura.Principal, status int, want *s3err.Error, run func(kura.Call) error) {
		t.Helper()
		id := strings.ReplaceAll(name, " ", "-")
		before := e.count(op, status)
		err := run(call(p, id))
		if want == nil && err != nil || want != nil && !s3err.Is(err, want) {
			t.Fatalf("%s: error %v, want %v", name, err, want)
		}
		if n := e.count(op, status) - before; n != 1 {
			t.Errorf("%s: kura_operations_total{operation=%q,code=\"%d\"} grew by %v, want 1", name, op, status, n)
		}
		ev := e.eventByID(op, id)
		if ev == nil {
			t.Fatalf("%s: no %s event", name, op)
		}
		code := ""
		if want != nil {
			code = want.Code
		}
		if ev.ErrorCode != code || ev.UserIdentity.ARN != p.ARN {
			t.Errorf("%s: event errorCode %q identity %s, want %q, %s", name, ev.ErrorCode, ev.UserIdentity.ARN, code, p.ARN)
		}
	}

	var u ops.CreateUploadResult
	step("create", "CreateMultipartUpload", job, 200, nil, func(c kura.Call) (err error) {
		u, err = e.ops.CreateMultipartUpload(ctx, c, ops.CreateUploadInput{Target: ops.Target{Bucket: bucket, Key: "big.bin"},
			Tags: []kura.Tag{{Key: "class", Value: "public"}}, ChecksumAlgorithm: "CRC32"})
		return err
	})
	if u.UploadID == "" || u.Encryption.Type != kura.SSES3 || u.ChecksumAlgorithm != "CRC32" {
		t.Fatalf("created %+v, want an SSE-S3 upload with CRC32", u)
	}
	if ev := e.lastEvent("CreateMultipartUpload"); ev.AdditionalEventData["SSEApplied"] != "Default_SSE_S3" {
		t.Errorf("SSEApplied = %v, want Default_SSE_S3", ev.AdditionalEventData["SSEApplied"])
	}
	step("create without s3:PutObject", "CreateMultipartUpload", alice, 403, s3err.AccessDenied, func(c kura.Call) error {
		_, err := e.ops.CreateMultipartUpload(ctx, c, ops.CreateUploadInput{Target: ops.Target{Bucket: bucket, Key: "x"}})
		return err
	})
	step("create with a tag denied", "CreateMultipartUpload", job, 403, s3err.AccessDenied, func(c kura.Call) error {
		_, err := e.ops.CreateMultipartUpload(ctx, c, ops.CreateUploadInput{Target: ops.Target{Bucket: bucket, Key: "x"},
			Tags: []kura.Tag{{Key: "class", Value: "secret"}}})
		return err
	})
	part1 := strings.Repeat("h", 5<<20) // every part but the last is at least 5 MiB
	var p1 ops.PartResult
	step("part 1", "UploadPart", job, 200, nil, func(c kura.Call) (err error) {
		p1, err = e.ops.UploadPart(ctx, c, ops.PartInput{UploadTarget: up(bucket, "big.bin", u.UploadID), PartNumber: 1,
			Body: strings.NewReader(part1), Size: int64(len(part1)), Checksum: object.ChecksumInput{Algorithm: "CRC32"}})
		return err
	})
	if ev := e.lastEvent("UploadPart"); ev.RequestParameters["uploadId"] != u.UploadID {
		t.Errorf("requestParameters = %v, want the upload id", ev.RequestParameters)
	}
	step("part number out of range", "UploadPart", job, 400, s3err.InvalidArgument, func(c kura.Call) error {
		_, err := e.ops.UploadPart(ctx, c, ops.PartInput{UploadTarget: up(bucket, "big.bin", u.UploadID), PartNumber: 10001,
			Body: strings.NewReader("x"), Size: 1})
		return err
	})
	var p2 ops.PartResult
	step("part 2 copied", "UploadPartCopy", job, 200, nil, func(c kura.Call) (err error) {
		p2, err = e.ops.UploadPartCopy(ctx, c, ops.PartCopyInput{UploadTarget: up(bucket, "big.bin", u.UploadID), PartNumber: 2,
			Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg"}, Range: "bytes=0-2"})
		return err
	})
	if p2.Size != 3 || p2.SourceVersionID == "" || p2.ChecksumAlgorithm != "CRC32" {
		t.Errorf("copied part %+v, want 3 bytes of the source's current version with a CRC32", p2)
	}
	step("copy range outside the source", "UploadPartCopy", job, 400, s3err.InvalidArgument, func(c kura.Call) error {
		_, err := e.ops.UploadPartCopy(ctx, c, ops.PartCopyInput{UploadTarget: up(bucket, "big.bin", u.UploadID), PartNumber: 3,
			Source: ops.CopySource{Bucket: bucket, Key: "public/a.jpg"}, Range: "bytes=0-9"})
		return err
	})
	var parts *object.PartsPage
	step("list parts", "ListParts", job, 200, nil, func(c kura.Call) (err error) {
		parts, err = e.ops.ListParts(ctx, c, ops.ListPartsInput{UploadTarget: up(bucket, "big.bin", u.UploadID), MaxParts: 1000})
		return err
	})
	if len(parts.Parts) != 2 || parts.Upload.Owner != owner {
		t.Errorf("parts %+v of upload %+v, want 2 of the owner's", parts.Parts, parts.Upload)
	}
	var done ops.CompleteResult
	step("complete", "CompleteMultipartUpload", job, 200, nil, func(c kura.Call) (err error) {
		done, err = e.ops.CompleteMultipartUpload(ctx, c, ops.CompleteInput{UploadTarget: up(bucket, "big.bin", u.UploadID), ObjectSize: -1,
			Parts: []object.CompletePart{{Number: 1, ETag: p1.ETag, Checksums: map[checksum.Algorithm]string{checksum.CRC32: p1.Checksum}},
				{Number: 2, ETag: p2.ETag, Checksums: map[checksum.Algorithm]string{checksum.CRC32: p2.Checksum}}}})
		return err
	})
	if ev := e.lastEvent("CompleteMultipartUpload"); ev.ResponseElements["x-amz-version-id"] != done.VersionID || done.VersionID == "" {
		t.Errorf("responseElements = %v, want the new version %s", ev.ResponseElements, done.VersionID)
	}
	res, err := e.ops.GetObject(ctx, call(job, "read-big"), ops.ReadInput{Target: ops.Target{Bucket: bucket, Key: "big.bin"}})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(data) != part1+"dat" || len(res.Version.Tags) != 1 {
		t.Errorf("completed object of %d bytes, tags %v, want part 1 and \"dat\" with the upload's tags", len(data), res.Version.Tags)
	}

	// dave may write photos but read only photos/public/*.
	var du ops.CreateUploadResult
	step("IAM user creates", "CreateMultipartUpload", dave, 200, nil, func(c kura.Call) (err error) {
		du, err = e.ops.CreateMultipartUpload(ctx, c, ops.CreateUploadInput{Target: ops.Target{Bucket: bucket, Key: "dave.bin"}})
		return err
	})
	step("copied part denied on the source", "UploadPartCopy", dave, 403, s3err.AccessDenied, func(c kura.Call) error {
		_, err := e.ops.UploadPartCopy(ctx, c, ops.PartCopyInput{UploadTarget: up(bucket, "dave.bin", du.UploadID), PartNumber: 1,
			Source: ops.CopySource{Bucket: bucket, Key: "secret.jpg"}})
		return err
	})
	step("abort by another account", "AbortMultipartUpload", bob, 403, s3err.AccessDenied, func(c kura.Call) error {
		return e.ops.AbortMultipartUpload(ctx, c, ops.AbortInput{UploadTarget: up(bucket, "dave.bin", du.UploadID)})
	})
	step("abort", "AbortMultipartUpload", job, 204, nil, func(c kura.Call) error {
		return e.ops.AbortMultipartUpload(ctx, c, ops.AbortInput{UploadTarget: up(bucket, "dave.bin", du.UploadID)})
	})
	step("parts of an aborted upload", "ListParts", job, 404, s3err.NoSuchUpload, func(c kura.Call) error {
		_, err := e.ops.ListParts(ctx, c, ops.ListPartsInput{UploadTarget: up(bucket, "dave.bin", du.UploadID), MaxParts: 1000})
		return err
	})

	// A bucket policy that requires SSE-S3 on every PutObject: the
	// upload asks for it once; its parts and its completion carry none
	// and are decided with the upload's.
	var eu ops.CreateUploadResult
	step("create without the required encryption", "CreateMultipartUpload", job, 403, s3err.AccessDenied, func(c kura.Call) error {
		_, err := e.ops.CreateMultipartUpload(ctx, c, ops.CreateUploadInput{Target: ops.Target{Bucket: "enc", Key: "e.bin"}})
		return err
	})
	step("create with SSE-S3", "CreateMultipartUpload", job, 200, nil, func(c kura.Call) (err error) {
		eu, err = e.ops.CreateMultipartUpload(ctx, c, ops.CreateUploadInput{Target: ops.Target{Bucket: "enc", Key: "e.bin"},
			SSE: object.SSERequest{Type: kura.SSES3}})
		return err
	})
	var ep ops.PartResult
	step("part of the encrypted upload", "UploadPart", job, 200, nil, func(c kura.Call) (err error) {
		ep, err = e.ops.UploadPart(ctx, c, ops.PartInput{UploadTarget: up("enc", "e.bin", eu.UploadID), PartNumber: 1,
			Body: strings.NewReader("x"), Size: 1})
		return err
	})
	step("complete the encrypted upload", "CompleteMultipartUpload", job, 200, nil, func(c kura.Call) error {
		_, err := e.ops.CompleteMultipartUpload(ctx, c, ops.CompleteInput{UploadTarget: up("enc", "e.bin", eu.UploadID), ObjectSize: -1,
			Parts: []object.CompletePart{{Number: 1, ETag: ep.ETag}}})
		return err
	})
}
