package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

func TestReplicationStatusCommand(t *testing.T) {
	const ak, sk = "AKIAKURACLITEST00003", "kura-cli-test-secret-00000000000000000002"
	srv := startCLIServer(t, ak, sk, func(c *server.Config) { c.ReplicationInterval = 10 * time.Millisecond })
	t.Setenv("AWS_ACCESS_KEY_ID", ak)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sk)
	cx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(ak, sk, "")
	sc := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true, Credentials: creds})
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: creds, HTTPClient: &http.Client{}})
	for _, b := range []string{"src", "dst"} {
		if _, err := sc.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	role, err := ic.CreateRole(cx, &iam.CreateRoleInput{RoleName: aws.String("repl"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(cx, &iam.PutRolePolicyInput{RoleName: aws.String("repl"), PolicyName: aws.String("p"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := newReplicationCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		cmd.SetArgs(append(args, "--endpoint", srv.URL()))
		err := cmd.Execute()
		return out.String(), err
	}
	if _, err := run("status", "src"); err == nil || !strings.Contains(err.Error(), "ReplicationConfigurationNotFoundError") {
		t.Fatalf("status without a configuration: %v", err)
	}
	if _, err := sc.PutBucketReplication(cx, &s3.PutBucketReplicationInput{Bucket: aws.String("src"),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: role.Role.Arn, Rules: []types.ReplicationRule{{
			ID: aws.String("all"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::dst")},
		}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := run("status", "src", "--json")
		var st replicationStatus
		if err != nil || json.Unmarshal([]byte(out), &st) != nil || len(st.Rules) != 1 {
			t.Fatalf("status --json: %q, %v", out, err)
		}
		if st.Rules[0].Completed == 1 {
			if st.Rules[0].ID != "all" || st.Rules[0].Destination != "arn:aws:s3:::dst" || st.Rules[0].PendingOperations != 0 || st.Rules[0].Failed != 0 {
				t.Fatalf("status: %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not replicated: %q", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	out, err := run("status", "src")
	if err != nil || !strings.HasPrefix(out, "RULE") || !strings.Contains(out, "\nall   dst") {
		t.Fatalf("status: %q, %v", out, err)
	}
}
