package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/blob/s3/s3test"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
	"github.com/kurastore/kura/internal/migrate"
	"github.com/kurastore/kura/internal/server"
)

const migAK, migSK = "AKIAKURAMIGRATETEST1", "kura-migrate-test-secret-000000000000000"

// migClients are SDK clients of one server.
type migClients struct {
	s3  *s3.Client
	kms *kms.Client
	iam *iam.Client
	ctl *s3control.Client
}

func migStart(t *testing.T, cfg server.Config) (*server.Server, migClients) {
	t.Helper()
	cfg.Listen, cfg.RootAccessKey, cfg.RootSecretKey = "127.0.0.1:0", migAK, migSK
	cfg.AllowInsecureSSEC, cfg.OrphanSweepInterval = true, -1
	cfg.AdminListen = "off"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewStaticCredentialsProvider(migAK, migSK, "")
	addr := strings.TrimPrefix(srv.URL(), "http://")
	_, port, _ := net.SplitHostPort(addr)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return srv, migClients{
		s3:  s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true, Credentials: creds}),
		kms: kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: creds}),
		iam: iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Credentials: creds}),
		// S3 Control puts the account id in front of the host: take any
		// name to the server, as a hosts entry would.
		ctl: s3control.New(s3control.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://localhost:" + port), Credentials: creds,
			HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dial}, Timeout: time.Minute}}),
	}
}

