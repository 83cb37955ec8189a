package server_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/server"
)

// testClock is the object service's clock in archive tests: real time plus
// an offset the test moves forward, so a restore can complete or expire
// without waiting. Request signing keeps real time.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// startArchive runs a server whose restores take delay on a test clock.
func startArchive(t *testing.T, delay time.Duration) (*testServer, *testClock) {
	t.Helper()
	clk := &testClock{}
	ts := startWith(t, t.TempDir(), func(c *server.Config) {
		c.RestoreDelay = delay
		c.Now = clk.now
	})
	return ts, clk
}

// restoreObject sends RestoreObject and returns the HTTP status of its answer.
func restoreObject(t *testing.T, c *s3.Client, bucket, key, versionID string, days int32, tier types.Tier) (int, error) {
	t.Helper()
	rr := &types.RestoreRequest{}
	if days != 0 {
		rr.Days = aws.Int32(days)
	}
	if tier != "" {
		rr.GlacierJobParameters = &types.GlacierJobParameters{Tier: tier}
	}
	in := &s3.RestoreObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), RestoreRequest: rr}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := c.RestoreObject(ctx(t), in)
	if err != nil {
		return httpStatus(err), err
	}
	resp, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	if !ok {
		t.Fatal("no raw response in RestoreObject's result")
	}
	return resp.StatusCode, nil
}

// wantRestore asserts a RestoreObject answer.
func wantRestore(t *testing.T, status int, err error, want int) {
	t.Helper()
	if err != nil || status != want {
		t.Fatalf("RestoreObject = %d, %v; want %d", status, err, want)
	}
}

// wantArchived asserts that err is GetObject's 403 InvalidObjectState
// naming class.
func wantArchived(t *testing.T, err error, class types.StorageClass) {
	t.Helper()
	var ios *types.InvalidObjectState
	if !errors.As(err, &ios) || httpStatus(err) != http.StatusForbidden {
		t.Fatalf("want 403 InvalidObjectState, got %v", err)
	}
	if ios.StorageClass != class || ios.ErrorMessage() != "The operation is not valid for the object's storage class" {
		t.Fatalf("InvalidObjectState = class %q, message %q; want class %s", ios.StorageClass, ios.ErrorMessage(), class)
	}
}

// signedDo sends a request signed by hand, for bodies and headers the SDK
// would not send, and returns the status and body.
func signedDo(t *testing.T, ts *testServer, method, path string, hdr map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	h := sha256hex(body)
	req.Header.Set("x-amz-content-sha256", h)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, h, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// xmlElem returns the text of the first <name> element of an XML body.
func xmlElem(body, name string) string {
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var v string
			if d.DecodeElement(&v, &se) != nil {
				return ""
			}
			return v
		}
	}
}

func putClass(t *testing.T, c *s3.Client, bucket, key string, data []byte, class types.StorageClass) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data), StorageClass: class})
	if err != nil {
		t.Fatalf("put %s/%s (%s): %v", bucket, key, class, err)
	}
	return out
}

