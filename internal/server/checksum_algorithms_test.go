package server_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"
)

// helloWorld is the input of the AWS common runtime's xxHash test vectors
// (aws-c-checksums tests/xxhash_test.c); the expected values below are
// theirs, base64-encoded, so these tests compare Kura against what the SDKs
// compute, not against Kura's own code.
const helloWorld = "Hello world"

// newAlgorithms are the algorithms S3 added in 2026, with the value of each
// for helloWorld.
var newAlgorithms = []struct {
	alg   types.ChecksumAlgorithm
	hello string
}{
	{types.ChecksumAlgorithmSha512, b64(sha512Sum([]byte(helloWorld)))},
	{types.ChecksumAlgorithmMd5, b64(md5Sum([]byte(helloWorld)))},
	{types.ChecksumAlgorithmXxhash64, "xQCwyRKzdtg="},
	{types.ChecksumAlgorithmXxhash3, "tqy52Eo4/3Q="},
	{types.ChecksumAlgorithmXxhash128, "c1H4mBL5c4K5HQWzHgTdfw=="},
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sha512Sum(b []byte) []byte { s := sha512.Sum512(b); return s[:] }

func md5Sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

// rawDigest computes a part digest the way an SDK would, with the
// libraries' own big-endian Sum.
func rawDigest(alg types.ChecksumAlgorithm, b []byte) []byte {
	switch alg {
	case types.ChecksumAlgorithmSha512:
		return sha512Sum(b)
	case types.ChecksumAlgorithmMd5:
		return md5Sum(b)
	case types.ChecksumAlgorithmXxhash64:
		return binary.BigEndian.AppendUint64(nil, xxhash.Sum64(b))
	case types.ChecksumAlgorithmXxhash3:
		return binary.BigEndian.AppendUint64(nil, xxh3.Hash(b))
	case types.ChecksumAlgorithmXxhash128:
		d := xxh3.Hash128(b).Bytes()
		return d[:]
	}
	panic("no digest for " + alg)
}

// withChecksum sets the Checksum<ALG> member of a PutObject, UploadPart or
// CompletedPart-like input through the ten setters the model has.
type checksumSetter interface {
	set(types.ChecksumAlgorithm, string)
}

type putChecksum struct{ in *s3.PutObjectInput }

func (p putChecksum) set(a types.ChecksumAlgorithm, v string) {
	switch a {
	case types.ChecksumAlgorithmSha512:
		p.in.ChecksumSHA512 = &v
	case types.ChecksumAlgorithmMd5:
		p.in.ChecksumMD5 = &v
	case types.ChecksumAlgorithmXxhash64:
		p.in.ChecksumXXHASH64 = &v
	case types.ChecksumAlgorithmXxhash3:
		p.in.ChecksumXXHASH3 = &v
	case types.ChecksumAlgorithmXxhash128:
		p.in.ChecksumXXHASH128 = &v
	}
}

type partChecksum struct{ in *s3.UploadPartInput }

func (p partChecksum) set(a types.ChecksumAlgorithm, v string) {
	switch a {
	case types.ChecksumAlgorithmSha512:
		p.in.ChecksumSHA512 = &v
	case types.ChecksumAlgorithmMd5:
		p.in.ChecksumMD5 = &v
	case types.ChecksumAlgorithmXxhash64:
		p.in.ChecksumXXHASH64 = &v
	case types.ChecksumAlgorithmXxhash3:
		p.in.ChecksumXXHASH3 = &v
	case types.ChecksumAlgorithmXxhash128:
		p.in.ChecksumXXHASH128 = &v
	case types.ChecksumAlgorithmCrc32:
		p.in.ChecksumCRC32 = &v
	}
}

type completedChecksum struct{ p *types.CompletedPart }

func (c completedChecksum) set(a types.ChecksumAlgorithm, v string) {
	switch a {
	case types.ChecksumAlgorithmSha512:
		c.p.ChecksumSHA512 = &v
	case types.ChecksumAlgorithmMd5:
		c.p.ChecksumMD5 = &v
	case types.ChecksumAlgorithmXxhash64:
		c.p.ChecksumXXHASH64 = &v
	case types.ChecksumAlgorithmXxhash3:
		c.p.ChecksumXXHASH3 = &v
	case types.ChecksumAlgorithmXxhash128:
		c.p.ChecksumXXHASH128 = &v
	}
}

var _ = []checksumSetter{putChecksum{}, partChecksum{}, completedChecksum{}}

// newChecksum reads the new algorithms' members of a response that has them
// all (HeadObject, GetObject, Checksum, Part, CopyObjectResult ...).
func newChecksum(a types.ChecksumAlgorithm, sha512v, md5v, x64, x3, x128 *string) string {
	switch a {
	case types.ChecksumAlgorithmSha512:
		return aws.ToString(sha512v)
	case types.ChecksumAlgorithmMd5:
		return aws.ToString(md5v)
	case types.ChecksumAlgorithmXxhash64:
		return aws.ToString(x64)
	case types.ChecksumAlgorithmXxhash3:
		return aws.ToString(x3)
	case types.ChecksumAlgorithmXxhash128:
		return aws.ToString(x128)
	}
	return ""
}

// whenRequired makes the SDK send only the checksums a test sets, not its
// default CRC32.
func whenRequired(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
}

// TestNewChecksumAlgorithmsPut: PutObject with each new algorithm's header
// is verified, stored, and answered on HEAD, GET, GetObjectAttributes and in
// every listing; a wrong value is BadDigest and stores nothing.
func TestNewChecksumAlgorithmsPut(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "algs")
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("algs"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range newAlgorithms {
		t.Run(string(tc.alg), func(t *testing.T) {
			key := "hello-" + string(tc.alg)
			in := &s3.PutObjectInput{Bucket: aws.String("algs"), Key: aws.String(key), Body: strings.NewReader(helloWorld),
				ChecksumAlgorithm: tc.alg}
			putChecksum{in}.set(tc.alg, tc.hello)
			put, err := c.PutObject(ctx(t), in)
			if err != nil {
				t.Fatal(err)
			}
			if got := newChecksum(tc.alg, put.ChecksumSHA512, put.ChecksumMD5, put.ChecksumXXHASH64, put.ChecksumXXHASH3, put.ChecksumXXHASH128); got != tc.hello || put.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("PutObject answered %q %q, want %q FULL_OBJECT", got, put.ChecksumType, tc.hello)
			}
			head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("algs"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if got := newChecksum(tc.alg, head.ChecksumSHA512, head.ChecksumMD5, head.ChecksumXXHASH64, head.ChecksumXXHASH3, head.ChecksumXXHASH128); got != tc.hello || head.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("HeadObject answered %q %q, want %q FULL_OBJECT", got, head.ChecksumType, tc.hello)
			}
			get, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("algs"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(get.Body)
			get.Body.Close()
			if got := newChecksum(tc.alg, get.ChecksumSHA512, get.ChecksumMD5, get.ChecksumXXHASH64, get.ChecksumXXHASH3, get.ChecksumXXHASH128); got != tc.hello || string(body) != helloWorld {
				t.Errorf("GetObject answered %q, body %q", got, body)
			}
			attrs, err := c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: aws.String("algs"), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum}})
			if err != nil || attrs.Checksum == nil {
				t.Fatalf("GetObjectAttributes: %+v, %v", attrs, err)
			}
			ck := attrs.Checksum
			if got := newChecksum(tc.alg, ck.ChecksumSHA512, ck.ChecksumMD5, ck.ChecksumXXHASH64, ck.ChecksumXXHASH3, ck.ChecksumXXHASH128); got != tc.hello || ck.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("GetObjectAttributes answered %q %q", got, ck.ChecksumType)
			}
			list, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("algs"), Prefix: aws.String(key)})
			if err != nil || len(list.Contents) != 1 {
				t.Fatalf("ListObjectsV2: %+v, %v", list, err)
			}
			if a := list.Contents[0].ChecksumAlgorithm; len(a) != 1 || a[0] != tc.alg {
				t.Errorf("ListObjectsV2 ChecksumAlgorithm = %v", a)
			}
			vers, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String("algs"), Prefix: aws.String(key)})
			if err != nil || len(vers.Versions) != 1 {
				t.Fatalf("ListObjectVersions: %+v, %v", vers, err)
			}
			if a := vers.Versions[0].ChecksumAlgorithm; len(a) != 1 || a[0] != tc.alg {
				t.Errorf("ListObjectVersions ChecksumAlgorithm = %v", a)
			}

			bad := &s3.PutObjectInput{Bucket: aws.String("algs"), Key: aws.String("bad-" + key), Body: strings.NewReader(helloWorld + "!")}
			putChecksum{bad}.set(tc.alg, tc.hello)
			_, err = c.PutObject(ctx(t), bad)
			wantCode(t, err, "BadDigest")
			if want := "The " + strings.ToLower(string(tc.alg)) + " you specified did not match the calculated checksum."; errMessage(err) != want {
				t.Errorf("BadDigest message %q, want %q", errMessage(err), want)
			}
			if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("algs"), Key: aws.String("bad-" + key)}); apiCode(err) != "NotFound" {
				t.Errorf("a refused PUT left an object: %v", err)
			}
		})
	}
}

