package server_test

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestLifecycleConfigurationRoundTrip(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustBucket(t, c, "lcrt")
	b := aws.String("lcrt")

	_, err := c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantCode(t, err, "NoSuchLifecycleConfiguration")

	date := time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled,
			Filter:      &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration:  &types.LifecycleExpiration{Days: aws.Int32(30)},
			Transitions: []types.Transition{{Days: aws.Int32(7), StorageClass: types.TransitionStorageClassGlacier}}},
		{Status: types.ExpirationStatusDisabled, // no ID: the server makes one
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("tmp/"),
				Tags: []types.Tag{{Key: aws.String("class"), Value: aws.String("scratch")}}, ObjectSizeGreaterThan: aws.Int64(1024)}},
			Expiration: &types.LifecycleExpiration{Date: &date}},
		{ID: aws.String("versions"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{},
			NoncurrentVersionExpiration:    &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(10), NewerNoncurrentVersions: aws.Int32(3)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)},
			Expiration:                     &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}},
	}
	putOut, err := c.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	if err != nil {
		t.Fatal(err)
	}
	if putOut.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Errorf("PUT transition minimum size = %q", putOut.TransitionDefaultMinimumObjectSize)
	}
	out, err := c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if out.TransitionDefaultMinimumObjectSize != types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k {
		t.Errorf("GET transition minimum size = %q", out.TransitionDefaultMinimumObjectSize)
	}
	if len(out.Rules) != 3 {
		t.Fatalf("got %d rules, want 3", len(out.Rules))
	}
	r0, r1, r2 := out.Rules[0], out.Rules[1], out.Rules[2]
	if aws.ToString(r0.ID) != "logs" || r0.Status != types.ExpirationStatusEnabled || aws.ToString(r0.Filter.Prefix) != "logs/" ||
		aws.ToInt32(r0.Expiration.Days) != 30 || len(r0.Transitions) != 1 || aws.ToInt32(r0.Transitions[0].Days) != 7 ||
		r0.Transitions[0].StorageClass != types.TransitionStorageClassGlacier {
		t.Errorf("rule 0 = %+v", r0)
	}
	if aws.ToString(r1.ID) == "" {
		t.Errorf("rule without ID got none")
	}
	if r1.Status != types.ExpirationStatusDisabled || r1.Filter.And == nil || aws.ToString(r1.Filter.And.Prefix) != "tmp/" ||
		len(r1.Filter.And.Tags) != 1 || aws.ToString(r1.Filter.And.Tags[0].Value) != "scratch" ||
		aws.ToInt64(r1.Filter.And.ObjectSizeGreaterThan) != 1024 || r1.Expiration.Date == nil || !r1.Expiration.Date.Equal(date) {
		t.Errorf("rule 1 = %+v", r1)
	}
	if aws.ToInt32(r2.NoncurrentVersionExpiration.NoncurrentDays) != 10 || aws.ToInt32(r2.NoncurrentVersionExpiration.NewerNoncurrentVersions) != 3 ||
		aws.ToInt32(r2.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 2 || !aws.ToBool(r2.Expiration.ExpiredObjectDeleteMarker) {
		t.Errorf("rule 2 = %+v", r2)
	}

	// A second GET returns the same generated ID: it is stored, not made
	// up per request.
	again, err := c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil || aws.ToString(again.Rules[1].ID) != aws.ToString(r1.ID) {
		t.Errorf("second GET: %v, ID %q vs %q", err, aws.ToString(again.Rules[1].ID), aws.ToString(r1.ID))
	}

	if _, err := c.DeleteBucketLifecycle(ctx(t), &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
}

// TestLifecycleLegacyPrefix checks the pre-Filter form some tools still send.
func TestLifecycleLegacyPrefix(t *testing.T) {
	t.Parallel()
	ts := start(t)
	mustBucket(t, ts.client(), "lcl")
	body := `<LifecycleConfiguration><Rule><ID>old</ID><Prefix>a/</Prefix><Status>Enabled</Status>` +
		`<Expiration><Days>5</Days></Expiration></Rule></LifecycleConfiguration>`
	sum := md5.Sum([]byte(body))
	status, resp := signedDo(t, ts, "PUT", "/lcl?lifecycle", map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}, []byte(body))
	if status != http.StatusOK {
		t.Fatalf("PUT: %d %s", status, resp)
	}
	status, resp = signedDo(t, ts, "GET", "/lcl?lifecycle", nil, nil)
	if status != http.StatusOK || !strings.Contains(resp, "<Prefix>a/</Prefix>") || strings.Contains(resp, "<Filter>") {
		t.Errorf("GET: %d %s", status, resp)
	}
}

func TestLifecycleValidation(t *testing.T) {
	t.Parallel()
	ts := start(t)
	mustBucket(t, ts.client(), "lcv")
	rule := func(inner string) string {
		return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>` + inner + `</Rule></LifecycleConfiguration>`
	}
	exp := `<Expiration><Days>1</Days></Expiration>`
	for _, tc := range []struct {
		name, body, code, msg string
		noMD5                 bool
	}{
		{"days zero", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>`), "InvalidArgument",
			"'Days' for Expiration action must be a positive integer", false},
		{"date not midnight", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2031-01-01T12:00:00Z</Date></Expiration>`),
			"InvalidArgument", "Date must be at midnight GMT", false},
		{"id too long", rule(`<ID>` + strings.Repeat("i", 256) + `</ID><Filter/><Status>Enabled</Status>` + exp), "InvalidArgument",
			"ID length should not exceed allowed limit of 255", false},
		{"bad status", rule(`<Filter/><Status>On</Status>` + exp), "MalformedXML", "", false},
		{"no action", rule(`<Filter/><Status>Enabled</Status>`), "InvalidRequest", "At least one action needs to be specified in a rule", false},
		{"filter and prefix", rule(`<Prefix>x</Prefix><Filter/><Status>Enabled</Status>` + exp), "MalformedXML", "", false},
		{"duplicate id", `<LifecycleConfiguration><Rule><ID>a</ID><Filter/><Status>Enabled</Status>` + exp + `</Rule>` +
			`<Rule><ID>a</ID><Filter/><Status>Enabled</Status>` + exp + `</Rule></LifecycleConfiguration>`, "InvalidArgument", "", false},
		{"not xml", `lifecycle`, "MalformedXML", "", false},
		{"no rules", `<LifecycleConfiguration/>`, "MalformedXML", "", false},
		{"too many rules", `<LifecycleConfiguration>` + strings.Repeat(`<Rule><Filter/><Status>Enabled</Status>`+exp+`</Rule>`, 1001) +
			`</LifecycleConfiguration>`, "MalformedXML", "", false},
		{"no Content-MD5", rule(`<Filter/><Status>Enabled</Status>` + exp), "InvalidRequest",
			"Missing required header for this request: Content-MD5 OR x-amz-checksum-*", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if !tc.noMD5 {
				sum := md5.Sum([]byte(tc.body))
				hdr["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
			}
			status, body := signedDo(t, ts, "PUT", "/lcv?lifecycle", hdr, []byte(tc.body))
			if status != http.StatusBadRequest || xmlElem(body, "Code") != tc.code || (tc.msg != "" && xmlElem(body, "Message") != tc.msg) {
				t.Errorf("got %d %s, want 400 %s %q", status, body, tc.code, tc.msg)
			}
		})
	}
	_, err := ts.client().GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lcv")})
	wantCode(t, err, "NoSuchLifecycleConfiguration")
}