func TestStorageClassesOnTheWire(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "classes")
	put(t, c, "classes", "plain", []byte("plain"))
	for _, class := range []types.StorageClass{
		types.StorageClassStandard, types.StorageClassReducedRedundancy, types.StorageClassStandardIa,
		types.StorageClassOnezoneIa, types.StorageClassIntelligentTiering, types.StorageClassGlacierIr,
		types.StorageClassGlacier, types.StorageClassDeepArchive,
	} {
		t.Run(string(class), func(t *testing.T) {
			key := string(class) + "/obj"
			putClass(t, c, "classes", key, []byte("data of "+key), class)
			wantHead := class
			if class == types.StorageClassStandard {
				wantHead = "" // S3 leaves the header out for STANDARD
			}
			h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("classes"), Key: aws.String(key)})
			if err != nil || h.StorageClass != wantHead {
				t.Fatalf("HEAD storage class = %q, %v; want %q", h.StorageClass, err, wantHead)
			}
			lo, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("classes"), Prefix: aws.String(key)})
			if err != nil || len(lo.Contents) != 1 || string(lo.Contents[0].StorageClass) != string(class) {
				t.Fatalf("ListObjectsV2 = %+v, %v", lo, err)
			}
			lv, err := c.ListObjectVersions(cx, &s3.ListObjectVersionsInput{Bucket: aws.String("classes"), Prefix: aws.String(key)})
			if err != nil || len(lv.Versions) != 1 || string(lv.Versions[0].StorageClass) != string(class) {
				t.Fatalf("ListObjectVersions = %+v, %v", lv, err)
			}
			at, err := c.GetObjectAttributes(cx, &s3.GetObjectAttributesInput{Bucket: aws.String("classes"), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesStorageClass}})
			if err != nil || at.StorageClass != class {
				t.Fatalf("GetObjectAttributes = %+v, %v", at, err)
			}

			mkey := string(class) + "/mpu"
			cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("classes"), Key: aws.String(mkey), StorageClass: class})
			if err != nil {
				t.Fatal(err)
			}
			lp, err := c.ListParts(cx, &s3.ListPartsInput{Bucket: aws.String("classes"), Key: aws.String(mkey), UploadId: cr.UploadId})
			if err != nil || lp.StorageClass != class {
				t.Fatalf("ListParts storage class = %q, %v", lp.StorageClass, err)
			}
			lu, err := c.ListMultipartUploads(cx, &s3.ListMultipartUploadsInput{Bucket: aws.String("classes"), Prefix: aws.String(mkey)})
			if err != nil || len(lu.Uploads) != 1 || lu.Uploads[0].StorageClass != class {
				t.Fatalf("ListMultipartUploads = %+v, %v", lu, err)
			}
			if _, err := c.AbortMultipartUpload(cx, &s3.AbortMultipartUploadInput{Bucket: aws.String("classes"), Key: aws.String(mkey), UploadId: cr.UploadId}); err != nil {
				t.Fatal(err)
			}

			ckey := "copy-" + string(class)
			if _, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("classes"), Key: aws.String(ckey),
				CopySource: aws.String("classes/plain"), StorageClass: class}); err != nil {
				t.Fatal(err)
			}
			h, err = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("classes"), Key: aws.String(ckey)})
			if err != nil || h.StorageClass != wantHead {
				t.Fatalf("HEAD of a copy to %s: storage class %q, %v", class, h.StorageClass, err)
			}
		})
	}

	// A copy without x-amz-storage-class is STANDARD, whatever the source.
	putClass(t, c, "classes", "ia", []byte("ia"), types.StorageClassStandardIa)
	if _, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("classes"), Key: aws.String("ia-copy"), CopySource: aws.String("classes/ia")}); err != nil {
		t.Fatal(err)
	}
	if h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("classes"), Key: aws.String("ia-copy")}); err != nil || h.StorageClass != "" {
		t.Fatalf("copy without a storage class: %q, %v; want STANDARD", h.StorageClass, err)
	}
	// An in-place copy that only changes the class is a legal change.
	if _, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("classes"), Key: aws.String("ia"), CopySource: aws.String("classes/ia"),
		StorageClass: types.StorageClassOnezoneIa}); err != nil {
		t.Fatal(err)
	}
	if h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("classes"), Key: aws.String("ia")}); err != nil || h.StorageClass != types.StorageClassOnezoneIa {
		t.Fatalf("in-place class change: %q, %v", h.StorageClass, err)
	}

	// Unknown classes, and classes general purpose buckets do not have.
	for _, class := range []types.StorageClass{"FROZEN", types.StorageClassOutposts, types.StorageClassSnow,
		types.StorageClassExpressOnezone, types.StorageClassFsxOpenzfs, types.StorageClassFsxOntap} {
		_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("classes"), Key: aws.String("bad"), Body: strings.NewReader("x"), StorageClass: class})
		wantErr(t, err, http.StatusBadRequest, "InvalidStorageClass", "")
		_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("classes"), Key: aws.String("bad"), CopySource: aws.String("classes/plain"), StorageClass: class})
		wantErr(t, err, http.StatusBadRequest, "InvalidStorageClass", "")
		_, err = c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("classes"), Key: aws.String("bad"), StorageClass: class})
		wantErr(t, err, http.StatusBadRequest, "InvalidStorageClass", "")
	}
	if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("classes"), Key: aws.String("bad")}); apiCode(err) != "NotFound" {
		t.Fatalf("a refused write left an object behind: %v", err)
	}
}

