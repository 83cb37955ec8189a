package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

func TestInventoryRunCommand(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00002", "kura-cli-test-secret-00000000000000000001"
	srv := startCLIServer(t, ak, sk, func(c *server.Config) { c.InventoryInterval = -1 })
	t.Setenv("AWS_ACCESS_KEY_ID", ak)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
	cx := context.Background()
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	for _, b := range []string{"src", "dest"} {
		if _, err := sc.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sc.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutBucketInventoryConfiguration(cx, &s3.PutBucketInventoryConfigurationInput{Bucket: aws.String("src"), Id: aws.String("r"),
		InventoryConfiguration: &types.InventoryConfiguration{Id: aws.String("r"), IsEnabled: aws.Bool(true),
			IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
			Schedule:               &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
			Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{
				Bucket: aws.String("arn:aws:s3:::dest"), Format: types.InventoryFormatCsv}}}}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := newInventoryCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append(args, "--endpoint", srv.URL()))
		err := cmd.Execute()
		return out.String(), err
	}
	var ee *exitError
	if _, err := run("run", "src", "r"); !errors.As(err, &ee) || ee.code != inventoryNotDelivered || !strings.Contains(err.Error(), "does not allow s3.amazonaws.com") {
		t.Fatalf("run without a destination policy: %v", err)
	}
	if _, err := run("run", "src", "missing"); !errors.As(err, &ee) || ee.code != inventoryFailed || !strings.Contains(err.Error(), "NoSuchConfiguration") {
		t.Fatalf("run of a missing configuration: %v", err)
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::dest/*"}]}`
	if _, err := sc.PutBucketPolicy(cx, &s3.PutBucketPolicyInput{Bucket: aws.String("dest"), Policy: aws.String(pol)}); err != nil {
		t.Fatal(err)
	}
	out, err := run("run", "src", "r")
	if err != nil || !strings.HasPrefix(out, "delivered 1 objects: s3://dest/src/r/") || !strings.HasSuffix(out, "Z/manifest.json\n") {
		t.Fatalf("run: %q, %v", out, err)
	}
	out, err = run("run", "src", "r", "--json")
	var r inventoryRun
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.Objects != 1 || r.Destination != "arn:aws:s3:::dest" || r.Error != "" {
		t.Fatalf("run --json: %q, %v", out, err)
	}
	if _, err := sc.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("dest"), Key: aws.String(r.ManifestKey)}); err != nil {
		t.Errorf("manifest %s: %v", r.ManifestKey, err)
	}
}
