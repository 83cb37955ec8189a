package sigv4

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kurastore/kura/internal/s3err"
)

// TestSigningKeyCache: a signing key remembered for a scope serves only
// the secret it was derived from. After the access key's secret changes
// (rotated, or the key deleted and re-created), a request signed with
// the old secret fails and one signed with the new secret passes, in the
// same scope; other days, regions and services derive their own.
func TestSigningKeyCache(t *testing.T) {
	secrets := map[string]string{testAK: testSecret}
	v := &Verifier{Lookup: lookupFor(secrets), Now: func() time.Time { return testTime }}
	newSecret := "bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG/"
	send := func(secret, region string, at time.Time) error {
		r := newRequest(t, http.MethodGet, "s3.amazonaws.com", "bucket/key", "", nil)
		sdkSign(t, r, emptySHA256, "s3", region, at, aws.Credentials{AccessKeyID: testAK, SecretAccessKey: secret})
		_, err := v.Verify(toServer(t, r))
		return err
	}
	for _, c := range []struct {
		name       string
		secret     string // what the store has now
		signedWith string
		region     string
		at         time.Time
		want       *s3err.Error // nil: accepted
	}{
		{"first request derives the key", testSecret, testSecret, testRegion, testTime, nil},
		{"same scope, cached", testSecret, testSecret, testRegion, testTime, nil},
		{"wrong secret, cached scope", testSecret, newSecret, testRegion, testTime, s3err.SignatureDoesNotMatch},
		{"another region", testSecret, testSecret, "eu-west-1", testTime, nil},
		{"another day", testSecret, testSecret, testRegion, testTime.Add(-10 * time.Minute), nil},
		{"secret rotated: old signature refused", newSecret, testSecret, testRegion, testTime, s3err.SignatureDoesNotMatch},
		{"secret rotated: new signature accepted", newSecret, newSecret, testRegion, testTime, nil},
		{"secret rotated back", testSecret, testSecret, testRegion, testTime, nil},
		{"and the other one refused again", testSecret, newSecret, testRegion, testTime, s3err.SignatureDoesNotMatch},
	} {
		secrets[testAK] = c.secret
		err := send(c.signedWith, c.region, c.at)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if e := s3err.As(err); err == nil || e.Code != c.want.Code {
			t.Errorf("%s: error %v, want %s", c.name, err, c.want.Code)
		}
	}
}

// TestHeaderValues: headerValues finds what http.Header.Values finds for
// any name a client may list in SignedHeaders, without allocating for the
// ordinary ones.
func TestHeaderValues(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"X-Amz-Date", "Content-Type", "X-Amz-Meta-Odd_name", "X-Amz-Meta-2nd", "weird name", "Content-Md5"} {
		h[k] = []string{"value of " + k}
	}
	for _, name := range []string{"x-amz-date", "X-AMZ-DATE", "x-Amz-date", "content-type", "x-amz-meta-odd_name", "x-amz-meta-2nd",
		"weird name", "content-md5", "x-amz-missing", "", "-", "x--amz", strings.Repeat("x-a", 30)} {
		if got, want := headerValues(h, name), h.Values(name); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { headerValues(h, "x-amz-content-sha256") }); n != 0 {
		t.Errorf("headerValues allocates %v times", n)
	}
}
