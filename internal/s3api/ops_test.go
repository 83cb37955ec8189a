package s3api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// testRequest builds a routed-looking request: bucket and key set, query
// parsed, as serve leaves them before route.
func testRequest(t *testing.T, method, target string, hdr map[string]string) *request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	req := &request{Request: r, query: r.URL.Query()}
	if err := (&Handler{}).address(req); err != nil {
		t.Fatal(err)
	}
	return req
}

// subResources is every query parameter that changes what route picks,
// plus the sub-resources Kura does not serve.
func subResources() []string {
	subs := []string{"", "versioning", "encryption", "tagging", "acl", "location", "uploads", "versions",
		"list-type=2", "delete", "uploadId=u", "uploadId=u&partNumber=1", "attributes", "versionId=v",
		"retention", "legal-hold", "object-lock", "restore", "policy", "policyStatus", "cors", "lifecycle",
		"ownershipControls", "publicAccessBlock", "website", "inventory", "inventory&id=x", "replication", "logging"}
	for _, s := range unsupported {
		subs = append(subs, s)
	}
	return subs
}

// Every route carries a complete operation, every operation name is
// served by one route per method and level (a few names, like
// ListObjects, are served by two), and the enumeration reaches every route.
func TestRoutes(t *testing.T) {
	for i, rt := range routes {
		o := rt.operation
		if o.Name == "" || len(o.Actions) == 0 || rt.handler == nil || rt.method == "" {
			t.Errorf("route %d (%s %q): incomplete %+v", i, rt.method, rt.sub, o)
		}
		for _, a := range append(append([]string(nil), o.Actions...), o.VersionActions...) {
			if !strings.HasPrefix(a, "s3:") {
				t.Errorf("%s: action %q", o.Name, a)
			}
		}
	}
	reached := map[*route]bool{}
	for _, method := range []string{"GET", "HEAD", "PUT", "POST", "DELETE"} {
		for _, path := range []string{"/", "/bucket", "/bucket/some/key"} {
			for _, sub := range subResources() {
				for _, copySrc := range []string{"", "/src/key"} {
					req := testRequest(t, method, path+"?"+sub, map[string]string{"x-amz-copy-source": copySrc})
					rt := pickRoute(req)
					if rt == nil {
						continue
					}
					reached[rt] = true
					if o, ok := opInfo(req); !ok || o.Resource == "" {
						t.Errorf("%s %s?%s: operation %+v, %v", method, path, sub, o, ok)
					}
				}
			}
		}
	}
	for i := range routes {
		if rt := &routes[i]; !reached[rt] && rt.when == nil {
			// Routes with a condition beyond the query (a POST form) are
			// reached by their own tests.
			t.Errorf("route %s %s (%s) is not reached by the enumeration", rt.method, rt.sub, rt.Name)
		}
	}
}

