package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

func TestSSERequest(t *testing.T) {
	key := strings.Repeat("k", 32)
	b64 := base64.StdEncoding.EncodeToString([]byte(key))
	sum := md5.Sum([]byte(key))
	md := base64.StdEncoding.EncodeToString(sum[:])
	short := base64.StdEncoding.EncodeToString([]byte("short"))
	shortSum := md5.Sum([]byte("short"))
	shortMD := base64.StdEncoding.EncodeToString(shortSum[:])
	ctx := base64.StdEncoding.EncodeToString([]byte(`{"b":"2","a":"1"}`))
	cases := []struct {
		name    string
		hdr     map[string]string
		typ     kura.SSEType
		given   bool
		errCode string
		errMsg  string
	}{
		{"none", nil, "", false, "", ""},
		{"sse-s3", map[string]string{hdrSSE: "AES256"}, kura.SSES3, true, "", ""},
		{"kms", map[string]string{hdrSSE: "aws:kms", hdrSSEKMSKeyID: "alias/x", hdrSSEContext: ctx, hdrSSEBucketKey: "true"}, kura.SSEKMS, true, "", ""},
		{"dsse", map[string]string{hdrSSE: "aws:kms:dsse"}, kura.SSEDSSE, true, "", ""},
		{"bad value", map[string]string{hdrSSE: "aws:nope"}, "", true, "InvalidArgument", "The encryption method specified is not supported"},
		{"empty value", map[string]string{hdrSSE: ""}, "", true, "InvalidArgument", "The encryption method specified is not supported"},
		{"key id without kms", map[string]string{hdrSSEKMSKeyID: "k"}, "", true, "InvalidArgument", "requires HTTP header x-amz-server-side-encryption : aws:kms"},
		{"key id with AES256", map[string]string{hdrSSE: "AES256", hdrSSEKMSKeyID: "k"}, "", true, "InvalidArgument", "requires HTTP header"},
		{"bad context", map[string]string{hdrSSE: "aws:kms", hdrSSEContext: "not base64!"}, "", true, "InvalidArgument", "string-string map"},
		{"context not a map", map[string]string{hdrSSE: "aws:kms", hdrSSEContext: base64.StdEncoding.EncodeToString([]byte(`{"a":1}`))}, "", true, "InvalidArgument", "string-string map"},
		{"bad bucket key", map[string]string{hdrSSE: "aws:kms", hdrSSEBucketKey: "yes"}, "", true, "InvalidArgument", "true or false"},
		{"sse-c", map[string]string{hdrSSECAlgorithm: "AES256", hdrSSECKey: b64, hdrSSECKeyMD5: md}, kura.SSEC, true, "", ""},
		{"sse-c + sse", map[string]string{hdrSSE: "AES256", hdrSSECAlgorithm: "AES256", hdrSSECKey: b64, hdrSSECKeyMD5: md}, "", true, "InvalidArgument", "incompatible"},
		{"sse-c bad md5", map[string]string{hdrSSECAlgorithm: "AES256", hdrSSECKey: b64, hdrSSECKeyMD5: shortMD}, "", true, "InvalidArgument", "did not match"},
		{"sse-c short key", map[string]string{hdrSSECAlgorithm: "AES256", hdrSSECKey: short, hdrSSECKeyMD5: shortMD}, "", true, "InvalidArgument", "secret key was invalid"},
		{"sse-c no key", map[string]string{hdrSSECAlgorithm: "AES256"}, "", true, "InvalidArgument", "appropriate secret key"},
		{"sse-c no algorithm", map[string]string{hdrSSECKey: b64, hdrSSECKeyMD5: md}, "", true, "InvalidArgument", "valid encryption algorithm"},
		{"sse-c wrong algorithm", map[string]string{hdrSSECAlgorithm: "AES128", hdrSSECKey: b64, hdrSSECKeyMD5: md}, "", true, "InvalidEncryptionAlgorithmError", "Supported value: AES256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.hdr {
				h[http.CanonicalHeaderKey(k)] = []string{v}
			}
			req, given, err := sseRequest(h)
			if tc.errCode != "" {
				e := s3err.As(err)
				if err == nil || e.Code != tc.errCode || !strings.Contains(e.Message, tc.errMsg) {
					t.Fatalf("err = %v, want %s containing %q", err, tc.errCode, tc.errMsg)
				}
				return
			}
			if err != nil || req.Type != tc.typ || given != tc.given {
				t.Fatalf("got %+v given=%v err=%v", req, given, err)
			}
		})
	}
	req, _, _ := sseRequest(http.Header{http.CanonicalHeaderKey(hdrSSE): {"aws:kms"}, http.CanonicalHeaderKey(hdrSSEContext): {ctx}})
	if req.Context != `{"a":"1","b":"2"}` {
		t.Fatalf("context not canonical: %s", req.Context)
	}
}