func TestArchiveRestoreLifecycle(t *testing.T) {
	t.Parallel()
	const delay = time.Hour
	ts, clk := startArchive(t, delay)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "cold")
	put(t, c, "cold", "hot", []byte("hot"))
	for _, class := range []types.StorageClass{types.StorageClassGlacier, types.StorageClassDeepArchive} {
		t.Run(string(class), func(t *testing.T) {
			key := "obj-" + string(class)
			data := randBytes(300_000)
			putClass(t, c, "cold", key, data, class)
			getIn := &s3.GetObjectInput{Bucket: aws.String("cold"), Key: aws.String(key)}
			head := func() *s3.HeadObjectOutput {
				t.Helper()
				h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("cold"), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("HEAD of an archived object: %v", err)
				}
				if h.StorageClass != class || aws.ToInt64(h.ContentLength) != int64(len(data)) {
					t.Fatalf("HEAD = class %q, length %d", h.StorageClass, aws.ToInt64(h.ContentLength))
				}
				return h
			}
			copyIn := &s3.CopyObjectInput{Bucket: aws.String("cold"), Key: aws.String(key + "-copy"), CopySource: aws.String("cold/" + key)}
			partCopy := func() error {
				t.Helper()
				cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("cold"), Key: aws.String(key + "-mpu")})
				if err != nil {
					t.Fatal(err)
				}
				defer c.AbortMultipartUpload(cx, &s3.AbortMultipartUploadInput{Bucket: aws.String("cold"), Key: aws.String(key + "-mpu"), UploadId: cr.UploadId})
				_, err = c.UploadPartCopy(cx, &s3.UploadPartCopyInput{Bucket: aws.String("cold"), Key: aws.String(key + "-mpu"), UploadId: cr.UploadId,
					PartNumber: aws.Int32(1), CopySource: aws.String("cold/" + key)})
				return err
			}

			// Archived: metadata yes, data no.
			_, err := c.GetObject(cx, getIn)
			wantArchived(t, err, class)
			_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("cold"), Key: aws.String(key), Range: aws.String("bytes=0-9")})
			wantArchived(t, err, class)
			if h := head(); h.Restore != nil {
				t.Fatalf("x-amz-restore before any restore: %q", aws.ToString(h.Restore))
			}
			at, err := c.GetObjectAttributes(cx, &s3.GetObjectAttributesInput{Bucket: aws.String("cold"), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize, types.ObjectAttributesEtag}})
			if err != nil || at.StorageClass != class || aws.ToInt64(at.ObjectSize) != int64(len(data)) || aws.ToString(at.ETag) != md5hex(data) {
				t.Fatalf("GetObjectAttributes of an archived object = %+v, %v", at, err)
			}
			_, err = c.CopyObject(cx, copyIn)
			wantErr(t, err, http.StatusForbidden, "InvalidObjectState", "")
			status, body := signedDo(t, ts, http.MethodPut, "/cold/"+key+"-copy", map[string]string{"x-amz-copy-source": "/cold/" + key}, nil)
			if status != http.StatusForbidden || xmlElem(body, "Code") != "InvalidObjectState" || xmlElem(body, "StorageClass") != string(class) {
				t.Fatalf("raw copy of an archived source = %d %s", status, body)
			}
			wantErr(t, partCopy(), http.StatusForbidden, "InvalidObjectState", "")
			if class == types.StorageClassDeepArchive {
				_, err := restoreObject(t, c, "cold", key, "", 1, types.TierExpedited)
				wantErr(t, err, http.StatusBadRequest, "InvalidArgument", "")
			}

			// Restore: accepted, then in progress.
			s, err := restoreObject(t, c, "cold", key, "", 2, "")
			wantRestore(t, s, err, http.StatusAccepted)
			_, err = restoreObject(t, c, "cold", key, "", 2, types.TierBulk)
			wantErr(t, err, http.StatusConflict, "RestoreAlreadyInProgress", "")
			if h := head(); aws.ToString(h.Restore) != `ongoing-request="true"` {
				t.Fatalf("x-amz-restore while restoring = %q", aws.ToString(h.Restore))
			}
			_, err = c.GetObject(cx, getIn)
			wantArchived(t, err, class)
			_, err = c.CopyObject(cx, copyIn)
			wantCode(t, err, "InvalidObjectState")

			// Done: the data reads back, and the header says until when.
			clk.advance(delay + time.Second)
			ready := clk.now()
			if got := get(t, c, "cold", key); !bytes.Equal(got, data) {
				t.Fatal("restored object has different bytes")
			}
			out, err := c.GetObject(cx, getIn)
			if err != nil {
				t.Fatal(err)
			}
			out.Body.Close()
			expiry := wantRestored(t, aws.ToString(out.Restore))
			if h := head(); aws.ToString(h.Restore) != aws.ToString(out.Restore) {
				t.Fatalf("HEAD x-amz-restore %q, GET %q", aws.ToString(h.Restore), aws.ToString(out.Restore))
			}
			// Day granularity: two days after completion, rounded up to midnight UTC.
			if lo, hi := ready.Add(48*time.Hour), ready.Add(72*time.Hour); expiry.Before(lo) || !expiry.Before(hi) {
				t.Fatalf("expiry %v not in [%v, %v)", expiry, lo, hi)
			}
			if got := get(t, c, "cold", key, func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=100-199") }); !bytes.Equal(got, data[100:200]) {
				t.Fatal("ranged GET of the restored object")
			}

			// A restored source copies; the copy is STANDARD unless told.
			if _, err := c.CopyObject(cx, copyIn); err != nil {
				t.Fatalf("copy of a restored object: %v", err)
			}
			if h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("cold"), Key: copyIn.Key}); err != nil || h.StorageClass != "" || h.Restore != nil {
				t.Fatalf("copy of a restored object: HEAD %+v, %v", h, err)
			}
			if got := get(t, c, "cold", key+"-copy"); !bytes.Equal(got, data) {
				t.Fatal("copy of the restored object has different bytes")
			}
			if err := partCopy(); err != nil {
				t.Fatalf("UploadPartCopy from a restored object: %v", err)
			}
			if _, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("cold"), Key: aws.String(key + "-recold"),
				CopySource: aws.String("cold/" + key), StorageClass: class}); err != nil {
				t.Fatal(err)
			}
			_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("cold"), Key: aws.String(key + "-recold")})
			wantArchived(t, err, class) // a new archived object has no restore of its own

			// Restoring again extends the period from now: 200 OK.
			clk.advance(36 * time.Hour)
			s, err = restoreObject(t, c, "cold", key, "", 5, "")
			wantRestore(t, s, err, http.StatusOK)
			extended := wantRestored(t, aws.ToString(head().Restore))
			if !extended.After(expiry) || extended.Before(clk.now().Add(5*24*time.Hour)) {
				t.Fatalf("extended expiry %v (was %v, now %v)", extended, expiry, clk.now())
			}

			// Expired: archived again, and a new restore starts over.
			clk.advance(7 * 24 * time.Hour)
			_, err = c.GetObject(cx, getIn)
			wantArchived(t, err, class)
			if h := head(); h.Restore != nil {
				t.Fatalf("x-amz-restore after expiry: %q", aws.ToString(h.Restore))
			}
			s, err = restoreObject(t, c, "cold", key, "", 1, types.TierStandard)
			wantRestore(t, s, err, http.StatusAccepted)
			if h := head(); aws.ToString(h.Restore) != `ongoing-request="true"` {
				t.Fatalf("x-amz-restore of the second restore = %q", aws.ToString(h.Restore))
			}
		})
	}
	if got := get(t, c, "cold", "hot"); string(got) != "hot" {
		t.Fatal("STANDARD object next to archived ones")
	}
}