func TestOpInfo(t *testing.T) {
	cases := []struct {
		method, target string
		hdr            map[string]string
		name           string
		data, readOnly bool
		actions        string
		resource       string
		source         string // SourceActions@SourceARN
	}{
		{"GET", "/", nil, "ListBuckets", false, true, "s3:ListAllMyBuckets", "*", ""},
		{"PUT", "/b", nil, "CreateBucket", false, false, "s3:CreateBucket", "arn:aws:s3:::b", ""},
		{"GET", "/b?list-type=2&prefix=a", nil, "ListObjects", true, true, "s3:ListBucket", "arn:aws:s3:::b", ""},
		{"GET", "/b", nil, "ListObjects", true, true, "s3:ListBucket", "arn:aws:s3:::b", ""},
		{"GET", "/b?versions", nil, "ListObjectVersions", true, true, "s3:ListBucketVersions", "arn:aws:s3:::b", ""},
		{"GET", "/b?uploads", nil, "ListMultipartUploads", true, true, "s3:ListBucketMultipartUploads", "arn:aws:s3:::b", ""},
		{"PUT", "/b?encryption", nil, "PutBucketEncryption", false, false, "s3:PutEncryptionConfiguration", "arn:aws:s3:::b", ""},
		{"DELETE", "/b?encryption", nil, "DeleteBucketEncryption", false, false, "s3:PutEncryptionConfiguration", "arn:aws:s3:::b", ""},
		{"GET", "/b?acl", nil, "GetBucketAcl", false, true, "s3:GetBucketAcl", "arn:aws:s3:::b", ""},
		{"PUT", "/b?website", nil, "PutBucketWebsite", false, false, "s3:PutBucketWebsite", "arn:aws:s3:::b", ""},
		{"GET", "/b?website", nil, "GetBucketWebsite", false, true, "s3:GetBucketWebsite", "arn:aws:s3:::b", ""},
		{"DELETE", "/b?website", nil, "DeleteBucketWebsite", false, false, "s3:DeleteBucketWebsite", "arn:aws:s3:::b", ""},
		{"PUT", "/b?inventory&id=x", nil, "PutBucketInventoryConfiguration", false, false, "s3:PutInventoryConfiguration", "arn:aws:s3:::b", ""},
		{"GET", "/b?inventory&id=x", nil, "GetBucketInventoryConfiguration", false, true, "s3:GetInventoryConfiguration", "arn:aws:s3:::b", ""},
		{"GET", "/b?inventory", nil, "ListBucketInventoryConfigurations", false, true, "s3:GetInventoryConfiguration", "arn:aws:s3:::b", ""},
		{"POST", "/b?inventory&id=x", nil, "KuraRunBucketInventory", false, false, "s3:PutInventoryConfiguration", "arn:aws:s3:::b", ""},
		{"DELETE", "/b?inventory&id=x", nil, "DeleteBucketInventoryConfiguration", false, false, "s3:PutInventoryConfiguration", "arn:aws:s3:::b", ""},
		{"PUT", "/b?replication", nil, "PutBucketReplication", false, false, "s3:PutReplicationConfiguration", "arn:aws:s3:::b", ""},
		{"GET", "/b?replication", nil, "GetBucketReplication", false, true, "s3:GetReplicationConfiguration", "arn:aws:s3:::b", ""},
		{"GET", "/b?replication&status", nil, "KuraGetBucketReplicationStatus", false, true, "s3:GetReplicationConfiguration", "arn:aws:s3:::b", ""},
		{"DELETE", "/b?replication", nil, "DeleteBucketReplication", false, false, "s3:PutReplicationConfiguration", "arn:aws:s3:::b", ""},
		{"GET", "/b/k?acl", nil, "GetObjectAcl", true, true, "s3:GetObjectAcl", "arn:aws:s3:::b/k", ""},
		{"HEAD", "/b", nil, "HeadBucket", false, true, "s3:ListBucket", "arn:aws:s3:::b", ""},
		{"POST", "/b?delete", nil, "DeleteObjects", true, false, "s3:DeleteObject", "arn:aws:s3:::b", ""},
		{"PUT", "/b/dir/k", nil, "PutObject", true, false, "s3:PutObject", "arn:aws:s3:::b/dir/k", ""},
		{"GET", "/b/k", nil, "GetObject", true, true, "s3:GetObject", "arn:aws:s3:::b/k", ""},
		{"GET", "/b/k?versionId=v1", nil, "GetObject", true, true, "s3:GetObjectVersion", "arn:aws:s3:::b/k", ""},
		{"HEAD", "/b/k?versionId=v1", nil, "HeadObject", true, true, "s3:GetObjectVersion", "arn:aws:s3:::b/k", ""},
		{"DELETE", "/b/k?versionId=v1", nil, "DeleteObject", true, false, "s3:DeleteObjectVersion", "arn:aws:s3:::b/k", ""},
		{"PUT", "/b/k?tagging&versionId=v1", nil, "PutObjectTagging", true, false, "s3:PutObjectVersionTagging", "arn:aws:s3:::b/k", ""},
		{"GET", "/b/k?attributes", nil, "GetObjectAttributes", true, true, "s3:GetObjectAttributes", "arn:aws:s3:::b/k", ""},
		{"POST", "/b/k?uploads", nil, "CreateMultipartUpload", true, false, "s3:PutObject", "arn:aws:s3:::b/k", ""},
		{"PUT", "/b/k?uploadId=u&partNumber=1", nil, "UploadPart", true, false, "s3:PutObject", "arn:aws:s3:::b/k", ""},
		{"POST", "/b/k?uploadId=u", nil, "CompleteMultipartUpload", true, false, "s3:PutObject", "arn:aws:s3:::b/k", ""},
		{"DELETE", "/b/k?uploadId=u", nil, "AbortMultipartUpload", true, false, "s3:AbortMultipartUpload", "arn:aws:s3:::b/k", ""},
		{"GET", "/b/k?uploadId=u", nil, "ListParts", true, true, "s3:ListMultipartUploadParts", "arn:aws:s3:::b/k", ""},
		{"PUT", "/b/k", map[string]string{"x-amz-copy-source": "/src/a%20b"}, "CopyObject", true, false, "s3:PutObject",
			"arn:aws:s3:::b/k", "s3:GetObject@arn:aws:s3:::src/a b"},
		{"PUT", "/b/k", map[string]string{"x-amz-copy-source": "src/x?versionId=3"}, "CopyObject", true, false, "s3:PutObject",
			"arn:aws:s3:::b/k", "s3:GetObjectVersion@arn:aws:s3:::src/x"},
		{"PUT", "/b/k?uploadId=u&partNumber=2", map[string]string{"x-amz-copy-source": "/src/x"}, "UploadPartCopy", true, false,
			"s3:PutObject", "arn:aws:s3:::b/k", "s3:GetObject@arn:aws:s3:::src/x"},
		{"PUT", "/b/k", map[string]string{"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z",
			"x-amz-object-lock-legal-hold": "ON", "x-amz-tagging": "a=b"}, "PutObject", true, false,
			"s3:PutObject,s3:PutObjectRetention,s3:PutObjectLegalHold,s3:PutObjectTagging", "arn:aws:s3:::b/k", ""},
		{"DELETE", "/b/k?versionId=v", map[string]string{"x-amz-bypass-governance-retention": "true"}, "DeleteObject", true, false,
			"s3:DeleteObjectVersion,s3:BypassGovernanceRetention", "arn:aws:s3:::b/k", ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			o, ok := opInfo(testRequest(t, tc.method, tc.target, tc.hdr))
			if !ok {
				t.Fatal("no operation")
			}
			if o.Name != tc.name || o.Data != tc.data || o.ReadOnly != tc.readOnly ||
				strings.Join(o.Actions, ",") != tc.actions || o.Resource != tc.resource {
				t.Errorf("got %s data=%v ro=%v %v on %s", o.Name, o.Data, o.ReadOnly, o.Actions, o.Resource)
			}
			src := ""
			if o.SourceARN != "" {
				src = strings.Join(o.SourceActions, ",") + "@" + o.SourceARN
			}
			if src != tc.source {
				t.Errorf("copy source %q, want %q", src, tc.source)
			}
		})
	}
	if _, ok := opInfo(testRequest(t, "POST", "/b/k", nil)); ok {
		t.Error("POST on an object without ?uploads or ?uploadId has an operation")
	}
	// The table is shared: resolving a version must not change it.
	if got := pickRoute(testRequest(t, "GET", "/b/k", nil)).Actions; !slices.Equal(got, []string{"s3:GetObject"}) {
		t.Errorf("table entry changed: %v", got)
	}
}

