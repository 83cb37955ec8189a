package sigv4

import (
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/kurastore/kura/internal/s3err"
)

// TestPOSTSignatureV4Example checks the signing-key derivation and policy
// HMAC against AWS's worked example (sigv4-post-example): secret
// wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 20151229/us-east-1/s3.
func TestPOSTSignatureV4Example(t *testing.T) {
	const policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	const want = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
	c := Credential{AccessKey: "AKIAIOSFODNN7EXAMPLE", Date: "20151229", Region: "us-east-1", Service: "s3"}
	if got := hex.EncodeToString(POSTSignatureV4("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", c, policy)); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	v := &Verifier{Region: "us-east-1", Lookup: func(string) (string, error) { return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", nil }}
	f := POSTForm{Policy: policy, Algorithm: "AWS4-HMAC-SHA256", Credential: "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
		Date: "20151229T000000Z", Signature: want}
	res, err := v.VerifyPOST(f)
	if err != nil || res.AccessKey != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("VerifyPOST: %v %+v", err, res)
	}
	for name, mut := range map[string]func(*POSTForm){
		"signature":     func(f *POSTForm) { f.Signature = "0" + want[1:] },
		"policy":        func(f *POSTForm) { f.Policy = policy[:len(policy)-2] + "fQ" },
		"date mismatch": func(f *POSTForm) { f.Date = "20151230T000000Z" },
		"region":        func(f *POSTForm) { f.Credential = "AKIAIOSFODNN7EXAMPLE/20151229/eu-west-1/s3/aws4_request" },
		"algorithm":     func(f *POSTForm) { f.Algorithm = "AWS4-HMAC-SHA1" },
	} {
		g := f
		mut(&g)
		if _, err := v.VerifyPOST(g); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPOSTSignatureV2(t *testing.T) {
	v := &Verifier{Lookup: func(ak string) (string, error) {
		if ak != "AK" {
			return "", s3err.InvalidAccessKeyID
		}
		return "secret", nil
	}}
	sig := base64.StdEncoding.EncodeToString(POSTSignatureV2("secret", "cG9saWN5"))
	if _, err := v.VerifyPOST(POSTForm{Policy: "cG9saWN5", AccessKeyID: "AK", SignatureV2: sig}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyPOST(POSTForm{Policy: "cG9saWN4", AccessKeyID: "AK", SignatureV2: sig}); !s3err.Is(err, s3err.SignatureDoesNotMatch) {
		t.Fatalf("tampered policy: %v", err)
	}
	if _, err := v.VerifyPOST(POSTForm{Policy: "cG9saWN5", AccessKeyID: "NO", SignatureV2: sig}); !s3err.Is(err, s3err.InvalidAccessKeyID) {
		t.Fatalf("unknown key: %v", err)
	}
}