// TestSHA512ComputedBySDK: the SDK computes SHA512 itself when asked for
// the algorithm alone (the only new algorithm aws-sdk-go-v2 implements; it
// sends a header over plain HTTP), and Kura agrees. Trailers are
// TestChecksumTrailerNewAlgorithms'.
func TestSHA512ComputedBySDK(t *testing.T) {
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "sdk512")
	body := bytes.Repeat([]byte("sha512 "), 20000)
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("sdk512"), Key: aws.String("k"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha512})
	if err != nil {
		t.Fatal(err)
	}
	if want := b64(sha512Sum(body)); aws.ToString(put.ChecksumSHA512) != want {
		t.Errorf("ChecksumSHA512 = %q, want %q", aws.ToString(put.ChecksumSHA512), want)
	}
}

// TestNewChecksumAlgorithmsMultipart: a COMPOSITE upload in each new
// algorithm, parts checked and echoed, the object's checksum the hash of
// the parts' digests with "-N", on Complete, HEAD, ListParts and
// GetObjectAttributes; part copies get the upload's algorithm too.
func TestNewChecksumAlgorithmsMultipart(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "mpalgs")
	part1 := bytes.Repeat([]byte("1234567"), 5<<20/7+1) // over 5 MiB
	src := bytes.Repeat([]byte("source!"), 5<<20/7+1)   // copied as part 2
	part3 := []byte("the last part")
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("mpalgs"), Key: aws.String("src"), Body: bytes.NewReader(src)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range newAlgorithms {
		t.Run(string(tc.alg), func(t *testing.T) {
			key := "mp-" + string(tc.alg)
			cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("mpalgs"), Key: aws.String(key), ChecksumAlgorithm: tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			if cr.ChecksumAlgorithm != tc.alg || cr.ChecksumType != types.ChecksumTypeComposite {
				t.Fatalf("CreateMultipartUpload answered %q %q, want %s COMPOSITE", cr.ChecksumAlgorithm, cr.ChecksumType, tc.alg)
			}
			var parts []types.CompletedPart
			var digests []byte
			upload := func(n int32, data []byte) {
				d := rawDigest(tc.alg, data)
				digests = append(digests, d...)
				in := &s3.UploadPartInput{Bucket: aws.String("mpalgs"), Key: aws.String(key), UploadId: cr.UploadId,
					PartNumber: aws.Int32(n), Body: bytes.NewReader(data)}
				partChecksum{in}.set(tc.alg, b64(d))
				up, err := c.UploadPart(ctx(t), in)
				if err != nil {
					t.Fatalf("part %d: %v", n, err)
				}
				if got := newChecksum(tc.alg, up.ChecksumSHA512, up.ChecksumMD5, up.ChecksumXXHASH64, up.ChecksumXXHASH3, up.ChecksumXXHASH128); got != b64(d) {
					t.Errorf("UploadPart %d answered %q, want %q", n, got, b64(d))
				}
				cp := types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag}
				completedChecksum{&cp}.set(tc.alg, b64(d))
				parts = append(parts, cp)
			}
			upload(1, part1)
			upc, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: aws.String("mpalgs"), Key: aws.String(key), UploadId: cr.UploadId,
				PartNumber: aws.Int32(2), CopySource: aws.String("mpalgs/src")})
			if err != nil {
				t.Fatal(err)
			}
			r := upc.CopyPartResult
			d2 := rawDigest(tc.alg, src)
			if got := newChecksum(tc.alg, r.ChecksumSHA512, r.ChecksumMD5, r.ChecksumXXHASH64, r.ChecksumXXHASH3, r.ChecksumXXHASH128); got != b64(d2) {
				t.Errorf("UploadPartCopy answered %q, want %q", got, b64(d2))
			}
			digests = append(digests, d2...)
			cp := types.CompletedPart{PartNumber: aws.Int32(2), ETag: r.ETag}
			completedChecksum{&cp}.set(tc.alg, b64(d2))
			parts = append(parts, cp)
			upload(3, part3)

			lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String("mpalgs"), Key: aws.String(key), UploadId: cr.UploadId})
			if err != nil || len(lp.Parts) != 3 || lp.ChecksumAlgorithm != tc.alg || lp.ChecksumType != types.ChecksumTypeComposite {
				t.Fatalf("ListParts: %+v, %v", lp, err)
			}
			if p := lp.Parts[2]; newChecksum(tc.alg, p.ChecksumSHA512, p.ChecksumMD5, p.ChecksumXXHASH64, p.ChecksumXXHASH3, p.ChecksumXXHASH128) != b64(rawDigest(tc.alg, part3)) {
				t.Errorf("ListParts part 3 = %+v", p)
			}

			want := b64(rawDigest(tc.alg, digests)) + "-3"
			done, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpalgs"), Key: aws.String(key), UploadId: cr.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			if err != nil {
				t.Fatal(err)
			}
			if got := newChecksum(tc.alg, done.ChecksumSHA512, done.ChecksumMD5, done.ChecksumXXHASH64, done.ChecksumXXHASH3, done.ChecksumXXHASH128); got != want || done.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("Complete answered %q %q, want %q COMPOSITE", got, done.ChecksumType, want)
			}
			head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("mpalgs"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if got := newChecksum(tc.alg, head.ChecksumSHA512, head.ChecksumMD5, head.ChecksumXXHASH64, head.ChecksumXXHASH3, head.ChecksumXXHASH128); got != want {
				t.Errorf("HeadObject answered %q, want %q", got, want)
			}
			attrs, err := c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: aws.String("mpalgs"), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesChecksum}})
			if err != nil || attrs.ObjectParts == nil || len(attrs.ObjectParts.Parts) != 3 {
				t.Fatalf("GetObjectAttributes: %+v, %v", attrs, err)
			}
			if p := attrs.ObjectParts.Parts[1]; newChecksum(tc.alg, p.ChecksumSHA512, p.ChecksumMD5, p.ChecksumXXHASH64, p.ChecksumXXHASH3, p.ChecksumXXHASH128) != b64(d2) {
				t.Errorf("GetObjectAttributes part 2 = %+v", p)
			}
		})
	}
}

