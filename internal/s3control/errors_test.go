package s3control_test

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	front "github.com/kurastore/kura/internal/s3control"
)

// body is a CreateJobRequest with op, manifest and report as given.
func body(op, manifest, report string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">` +
		`<Operation>` + op + `</Operation>` + report +
		`<ClientRequestToken>t</ClientRequestToken>` + manifest +
		`<Priority>10</Priority><RoleArn>arn:aws:iam::123456789012:role/BatchOperationsRole</RoleArn></CreateJobRequest>`
}

const (
	goodOp       = `<S3UpdateObjectEncryption><ObjectEncryption><SSE-KMS><KMSKeyArn>arn:aws:kms:us-east-1:123456789012:key/patient-data-key</KMSKeyArn><BucketKeyEnabled>true</BucketKeyEnabled></SSE-KMS></ObjectEncryption></S3UpdateObjectEncryption>`
	goodManifest = `<Manifest><Spec><Format>S3InventoryReport_CSV_20161130</Format></Spec><Location><ObjectArn>arn:aws:s3:::inventory-bucket/inventory-manifest.json</ObjectArn><ETag>example-etag</ETag></Location></Manifest>`
	goodReport   = `<Report><Bucket>arn:aws:s3:::report-bucket</Bucket><Format>Report_CSV_20180820</Format><Enabled>true</Enabled><Prefix>batch-operations-reports</Prefix><ReportScope>AllTasks</ReportScope></Report>`
)

