package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/kurastore/kura/internal/server"
)

// The client commands against a real server, configured only the aws
// CLI's way: AWS_ENDPOINT_URL or a profile, no --endpoint.
func TestClientCommandsUseTheAWSEnvironment(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00003", "kura-cli-test-secret-00000000000000000003"
	srv := startCLIServer(t, ak, sk, func(c *server.Config) { c.InventoryInterval = -1 })
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	if _, err := sc.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("cat.jpg"),
		Body: strings.NewReader("meow")}); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte("[lab]\naws_access_key_id = "+ak+"\naws_secret_access_key = "+sk+"\n"), 0o600)
	os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[profile lab]\nregion = us-east-1\nendpoint_url = "+srv.URL()+"\n"), 0o600)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", home)

	run := func(cmd *cobra.Command, args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(args)
		err := cmd.Execute()
		return out.String(), err
	}
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"AWS_ENDPOINT_URL and AWS_* keys", map[string]string{"AWS_ENDPOINT_URL": srv.URL(), "AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk}},
		{"AWS_ENDPOINT_URL_S3", map[string]string{"AWS_ENDPOINT_URL_S3": srv.URL(), "AWS_ACCESS_KEY_ID": ak, "AWS_SECRET_ACCESS_KEY": sk}},
		{"AWS_PROFILE with endpoint_url", map[string]string{"AWS_PROFILE": "lab"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			out, err := run(newObjectCmd(), "encryption", "--bucket", "photos", "--key", "cat.jpg")
			if err != nil {
				t.Fatal(userError(err))
			}
			var enc objectEncryption
			if err := json.Unmarshal([]byte(out), &enc); err != nil || enc.ServerSideEncryption != "AES256" {
				t.Fatalf("kura object encryption: %v %q", err, out)
			}
		})
	}

	// kura bench without --endpoint; its header names the encryption
	// the server applied (none was asked; Kura encrypts with SSE-S3).
	t.Setenv("AWS_PROFILE", "lab")
	out, err := run(newBenchCmd(), "--size", "1KiB", "--concurrency", "1", "--duration", "200ms", "--ops", "put")
	if err != nil {
		t.Fatal(userError(err))
	}
	if !strings.Contains(out, "endpoint="+srv.URL()) || !strings.Contains(out, "sse=AES256(bucket default)") {
		t.Errorf("bench header:\n%s", out)
	}
}