func TestSSEApplied(t *testing.T) {
	for _, tc := range []struct {
		req, resp map[string]string
		want      string
	}{
		{nil, map[string]string{hdrSSE: "AES256"}, "Default_SSE_S3"},
		{nil, map[string]string{hdrSSE: "aws:kms"}, "Default_SSE_KMS"},
		{nil, map[string]string{hdrSSE: "aws:kms:dsse"}, "Default_SSE_KMS_DSSE"},
		{map[string]string{hdrSSE: "AES256"}, map[string]string{hdrSSE: "AES256"}, "SSE_S3"},
		{map[string]string{hdrSSE: "aws:kms"}, map[string]string{hdrSSE: "aws:kms"}, "SSE_KMS"},
		{map[string]string{hdrSSE: "aws:kms:dsse"}, map[string]string{hdrSSE: "aws:kms:dsse"}, "SSE_KMS_DSSE"},
		{map[string]string{hdrSSECAlgorithm: "AES256"}, map[string]string{hdrSSECAlgorithm: "AES256"}, "SSE_C"},
		// The copy source's SSE-C key says nothing about the new object.
		{map[string]string{"x-amz-copy-source-server-side-encryption-customer-algorithm": "AES256"},
			map[string]string{hdrSSE: "AES256"}, "Default_SSE_S3"},
		{nil, nil, ""},
	} {
		rq, rs := http.Header{}, http.Header{}
		for k, v := range tc.req {
			rq.Set(k, v)
		}
		for k, v := range tc.resp {
			rs.Set(k, v)
		}
		if got := sseApplied(rq, rs); got != tc.want {
			t.Errorf("sseApplied(%v, %v) = %q, want %q", tc.req, tc.resp, got, tc.want)
		}
	}
}