// TestCreateJobRejects: what S3 answers a CreateJob the model does not
// allow, with a message that names the element and the valid values. The
// first three are seed 000's use case 1 as written.
func TestCreateJobRejects(t *testing.T) {
	cases := []struct {
		name, body, code, msg string
		status                int
	}{
		{"seed 000 operation shape", body(`<S3UpdateObjectEncryption><ServerSideEncryption>aws:kms</ServerSideEncryption><SSEKMSKeyId>arn:aws:kms:us-east-1:123456789012:key/patient-data-key</SSEKMSKeyId><BucketKeyEnabled>true</BucketKeyEnabled></S3UpdateObjectEncryption>`, goodManifest, goodReport),
			"InvalidRequest", "Operation/S3UpdateObjectEncryption has no element ServerSideEncryption; valid elements are: ObjectEncryption", 400},
		{"seed 000 manifest format", body(goodOp, strings.Replace(goodManifest, "CSV_20161130", "CSV_20211130", 1), goodReport),
			"InvalidRequest", `Manifest/Spec/Format "S3InventoryReport_CSV_20211130" is not valid; valid values are: S3BatchOperations_CSV_20180820, S3InventoryReport_CSV_20161130. S3InventoryReport_CSV_20211130 is the format a manifest generator writes`, 400},
		{"seed 000 report format", body(goodOp, goodManifest, strings.Replace(goodReport, "20180820", "20211130", 1)),
			"InvalidRequest", `Report/Format "Report_CSV_20211130" is not valid; valid values are: Report_CSV_20180820.`, 400},
		{"seed 000 as written: every mistake in one answer", body(`<S3UpdateObjectEncryption><ServerSideEncryption>aws:kms</ServerSideEncryption><SSEKMSKeyId>k</SSEKMSKeyId><BucketKeyEnabled>true</BucketKeyEnabled></S3UpdateObjectEncryption>`,
			strings.Replace(goodManifest, "CSV_20161130", "CSV_20211130", 1), strings.Replace(goodReport, "20180820", "20211130", 1)),
			"InvalidRequest", `no element ServerSideEncryption; valid elements are: ObjectEncryption. S3UpdateObjectEncryption needs ObjectEncryption, the new encryption: <ObjectEncryption><SSE-KMS><KMSKeyArn>…</KMSKeyArn></SSE-KMS></ObjectEncryption>. Report/Format "Report_CSV_20211130" is not valid; valid values are: Report_CSV_20180820. The only completion report format is Report_CSV_20180820. Manifest/Spec/Format "S3InventoryReport_CSV_20211130" is not valid`, 400},
		{"no operation", body(``, goodManifest, goodReport), "InvalidRequest", "valid operations are: LambdaInvoke, S3PutObjectCopy", 400},
		{"two operations", body(goodOp+`<S3DeleteObjectTagging/>`, goodManifest, goodReport), "InvalidRequest", "exactly one operation, but names S3UpdateObjectEncryption and S3DeleteObjectTagging", 400},
		{"unknown operation", body(`<S3DeleteObject/>`, goodManifest, goodReport), "InvalidRequest", "Operation has no element S3DeleteObject", 400},
		{"lambda", body(`<LambdaInvoke><FunctionArn>f</FunctionArn></LambdaInvoke>`, goodManifest, goodReport), "NotImplemented", "LambdaInvoke operation is not supported", 501},
		{"SSE-S3 target", body(`<S3UpdateObjectEncryption><ObjectEncryption><SSE-S3/></ObjectEncryption></S3UpdateObjectEncryption>`, goodManifest, goodReport),
			"InvalidRequest", "ObjectEncryption has no element SSE-S3; valid elements are: SSE-KMS", 400},
		{"key alias", body(strings.Replace(goodOp, "arn:aws:kms:us-east-1:123456789012:key/patient-data-key", "alias/patient-data-key-alias", 1), goodManifest, goodReport),
			"InvalidRequest", "not a KMS key ARN", 400},
		{"no manifest", body(goodOp, ``, goodReport), "InvalidRequest", "needs a Manifest or a ManifestGenerator", 400},
		{"both manifests", body(goodOp, goodManifest+`<ManifestGenerator><S3JobManifestGenerator><SourceBucket>arn:aws:s3:::b</SourceBucket><EnableManifestOutput>false</EnableManifestOutput></S3JobManifestGenerator></ManifestGenerator>`, goodReport),
			"InvalidRequest", "not both", 400},
		{"no report", body(goodOp, goodManifest, ``), "InvalidRequest", "Report is required", 400},
		{"report without bucket", body(goodOp, goodManifest, `<Report><Enabled>true</Enabled><Format>Report_CSV_20180820</Format></Report>`), "InvalidRequest", "Report/Bucket is required", 400},
		{"bad priority", strings.Replace(body(goodOp, goodManifest, goodReport), "<Priority>10", "<Priority>-1", 1), "InvalidRequest", "Priority must be a whole number from 0 to 2147483647", 400},
		{"bad role", strings.Replace(body(goodOp, goodManifest, goodReport), "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:user/", 1), "InvalidRequest", "not an IAM role ARN", 400},
		{"bad boolean", strings.Replace(body(goodOp, goodManifest, goodReport), "<BucketKeyEnabled>true", "<BucketKeyEnabled>yes", 1), "InvalidRequest", "BucketKeyEnabled must be true or false", 400},
		{"bad manifest field", body(goodOp, strings.Replace(goodManifest, "</Format>", "</Format><Fields><member>Bucket</member><member>Size</member></Fields>", 1), goodReport),
			"InvalidRequest", `Manifest/Spec/Fields[2] "Size" is not valid; valid values are: Ignore, Bucket, Key, VersionId.`, 400},
		{"two encryption filters", body(goodOp, `<ManifestGenerator><S3JobManifestGenerator><SourceBucket>arn:aws:s3:::b</SourceBucket><EnableManifestOutput>false</EnableManifestOutput><Filter><MatchAnyObjectEncryption><ObjectEncryption><SSE-S3/></ObjectEncryption><ObjectEncryption><NOT-SSE/></ObjectEncryption></MatchAnyObjectEncryption></Filter></S3JobManifestGenerator></ManifestGenerator>`, goodReport),
			"InvalidRequest", "exactly one ObjectEncryption", 400},
		{"filter names two encryptions", body(goodOp, `<ManifestGenerator><S3JobManifestGenerator><SourceBucket>arn:aws:s3:::b</SourceBucket><EnableManifestOutput>false</EnableManifestOutput><Filter><MatchAnyObjectEncryption><ObjectEncryption><SSE-S3/><SSE-C/></ObjectEncryption></MatchAnyObjectEncryption></Filter></S3JobManifestGenerator></ManifestGenerator>`, goodReport),
			"InvalidRequest", "must be exactly one of SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE", 400},
		{"output without location", body(goodOp, `<ManifestGenerator><S3JobManifestGenerator><SourceBucket>arn:aws:s3:::b</SourceBucket><EnableManifestOutput>true</EnableManifestOutput></S3JobManifestGenerator></ManifestGenerator>`, goodReport),
			"InvalidRequest", "EnableManifestOutput needs a ManifestOutputLocation", 400},
		{"not XML", "{\"Operation\": {}}", "MalformedXML", "", 400},
		{"unclosed", `<CreateJobRequest><Operation>`, "MalformedXML", "", 400},
		{"empty", ``, "MalformedXML", "empty", 400},
		{"wrong root", `<PutJobTaggingRequest/>`, "MalformedXML", "takes a CreateJobRequest", 400},
		{"duplicate member", strings.Replace(body(goodOp, goodManifest, goodReport), "<Priority>10</Priority>", "<Priority>10</Priority><Priority>11</Priority>", 1), "MalformedXML", "Priority appears more than once", 400},
	}
	jobs := newFake()
	url, _ := serve(t, jobs)
	hdr := map[string]string{"x-amz-account-id": account}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := raw(t, "POST", url+"/v20180820/jobs", "", hdr, tc.body)
			wantErrorDoc(t, status, resp, tc.status, tc.code, tc.msg)
		})
	}
	if len(jobs.jobs) != 0 {
		t.Errorf("the engine created %d jobs from invalid requests", len(jobs.jobs))
	}

	// The working form of the same request is accepted.
	status, resp := raw(t, "POST", url+"/v20180820/jobs", "", hdr, body(goodOp, goodManifest, goodReport))
	if status != 200 || !strings.Contains(resp, "<CreateJobResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><JobId>job-00001</JobId></CreateJobResult>") {
		t.Fatalf("working form: %d %s", status, resp)
	}
}

