package server_test

import (
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The website configuration API (PutBucketWebsite, GetBucketWebsite,
// DeleteBucketWebsite) and x-amz-website-redirect-location, through the
// SDK. The website endpoint itself is website_test.go's.

func TestWebsiteConfigurationRoundTrip(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "site")

	_, err := c.GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("site")})
	wantStatus(t, err, "NoSuchWebsiteConfiguration", http.StatusNotFound)
	// Deleting what is not there is a success in S3 too.
	if _, err := c.DeleteBucketWebsite(ctx(t), &s3.DeleteBucketWebsiteInput{Bucket: aws.String("site")}); err != nil {
		t.Fatalf("delete without a configuration: %v", err)
	}

	cfg := &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")},
		ErrorDocument: &types.ErrorDocument{Key: aws.String("error.html")},
		RoutingRules: []types.RoutingRule{
			{
				Condition: &types.Condition{KeyPrefixEquals: aws.String("docs/")},
				Redirect:  &types.Redirect{ReplaceKeyPrefixWith: aws.String("documents/")},
			},
			{
				Condition: &types.Condition{HttpErrorCodeReturnedEquals: aws.String("404"), KeyPrefixEquals: aws.String("img/")},
				Redirect: &types.Redirect{HostName: aws.String("img.example.com"), Protocol: types.ProtocolHttps,
					HttpRedirectCode: aws.String("302"), ReplaceKeyWith: aws.String("missing.png")},
			},
		},
	}
	if _, err := c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: aws.String("site"), WebsiteConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	check := func(c *s3.Client) {
		t.Helper()
		out, err := c.GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("site")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.IndexDocument.Suffix) != "index.html" || aws.ToString(out.ErrorDocument.Key) != "error.html" ||
			out.RedirectAllRequestsTo != nil || len(out.RoutingRules) != 2 {
			t.Fatalf("got %+v", out)
		}
		r0, r1 := out.RoutingRules[0], out.RoutingRules[1]
		if aws.ToString(r0.Condition.KeyPrefixEquals) != "docs/" || r0.Condition.HttpErrorCodeReturnedEquals != nil ||
			aws.ToString(r0.Redirect.ReplaceKeyPrefixWith) != "documents/" || r0.Redirect.HostName != nil || r0.Redirect.Protocol != "" ||
			r0.Redirect.HttpRedirectCode != nil || r0.Redirect.ReplaceKeyWith != nil {
			t.Errorf("rule 0: %+v %+v", r0.Condition, r0.Redirect)
		}
		if aws.ToString(r1.Condition.HttpErrorCodeReturnedEquals) != "404" || aws.ToString(r1.Condition.KeyPrefixEquals) != "img/" ||
			aws.ToString(r1.Redirect.HostName) != "img.example.com" || r1.Redirect.Protocol != types.ProtocolHttps ||
			aws.ToString(r1.Redirect.HttpRedirectCode) != "302" || aws.ToString(r1.Redirect.ReplaceKeyWith) != "missing.png" ||
			r1.Redirect.ReplaceKeyPrefixWith != nil {
			t.Errorf("rule 1: %+v %+v", r1.Condition, r1.Redirect)
		}
	}
	check(c)
	// The configuration is on the bucket record: it survives a restart.
	ts.stop(t)
	ts = start(t, ts.dir)
	c = ts.client()
	check(c)

	// A redirect-all configuration replaces the whole document.
	if _, err := c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: aws.String("site"), WebsiteConfiguration: &types.WebsiteConfiguration{
		RedirectAllRequestsTo: &types.RedirectAllRequestsTo{HostName: aws.String("example.com")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("site")})
	if err != nil || out.IndexDocument != nil || out.RoutingRules != nil || aws.ToString(out.RedirectAllRequestsTo.HostName) != "example.com" ||
		out.RedirectAllRequestsTo.Protocol != "" {
		t.Fatalf("redirect all: %v %+v", err, out)
	}

	if _, err := c.DeleteBucketWebsite(ctx(t), &s3.DeleteBucketWebsiteInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("site")})
	wantCode(t, err, "NoSuchWebsiteConfiguration")
}