// wantRestored parses a completed restore's x-amz-restore and returns its
// expiry, which must fall on midnight UTC.
func wantRestored(t *testing.T, h string) time.Time {
	t.Helper()
	v, ok := strings.CutPrefix(h, `ongoing-request="false", expiry-date="`)
	if !ok || !strings.HasSuffix(v, `"`) {
		t.Fatalf("x-amz-restore of a restored object = %q", h)
	}
	exp, err := time.Parse(http.TimeFormat, strings.TrimSuffix(v, `"`))
	if err != nil {
		t.Fatalf("expiry-date in %q: %v", h, err)
	}
	if !exp.Equal(exp.Truncate(24 * time.Hour)) {
		t.Fatalf("expiry %v is not midnight UTC", exp)
	}
	return exp
}

func TestRestoreRefusals(t *testing.T) {
	t.Parallel()
	ts, _ := startArchive(t, time.Hour)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "restore-refusals")
	for _, class := range []types.StorageClass{types.StorageClassStandard, types.StorageClassStandardIa, types.StorageClassOnezoneIa,
		types.StorageClassReducedRedundancy, types.StorageClassGlacierIr} {
		putClass(t, c, "restore-refusals", "k-"+string(class), []byte("readable"), class)
		_, err := restoreObject(t, c, "restore-refusals", "k-"+string(class), "", 1, "")
		wantErr(t, err, http.StatusForbidden, "InvalidObjectState", "")
		status, body := signedDo(t, ts, http.MethodPost, "/restore-refusals/k-"+string(class)+"?restore", nil, []byte(`<RestoreRequest><Days>1</Days></RestoreRequest>`))
		if status != http.StatusForbidden || xmlElem(body, "StorageClass") != string(class) ||
			xmlElem(body, "Message") != "The operation is not valid for the object's storage class" {
			t.Fatalf("restore of a %s object = %d %s", class, status, body)
		}
		if got := get(t, c, "restore-refusals", "k-"+string(class)); string(got) != "readable" {
			t.Fatalf("%s object is not readable", class)
		}
	}
	// INTELLIGENT_TIERING objects never leave the active tier here.
	putClass(t, c, "restore-refusals", "it", []byte("tiered"), types.StorageClassIntelligentTiering)
	if got := get(t, c, "restore-refusals", "it"); string(got) != "tiered" {
		t.Fatal("INTELLIGENT_TIERING object is not readable")
	}
	_, err := restoreObject(t, c, "restore-refusals", "it", "", 0, "")
	wantErr(t, err, http.StatusForbidden, "ObjectAlreadyInActiveTierError", "")
	_, err = restoreObject(t, c, "restore-refusals", "it", "", 3, "")
	wantErr(t, err, http.StatusBadRequest, "InvalidArgument", "")

	putClass(t, c, "restore-refusals", "g", []byte("glacier"), types.StorageClassGlacier)
	_, err = restoreObject(t, c, "restore-refusals", "missing", "", 1, "")
	wantErr(t, err, http.StatusNotFound, "NoSuchKey", "")
	_, err = restoreObject(t, c, "no-such-bucket", "g", "", 1, "")
	wantErr(t, err, http.StatusNotFound, "NoSuchBucket", "")
	_, err = restoreObject(t, c, "restore-refusals", "g", "", 0, "") // Days left out
	wantErr(t, err, http.StatusBadRequest, "InvalidArgument", "")

	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"empty body", ``, "MalformedXML", http.StatusBadRequest},
		{"not XML", `days=1`, "MalformedXML", http.StatusBadRequest},
		{"wrong root", `<Restore><Days>1</Days></Restore>`, "MalformedXML", http.StatusBadRequest},
		{"days not a number", `<RestoreRequest><Days>one</Days></RestoreRequest>`, "MalformedXML", http.StatusBadRequest},
		{"days zero", `<RestoreRequest><Days>0</Days></RestoreRequest>`, "InvalidArgument", http.StatusBadRequest},
		{"days negative", `<RestoreRequest><Days>-2</Days></RestoreRequest>`, "InvalidArgument", http.StatusBadRequest},
		{"days too many", `<RestoreRequest><Days>99999</Days></RestoreRequest>`, "InvalidArgument", http.StatusBadRequest},
		{"unknown tier", `<RestoreRequest><Days>1</Days><GlacierJobParameters><Tier>Fast</Tier></GlacierJobParameters></RestoreRequest>`, "MalformedXML", http.StatusBadRequest},
		{"tier missing", `<RestoreRequest><Days>1</Days><GlacierJobParameters></GlacierJobParameters></RestoreRequest>`, "MalformedXML", http.StatusBadRequest},
		{"unknown type", `<RestoreRequest><Type>SCAN</Type><Days>1</Days></RestoreRequest>`, "MalformedXML", http.StatusBadRequest},
		{"select", `<RestoreRequest><Type>SELECT</Type><Tier>Standard</Tier><SelectParameters><ExpressionType>SQL</ExpressionType><Expression>select * from s3object</Expression></SelectParameters></RestoreRequest>`, "NotImplemented", http.StatusNotImplemented},
		{"output location", `<RestoreRequest><OutputLocation><S3><BucketName>restore-refusals</BucketName><Prefix>out/</Prefix></S3></OutputLocation></RestoreRequest>`, "NotImplemented", http.StatusNotImplemented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := signedDo(t, ts, http.MethodPost, "/restore-refusals/g?restore", nil, []byte(tc.body))
			if status != tc.status || xmlElem(body, "Code") != tc.code {
				t.Fatalf("= %d %s; want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
	// None of the refused requests started a restore.
	if h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("restore-refusals"), Key: aws.String("g")}); err != nil || h.Restore != nil {
		t.Fatalf("HEAD after refused restores = %+v, %v", h, err)
	}
	// The top-level Tier of the Select form is taken as the tier.
	status, body := signedDo(t, ts, http.MethodPost, "/restore-refusals/g?restore", nil, []byte(`<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>1</Days><Tier>Bulk</Tier></RestoreRequest>`))
	if status != http.StatusAccepted {
		t.Fatalf("restore with a top-level Tier = %d %s", status, body)
	}
	// ?restore names an operation: other methods must not fall through to
	// GET, PUT or DELETE of the object.
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if status, body := signedDo(t, ts, m, "/restore-refusals/g?restore", nil, nil); status != http.StatusMethodNotAllowed {
			t.Fatalf("%s ?restore = %d %s", m, status, body)
		}
	}
	if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("restore-refusals"), Key: aws.String("g")}); err != nil {
		t.Fatalf("DELETE ?restore removed the object: %v", err)
	}
}

