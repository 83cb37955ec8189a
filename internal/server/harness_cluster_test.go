package server_test

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/server"
)

// TestHarnessClusterMode: with KURA_TEST_NODES=3 (set here when the run
// does not set it) startWith runs three nodes behind one URL, and the
// requests of one SDK client from ts.client() go round robin: each of
// consecutive requests is served by another node than the one before —
// each node's own /metrics says which —, every node serves some, and what
// one node wrote the next one reads.
func TestHarnessClusterMode(t *testing.T) {
	if !clusterMode(t) {
		t.Setenv("KURA_TEST_NODES", "3")
	}
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.AdminListen = "127.0.0.1:0" })
	if len(ts.nodes) < 2 {
		t.Fatalf("%d nodes, want several", len(ts.nodes))
	}
	c := ts.client()
	mustBucket(t, c, "spread")
	const sample = `kura_operations_total{code="200",operation="HeadBucket",service="s3"}`
	counts := func() []int64 {
		out := make([]int64, len(ts.nodes))
		for i, s := range ts.nodes {
			out[i], _ = nodeMetric(t, s, sample)
		}
		return out
	}
	before := counts()
	served := make([]int, len(ts.nodes))
	last := -1
	for r := range 3 * len(ts.nodes) {
		if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("spread")}); err != nil {
			t.Fatal(err)
		}
		after := counts()
		node := -1
		for i := range after {
			if after[i] != before[i] {
				if node != -1 || after[i] != before[i]+1 {
					t.Fatalf("request %d: HeadBucket counts went %v → %v, want one node's up by one", r, before, after)
				}
				node = i
			}
		}
		if node == -1 {
			t.Fatalf("request %d: no node counted it (%v)", r, after)
		}
		if node == last {
			t.Fatalf("request %d went to node %d, as the one before: the client is pinned to a node", r, node)
		}
		served[node]++
		last, before = node, after
	}
	for i, n := range served {
		if n == 0 {
			t.Fatalf("node %d served none of the requests (%v)", i, served)
		}
	}
	// Read after write across nodes: each PUT is read back by the next
	// requests, which other nodes serve.
	for i := range 2 * len(ts.nodes) {
		body := randBytes(1000 + i)
		put(t, c, "spread", "k", body)
		if got := get(t, c, "spread", "k"); !bytes.Equal(got, body) {
			t.Fatalf("round %d: GET after PUT returned other bytes", i)
		}
	}
	t.Logf("requests per node: %v", served)
}