// TestChecksumTypeCombinations: CreateMultipartUpload refuses FULL_OBJECT
// for every algorithm that is not a CRC (and COMPOSITE for CRC64NVME) in
// S3's words, and takes the type in any case.
func TestChecksumTypeCombinations(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "types")
	cases := []struct {
		alg      types.ChecksumAlgorithm
		typ      types.ChecksumType
		wantType types.ChecksumType // "" when refused
	}{
		{types.ChecksumAlgorithmSha512, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmMd5, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmXxhash64, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmXxhash3, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmXxhash128, types.ChecksumTypeFullObject, ""},
		{types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeComposite, ""},
		{types.ChecksumAlgorithmXxhash128, types.ChecksumTypeComposite, types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmXxhash64, "composite", types.ChecksumTypeComposite},
		{types.ChecksumAlgorithmCrc32c, "Full_Object", types.ChecksumTypeFullObject},
		{"xxhash3", "", types.ChecksumTypeComposite},
	}
	for _, tc := range cases {
		t.Run(string(tc.alg)+"/"+string(tc.typ), func(t *testing.T) {
			out, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("types"), Key: aws.String("k"),
				ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
			if tc.wantType == "" {
				wantCode(t, err, "InvalidRequest")
				want := "The " + strings.ToLower(string(tc.typ)) + " checksum type cannot be used with the " + strings.ToLower(string(tc.alg)) + " checksum algorithm."
				if errMessage(err) != want {
					t.Errorf("message %q, want %q", errMessage(err), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.ChecksumType != tc.wantType || !strings.EqualFold(string(out.ChecksumAlgorithm), string(tc.alg)) {
				t.Errorf("answered %q %q, want %q", out.ChecksumAlgorithm, out.ChecksumType, tc.wantType)
			}
		})
	}
	_, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("types"), Key: aws.String("k"), ChecksumAlgorithm: "SHA384"})
	wantCode(t, err, "InvalidRequest")
	if want := "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]"; errMessage(err) != want {
		t.Errorf("message %q", errMessage(err))
	}
}