func migStop(t *testing.T, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// migObject is what a GET must give back after the migration.
type migObject struct {
	key, version string
	body         []byte
	etag         string
	sse          s3types.ServerSideEncryption
	kmsKey       string
	ssec         bool
}

var migCustomerKey = bytes.Repeat([]byte{7}, 32)

func ssecHeaders() (alg, key, keyMD5 *string) {
	sum := md5.Sum(migCustomerKey)
	return aws.String("AES256"), aws.String(base64.StdEncoding.EncodeToString(migCustomerKey)), aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

// TestMigrateWire fills an embedded deployment through the S3, KMS, IAM
// and S3 Control wire (SSE-S3, SSE-KMS, SSE-C, multipart, versions, tags,
// an unfinished upload, an IAM user and its key, a KMS key, a batch
// re-key job), stops it, runs `kura migrate` into PostgreSQL and a blob
// store (a file:// directory; an s3:// bucket on another Kura), starts a
// server on the migrated stores with the printed flags, and reads
// everything back: the same bytes, ETags, versions, encryption, tags; the
// user's key and the KMS key work.
func TestMigrateWire(t *testing.T) {
	for _, c := range []struct {
		name  string
		blobs func(t *testing.T) string // the target blob store's URL
	}{
		{"file", func(t *testing.T) string { return "file://" + filepath.Join(t.TempDir(), "blobs") }},
		// Another Kura as the S3 store (internal/blob/s3/s3test).
		{"s3", func(t *testing.T) string {
			b := s3test.Start(t)
			b.Bucket("kura-blobs")
			t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
			t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
			return "s3://kura-blobs/migrated?endpoint=" + url.QueryEscape(b.URL()) + "&path_style=true&region=us-east-1"
		}},
	} {
		t.Run(c.name, func(t *testing.T) { testMigrateWire(t, c.blobs(t)) })
	}
}

func testMigrateWire(t *testing.T, blobsURL string) {
	ctx := context.Background()
	dir := t.TempDir()
	srv, c := migStart(t, server.Config{DataDir: dir})
	b := aws.String("mig")
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	key, err := c.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("migrate test")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	var objs []migObject
	put := func(in *s3.PutObjectInput, o migObject) {
		t.Helper()
		in.Bucket, in.Key, in.Body = b, aws.String(o.key), bytes.NewReader(o.body)
		out, err := c.s3.PutObject(ctx, in)
		if err != nil {
			t.Fatalf("put %s: %v", o.key, err)
		}
		o.version, o.etag = aws.ToString(out.VersionId), aws.ToString(out.ETag)
		objs = append(objs, o)
	}
	put(&s3.PutObjectInput{}, migObject{key: "plain", body: []byte("first version"), sse: s3types.ServerSideEncryptionAes256})
	put(&s3.PutObjectInput{}, migObject{key: "plain", body: []byte("second version"), sse: s3types.ServerSideEncryptionAes256})
	put(&s3.PutObjectInput{ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyARN)},
		migObject{key: "kms", body: bytes.Repeat([]byte("k"), 100_000), sse: s3types.ServerSideEncryptionAwsKms, kmsKey: keyARN})
	alg, ck, ckMD5 := ssecHeaders()
	put(&s3.PutObjectInput{SSECustomerAlgorithm: alg, SSECustomerKey: ck, SSECustomerKeyMD5: ckMD5},
		migObject{key: "ssec", body: []byte("customer-keyed"), ssec: true})
	put(&s3.PutObjectInput{}, migObject{key: "rekey-me", body: []byte("re-keyed by a batch job"), sse: s3types.ServerSideEncryptionAes256})
	if _, err := c.s3.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("plain"),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}}}); err != nil {
		t.Fatal(err)
	}
	// Multipart: two parts, and an upload left unfinished.
	part1, part2 := bytes.Repeat([]byte("a"), 5<<20), []byte("tail")
	mpu, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mpu")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		out, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("mpu"), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	done, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("mpu"), UploadId: mpu.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs, migObject{key: "mpu", version: aws.ToString(done.VersionId), etag: aws.ToString(done.ETag),
		body: append(bytes.Clone(part1), part2...), sse: s3types.ServerSideEncryptionAes256})
	open, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("unfinished")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("unfinished"), UploadId: open.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("part one")}); err != nil {
		t.Fatal(err)
	}
	// An IAM user with a key that may read the bucket and use the KMS key.
	if _, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","kms:Decrypt"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	ak, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	// A batch job re-keying "rekey-me" from SSE-S3 to SSE-KMS, run to completion.
	jobID := migBatchJob(t, c, srv.Root.AccountID, keyARN)
	for i := range objs {
		if objs[i].key == "rekey-me" {
			objs[i].sse, objs[i].kmsKey = s3types.ServerSideEncryptionAwsKms, keyARN
		}
	}
	ciphertext, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("sealed before")})
	if err != nil {
		t.Fatal(err)
	}
	migStop(t, srv)

	// Migrate into PostgreSQL and a blob directory.
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", pgtest.Schema(t, t.Name()))
	u.RawQuery = q.Encode()
	metaURL := u.String()
	out, err := runMigrate(t, "--data", dir, "--meta", metaURL, "--blobs", blobsURL)
	if err != nil {
		t.Fatalf("kura migrate: %v\n%s", err, out)
	}
	startLine := "kura server --data " + shellQuote(dir) + " --meta " + shellQuote(metaURL) + " --blobs " + shellQuote(blobsURL) + "\n"
	for _, want := range []string{"Verified in", "SHA-256", "keys/root.key", startLine} {
		if !strings.Contains(out, want) {
			t.Errorf("migrate's report does not say %q:\n%s", want, out)
		}
	}
	t.Log(out)
	// --verify-only passes, then names a target blob damaged (one byte
	// flipped, same size), and a run without it copies the blob again.
	vout, err := runMigrate(t, "--data", dir, "--meta", metaURL, "--blobs", blobsURL, "--verify-only", "--json")
	var rep migrate.Report
	if err != nil || json.Unmarshal([]byte(vout), &rep) != nil || !rep.Verified || rep.Blobs == 0 || rep.Rows == 0 {
		t.Fatalf("kura migrate --verify-only --json: %v\n%s", err, vout)
	}
	if strings.HasPrefix(blobsURL, "file://") {
		damageBlob(t, dir, metaURL, blobsURL)
	}
	// The data directory's meta.db is the source, unchanged; the new
	// server must not touch it.
	before, err := os.Stat(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}

	m, err := backend.ParseMeta(metaURL)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := backend.ParseBlobs(blobsURL)
	if err != nil {
		t.Fatal(err)
	}
	srv, c = migStart(t, server.Config{DataDir: dir, Meta: m, Blobs: bl})
	defer migStop(t, srv)
	for _, o := range objs {
		in := &s3.GetObjectInput{Bucket: b, Key: aws.String(o.key), VersionId: aws.String(o.version)}
		if o.ssec {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = ssecHeaders()
		}
		got, err := c.s3.GetObject(ctx, in)
		if err != nil {
			t.Errorf("GET %s@%s after the migration: %v", o.key, o.version, err)
			continue
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if !bytes.Equal(body, o.body) || aws.ToString(got.ETag) != o.etag || got.ServerSideEncryption != o.sse ||
			aws.ToString(got.SSEKMSKeyId) != o.kmsKey || (aws.ToString(got.SSECustomerAlgorithm) == "AES256") != o.ssec {
			t.Errorf("GET %s@%s: %d bytes (equal %v), ETag %s, SSE %q key %q SSE-C %q; want %d bytes, ETag %s, SSE %q key %q SSE-C %v",
				o.key, o.version, len(body), bytes.Equal(body, o.body), aws.ToString(got.ETag), got.ServerSideEncryption,
				aws.ToString(got.SSEKMSKeyId), aws.ToString(got.SSECustomerAlgorithm), len(o.body), o.etag, o.sse, o.kmsKey, o.ssec)
		}
	}
	vs, err := c.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String("plain")})
	if err != nil || len(vs.Versions) != 2 || aws.ToString(vs.Versions[0].VersionId) != objs[1].version {
		t.Errorf("versions of plain: %v, %+v", err, vs)
	}
	tags, err := c.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("plain")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Value) != "data" {
		t.Errorf("tags of plain: %v, %+v", err, tags)
	}
	ps, err := c.s3.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("unfinished"), UploadId: open.UploadId})
	if err != nil || len(ps.Parts) != 1 {
		t.Errorf("the unfinished upload's parts: %v, %+v", err, ps)
	}
	// A new version after the migration sorts after the migrated ones.
	if _, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("plain"), Body: strings.NewReader("third")}); err != nil {
		t.Fatal(err)
	}
	if body := getString(t, c.s3, "mig", "plain"); body != "third" {
		t.Errorf("newest plain after a PUT on the target: %q", body)
	}
	// The KMS key decrypts what it sealed before and still encrypts.
	dec, err := c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ciphertext.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "sealed before" {
		t.Errorf("KMS Decrypt after the migration: %v", err)
	}
	if _, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("x")}); err != nil {
		t.Errorf("KMS Encrypt after the migration: %v", err)
	}
	// The IAM user's key works, and only as its policy says.
	alice := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(ak.AccessKey.AccessKeyId), aws.ToString(ak.AccessKey.SecretAccessKey), "")})
	if body := getString(t, alice, "mig", "kms"); body != string(objs[2].body) {
		t.Errorf("alice's GET of the SSE-KMS object: %d bytes", len(body))
	}
	if _, err := alice.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("nope"), Body: strings.NewReader("x")}); err == nil {
		t.Error("alice could PUT: her policy did not move")
	}
	// The batch job is there, complete, with its counts.
	j, err := c.ctl.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(srv.Root.AccountID), JobId: aws.String(jobID)})
	if err != nil || j.Job.Status != ctltypes.JobStatusComplete || aws.ToInt64(j.Job.ProgressSummary.NumberOfTasksSucceeded) != 1 {
		t.Errorf("the batch job after the migration: %v, %+v", err, j)
	}
	after, err := os.Stat(filepath.Join(dir, "meta.db"))
	if err != nil || !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
		t.Errorf("the source meta.db changed: %v", err)
	}
}

