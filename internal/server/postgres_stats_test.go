package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/meta/pg"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
)

// countingMeta opens a postgres:// store and keeps it, so a test can read
// its statement counters.
type countingMeta struct {
	backend.Meta
	opened backend.MetaStore
}

func (m *countingMeta) Open(ctx context.Context, log *slog.Logger) (backend.MetaStore, error) {
	ms, err := m.Meta.Open(ctx, log)
	m.opened = ms
	return ms, err
}

// TestPostgresRoundTrips counts the round trips to the database (and the
// SQL statements: a transaction's BEGIN travels with its first) S3
// operations cost on PostgreSQL metadata, averaged over several
// operations with the server otherwise idle: the figures of
// docs/benchmarks.md ("Metadata on PostgreSQL"). Run with -v to see them.
// The bounds only catch a regression to per-key round trips.
func TestPostgresRoundTrips(t *testing.T) {
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.Schema(t, t.Name()))
	u.RawQuery = q.Encode()
	pm, err := backend.ParseMeta(u.String())
	if err != nil {
		t.Fatal(err)
	}
	cm := &countingMeta{Meta: pm}
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Meta = cm })
	stats := func() pg.Stats { return cm.opened.(interface{ Stats() pg.Stats }).Stats() }
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "trips")
	arn := createKey(t, k)
	body := randBytes(4096)
	for i := range 200 {
		put(t, c, "trips", fmt.Sprintf("list/%04d", i), body)
	}

	const n = 50
	// settle waits for the work requests leave behind (the audit
	// outbox's flush), so that it is counted with them; the server's
	// own background work adds ~3-6 statements a second when idle.
	settle := func() { time.Sleep(time.Second) }
	measure := func(name string, op func(i int), limit float64) {
		t.Helper()
		for i := range 10 { // warm up: every pooled connection prepares its statements
			op(n + i)
		}
		settle()
		before, t0 := stats(), time.Now()
		for i := range n {
			op(i)
		}
		settle()
		after, secs := stats(), time.Since(t0).Seconds()
		rt := float64(after.RoundTrips-before.RoundTrips) / n
		st := float64(after.Statements-before.Statements) / n
		tx := float64(after.Transactions-before.Transactions) / n
		t.Logf("%-40s %5.1f round trips, %5.1f statements, %4.1f transactions per operation (%d operations in %.1f s, the last 1 s idle)",
			name, rt, st, tx, n, secs)
		if rt > limit {
			t.Errorf("%s: %.1f round trips per operation, want at most %.0f", name, rt, limit)
		}
	}
	measure("PUT 4 KiB (new key)", func(i int) { put(t, c, "trips", fmt.Sprintf("new/%04d", i), body) }, 40)
	measure("PUT 4 KiB (overwrite)", func(i int) { put(t, c, "trips", "same", body) }, 40)
	measure("GET 4 KiB", func(i int) { get(t, c, "trips", "list/0001") }, 20)
	measure("HEAD", func(i int) {
		if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("trips"), Key: aws.String("list/0001")}); err != nil {
			t.Fatal(err)
		}
	}, 20)
	measure("LIST page of 200 keys (ListObjectsV2)", func(i int) {
		out, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("trips"), Prefix: aws.String("list/")})
		if err != nil || len(out.Contents) != 200 {
			t.Fatalf("LIST: %d keys, %v", len(out.Contents), err)
		}
	}, 30)
	measure("LIST with delimiter (1 prefix, 1 key)", func(i int) {
		if _, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("trips"), Delimiter: aws.String("/"), Prefix: aws.String("")}); err != nil {
			t.Fatal(err)
		}
	}, 60)
	measure("UpdateObjectEncryption SSE-S3 → KMS", func(i int) {
		mustUOE(t, c, "trips", fmt.Sprintf("list/%04d", i), "", arn, false)
	}, 80)
}
