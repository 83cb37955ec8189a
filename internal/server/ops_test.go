package server_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/server"
)

// An operation performed over HTTP and the same operation performed
// through the operation layer without HTTP (Server.Ops, what a batch job
// calls) leave events built by the same function and are counted in the
// same metric: only what HTTP alone has (Host, signature, TLS, bytes)
// differs.
func TestOperationLayerMatchesHTTP(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "oplayer")
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("oplayer"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put(t, c, "oplayer", "k", []byte("data"))

	tags := &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}
	out, err := c.PutObjectTagging(cx, &s3.PutObjectTaggingInput{Bucket: aws.String("oplayer"), Key: aws.String("k"), Tagging: tags})
	if err != nil {
		t.Fatal(err)
	}
	root := kura.Principal{Type: kura.PrincipalRoot, AccountID: ts.Root.AccountID, ARN: "arn:aws:iam::" + ts.Root.AccountID + ":root",
		PrincipalID: ts.Root.AccountID}
	call := kura.Call{Principal: root, Source: kura.Source{IP: "192.0.2.10", UserAgent: "batch-test", RequestID: "OPSLAYER1",
		InvokedBy: "batchoperations.s3.amazonaws.com"}}
	res, err := ts.Ops.PutObjectTagging(cx, call, ops.TaggingInput{Target: ops.Target{Bucket: "oplayer", Key: "k"},
		Tags: []kura.Tag{{Key: "team", Value: "red"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.VersionID != aws.ToString(out.VersionId) {
		t.Errorf("version tagged without HTTP %q, over HTTP %q: want the same current version", res.VersionID, aws.ToString(out.VersionId))
	}
	if v := ts.version(t, "oplayer", "k"); len(v.Tags) != 1 || v.Tags[0].Value != "red" {
		t.Errorf("tags = %v, want team=red", v.Tags)
	}

	var httpEv, opsEv *audit.Event
	for _, ev := range trailEvents(t, ts.dir) {
		if ev.EventName != "PutObjectTagging" {
			continue
		}
		if ev.RequestID == "OPSLAYER1" {
			opsEv = &ev
		} else {
			httpEv = &ev
		}
	}
	if httpEv == nil || opsEv == nil {
		t.Fatalf("events: over HTTP %v, without HTTP %v; want one of each", httpEv != nil, opsEv != nil)
	}
	for _, f := range []struct {
		what       string
		http, opsv any
	}{
		{"eventSource", httpEv.EventSource, opsEv.EventSource},
		{"eventCategory", httpEv.EventCategory, opsEv.EventCategory},
		{"eventType", httpEv.EventType, opsEv.EventType},
		{"managementEvent", httpEv.ManagementEvent, opsEv.ManagementEvent},
		{"readOnly", httpEv.ReadOnly, opsEv.ReadOnly},
		{"awsRegion", httpEv.AWSRegion, opsEv.AWSRegion},
		{"userIdentity.type", httpEv.UserIdentity.Type, opsEv.UserIdentity.Type},
		{"userIdentity.arn", httpEv.UserIdentity.ARN, opsEv.UserIdentity.ARN},
		{"userIdentity.accountId", httpEv.UserIdentity.AccountID, opsEv.UserIdentity.AccountID},
		{"recipientAccountId", httpEv.RecipientAccountID, opsEv.RecipientAccountID},
		{"resources", len(httpEv.Resources), len(opsEv.Resources)},
		{"requestParameters.bucketName", httpEv.RequestParameters["bucketName"], opsEv.RequestParameters["bucketName"]},
		{"requestParameters.key", httpEv.RequestParameters["key"], opsEv.RequestParameters["key"]},
		{"requestParameters.tagging", httpEv.RequestParameters["tagging"], opsEv.RequestParameters["tagging"]},
		{"responseElements.x-amz-version-id", httpEv.ResponseElements["x-amz-version-id"], opsEv.ResponseElements["x-amz-version-id"]},
	} {
		if f.http != f.opsv {
			t.Errorf("%s: over HTTP %v, without HTTP %v", f.what, f.http, f.opsv)
		}
	}
	for i := range min(len(httpEv.Resources), len(opsEv.Resources)) {
		if httpEv.Resources[i] != opsEv.Resources[i] {
			t.Errorf("resource %d: over HTTP %+v, without HTTP %+v", i, httpEv.Resources[i], opsEv.Resources[i])
		}
	}
	for _, f := range []struct{ what, got, want string }{
		{"sourceIPAddress", opsEv.SourceIPAddress, "192.0.2.10"},
		{"userAgent", opsEv.UserAgent, "batch-test"},
		{"userIdentity.invokedBy", opsEv.UserIdentity.InvokedBy, "batchoperations.s3.amazonaws.com"},
	} {
		if f.got != f.want {
			t.Errorf("event without HTTP: %s = %q, want %q (from the call's source)", f.what, f.got, f.want)
		}
	}
	if n := ts.metric(t, `kura_operations_total{code="200",operation="PutObjectTagging",service="s3"}`); n != 2 {
		t.Errorf("PutObjectTagging counted %d times, want 2 (one over HTTP, one without)", n)
	}
}
