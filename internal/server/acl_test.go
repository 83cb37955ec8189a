package server_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/audit"
	kuraiam "github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/server"
)

// Canonical owners, anonymous access, Object Ownership and ACLs through the
// wire, with two accounts (authzEnv) and an unsigned HTTP client.

// canonicalIDs returns the canonical user ids of e's accounts A and B.
func (e *authzEnv) canonicalIDs(t *testing.T) (a, b string) {
	t.Helper()
	ra, err := e.ts.IAM.Account(ctx(t), e.a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := e.ts.IAM.Account(ctx(t), e.b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.CanonicalID) != 64 || len(rb.CanonicalID) != 64 || ra.CanonicalID == rb.CanonicalID {
		t.Fatalf("canonical ids %q %q", ra.CanonicalID, rb.CanonicalID)
	}
	return ra.CanonicalID, rb.CanonicalID
}

// TestACLCanonicalOwners: every Owner and Initiator an S3 response carries
// is the account's canonical user id, never its 12-digit account id; the
// expected-bucket-owner header still takes the account id.
func TestACLCanonicalOwners(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, canonB := e.canonicalIDs(t)
	a, b := e.s3(e.rootA), e.s3(e.rootB)
	mustBucket(t, a, "acl-owners")
	if _, err := a.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("acl-owners"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put(t, a, "acl-owners", "k", []byte("v"))
	mu, err := a.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("acl-owners"), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	mustBucket(t, b, "acl-owners-b")

	lbA, err := a.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	lbB, err := b.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := a.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("acl-owners"), FetchOwner: aws.Bool(true)})
	if err != nil || len(l2.Contents) != 1 {
		t.Fatalf("ListObjectsV2: %v %v", l2, err)
	}
	l1, err := a.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String("acl-owners")})
	if err != nil || len(l1.Contents) != 1 {
		t.Fatalf("ListObjects: %v %v", l1, err)
	}
	lv, err := a.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String("acl-owners")})
	if err != nil || len(lv.Versions) != 1 {
		t.Fatalf("ListObjectVersions: %v %v", lv, err)
	}
	lu, err := a.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String("acl-owners")})
	if err != nil || len(lu.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads: %v %v", lu, err)
	}
	lp, err := a.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String("acl-owners"), Key: aws.String("mp"), UploadId: mu.UploadId})
	if err != nil {
		t.Fatal(err)
	}
	ba, err := a.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String("acl-owners")})
	if err != nil {
		t.Fatal(err)
	}
	oa, err := a.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("acl-owners"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		got  *types.Owner
		want string
	}{
		{"ListBuckets A", lbA.Owner, canonA},
		{"ListBuckets B", lbB.Owner, canonB},
		{"ListObjectsV2 fetch-owner", l2.Contents[0].Owner, canonA},
		{"ListObjects", l1.Contents[0].Owner, canonA},
		{"ListObjectVersions", lv.Versions[0].Owner, canonA},
		{"ListMultipartUploads Owner", lu.Uploads[0].Owner, canonA},
		{"ListParts Owner", lp.Owner, canonA},
		{"GetBucketAcl", ba.Owner, canonA},
		{"GetObjectAcl", oa.Owner, canonA},
	} {
		if c.got == nil || aws.ToString(c.got.ID) != c.want {
			t.Errorf("%s: owner %+v, want id %s", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		name string
		got  *types.Initiator
	}{{"ListMultipartUploads", lu.Uploads[0].Initiator}, {"ListParts", lp.Initiator}} {
		if c.got == nil || aws.ToString(c.got.ID) != canonA {
			t.Errorf("%s: initiator %+v, want id %s", c.name, c.got, canonA)
		}
	}

	// x-amz-expected-bucket-owner: the account id, not the canonical id.
	if _, err := a.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("acl-owners"), ExpectedBucketOwner: aws.String(e.a)}); err != nil {
		t.Fatalf("expected owner = account id: %v", err)
	}
	_, err = a.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("acl-owners"), ExpectedBucketOwner: aws.String(canonA)})
	wantStatus(t, err, "Forbidden", 403)
}

