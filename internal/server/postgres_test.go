package server_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/server"
)

// startOnPostgres runs one server (whatever KURA_TEST_NODES says) on dir with its metadata in PostgreSQL:
// the test database, through addr when not "" (a proxy), in schema.
func startOnPostgres(t *testing.T, dir, schema, addr string, adjust ...func(*server.Config)) *testServer {
	t.Helper()
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if addr != "" {
		u.Host = addr
	}
	q := u.Query()
	q.Set("schema", schema)
	q.Set("application_name", schema)
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	m, err := backend.ParseMeta(u.String())
	if err != nil {
		t.Fatal(err)
	}
	// One node: the tests that call this place their nodes themselves.
	return startNodes(t, dir, 1, func(c *server.Config) {
		c.Meta = m
		for _, a := range adjust {
			a(c)
		}
	})
}

// postgresMeta is the test database's store in the schema that stands
// for dir (KURA_TEST_META=postgres runs every server test on it).
func postgresMeta(t testing.TB, dir string) backend.Meta {
	t.Helper()
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.Schema(t, dir))
	// A small pool per node (the object suite passes with one
	// connection): a cluster test runs three nodes or more, a few tests
	// run at once, and the test database takes 100 connections (other
	// test processes use some too).
	pool := "4"
	if clusterMode(t) {
		pool = "2"
	}
	q.Set("pool_max_conns", pool)
	u.RawQuery = q.Encode()
	m, err := backend.ParseMeta(u.String())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPostgresWire: a server whose metadata is in PostgreSQL serves PUT,
// GET, LIST and UpdateObjectEncryption through the SDK, keeps nothing of
// it in a local meta.db, and finds it all again after a restart.
func TestPostgresWire(t *testing.T) {
	dir := t.TempDir()
	schema := pgtest.Schema(t, t.Name())
	ts := startOnPostgres(t, dir, schema, "")
	c, k := ts.client(), ts.kmsClient()
	cx := ctx(t)
	mustBucket(t, c, "pgwire")
	bodies := map[string][]byte{}
	for _, key := range []string{"a/1", "a/2", "b/1", "top"} {
		bodies[key] = randBytes(4096)
		put(t, c, "pgwire", key, bodies[key])
	}
	if got := get(t, c, "pgwire", "a/2"); !bytes.Equal(got, bodies["a/2"]) {
		t.Fatal("GET a/2 returned other bytes than were PUT")
	}
	list := func() ([]string, []string) {
		t.Helper()
		out, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("pgwire"), Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		var keys, prefixes []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
		return keys, prefixes
	}
	if keys, prefixes := list(); !slices.Equal(keys, []string{"top"}) || !slices.Equal(prefixes, []string{"a/", "b/"}) {
		t.Fatalf("LIST with delimiter = %q, %q; want [top], [a/ b/]", keys, prefixes)
	}
	out, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("pgwire"), Prefix: aws.String("a/"), MaxKeys: aws.Int32(1)})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a/1" || !aws.ToBool(out.IsTruncated) {
		t.Fatalf("LIST a/ page 1 = %v, %v", out, err)
	}
	out, err = c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("pgwire"), Prefix: aws.String("a/"), ContinuationToken: out.NextContinuationToken})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a/2" || aws.ToBool(out.IsTruncated) {
		t.Fatalf("LIST a/ page 2 = %v, %v", out, err)
	}

	arn := createKey(t, k)
	mustUOE(t, c, "pgwire", "a/1", "", arn, false)
	if s := headSSE(t, c, "pgwire", "a/1", ""); s.Type != types.ServerSideEncryptionAwsKms || s.KeyARN != arn {
		t.Fatalf("after UpdateObjectEncryption HEAD says %+v, want aws:kms with %s", s, arn)
	}
	if got := get(t, c, "pgwire", "a/1"); !bytes.Equal(got, bodies["a/1"]) {
		t.Fatal("GET after UpdateObjectEncryption returned other bytes")
	}
	if _, err := os.Stat(filepath.Join(dir, "meta.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data dir holds a meta.db (%v): the metadata should be in PostgreSQL only", err)
	}

	// Restart on the same database: everything is there.
	ts.stop(t)
	ts = startOnPostgres(t, dir, schema, "")
	c = ts.client()
	for key, want := range bodies {
		if got := get(t, c, "pgwire", key); !bytes.Equal(got, want) {
			t.Fatalf("GET %s after restart returned other bytes", key)
		}
	}
	if s := headSSE(t, c, "pgwire", "a/1", ""); s.Type != types.ServerSideEncryptionAwsKms || s.KeyARN != arn {
		t.Fatalf("after restart HEAD says %+v, want aws:kms with %s", s, arn)
	}
}

// TestPostgresOutage: while PostgreSQL cannot be reached, requests get
// 503 ServiceUnavailable (never 500) and /health/ready says not ready;
// once it is back, both recover without anyone restarting Kura. The outage is a TCP proxy between Kura
// and PostgreSQL that stops forwarding and cuts every connection.
func TestPostgresOutage(t *testing.T) {
	target, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, target.Host)
	ts := startOnPostgres(t, t.TempDir(), pgtest.Schema(t, t.Name()), p.addr,
		func(c *server.Config) { c.AdminListen = "127.0.0.1:0" })
	// One attempt per call: the SDK would otherwise retry the 503s.
	c := ts.client(func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	mustBucket(t, c, "outage")
	put(t, c, "outage", "before", []byte("kept"))

	ready := func() int {
		t.Helper()
		resp, err := http.Get(ts.AdminURL() + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("/health/ready before the outage = %d, want 200", code)
	}

	p.down()
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/health/ready during the outage = %d, want 503", code)
	}
	checks := []struct {
		name string
		call func() error
	}{
		{"PUT", func() error {
			_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("outage"), Key: aws.String("during"), Body: bytes.NewReader([]byte("x"))})
			return err
		}},
		{"GET", func() error {
			out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("outage"), Key: aws.String("before")})
			if err == nil {
				out.Body.Close()
			}
			return err
		}},
		{"LIST", func() error {
			_, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("outage")})
			return err
		}},
	}
	for _, ch := range checks {
		err := ch.call()
		var re *smithyhttp.ResponseError
		var ae smithy.APIError
		if !errors.As(err, &re) || re.HTTPStatusCode() != 503 || !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
			t.Errorf("%s during the outage = %v, want 503 ServiceUnavailable", ch.name, err)
		}
	}

	p.up()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("outage"), Key: aws.String("after"), Body: bytes.NewReader([]byte("y"))})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUT after the outage still fails: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := ready(); code != http.StatusOK {
		t.Errorf("/health/ready after the outage = %d, want 200", code)
	}
	if got := get(t, c, "outage", "before"); string(got) != "kept" {
		t.Fatalf("GET before = %q after the outage", got)
	}
}

// proxy forwards TCP connections from a loopback port to target until
// down, which closes the listener and every connection; up listens on
// the same port again.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy up again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}
