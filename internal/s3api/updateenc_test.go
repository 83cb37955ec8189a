package s3api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

func TestParseObjectEncryption(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	doc := func(inner string) string {
		return `<ObjectEncryption xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</ObjectEncryption>`
	}
	cases := []struct {
		name string
		body string
		want object.EncryptionTarget
		err  *s3err.Error
	}{
		{"ARN", doc(`<SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{KMSKeyARN: arn}, nil},
		{"bucket key", doc(`<SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn><BucketKeyEnabled>true</BucketKeyEnabled></SSE-KMS>`), object.EncryptionTarget{KMSKeyARN: arn, BucketKey: true}, nil},
		{"bucket key off", doc(`<SSE-KMS><BucketKeyEnabled>false</BucketKeyEnabled><KMSKeyArn>` + arn + `</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{KMSKeyARN: arn}, nil},
		{"pretty-printed", doc("\n  <SSE-KMS>\n    <KMSKeyArn>\n      " + arn + "\n    </KMSKeyArn>\n  </SSE-KMS>\n"), object.EncryptionTarget{KMSKeyARN: arn}, nil},
		{"no namespace", `<ObjectEncryption><SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn></SSE-KMS></ObjectEncryption>`, object.EncryptionTarget{KMSKeyARN: arn}, nil},
		{"partition aws-cn", doc(`<SSE-KMS><KMSKeyArn>arn:aws-cn:kms:cn-north-1:123456789012:key/abc</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{KMSKeyARN: "arn:aws-cn:kms:cn-north-1:123456789012:key/abc"}, nil},
		{"DSSE-KMS", doc(`<DSSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn></DSSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEUnsupportedTarget},
		{"SSE-C", doc(`<SSE-C/>`), object.EncryptionTarget{}, object.ErrUOEUnsupportedTarget},
		{"SSE-S3", doc(`<SSE-S3/>`), object.EncryptionTarget{}, object.ErrUOEInvalidTarget},
		{"SSEKMS (member name, not XML name)", doc(`<SSEKMS><KMSKeyArn>` + arn + `</KMSKeyArn></SSEKMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidTarget},
		{"empty", doc(``), object.EncryptionTarget{}, object.ErrUOEInvalidTarget},
		{"two members", doc(`<SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn></SSE-KMS><SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidTarget},
		{"no ARN", doc(`<SSE-KMS/>`), object.EncryptionTarget{}, object.ErrUOEMissingKeyARN},
		{"blank ARN", doc(`<SSE-KMS><KMSKeyArn> </KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEMissingKeyARN},
		{"key id", doc(`<SSE-KMS><KMSKeyArn>1234abcd-12ab-34cd-56ef-1234567890ab</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidKeyARN},
		{"alias", doc(`<SSE-KMS><KMSKeyArn>alias/app</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidKeyARN},
		{"alias ARN", doc(`<SSE-KMS><KMSKeyArn>arn:aws:kms:us-east-1:123456789012:alias/app</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidKeyARN},
		{"key path with a slash", doc(`<SSE-KMS><KMSKeyArn>` + arn + `/x</KMSKeyArn></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidKeyARN},
		{"bucket key TRUE", doc(`<SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn><BucketKeyEnabled>1</BucketKeyEnabled></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidBucketKey},
		{"bucket key empty", doc(`<SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn><BucketKeyEnabled/></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidBucketKey},
		{"bad ARN before bad bucket key", doc(`<SSE-KMS><KMSKeyArn>x</KMSKeyArn><BucketKeyEnabled>maybe</BucketKeyEnabled></SSE-KMS>`), object.EncryptionTarget{}, object.ErrUOEInvalidKeyARN},
		{"wrong root", `<Encryption><SSE-KMS><KMSKeyArn>` + arn + `</KMSKeyArn></SSE-KMS></Encryption>`, object.EncryptionTarget{}, s3err.MalformedXML},
		{"truncated", `<ObjectEncryption><SSE-KMS>`, object.EncryptionTarget{}, s3err.MalformedXML},
		{"not XML", `SSE-KMS please`, object.EncryptionTarget{}, s3err.MalformedXML},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseObjectEncryption([]byte(tc.body))
			if tc.err != nil {
				e := s3err.As(err)
				if e.Code != tc.err.Code || e.Message != tc.err.Message {
					t.Fatalf("error = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestSigV2Detection(t *testing.T) {
	cases := []struct {
		name, authz, query string
		want               bool
	}{
		{"SigV2 header", "AWS AKIAEXAMPLE:c2lnbmF0dXJl", "encryption", true},
		{"SigV4 header", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", "encryption", false},
		{"SigV2 presigned", "", "encryption&AWSAccessKeyId=AKIAEXAMPLE&Expires=1&Signature=abc", true},
		{"SigV4 presigned", "", "encryption&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00&Signature=x", false},
		{"anonymous", "", "encryption", false},
	}
	for _, tc := range cases {
		r := &http.Request{Header: http.Header{}}
		if tc.authz != "" {
			r.Header.Set("Authorization", tc.authz)
		}
		q, _ := url.ParseQuery(tc.query)
		if got := sigV2(r, q); got != tc.want {
			t.Errorf("%s: sigV2 = %v, want %v", tc.name, got, tc.want)
		}
	}
}
