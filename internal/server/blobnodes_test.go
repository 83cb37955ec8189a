package server_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/meta/pg/pgtest"
)

// TestTwoNodesOneBlobStore: two Kura nodes on one PostgreSQL schema and
// one blob store — a shared directory, or a bucket of another Kura —
// each serve what the other wrote: PUT on one node, GET, LIST and DELETE
// on the other, both ways, for a small and a multipart-sized object.
func TestTwoNodesOneBlobStore(t *testing.T) {
	pgtest.DSN(t) // skips without PostgreSQL
	for _, tc := range []struct {
		name    string
		cluster func(t *testing.T) *cluster
	}{
		{"shared directory", func(t *testing.T) *cluster { return newCluster(t) }},
		{"s3 on another Kura", func(t *testing.T) *cluster { return newCluster(t, s3Blobs(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The second node gets the first's root key and root account,
			// as an operator copies them to every node (cluster.node).
			c := tc.cluster(t)
			a, b := c.node(t, ""), c.node(t, "")
			ca, cb := a.client(), b.client()
			mustBucket(t, ca, "shared")
			bodies := map[string][]byte{"small": randBytes(4 << 10), "large": randBytes(12<<20 + 5)}
			for _, dir := range []struct {
				name     string
				from, to *s3.Client
			}{{"a→b", ca, cb}, {"b→a", cb, ca}} {
				for name, body := range bodies {
					key := dir.name + "/" + name
					put(t, dir.from, "shared", key, body)
					if got := get(t, dir.to, "shared", key); !bytes.Equal(got, body) {
						t.Fatalf("%s: GET on the other node returned %d bytes, want the %d put", key, len(got), len(body))
					}
				}
				out, err := dir.to.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("shared"), Prefix: aws.String(dir.name + "/")})
				if err != nil || len(out.Contents) != len(bodies) {
					t.Fatalf("%s: LIST on the other node = %v, %v; want %d keys", dir.name, out, err, len(bodies))
				}
				key := dir.name + "/small"
				if _, err := dir.to.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("shared"), Key: aws.String(key)}); err != nil {
					t.Fatal(err)
				}
				_, err = dir.from.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String(key)})
				var nsk *types.NoSuchKey
				if !errors.As(err, &nsk) {
					t.Fatalf("%s: GET after DELETE on the other node = %v, want NoSuchKey", key, err)
				}
			}
		})
	}
}