// TestRequestRejects: the account, the route and the Kura extensions.
func TestRequestRejects(t *testing.T) {
	jobs := newFake()
	url, _ := serve(t, jobs)
	port := strings.TrimPrefix(url, "http://127.0.0.1:")
	cases := []struct {
		name, method, path, host string
		hdr                      map[string]string
		body                     string
		status                   int
		code, msg                string
	}{
		{"no account", "GET", "/v20180820/jobs", account + ".localhost:" + port, nil, "", 400, "InvalidRequest", "x-amz-account-id header is required"},
		{"bad account", "GET", "/v20180820/jobs", "", map[string]string{"x-amz-account-id": "12345"}, "", 400, "InvalidRequest", "not a 12-digit account id"},
		{"host and header differ", "GET", "/v20180820/jobs", "210987654321.localhost:" + port, map[string]string{"x-amz-account-id": account}, "", 400, "InvalidRequest", "differs from the x-amz-account-id header"},
		{"other account", "GET", "/v20180820/jobs", "", map[string]string{"x-amz-account-id": "210987654321"}, "", 403, "AccessDenied", "another account"},
		{"other S3 Control API", "GET", "/v20180820/accesspoint", "", map[string]string{"x-amz-account-id": account}, "", 501, "NotImplemented", "Batch Operations job API"},
		{"wrong method", "DELETE", "/v20180820/jobs/job-00001", "", map[string]string{"x-amz-account-id": account}, "", 405, "MethodNotAllowed", "DELETE"},
		{"bad dry-run", "POST", "/v20180820/jobs", "", map[string]string{"x-amz-account-id": account, "x-kura-dry-run": "maybe"}, body(goodOp, goodManifest, goodReport), 400, "InvalidArgument", "x-kura-dry-run"},
		{"bad undo", "POST", "/v20180820/jobs", "", map[string]string{"x-amz-account-id": account, "x-kura-undo-of": "x"}, body(goodOp, goodManifest, goodReport), 400, "InvalidArgument", "x-kura-undo-of"},
		{"bad status", "POST", "/v20180820/jobs/job-00001/status?requestedJobStatus=Paused", "", map[string]string{"x-amz-account-id": account}, "", 400, "InvalidRequest", "valid values are: Cancelled, Ready"},
		{"no priority", "POST", "/v20180820/jobs/job-00001/priority", "", map[string]string{"x-amz-account-id": account}, "", 400, "InvalidRequest", "priority query parameter is required"},
		{"max results", "GET", "/v20180820/jobs?maxResults=1001", "", map[string]string{"x-amz-account-id": account}, "", 400, "InvalidRequest", "maxResults"},
		{"tagging body", "PUT", "/v20180820/jobs/job-00001/tagging", "", map[string]string{"x-amz-account-id": account}, `<PutJobTaggingRequest><Tags><member><Key>a</Key></member></Tags></PutJobTaggingRequest>`, 400, "InvalidRequest", "Tags[1]/Value is required"},
		{"bad content-md5", "PUT", "/v20180820/jobs/job-00001/tagging", "", map[string]string{"x-amz-account-id": account, "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}, `<PutJobTaggingRequest><Tags/></PutJobTaggingRequest>`, 400, "BadDigest", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := raw(t, tc.method, url+tc.path, tc.host, tc.hdr, tc.body)
			wantErrorDoc(t, status, resp, tc.status, tc.code, tc.msg)
		})
	}

	// The plain host form (no account label) and the Kura extensions.
	status, resp := raw(t, "POST", url+"/v20180820/jobs", "", map[string]string{"x-amz-account-id": account, "x-kura-dry-run": "true",
		"x-kura-undo-of": "job-00042"}, body(goodOp, goodManifest, goodReport))
	if status != 200 {
		t.Fatalf("create: %d %s", status, resp)
	}
	if j := jobs.jobs["job-00001"]; j == nil || !j.DryRun || j.UndoOf != "job-00042" {
		t.Errorf("job = %+v, want DryRun and UndoOf from the Kura headers", j)
	}
	jobs.jobs["job-00001"].Status = kura.JobActive

	// An engine that does not build undo jobs never sees UndoOf.
	plain := newFake()
	url2, _ := serve(t, struct{ front.Jobs }{plain})
	status, resp = raw(t, "POST", url2+"/v20180820/jobs", "", map[string]string{"x-amz-account-id": account, "x-kura-undo-of": "job-00042"},
		body(goodOp, goodManifest, goodReport))
	wantErrorDoc(t, status, resp, 501, "NotImplemented", "does not build undo jobs")
	if len(plain.jobs) != 0 {
		t.Errorf("an undo job was created on an engine without undo: %+v", plain.jobs)
	}
}

// wantErrorDoc checks an S3 Control error document: <ErrorResponse>
// wrapping <Error>, as the SDKs parse it.
func wantErrorDoc(t *testing.T, status int, resp string, wantStatus int, code, msg string) {
	t.Helper()
	var doc struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Code      string   `xml:"Error>Code"`
		Message   string   `xml:"Error>Message"`
		RequestID string   `xml:"RequestId"`
	}
	err := xml.Unmarshal([]byte(resp), &doc)
	if err != nil || status != wantStatus || doc.Code != code || doc.RequestID != "REQ1" || !strings.Contains(doc.Message, msg) {
		t.Errorf("got %d %s\nwant %d %s saying %q", status, resp, wantStatus, code, msg)
	}
}