// TestCopyObjectNewAlgorithm: CopyObject's x-amz-checksum-algorithm may name
// a new algorithm; the copy is re-hashed with it.
func TestCopyObjectNewAlgorithm(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "copies")
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("copies"), Key: aws.String("src"), Body: strings.NewReader(helloWorld)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range newAlgorithms {
		out, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("copies"), Key: aws.String("dst-" + string(tc.alg)),
			CopySource: aws.String("copies/src"), ChecksumAlgorithm: tc.alg})
		if err != nil {
			t.Fatal(err)
		}
		r := out.CopyObjectResult
		if got := newChecksum(tc.alg, r.ChecksumSHA512, r.ChecksumMD5, r.ChecksumXXHASH64, r.ChecksumXXHASH3, r.ChecksumXXHASH128); got != tc.hello || r.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: CopyObjectResult %q %q, want %q", tc.alg, got, r.ChecksumType, tc.hello)
		}
	}
}

// TestChecksumTrailerNewAlgorithms: an aws-chunked body with an unsigned
// trailer in a new algorithm is verified against the trailer.
func TestChecksumTrailerNewAlgorithms(t *testing.T) {
	ts := start(t)
	c := ts.client(whenRequired)
	mustBucket(t, c, "trail")
	for _, tc := range newAlgorithms {
		for _, good := range []bool{true, false} {
			value := tc.hello
			if !good {
				value = b64(rawDigest(tc.alg, []byte("something else")))
			}
			body := "b\r\n" + helloWorld + "\r\n0\r\nx-amz-checksum-" + strings.ToLower(string(tc.alg)) + ":" + value + "\r\n\r\n"
			status, resp := trailerPut(t, ts, "/trail/"+string(tc.alg), body, len(helloWorld), "x-amz-checksum-"+strings.ToLower(string(tc.alg)))
			if good && status != http.StatusOK {
				t.Errorf("%s: good trailer answered %d %s", tc.alg, status, resp)
			}
			if !good && (status != http.StatusBadRequest || xmlElem(resp, "Code") != "BadDigest") {
				t.Errorf("%s: bad trailer answered %d %s", tc.alg, status, resp)
			}
		}
	}
}

