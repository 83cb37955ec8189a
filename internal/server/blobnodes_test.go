package server_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
)

// TestTwoNodesOneBlobStore: two Kura nodes on one PostgreSQL schema and
// one blob store — a shared directory, or a bucket of another Kura —
// each serve what the other wrote: PUT on one node, GET, LIST and DELETE
// on the other, both ways, for a small and a multipart-sized object.
func TestTwoNodesOneBlobStore(t *testing.T) {
	pgtest.DSN(t) // skips without PostgreSQL
	for _, tc := range []struct {
		name  string
		blobs func(t *testing.T) backend.Blobs
	}{
		{"shared directory", func(t *testing.T) backend.Blobs {
			b, err := backend.ParseBlobs("file://" + t.TempDir() + "?shared=1")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{"s3 on another Kura", func(t *testing.T) backend.Blobs {
			bk := s3test.Start(t)
			bk.Bucket("backing")
			t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
			t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
			t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
			b, err := backend.ParseBlobs("s3://backing/nodes/?endpoint=" + bk.URL() + "&path_style=true&region=us-east-1&part_size=5MiB")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blobs := tc.blobs(t)
			schema := pgtest.Schema(t, t.Name())
			dirA, dirB := t.TempDir(), t.TempDir()
			a := startOnPostgres(t, dirA, schema, "", func(c *server.Config) { c.Blobs = blobs })
			// The second node of one deployment: the same root key and
			// root account, as an operator copies them to every node.
			for _, f := range []string{"keys/root.key", "root-credentials.json"} {
				data, err := os.ReadFile(filepath.Join(dirA, f))
				if err != nil {
					t.Fatal(err)
				}
				os.MkdirAll(filepath.Dir(filepath.Join(dirB, f)), 0o700)
				if err := os.WriteFile(filepath.Join(dirB, f), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			b := startOnPostgres(t, dirB, schema, "", func(c *server.Config) { c.Blobs = blobs })
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