func TestWebsiteConfigurationMissingBucket(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	_, err := c.GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("nope")})
	wantStatus(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = c.DeleteBucketWebsite(ctx(t), &s3.DeleteBucketWebsiteInput{Bucket: aws.String("nope")})
	wantStatus(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: aws.String("nope"), WebsiteConfiguration: &types.WebsiteConfiguration{
		IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}}})
	wantStatus(t, err, "NoSuchBucket", http.StatusNotFound)
}

func TestWebsiteConfigurationValidationOnTheWire(t *testing.T) {
	t.Parallel()
	ts := start(t)
	mustBucket(t, ts.client(), "sitev")
	doc := func(inner string) string {
		return `<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</WebsiteConfiguration>`
	}
	for _, tc := range []struct {
		name, body, code, msg string
		noMD5                 bool
	}{
		{"no index document", doc(``), "InvalidArgument", "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty", false},
		{"redirect all and an index", doc(`<RedirectAllRequestsTo><HostName>x.example</HostName></RedirectAllRequestsTo><IndexDocument><Suffix>i</Suffix></IndexDocument>`),
			"InvalidArgument", "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.", false},
		{"redirect code 300", doc(`<IndexDocument><Suffix>i</Suffix></IndexDocument><RoutingRules><RoutingRule><Redirect><HttpRedirectCode>300</HttpRedirectCode></Redirect></RoutingRule></RoutingRules>`),
			"InvalidRequest", "The provided HTTP redirect code (300) is not valid. Valid codes are 3XX except 300.", false},
		{"not xml", `index.html`, "MalformedXML", "", false},
		{"no Content-MD5", doc(`<IndexDocument><Suffix>i</Suffix></IndexDocument>`), "InvalidRequest",
			"Missing required header for this request: Content-MD5 OR x-amz-checksum-*", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if !tc.noMD5 {
				sum := md5.Sum([]byte(tc.body))
				hdr["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
			}
			status, body := signedDo(t, ts, "PUT", "/sitev?website", hdr, []byte(tc.body))
			if status != http.StatusBadRequest || xmlElem(body, "Code") != tc.code || (tc.msg != "" && xmlElem(body, "Message") != tc.msg) {
				t.Errorf("got %d %s, want 400 %s %q", status, body, tc.code, tc.msg)
			}
		})
	}
	_, err := ts.client().GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("sitev")})
	wantCode(t, err, "NoSuchWebsiteConfiguration")
}

// Each website action is its own IAM permission.
func TestWebsiteConfigurationPermissions(t *testing.T) {
	t.Parallel()
	e := newAuthzEnv(t, nil)
	root := e.s3(e.rootA)
	mustBucket(t, root, "perm-site")
	reader := e.s3(e.user(t, e.rootA, "reader", allow("s3:GetBucketWebsite arn:aws:s3:::perm-site")))
	writer := e.s3(e.user(t, e.rootA, "writer", allow("s3:PutBucketWebsite arn:aws:s3:::perm-site", "s3:DeleteBucketWebsite arn:aws:s3:::perm-site")))
	cfg := &types.WebsiteConfiguration{IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}}
	put := func(c *s3.Client) error {
		_, err := c.PutBucketWebsite(ctx(t), &s3.PutBucketWebsiteInput{Bucket: aws.String("perm-site"), WebsiteConfiguration: cfg})
		return err
	}
	get := func(c *s3.Client) error {
		_, err := c.GetBucketWebsite(ctx(t), &s3.GetBucketWebsiteInput{Bucket: aws.String("perm-site")})
		return err
	}
	del := func(c *s3.Client) error {
		_, err := c.DeleteBucketWebsite(ctx(t), &s3.DeleteBucketWebsiteInput{Bucket: aws.String("perm-site")})
		return err
	}
	wantDenied(t, put(reader), notAuthorized(userARN(e.a, "reader"), "s3:PutBucketWebsite", "arn:aws:s3:::perm-site", "because no identity-based policy allows the s3:PutBucketWebsite action"))
	if err := put(writer); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, get(writer), notAuthorized(userARN(e.a, "writer"), "s3:GetBucketWebsite", "arn:aws:s3:::perm-site", "because no identity-based policy allows the s3:GetBucketWebsite action"))
	if err := get(reader); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, del(reader), "")
	if err := del(writer); err != nil {
		t.Fatal(err)
	}
}