func TestRestoreVersions(t *testing.T) {
	t.Parallel()
	const delay = time.Hour
	ts, clk := startArchive(t, delay)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "restore-versions")
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("restore-versions"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	old := randBytes(70_000)
	v1 := aws.ToString(putClass(t, c, "restore-versions", "doc", old, types.StorageClassGlacier).VersionId)
	v2 := aws.ToString(putClass(t, c, "restore-versions", "doc", []byte("current"), types.StorageClassStandard).VersionId)
	withV1 := func(in *s3.GetObjectInput) { in.VersionId = aws.String(v1) }

	_, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("restore-versions"), Key: aws.String("doc"), VersionId: aws.String(v1)})
	wantArchived(t, err, types.StorageClassGlacier)
	_, err = restoreObject(t, c, "restore-versions", "doc", "", 1, "") // the current version is STANDARD
	wantCode(t, err, "InvalidObjectState")
	// An id of no version: v2's seq with another random part (v2's own
	// could end in 00 once in 256 runs).
	other := v2[:30] + "00"
	if other == v2 {
		other = v2[:30] + "01"
	}
	_, err = restoreObject(t, c, "restore-versions", "doc", other, 1, "")
	wantErr(t, err, http.StatusNotFound, "NoSuchVersion", "")

	s, err := restoreObject(t, c, "restore-versions", "doc", v1, 3, types.TierExpedited)
	wantRestore(t, s, err, http.StatusAccepted)
	h1, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("restore-versions"), Key: aws.String("doc"), VersionId: aws.String(v1)})
	if err != nil || aws.ToString(h1.Restore) != `ongoing-request="true"` || h1.StorageClass != types.StorageClassGlacier {
		t.Fatalf("HEAD of the restoring version = %+v, %v", h1, err)
	}
	if h2, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("restore-versions"), Key: aws.String("doc")}); err != nil || h2.Restore != nil {
		t.Fatalf("HEAD of the current version = %+v, %v", h2, err)
	}
	clk.advance(delay)
	if got := get(t, c, "restore-versions", "doc", withV1); !bytes.Equal(got, old) {
		t.Fatal("restored old version has different bytes")
	}
	if got := get(t, c, "restore-versions", "doc"); string(got) != "current" {
		t.Fatalf("current version = %q", got)
	}

	// Delete markers cannot be restored.
	dm, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("restore-versions"), Key: aws.String("doc")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = restoreObject(t, c, "restore-versions", "doc", aws.ToString(dm.VersionId), 1, "")
	wantErr(t, err, http.StatusMethodNotAllowed, "MethodNotAllowed", "")
	status, body := signedDo(t, ts, http.MethodPost, "/restore-versions/doc?restore&versionId="+url.QueryEscape(aws.ToString(dm.VersionId)), nil,
		[]byte(`<RestoreRequest><Days>1</Days></RestoreRequest>`))
	if status != http.StatusMethodNotAllowed || xmlElem(body, "Method") != "POST" || xmlElem(body, "ResourceType") != "DeleteMarker" {
		t.Fatalf("restore of a delete marker = %d %s", status, body)
	}
	_, err = restoreObject(t, c, "restore-versions", "doc", "", 1, "")
	wantErr(t, err, http.StatusNotFound, "NoSuchKey", "")
	// The old version is still restored behind the delete marker.
	if got := get(t, c, "restore-versions", "doc", withV1); !bytes.Equal(got, old) {
		t.Fatal("restored version behind a delete marker")
	}
}