// trailerPut sends a STREAMING-UNSIGNED-PAYLOAD-TRAILER PutObject.
func trailerPut(t *testing.T, ts *testServer, path, body string, decoded int, trailer string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, ts.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("x-amz-decoded-content-length", itoa(decoded))
	req.Header.Set("x-amz-trailer", trailer)
	return sendStreaming(t, req, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
}

// TestPostObjectNewChecksums: a browser POST form's x-amz-checksum-<alg>
// field in a new algorithm is verified like the PUT header.
func TestPostObjectNewChecksums(t *testing.T) {
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "postsums")
	now := time.Now()
	for _, tc := range newAlgorithms {
		for _, good := range []bool{true, false} {
			value := tc.hello
			if !good {
				value = b64(rawDigest(tc.alg, []byte("not the file")))
			}
			key := fmt.Sprintf("%s-%v", tc.alg, good)
			obj := []formField{{"key", key}, {"x-amz-checksum-" + strings.ToLower(string(tc.alg)), value}}
			resp := postForm{fields: formOf(obj, signV4(testAK, testSK, now, now.Add(time.Hour), conditionsFor("postsums", obj)...)),
				filename: "f", file: strings.NewReader(helloWorld)}.send(t, ts, "postsums")
			if !good {
				wantPostError(t, resp, http.StatusBadRequest, "BadDigest", "")
				continue
			}
			if resp.StatusCode != http.StatusNoContent {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("%s: %d %s", tc.alg, resp.StatusCode, b)
			}
			head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("postsums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if got := newChecksum(tc.alg, head.ChecksumSHA512, head.ChecksumMD5, head.ChecksumXXHASH64, head.ChecksumXXHASH3, head.ChecksumXXHASH128); got != tc.hello {
				t.Errorf("%s: stored %q, want %q", tc.alg, got, tc.hello)
			}
		}
	}
}
