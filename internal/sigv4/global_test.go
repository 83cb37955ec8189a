package sigv4

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// IAM and STS requests are signed for "" (boto3 with region_name="") or
// us-east-1 (IAM is global) whatever the server's region; other services
// must use the server's region.
func TestGlobalServiceRegions(t *testing.T) {
	cases := []struct {
		service, region string
		ok              bool
	}{
		{"iam", "", true},
		{"iam", "us-east-1", true},
		{"iam", "eu-west-1", true}, // the server's own region
		{"sts", "", true},
		{"sts", "us-east-1", true},
		{"iam", "us-west-2", false},
		{"sts", "us-west-2", false},
		{"s3", "", false},
		{"s3", "us-east-1", false},
		{"kms", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.service+"/"+tc.region, func(t *testing.T) {
			v := testVerifier(testTime)
			v.Region = "eu-west-1"
			body := []byte("Action=GetUser&Version=2010-05-08")
			r := newRequest(t, http.MethodPost, "localhost:9000", "", "", body)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sdkSign(t, r, sha256Hex(body), tc.service, tc.region, testTime, testCreds)
			if tc.region == "" && !strings.Contains(r.Header.Get("Authorization"), "/20130524//"+tc.service+"/") {
				t.Fatalf("the signer did not use an empty region: %s", r.Header.Get("Authorization"))
			}
			res, err := v.Verify(toServer(t, r))
			if !tc.ok {
				wantErr(t, err, s3err.AuthorizationHeaderMalformed, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Service != tc.service || res.Region != tc.region {
				t.Fatalf("result %+v", res)
			}
			// The region is part of what is signed: claiming another one
			// breaks the signature.
			if tc.region == "" {
				r = newRequest(t, http.MethodPost, "localhost:9000", "", "", body)
				sdkSign(t, r, sha256Hex(body), tc.service, tc.region, testTime, testCreds)
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "//"+tc.service+"/", "/us-east-1/"+tc.service+"/", 1))
				_, err = v.Verify(toServer(t, r))
				wantErr(t, err, s3err.SignatureDoesNotMatch, "")
			}
		})
	}
	// Presigned STS with an empty region.
	r := newRequest(t, http.MethodGet, "localhost:9000", "", "Action=GetCallerIdentity&Version=2011-06-15", nil)
	if _, err := testVerifier(testTime).Verify(toServer(t, sdkPresign(t, r, "sts", "", testTime, 60))); err != nil {
		t.Fatal(err)
	}
}