func TestRestoreMultipartGlacier(t *testing.T) {
	t.Parallel()
	const delay = time.Hour
	ts, clk := startArchive(t, delay)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "mpg")
	cr, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpg"), Key: aws.String("big"), StorageClass: types.StorageClassGlacier})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := randBytes(5*mib), randBytes(123_457)
	var parts []types.CompletedPart
	for i, p := range [][]byte{p1, p2} {
		out, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("mpg"), Key: aws.String("big"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	if _, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpg"), Key: aws.String("big"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("mpg"), Key: aws.String("big")})
	if err != nil || h.StorageClass != types.StorageClassGlacier || aws.ToString(h.ETag) != wantMultipartETag([][]byte{p1, p2}) {
		t.Fatalf("HEAD of the multipart GLACIER object = %+v, %v", h, err)
	}
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpg"), Key: aws.String("big")})
	wantArchived(t, err, types.StorageClassGlacier)
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("mpg"), Key: aws.String("big"), PartNumber: aws.Int32(2)})
	wantArchived(t, err, types.StorageClassGlacier)

	s, err := restoreObject(t, c, "mpg", "big", "", 1, types.TierBulk)
	wantRestore(t, s, err, http.StatusAccepted)
	clk.advance(delay)
	if got := get(t, c, "mpg", "big"); !bytes.Equal(got, append(append([]byte{}, p1...), p2...)) {
		t.Fatal("restored multipart object has different bytes")
	}
	if got := get(t, c, "mpg", "big", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(2) }); !bytes.Equal(got, p2) {
		t.Fatal("part 2 of the restored multipart object")
	}
}