func runMigrate(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newMigrateCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func getString(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Errorf("GET %s/%s: %v", bucket, key, err)
		return ""
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

// migBatchJob runs an S3UpdateObjectEncryption job re-keying mig/rekey-me
// to SSE-KMS under keyARN through S3 Control, to completion, and returns
// its id.
func migBatchJob(t *testing.T, c migClients, account, keyARN string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("manifests")}); err != nil {
		t.Fatal(err)
	}
	put, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("manifests"), Key: aws.String("m.csv"), Body: strings.NewReader("mig,rekey-me\n")})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("rekey"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("rekey"), PolicyName: aws.String("batch"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:*"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ctl.CreateJob(ctx, &s3control.CreateJobInput{AccountId: aws.String(account), ConfirmationRequired: aws.Bool(false),
		ClientRequestToken: aws.String("migrate-test"), Priority: aws.Int32(1), RoleArn: role.Role.Arn,
		Operation: &ctltypes.JobOperation{S3UpdateObjectEncryption: &ctltypes.S3UpdateObjectEncryptionOperation{
			ObjectEncryption: &ctltypes.ObjectEncryption{SSEKMS: &ctltypes.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(keyARN)}}}},
		Manifest: &ctltypes.JobManifest{Spec: &ctltypes.JobManifestSpec{Format: ctltypes.JobManifestFormatS3BatchOperationsCsv20180820,
			Fields: []ctltypes.JobManifestFieldName{ctltypes.JobManifestFieldNameBucket, ctltypes.JobManifestFieldNameKey}},
			Location: &ctltypes.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::manifests/m.csv"), ETag: put.ETag}},
		Report: &ctltypes.JobReport{Enabled: false}})
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := c.ctl.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(account), JobId: out.JobId})
		if err != nil {
			t.Fatal(err)
		}
		switch d.Job.Status {
		case ctltypes.JobStatusComplete:
			return aws.ToString(out.JobId)
		case ctltypes.JobStatusFailed, ctltypes.JobStatusCancelled:
			t.Fatalf("batch job %s: %+v", d.Job.Status, d.Job.FailureReasons)
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch job still %s", d.Job.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMigrateLine(t *testing.T) {
	for _, c := range []struct {
		p    migrate.Progress
		want string
	}{
		{migrate.Progress{Phase: migrate.PhaseBlobs, Blobs: 3, BlobsTotal: 10, Bytes: 1 << 20, BytesTotal: 4 << 20},
			"copy blobs   [#######-----------------------]  25%  3/10 blobs  1.0 MiB / 4.0 MiB"},
		{migrate.Progress{Phase: migrate.PhaseRows, Table: "versions", Rows: 500, Total: 1000},
			"copy rows    [###############---------------]  50%  500/1000 rows  (versions)"},
		{migrate.Progress{Phase: migrate.PhaseVerifyRows, Table: "system"},
			"verify rows  [##############################] 100%  0/0 rows  (system)"},
	} {
		if got := migrateLine(c.p); got != c.want {
			t.Errorf("migrateLine(%+v)\n got %q\nwant %q", c.p, got, c.want)
		}
	}
}

func TestPrintableURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://kura@db:5432/kura?schema=k", "postgres://kura@db:5432/kura?schema=k"},
		{"postgres://kura:s3cret@db/kura", "postgres://kura:xxxxx@db/kura"},
		{"postgres://db/kura?password=s3cret&schema=k", "postgres://db/kura?password=xxxxx&schema=k"},
		{"file:///srv/blobs", "file:///srv/blobs"},
	} {
		if got, _ := printableURL(c.in); got != c.want {
			t.Errorf("printableURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// damageBlob flips a byte of one blob of the file:// target and checks
// that --verify-only names it and that a run copies it again.
func damageBlob(t *testing.T, dir, metaURL, blobsURL string) {
	t.Helper()
	damaged := ""
	filepath.WalkDir(strings.TrimPrefix(blobsURL, "file://"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && damaged == "" && filepath.Base(filepath.Dir(p)) != "tmp" {
			damaged = p
		}
		return nil
	})
	data, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := os.WriteFile(damaged, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runMigrate(t, "--data", dir, "--meta", metaURL, "--blobs", blobsURL, "--verify-only")
	var ee *exitError
	if !errors.As(err, &ee) || ee.ExitCode() != migrateDiffers || !strings.Contains(out, "blob "+filepath.Base(damaged)+": the SHA-256 of its ciphertext differs") {
		t.Fatalf("--verify-only of a damaged blob: %v\n%s", err, out)
	}
	if _, err := runMigrate(t, "--data", dir, "--meta", metaURL, "--blobs", blobsURL); !errors.As(err, &ee) || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("kura migrate into a verified target damaged since: %v", err)
	}
	if out, err := runMigrate(t, "--data", dir, "--meta", metaURL, "--blobs", blobsURL, "--overwrite"); err != nil || !strings.Contains(out, "Verified in") {
		t.Fatalf("kura migrate --overwrite after the damage: %v\n%s", err, out)
	}

}