// anon sends an unsigned request and returns its status, S3 error code
// (from the XML body; "" on success) and body.
func anon(t *testing.T, ts *testServer, method, path string, body string, hdr ...string) (int, string, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, ts.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Code, Message string }
	if resp.StatusCode >= 300 {
		xml.Unmarshal(b, &e)
		if e.Code == "AccessDenied" && e.Message != "Access Denied" {
			t.Errorf("%s %s: anonymous AccessDenied message %q", method, path, e.Message)
		}
	}
	return resp.StatusCode, e.Code, string(b)
}

// TestACLAnonymousAccess: unsigned requests are authorized like any other,
// with the anonymous principal: denied by default, allowed by a bucket
// policy granting "*"; never for KMS or SSE-KMS objects.
func TestACLAnonymousAccess(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	a := e.s3(e.rootA)
	for _, b := range []string{"anon-private", "anon-public"} {
		mustBucket(t, a, b)
		put(t, a, b, "doc", []byte("hello"))
	}
	key, err := e.kms(e.rootA).CreateKey(ctx(t), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := putErr(a, t, "anon-public", "kms-doc", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, key.KeyMetadata.KeyId
	}); err != nil {
		t.Fatal(err)
	}
	e.putBucketPolicy(t, a, "anon-public", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::anon-public/*"},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::anon-public"},
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::anon-public/secret"}]}`)
	put(t, a, "anon-public", "secret", []byte("s"))

	for _, c := range []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		code, contains           string
	}{
		{name: "GetObject, no policy", method: "GET", path: "/anon-private/doc", status: 403, code: "AccessDenied"},
		{name: "ListObjects, no policy", method: "GET", path: "/anon-private", status: 403, code: "AccessDenied"},
		{name: "PutObject, no policy", method: "PUT", path: "/anon-private/new", body: "x", status: 403, code: "AccessDenied"},
		{name: "ListBuckets", method: "GET", path: "/", status: 403, code: "AccessDenied"},
		{name: "CreateBucket", method: "PUT", path: "/anon-new-bucket", status: 403, code: "AccessDenied"},
		{name: "missing bucket", method: "GET", path: "/anon-nope/doc", status: 404, code: "NoSuchBucket"},
		{name: "GetObject, Principal *", method: "GET", path: "/anon-public/doc", status: 200, contains: "hello"},
		{name: "HeadObject, Principal *", method: "HEAD", path: "/anon-public/doc", status: 200},
		{name: "ListObjectsV2, Principal AWS *", method: "GET", path: "/anon-public?list-type=2", status: 200, contains: "<Key>doc</Key>"},
		{name: "explicit Deny wins", method: "GET", path: "/anon-public/secret", status: 403, code: "AccessDenied"},
		{name: "PutObject, not granted", method: "PUT", path: "/anon-public/new", body: "x", status: 403, code: "AccessDenied"},
		{name: "GetBucketPolicy, not granted", method: "GET", path: "/anon-public?policy", status: 403, code: "AccessDenied"},
		{name: "SSE-KMS object needs SigV4", method: "GET", path: "/anon-public/kms-doc", status: 400, code: "InvalidArgument"},
		{name: "KMS", method: "POST", path: "/", body: "{}", hdr: []string{"X-Amz-Target", "TrentService.ListKeys",
			"Content-Type", "application/x-amz-json-1.1"}, status: 403, code: "AccessDenied"},
		{name: "STS", method: "POST", path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15",
			hdr: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 403, code: "AccessDenied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, code, body := anon(t, e.ts, c.method, c.path, c.body, c.hdr...)
			if status != c.status || code != c.code || !strings.Contains(body, c.contains) {
				t.Fatalf("%s %s: %d %s %q; want %d %s containing %q", c.method, c.path, status, code, body, c.status, c.code, c.contains)
			}
		})
	}
	// Signed requests are unaffected: the owner still reads the SSE-KMS object.
	if got := string(get(t, a, "anon-public", "kms-doc")); got != "data of kms-doc" {
		t.Fatalf("owner reads SSE-KMS object: %q", got)
	}
	// The audit trail records CloudTrail's anonymous identity, the bucket
	// owner as recipient.
	waitAudit(t, e.ts, func(ev audit.Event) bool {
		return ev.EventName == "GetObject" && ev.ErrorCode == "" && ev.UserIdentity.AccountID == "anonymous" &&
			ev.UserIdentity.Type == "AWSAccount" && ev.RecipientAccountID == e.a
	})
	waitAudit(t, e.ts, func(ev audit.Event) bool {
		return ev.EventName == "PutObject" && ev.ErrorCode == "AccessDenied" && ev.UserIdentity.AccountID == "anonymous"
	})
}

// TestACLOwnershipControls: Put/Get/DeleteBucketOwnershipControls and
// CreateBucket's x-amz-object-ownership; new buckets are
// BucketOwnerEnforced.
func TestACLOwnershipControls(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	a := e.s3(e.rootA)
	getOwnership := func(bucket string) (types.ObjectOwnership, error) {
		out, err := a.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
		if err != nil {
			return "", err
		}
		if out.OwnershipControls == nil || len(out.OwnershipControls.Rules) != 1 {
			t.Fatalf("ownership controls %+v", out.OwnershipControls)
		}
		return out.OwnershipControls.Rules[0].ObjectOwnership, nil
	}
	putOwnership := func(bucket string, v types.ObjectOwnership) error {
		_, err := a.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: v}}}})
		return err
	}

	mustBucket(t, a, "own-default")
	if got, err := getOwnership("own-default"); err != nil || got != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("new bucket's ownership: %q %v", got, err)
	}
	for _, v := range []types.ObjectOwnership{types.ObjectOwnershipObjectWriter, types.ObjectOwnershipBucketOwnerPreferred, types.ObjectOwnershipBucketOwnerEnforced} {
		if err := putOwnership("own-default", v); err != nil {
			t.Fatalf("put %s: %v", v, err)
		}
		if got, err := getOwnership("own-default"); err != nil || got != v {
			t.Fatalf("after put %s: %q %v", v, got, err)
		}
	}
	if _, err := a.DeleteBucketOwnershipControls(ctx(t), &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String("own-default")}); err != nil {
		t.Fatal(err)
	}
	_, err := getOwnership("own-default")
	wantStatus(t, err, "OwnershipControlsNotFoundError", 404)

	if _, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("own-writer"), ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatal(err)
	}
	if got, err := getOwnership("own-writer"); err != nil || got != types.ObjectOwnershipObjectWriter {
		t.Fatalf("created ObjectWriter: %q %v", got, err)
	}

	// Bad input: an unknown setting, a malformed body.
	wantStatus(t, putOwnership("own-writer", "Nobody"), "MalformedXML", 400)
	_, err = a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("own-bad"), ObjectOwnership: "Nobody"})
	wantStatus(t, err, "InvalidArgument", 400)
	bad := []byte("<OwnershipControls><Rule>")
	sum := md5.Sum(bad)
	status, body := signedDo(t, e.ts, "PUT", "/own-writer?ownershipControls", map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}, bad)
	if status != 400 || xmlElem(body, "Code") != "MalformedXML" {
		t.Fatalf("malformed body: %d %s", status, body)
	}
	// Another account cannot read or change it.
	_, err = e.s3(e.rootB).GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("own-writer")})
	wantDenied(t, err, "Access Denied")
}

// aclXML is a GetBucketAcl/GetObjectAcl body as S3 renders it: owner, then
// grants, each "CanonicalUser id name PERM" or "Group uri PERM".
func aclXML(ownerID, ownerName string, grants ...string) string {
	var b strings.Builder
	b.WriteString(xml.Header + `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>` + ownerID +
		`</ID><DisplayName>` + ownerName + `</DisplayName></Owner><AccessControlList>`)
	for _, g := range grants {
		f := strings.Fields(g)
		b.WriteString(`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="` + f[0] + `">`)
		if f[0] == "Group" {
			b.WriteString(`<URI>` + f[1] + `</URI>`)
		} else {
			b.WriteString(`<ID>` + f[1] + `</ID>`)
			if len(f) == 4 {
				b.WriteString(`<DisplayName>` + f[2] + `</DisplayName>`)
			}
		}
		b.WriteString(`</Grantee><Permission>` + f[len(f)-1] + `</Permission></Grant>`)
	}
	b.WriteString(`</AccessControlList></AccessControlPolicy>`)
	return b.String()
}

const (
	allUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// TestACLGrants: canned ACLs, x-amz-grant-* headers and AccessControlPolicy
// bodies, rendered exactly as S3 renders them, and the errors S3 answers.
func TestACLGrants(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, canonB := e.canonicalIDs(t)
	if _, _, err := e.ts.IAM.CreateAccount(ctx(t), kuraiam.AccountInput{Name: "carol", Email: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	carol, err := e.ts.IAM.AccountByEmail(ctx(t), "carol@example.com")
	if err != nil {
		t.Fatal(err)
	}
	a := e.s3(e.rootA)
	nameA := kuraiam.AdminAccountName
	if _, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("acl-grants"), ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatal(err)
	}
	put(t, a, "acl-grants", "obj", []byte("x"))
	ownerFC := "CanonicalUser " + canonA + " " + nameA + " FULL_CONTROL"

	for _, c := range []struct {
		name string
		key  string // "" for the bucket ACL
		hdr  map[string]string
		body string
		want []string
	}{
		{"private", "", map[string]string{"x-amz-acl": "private"}, "", []string{ownerFC}},
		{"public-read", "", map[string]string{"x-amz-acl": "public-read"}, "", []string{ownerFC, "Group " + allUsers + " READ"}},
		{"public-read-write", "", map[string]string{"x-amz-acl": "public-read-write"}, "",
			[]string{ownerFC, "Group " + allUsers + " READ", "Group " + allUsers + " WRITE"}},
		{"authenticated-read", "", map[string]string{"x-amz-acl": "authenticated-read"}, "", []string{ownerFC, "Group " + authUsers + " READ"}},
		{"log-delivery-write", "", map[string]string{"x-amz-acl": "log-delivery-write"}, "",
			[]string{ownerFC, "Group http://acs.amazonaws.com/groups/s3/LogDelivery WRITE", "Group http://acs.amazonaws.com/groups/s3/LogDelivery READ_ACP"}},
		{"object public-read", "obj", map[string]string{"x-amz-acl": "public-read"}, "", []string{ownerFC, "Group " + allUsers + " READ"}},
		{"object bucket-owner-full-control (same owner)", "obj", map[string]string{"x-amz-acl": "bucket-owner-full-control"}, "", []string{ownerFC}},
		{"grant headers by id, uri and email", "", map[string]string{
			"x-amz-grant-full-control": `id="` + canonA + `"`,
			"x-amz-grant-read":         `id="` + canonB + `", uri="` + allUsers + `"`,
			"x-amz-grant-write-acp":    `emailAddress="carol@example.com"`}, "",
			[]string{ownerFC, "CanonicalUser " + canonB + " partner READ", "Group " + allUsers + " READ",
				"CanonicalUser " + carol.CanonicalID + " carol WRITE_ACP"}},
		{"body", "obj", nil, `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>` + canonA + `</ID></Owner><AccessControlList>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + canonA + `</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="AmazonCustomerByEmail"><EmailAddress>carol@example.com</EmailAddress></Grantee><Permission>READ</Permission></Grant>` +
			`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>` + authUsers + `</URI></Grantee><Permission>READ_ACP</Permission></Grant>` +
			`</AccessControlList></AccessControlPolicy>`,
			[]string{ownerFC, "CanonicalUser " + carol.CanonicalID + " carol READ", "Group " + authUsers + " READ_ACP"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := "/acl-grants/" + c.key + "?acl"
			hdr := map[string]string{}
			for k, v := range c.hdr {
				hdr[k] = v
			}
			if c.body != "" {
				sum := md5.Sum([]byte(c.body))
				hdr["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
			}
			if status, body := signedDo(t, e.ts, "PUT", path, hdr, []byte(c.body)); status != 200 {
				t.Fatalf("put ACL: %d %s", status, body)
			}
			status, body := signedDo(t, e.ts, "GET", path, nil, nil)
			if want := aclXML(canonA, nameA, c.want...); status != 200 || body != want {
				t.Fatalf("get ACL: %d\n got %s\nwant %s", status, body, want)
			}
		})
	}

	// The SDK reads the same document.
	oa, err := a.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("acl-grants"), Key: aws.String("obj")})
	if err != nil || len(oa.Grants) != 3 || oa.Grants[2].Grantee.Type != types.TypeGroup || aws.ToString(oa.Grants[2].Grantee.URI) != authUsers {
		t.Fatalf("GetObjectAcl: %+v %v", oa, err)
	}

	enforced := "acl-enforced"
	mustBucket(t, a, enforced) // BucketOwnerEnforced
	put(t, a, enforced, "obj", []byte("x"))
	for _, c := range []struct {
		name         string
		fn           func() error
		code         string
		status       int
		msgSubstring string
	}{
		{"unknown canonical id", func() error {
			_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-grants"), GrantRead: aws.String(`id="` + strings.Repeat("ab", 32) + `"`)})
			return err
		}, "InvalidArgument", 400, "Invalid id"},
		{"unknown email", func() error {
			_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-grants"), GrantRead: aws.String(`emailAddress="nobody@example.com"`)})
			return err
		}, "UnresolvableGrantByEmailAddress", 400, ""},
		{"unknown canned ACL", func() error {
			_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-grants"), ACL: "world-writable"})
			return err
		}, "InvalidArgument", 400, ""},
		{"canned and grant headers", func() error {
			_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-grants"), ACL: types.BucketCannedACLPrivate, GrantRead: aws.String(`uri="` + allUsers + `"`)})
			return err
		}, "InvalidRequest", 400, ""},
		{"public bucket ACL, ACLs disabled", func() error {
			_, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(enforced), ACL: types.BucketCannedACLPublicRead})
			return err
		}, "AccessControlListNotSupported", 400, "The bucket does not allow ACLs"},
		{"public object ACL, ACLs disabled", func() error {
			_, err := a.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(enforced), Key: aws.String("obj"), ACL: types.ObjectCannedACLPublicRead})
			return err
		}, "AccessControlListNotSupported", 400, ""},
		{"PutObject public-read, ACLs disabled", func() error {
			return putErr(a, t, enforced, "new", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead })
		}, "AccessControlListNotSupported", 400, ""},
		{"CreateBucket public-read without ownership", func() error {
			_, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("acl-public-new"), ACL: types.BucketCannedACLPublicRead})
			return err
		}, "InvalidBucketAclWithObjectOwnership", 400, ""},
		{"BucketOwnerEnforced over a public ACL", func() error {
			_, err := a.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("acl-grants"),
				OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
			return err
		}, "InvalidBucketAclWithObjectOwnership", 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.fn()
			wantStatus(t, err, c.code, c.status)
			var ae smithy.APIError
			if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), c.msgSubstring) {
				t.Fatalf("message %q, want %q", ae.ErrorMessage(), c.msgSubstring)
			}
		})
	}
	// With ACLs disabled S3 accepts only bucket owner full control: the
	// bucket-owner-full-control canned ACL or its equivalent grants; any
	// other canned ACL, private included, is AccessControlListNotSupported
	// ("All S3 PUT requests must either specify the bucket-owner-full-control
	// canned ACL or not specify an ACL").
	_, err = a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(enforced), ACL: types.BucketCannedACLPrivate})
	wantStatus(t, err, "AccessControlListNotSupported", 400)
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(enforced), AccessControlPolicy: &types.AccessControlPolicy{
		Owner:  &types.Owner{ID: aws.String(canonA)},
		Grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(canonA)}, Permission: types.PermissionFullControl}},
	}}); err != nil {
		t.Fatalf("owner FULL_CONTROL body, ACLs disabled: %v", err)
	}
	if err := putErr(a, t, enforced, "bofc", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl }); err != nil {
		t.Fatalf("bucket-owner-full-control, ACLs disabled: %v", err)
	}
	if _, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("acl-public-new"), ACL: types.BucketCannedACLPublicRead,
		ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatalf("CreateBucket public-read with ObjectWriter: %v", err)
	}
	ba, err := a.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String("acl-public-new")})
	if err != nil || len(ba.Grants) != 2 || aws.ToString(ba.Grants[1].Grantee.URI) != allUsers {
		t.Fatalf("created bucket's ACL: %+v %v", ba, err)
	}
}

// TestACLEvaluation: with ACLs enabled a grant is one more way to be
// allowed (AllUsers for anonymous callers, AuthenticatedUsers for signed
// ones, a canonical user for its account); BucketOwnerEnforced turns ACLs
// off and an explicit Deny still wins.
func TestACLEvaluation(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	canonA, canonB := e.canonicalIDs(t)
	a, rootB := e.s3(e.rootA), e.s3(e.rootB)
	for bucket, own := range map[string]types.ObjectOwnership{"acl-writer": types.ObjectOwnershipObjectWriter, "acl-preferred": types.ObjectOwnershipBucketOwnerPreferred} {
		if _, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: own}); err != nil {
			t.Fatal(err)
		}
		put(t, a, bucket, "priv", []byte("private"))
		if err := putErr(a, t, bucket, "pub", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead }); err != nil {
			t.Fatal(err)
		}
		if err := putErr(a, t, bucket, "auth", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLAuthenticatedRead }); err != nil {
			t.Fatal(err)
		}
		if err := putErr(a, t, bucket, "forB", func(in *s3.PutObjectInput) { in.GrantRead = aws.String(`id="` + canonB + `"`) }); err != nil {
			t.Fatal(err)
		}
	}
	userB := e.user(t, e.rootB, "reader", "")
	cUserB := e.s3(userB)

	type who int
	const (
		anonymous who = iota
		bRoot
		bUser
	)
	read := func(w who, bucket, key string) error {
		switch w {
		case anonymous:
			status, code, _ := anon(t, e.ts, "GET", "/"+bucket+"/"+key, "")
			if status == 200 {
				return nil
			}
			return errors.New(code)
		case bRoot:
			return getErr(rootB, t, bucket, key)
		}
		return getErr(cUserB, t, bucket, key)
	}
	check := func(t *testing.T, w who, bucket, key string, allowed bool) {
		t.Helper()
		err := read(w, bucket, key)
		if allowed && err != nil {
			t.Fatalf("read %s/%s: %v, want allowed", bucket, key, err)
		}
		if !allowed && (err == nil || !strings.Contains(err.Error(), "AccessDenied")) {
			t.Fatalf("read %s/%s: %v, want AccessDenied", bucket, key, err)
		}
	}
	for _, bucket := range []string{"acl-writer", "acl-preferred"} {
		for _, c := range []struct {
			name    string
			who     who
			key     string
			allowed bool
		}{
			{"anonymous, public-read", anonymous, "pub", true},
			{"anonymous, private", anonymous, "priv", false},
			{"anonymous, authenticated-read", anonymous, "auth", false},
			{"other root, authenticated-read", bRoot, "auth", true},
			{"other root, READ granted by id", bRoot, "forB", true},
			{"other root, private", bRoot, "priv", false},
			{"other account's user without policy, READ granted", bUser, "forB", false},
		} {
			t.Run(bucket+"/"+c.name, func(t *testing.T) { check(t, c.who, bucket, c.key, c.allowed) })
		}
	}
	// A user of the grantee account needs its own account's permission too.
	e.setPolicy(t, e.rootB, "reader", "p", allow("s3:GetObject *"))
	check(t, bUser, "acl-writer", "forB", true)
	check(t, bUser, "acl-writer", "priv", false)

	// Bucket grants: READ lists, WRITE writes; under ObjectWriter the
	// writer owns what it writes.
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-writer"),
		GrantRead: aws.String(`id="` + canonB + `"`), GrantWrite: aws.String(`id="` + canonB + `"`), GrantFullControl: aws.String(`id="` + canonA + `"`)}); err != nil {
		t.Fatal(err)
	}
	put(t, rootB, "acl-writer", "fromB", []byte("b"))
	l, err := rootB.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("acl-writer"), Prefix: aws.String("fromB"), FetchOwner: aws.Bool(true)})
	if err != nil || len(l.Contents) != 1 || aws.ToString(l.Contents[0].Owner.ID) != canonB {
		t.Fatalf("B lists its object: %+v %v", l, err)
	}
	if got := string(get(t, rootB, "acl-writer", "fromB")); got != "b" {
		t.Fatalf("B reads its own object: %q", got)
	}
	_, err = rootB.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("acl-preferred")})
	wantDenied(t, err, "Access Denied")
	// public-read-write: anonymous writes, owned by the bucket owner.
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-preferred"), ACL: types.BucketCannedACLPublicReadWrite}); err != nil {
		t.Fatal(err)
	}
	if status, code, body := anon(t, e.ts, "PUT", "/acl-preferred/anon-put", "hi"); status != 200 {
		t.Fatalf("anonymous PUT to public-read-write: %d %s %s", status, code, body)
	}
	oa, err := a.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("acl-preferred"), Key: aws.String("anon-put")})
	if err != nil || aws.ToString(oa.Owner.ID) != canonA {
		t.Fatalf("anonymous object's owner: %+v %v", oa, err)
	}

	// An explicit Deny in the bucket policy beats the ACL.
	e.putBucketPolicy(t, a, "acl-writer", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acl-writer/pub"}]}`)
	check(t, anonymous, "acl-writer", "pub", false)

	// BucketOwnerEnforced: ACLs no longer count.
	if _, err := a.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("acl-preferred"), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatal(err)
	}
	check(t, anonymous, "acl-preferred", "pub", true)
	if _, err := a.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("acl-preferred"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}}); err != nil {
		t.Fatal(err)
	}
	check(t, anonymous, "acl-preferred", "pub", false)
	check(t, bRoot, "acl-preferred", "forB", false)
}

// TestACLObjectVersions: PutObjectAcl and GetObjectAcl with a versionId
// address that version's ACL alone.
func TestACLObjectVersions(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	a := e.s3(e.rootA)
	if _, err := a.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("acl-versions"), ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("acl-versions"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	old := aws.ToString(put(t, a, "acl-versions", "k", []byte("old")).VersionId)
	cur := aws.ToString(put(t, a, "acl-versions", "k", []byte("new")).VersionId)
	if _, err := a.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String("acl-versions"), Key: aws.String("k"), VersionId: aws.String(old),
		ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatalf("PutObjectAcl versionId: %v", err)
	}
	for _, c := range []struct {
		version string
		grants  int
		status  int
	}{{old, 2, 200}, {cur, 1, 403}} {
		acl, err := a.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String("acl-versions"), Key: aws.String("k"), VersionId: aws.String(c.version)})
		if err != nil || len(acl.Grants) != c.grants {
			t.Fatalf("GetObjectAcl %s: %+v %v", c.version, acl, err)
		}
		if status, code, body := anon(t, e.ts, "GET", "/acl-versions/k?versionId="+c.version, ""); status != c.status {
			t.Fatalf("anonymous GET version %s: %d %s %s", c.version, status, code, body)
		}
	}
	// Without a versionId: the current version, private.
	if status, _, _ := anon(t, e.ts, "GET", "/acl-versions/k", ""); status != 403 {
		t.Fatalf("anonymous GET current: %d", status)
	}
}

// TestACLDefaultOwnershipConfigured: a deployment configured with
// DefaultObjectOwnership ObjectWriter creates buckets as S3 did before
// April 2023 — ACLs count, a canned public ACL at creation is accepted —
// while an explicit x-amz-object-ownership still wins. A bad setting
// stops Open.
func TestACLDefaultOwnershipConfigured(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.DefaultObjectOwnership = "ObjectWriter" })
	c := ts.client()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("legacy"), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatalf("create with public-read under ObjectWriter default: %v", err)
	}
	out, err := c.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("legacy")})
	if err != nil || len(out.OwnershipControls.Rules) != 1 || out.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipObjectWriter {
		t.Fatalf("ownership: %+v %v", out, err)
	}
	acl, err := c.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String("legacy")})
	if err != nil {
		t.Fatal(err)
	}
	public := false
	for _, g := range acl.Grants {
		public = public || (g.Grantee != nil && aws.ToString(g.Grantee.URI) == allUsers && g.Permission == types.PermissionRead)
	}
	if !public {
		t.Fatalf("public-read grant missing: %+v", acl.Grants)
	}
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("enforced"), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String("enforced"), ACL: types.BucketCannedACLPublicRead})
	wantStatus(t, err, "AccessControlListNotSupported", 400)

	if _, err := server.Open(server.Config{DataDir: t.TempDir(), DefaultObjectOwnership: "Nobody"}); err == nil {
		t.Fatal("Open accepted DefaultObjectOwnership Nobody")
	}
}