func TestRestoreSSEKMSDeepArchive(t *testing.T) {
	t.Parallel()
	const delay = time.Hour
	ts, clk := startArchive(t, delay)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "kmsda")
	arn := createKey(t, ts.kmsClient())
	data := randBytes(3*65536 + 5)
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("kmsda"), Key: aws.String("secret"), Body: bytes.NewReader(data),
		StorageClass: types.StorageClassDeepArchive, ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("kmsda"), Key: aws.String("secret")})
	wantArchived(t, err, types.StorageClassDeepArchive)
	h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("kmsda"), Key: aws.String("secret")})
	if err != nil || h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != arn {
		t.Fatalf("HEAD of an archived SSE-KMS object = %+v, %v", h, err)
	}
	s, err := restoreObject(t, c, "kmsda", "secret", "", 7, types.TierStandard)
	wantRestore(t, s, err, http.StatusAccepted)
	clk.advance(delay)
	out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("kmsda"), Key: aws.String("secret")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("restored SSE-KMS object: %d bytes, %v", len(got), err)
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != arn || out.StorageClass != types.StorageClassDeepArchive {
		t.Fatalf("GET headers of the restored object = %+v", out)
	}
	wantRestored(t, aws.ToString(out.Restore))
}

// TestRestoreCompletesInRealTime runs a restore on the real clock with a
// short delay, polling HEAD until it is done.
func TestRestoreCompletesInRealTime(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.RestoreDelay = 300 * time.Millisecond })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "restore-rt")
	data := randBytes(1000)
	putClass(t, c, "restore-rt", "k", data, types.StorageClassGlacier)
	s, err := restoreObject(t, c, "restore-rt", "k", "", 1, "")
	wantRestore(t, s, err, http.StatusAccepted)
	deadline := time.Now().Add(20 * time.Second)
	for {
		h, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("restore-rt"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		if r := aws.ToString(h.Restore); strings.HasPrefix(r, `ongoing-request="false"`) {
			wantRestored(t, r)
			break
		} else if r != `ongoing-request="true"` {
			t.Fatalf("x-amz-restore = %q", r)
		}
		if time.Now().After(deadline) {
			t.Fatal("restore did not complete")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := get(t, c, "restore-rt", "k"); !bytes.Equal(got, data) {
		t.Fatal("restored bytes differ")
	}
}
