package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// userError on what the SDK returns for real answers and real connection
// failures: one case a row.
func TestUserError(t *testing.T) {
	s3Error := func(status int, code, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>R</RequestId></Error>`, code, msg)
			}
		}
	}
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	plain := httptest.NewServer(s3Error(404, "NoSuchKey", "The specified key does not exist."))
	defer plain.Close()
	tlsSrv := httptest.NewUnstartedServer(s3Error(200, "", ""))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		endpoint string
		head     bool
		want     string
	}{
		{"NoSuchKey", s3Error(404, "NoSuchKey", "The specified key does not exist."), "", false,
			"GetObject: NoSuchKey: The specified key does not exist. (check the bucket, key and --version-id)"},
		{"AccessDenied naming the KMS action: no hint needed", s3Error(403, "AccessDenied",
			"User: arn:aws:iam::111122223333:user/u is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:Decrypt action"), "", false,
			"GetObject: AccessDenied: User: arn:aws:iam::111122223333:user/u is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:Decrypt action"},
		{"plain Access Denied points at the audit trail", s3Error(403, "AccessDenied", "Access Denied"), "", false,
			"GetObject: AccessDenied: Access Denied (the server's audit trail names the refused action: kura audit --data DIR --errors --since 10m)"},
		{"HEAD has no body", s3Error(404, "", ""), "", true,
			"HeadObject: NotFound (check the bucket, key and --version-id)"},
		{"unknown access key", s3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."), "", false,
			"GetObject: InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records. (the server does not know this access key: check AWS_ACCESS_KEY_ID, AWS_PROFILE or --access-key; kura server prints the root key at its first start)"},
		{"SSE-C over HTTP names the server flag", s3Error(400, "InvalidRequest", "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."), "", false,
			"(use an https:// endpoint; a Kura server for local testing over HTTP accepts SSE-C with --allow-insecure-sse-c)"},
		{"nothing listening", nil, closed(), false, "connection refused (is `kura server` running there?"},
		{"untrusted certificate", nil, tlsSrv.URL, false, "the server's TLS certificate is not trusted (give its CA with --ca-bundle or AWS_CA_BUNDLE"},
		{"https to an http server", nil, strings.Replace(plain.URL, "http://", "https://", 1), false, "answers plain HTTP, not HTTPS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := tc.endpoint
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				endpoint = srv.URL
			}
			c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", ""), RetryMaxAttempts: 1,
				HTTPClient: &http.Client{Timeout: 10 * time.Second}})
			ctx := context.Background()
			var err error
			if tc.head {
				_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
			} else {
				_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
			}
			if err == nil {
				t.Fatal("no error")
			}
			got := userError(err)
			if !strings.Contains(got, tc.want) {
				t.Errorf("userError:\n got %s\nwant %s\n(SDK: %v)", got, tc.want, err)
			}
			if strings.Contains(got, "StatusCode:") || strings.Contains(got, "RequestID:") {
				t.Errorf("SDK dump left in %q", got)
			}
		})
	}
	// A command's own context stays in front.
	if got := userError(fmt.Errorf("finding the caller's account: %w", errors.New("boom"))); got != "finding the caller's account: boom" {
		t.Errorf("plain error: %q", got)
	}
}
