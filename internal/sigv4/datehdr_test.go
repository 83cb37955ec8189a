package sigv4

import (
	"net/http"
	"testing"
)

// TestDateHeaderForms signs with the Date header alone in each form a client
// sends it. botocore, when the caller set a Date header, drops X-Amz-Date and
// sends Python's formatdate() form with a numeric "-0000" zone.
func TestDateHeaderForms(t *testing.T) {
	for _, tc := range []struct {
		name, date string
		ok         bool
	}{
		{"http GMT", "Fri, 24 May 2013 00:00:00 GMT", true},
		{"botocore -0000", "Fri, 24 May 2013 00:00:00 -0000", true},
		{"numeric +0000", "Fri, 24 May 2013 00:00:00 +0000", true},
		{"numeric offset", "Fri, 24 May 2013 02:00:00 +0200", true},
		{"garbage", "yesterday", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, http.MethodGet, "h", "b/k", "", nil)
			r.Header.Set("Date", tc.date)
			r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			c := Credential{AccessKey: testAK, Date: "20130524", Region: testRegion, Service: "s3"}
			signed := []string{"date", "host", "x-amz-content-sha256"}
			sr := toServer(t, r)
			cr := canonicalRequest(sr, "/b/k", "", signed, "h", emptySHA256)
			sig := hmacSHA256(signingKey(testSecret, c), stringToSign("20130524T000000Z", c.Scope(), cr))
			sr.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAK+"/"+c.Scope()+
				",SignedHeaders=date;host;x-amz-content-sha256,Signature="+hexString(sig))
			_, err := testVerifier(testTime).Verify(sr)
			if tc.ok && err != nil {
				t.Fatalf("Date %q: %v", tc.date, err)
			}
			if !tc.ok {
				wantErr(t, err, errNoDate, "")
			}
		})
	}
}