func TestAuditParameterHygiene(t *testing.T) {
	for name, secret := range map[string]bool{
		"X-Amz-Signature": true, "X-Amz-Credential": true, "X-Amz-Security-Token": true,
		"x-amz-server-side-encryption-customer-key": true, "x-amz-server-side-encryption-customer-key-MD5": true,
		"Signature": true, "AWSAccessKeyId": true,
		"prefix": false, "continuation-token": false, "versionId": false, "list-type": false, "uploadId": false,
	} {
		if secretParam(name) != secret {
			t.Errorf("secretParam(%q) = %v", name, !secret)
		}
	}
	for name, secret := range map[string]bool{
		"Password": true, "OldPassword": true, "NewPassword": true, "SecretAccessKey": true, "SessionToken": true,
		"WebIdentityToken": true, "SAMLAssertion": true, "TokenCode": true, "AuthenticationCode1": true,
		"PrivateKey": true, "UserName": false, "PolicyDocument": false, "RoleArn": false, "DurationSeconds": false,
	} {
		if secretIAMParam(name) != secret {
			t.Errorf("secretIAMParam(%q) = %v", name, !secret)
		}
	}
	code, msg := errorDocument([]byte(`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>` +
		`<Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error><RequestId>r</RequestId></ErrorResponse>`))
	if code != "NoSuchEntity" || msg != "The user with name bob cannot be found." {
		t.Errorf("errorDocument = %q, %q", code, msg)
	}
}

func TestFallbackName(t *testing.T) {
	for target, want := range map[string]string{
		"DELETE /b/k?retention":      "DeleteObjectRetention",
		"GET /b?cors":                "GetBucketCors",
		"PUT /b?intelligent-tiering": "PutBucketIntelligentTiering",
		"DELETE /b/k?legal-hold":     "DeleteObjectLegalHold",
		"PATCH /b/k":                 "UnknownObject",
		"POST /b/k":                  "PostObject",
		"PUT /":                      "PutService",
	} {
		method, path, _ := strings.Cut(target, " ")
		if got := fallbackName(testRequest(t, method, path, nil)); got != want {
			t.Errorf("%s: %q, want %q", target, got, want)
		}
	}
}