func TestWebsiteRedirectLocationHeader(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "redir")
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("redir"), Key: aws.String("src"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	const msg = "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."
	writes := map[string]func(loc string) error{
		"PutObject": func(loc string) error {
			_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("redir"), Key: aws.String("k"), Body: strings.NewReader("x"),
				WebsiteRedirectLocation: aws.String(loc)})
			return err
		},
		"CopyObject": func(loc string) error {
			_, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("redir"), Key: aws.String("k"), CopySource: aws.String("redir/src"),
				WebsiteRedirectLocation: aws.String(loc)})
			return err
		},
		"CopyObject REPLACE": func(loc string) error {
			_, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("redir"), Key: aws.String("k"), CopySource: aws.String("redir/src"),
				MetadataDirective: types.MetadataDirectiveReplace, WebsiteRedirectLocation: aws.String(loc)})
			return err
		},
		"CreateMultipartUpload": func(loc string) error {
			_, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("redir"), Key: aws.String("k"),
				WebsiteRedirectLocation: aws.String(loc)})
			return err
		},
		"POST": func(loc string) error {
			obj := []formField{{"key", "k"}, {"x-amz-website-redirect-location", loc}}
			now := time.Now()
			resp := postForm{fields: formOf(obj, signV4(testAK, testSK, now, now.Add(time.Hour), conditionsFor("redir", obj)...)),
				filename: "f", file: strings.NewReader("x")}.send(t, ts, "redir")
			if resp.StatusCode >= 300 {
				b, _ := io.ReadAll(resp.Body)
				return &httpStatusError{resp.StatusCode, string(b)}
			}
			return nil
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			for _, loc := range []string{"index.html", "ftp://example.com/", "/" + strings.Repeat("a", 2048)} {
				err := write(loc)
				if he, ok := err.(*httpStatusError); ok {
					if he.status != http.StatusBadRequest || xmlElem(he.body, "Code") != "InvalidRedirectLocation" {
						t.Errorf("%.30q: %d %s", loc, he.status, he.body)
					}
					continue
				}
				wantStatus(t, err, "InvalidRedirectLocation", http.StatusBadRequest)
				if loc == "index.html" && errMessage(err) != msg {
					t.Errorf("message %q, want %q", errMessage(err), msg)
				}
			}
			for _, loc := range []string{"/index.html", "http://example.com/", "https://example.com/a?b"} {
				if err := write(loc); err != nil {
					t.Errorf("%q refused: %v", loc, err)
				}
			}
		})
	}
	// The REST endpoint returns the stored location as a header; only the
	// website endpoint redirects.
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("redir"), Key: aws.String("moved"), Body: strings.NewReader("x"),
		WebsiteRedirectLocation: aws.String("/new.html")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("redir"), Key: aws.String("moved")})
	if err != nil || aws.ToString(out.WebsiteRedirectLocation) != "/new.html" {
		t.Fatalf("GetObject: %v %+v", err, out)
	}
	out.Body.Close()
}

// CopyObject takes x-amz-website-redirect-location also when it copies the
// rest of the metadata, and a copy onto the source that only sets it is a
// change, not an illegal copy.
func TestWebsiteRedirectLocationOnCopy(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "cpredir")
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("cpredir"), Key: aws.String("page.html"), Body: strings.NewReader("x"),
		ContentType: aws.String("text/html"), Metadata: map[string]string{"owner": "web"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("cpredir"), Key: aws.String("page.html"),
		CopySource: aws.String("cpredir/page.html"), WebsiteRedirectLocation: aws.String("https://example.com/page.html")}); err != nil {
		t.Fatalf("copy onto itself with a new redirect location: %v", err)
	}
	out, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("cpredir"), Key: aws.String("page.html")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.WebsiteRedirectLocation) != "https://example.com/page.html" || aws.ToString(out.ContentType) != "text/html" || out.Metadata["owner"] != "web" {
		t.Errorf("after the copy: redirect %q, type %q, metadata %v", aws.ToString(out.WebsiteRedirectLocation), aws.ToString(out.ContentType), out.Metadata)
	}
	// Without the header a copy onto itself is still refused.
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("cpredir"), Key: aws.String("page.html"), CopySource: aws.String("cpredir/page.html")})
	wantStatus(t, err, "InvalidRequest", http.StatusBadRequest)
}

// httpStatusError is a non-2xx answer to a hand-made request.
type httpStatusError struct {
	status int
	body   string
}

func (e *httpStatusError) Error() string { return http.StatusText(e.status) + ": " + e.body }
