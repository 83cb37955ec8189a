package server_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// S3 Inventory through the wire: the configuration API with
// aws-sdk-go-v2, a report produced on request (KuraRunBucketInventory, the
// call `kura inventory run` makes) and read back through the SDK.

func invConfig(id, dest string, mod ...func(*types.InventoryConfiguration)) *types.InventoryConfiguration {
	c := &types.InventoryConfiguration{
		Id: aws.String(id), IsEnabled: aws.Bool(true),
		IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
		Schedule:               &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
		Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{
			Bucket: aws.String("arn:aws:s3:::" + dest), Format: types.InventoryFormatCsv,
		}},
	}
	for _, m := range mod {
		m(c)
	}
	return c
}

func TestInventoryConfigurationAPI(t *testing.T) {
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.InventoryInterval = -1 })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "inv-src")
	put := func(id string, cfg *types.InventoryConfiguration) error {
		_, err := c.PutBucketInventoryConfiguration(cx, &s3.PutBucketInventoryConfigurationInput{
			Bucket: aws.String("inv-src"), Id: aws.String(id), InventoryConfiguration: cfg})
		return err
	}
	full := invConfig("full", "inv-dest", func(x *types.InventoryConfiguration) {
		x.IncludedObjectVersions = types.InventoryIncludedObjectVersionsAll
		x.Filter = &types.InventoryFilter{Prefix: aws.String("photos/")}
		x.OptionalFields = []types.InventoryOptionalField{"Size", "EncryptionStatus", "BucketKeyStatus", "ChecksumAlgorithm", "LifecycleExpirationDate"}
		x.Schedule.Frequency = types.InventoryFrequencyWeekly
		d := x.Destination.S3BucketDestination
		d.AccountId, d.Prefix = aws.String(ts.Root.AccountID), aws.String("reports")
		d.Encryption = &types.InventoryEncryption{SSEKMS: &types.SSEKMS{KeyId: aws.String("arn:aws:kms:us-east-1:" + ts.Root.AccountID + ":key/k")}}
	})
	if err := put("full", full); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketInventoryConfiguration(cx, &s3.GetBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("full")})
	if err != nil {
		t.Fatal(err)
	}
	g := got.InventoryConfiguration
	gd := g.Destination.S3BucketDestination
	if aws.ToString(g.Id) != "full" || !aws.ToBool(g.IsEnabled) || g.IncludedObjectVersions != "All" || g.Schedule.Frequency != "Weekly" ||
		aws.ToString(g.Filter.Prefix) != "photos/" || fmt.Sprint(g.OptionalFields) != "[Size EncryptionStatus BucketKeyStatus ChecksumAlgorithm LifecycleExpirationDate]" ||
		aws.ToString(gd.Bucket) != "arn:aws:s3:::inv-dest" || aws.ToString(gd.AccountId) != ts.Root.AccountID || aws.ToString(gd.Prefix) != "reports" ||
		gd.Format != "CSV" || gd.Encryption == nil || gd.Encryption.SSEKMS == nil || gd.Encryption.SSES3 != nil ||
		!strings.HasSuffix(aws.ToString(gd.Encryption.SSEKMS.KeyId), ":key/k") {
		t.Errorf("Get = %+v / %+v", g, gd)
	}

	// S3's refusals.
	for _, tc := range []struct {
		name, id string
		cfg      *types.InventoryConfiguration
		code     string
	}{
		{"id mismatch", "other", invConfig("x", "inv-dest"), "InvalidArgument"},
		{"bad id", "a b", invConfig("a b", "inv-dest"), "InvalidArgument"},
		{"unknown optional field", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) {
			x.OptionalFields = []types.InventoryOptionalField{"Size", "LastAccessDate"}
		}), "MalformedXML"},
		{"frequency", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) { x.Schedule.Frequency = "Hourly" }), "MalformedXML"},
		{"format", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) { x.Destination.S3BucketDestination.Format = "JSON" }), "MalformedXML"},
		{"versions", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) { x.IncludedObjectVersions = "Some" }), "MalformedXML"},
		{"destination not an ARN", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) {
			x.Destination.S3BucketDestination.Bucket = aws.String("inv-dest")
		}), "InvalidArgument"},
		{"destination an object ARN", "x", invConfig("x", "inv-dest/key"), "InvalidArgument"},
		{"bad account", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) {
			x.Destination.S3BucketDestination.AccountId = aws.String("12")
		}), "InvalidArgument"},
		{"both encryptions", "x", invConfig("x", "inv-dest", func(x *types.InventoryConfiguration) {
			x.Destination.S3BucketDestination.Encryption = &types.InventoryEncryption{SSES3: &types.SSES3{}, SSEKMS: &types.SSEKMS{KeyId: aws.String("k")}}
		}), "MalformedXML"},
	} {
		if err := put(tc.id, tc.cfg); apiCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// ORC and Parquet configurations are accepted, as S3 accepts them.
	for _, f := range []types.InventoryFormat{types.InventoryFormatOrc, types.InventoryFormatParquet} {
		if err := put(string(f), invConfig(string(f), "inv-dest", func(x *types.InventoryConfiguration) { x.Destination.S3BucketDestination.Format = f })); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := c.GetBucketInventoryConfiguration(cx, &s3.GetBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("none")}); apiCode(err) != "NoSuchConfiguration" {
		t.Errorf("Get of a missing id: %v", err)
	}
	if _, err := c.DeleteBucketInventoryConfiguration(cx, &s3.DeleteBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("none")}); apiCode(err) != "NoSuchConfiguration" {
		t.Errorf("Delete of a missing id: %v", err)
	}
	if _, err := c.GetBucketInventoryConfiguration(cx, &s3.GetBucketInventoryConfigurationInput{Bucket: aws.String("no-such-bucket"), Id: aws.String("x")}); apiCode(err) != "NoSuchBucket" {
		t.Errorf("Get on a missing bucket: %v", err)
	}

	// 1,000 configurations, listed 100 a page in id order.
	for i := range 1000 - 3 { // full, ORC and Parquet are there
		id := fmt.Sprintf("cfg-%04d", i)
		if err := put(id, invConfig(id, "inv-dest")); err != nil {
			t.Fatal(err)
		}
	}
	if err := put("one-too-many", invConfig("one-too-many", "inv-dest")); apiCode(err) != "TooManyConfigurations" {
		t.Errorf("the 1,001st configuration: %v", err)
	}
	if err := put("full", full); err != nil { // replacing one is not adding one
		t.Errorf("replacing at the limit: %v", err)
	}
	ids := list(t, c, "inv-src")
	if len(ids) != 1000 {
		t.Fatalf("%d configurations listed, want 1000", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Fatalf("list not in id order at %d: %s, %s", i, ids[i-1], ids[i])
		}
	}
	if _, err := c.DeleteBucketInventoryConfiguration(cx, &s3.DeleteBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("full")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketInventoryConfiguration(cx, &s3.GetBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("full")}); apiCode(err) != "NoSuchConfiguration" {
		t.Errorf("Get after Delete: %v", err)
	}
	if _, err := c.ListBucketInventoryConfigurations(cx, &s3.ListBucketInventoryConfigurationsInput{Bucket: aws.String("inv-src"),
		ContinuationToken: aws.String("!!not-a-token")}); apiCode(err) != "InvalidArgument" {
		t.Errorf("List with a bad token: %v", err)
	}
	mustBucket(t, c, "inv-empty")
	if out, err := c.ListBucketInventoryConfigurations(cx, &s3.ListBucketInventoryConfigurationsInput{Bucket: aws.String("inv-empty")}); err != nil ||
		len(out.InventoryConfigurationList) != 0 || aws.ToBool(out.IsTruncated) {
		t.Errorf("List of a bucket without configurations: %+v, %v", out, err)
	}
}

// list pages through ListBucketInventoryConfigurations and returns the ids,
// checking that every page but the last holds 100.
func list(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	var ids []string
	var token *string
	for {
		out, err := c.ListBucketInventoryConfigurations(ctx(t), &s3.ListBucketInventoryConfigurationsInput{Bucket: aws.String(bucket), ContinuationToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range out.InventoryConfigurationList {
			ids = append(ids, aws.ToString(x.Id))
		}
		if !aws.ToBool(out.IsTruncated) {
			return ids
		}
		if len(out.InventoryConfigurationList) != 100 || out.NextContinuationToken == nil {
			t.Fatalf("truncated page of %d, token %v", len(out.InventoryConfigurationList), out.NextContinuationToken)
		}
		token = out.NextContinuationToken
	}
}

// runInventory is `kura inventory run`: a signed POST ?inventory&id.
func runInventory(t *testing.T, ts *testServer, bucket, id string) (status int, run struct {
	ManifestKey string `xml:"ManifestKey"`
	Objects     int64  `xml:"Objects"`
	Error       string `xml:"Error"`
	Code        string `xml:"Code"`
}) {
	t.Helper()
	req := signed(t, testCreds, http.MethodPost, ts.URL()+"/"+bucket+"?inventory&id="+url.QueryEscape(id), nil, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := xml.Unmarshal(b, &run); err != nil {
		t.Fatalf("run response %s: %v", b, err)
	}
	return resp.StatusCode, run
}

func TestInventoryReportOverTheWire(t *testing.T) {
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.InventoryInterval, c.AllowInsecureSSEC = -1, true })
	c := ts.client()
	cx := ctx(t)
	acct := ts.Root.AccountID
	mustBucket(t, c, "inv-src")
	mustBucket(t, c, "inv-dest")
	keyARN := createKey(t, ts.kmsClient())

	ssecKey := bytes.Repeat([]byte{7}, 32)
	ssecSum := md5.Sum(ssecKey)
	ssec := func(p *s3.PutObjectInput) {
		p.SSECustomerAlgorithm = aws.String("AES256")
		p.SSECustomerKey = aws.String(base64.StdEncoding.EncodeToString(ssecKey))
		p.SSECustomerKeyMD5 = aws.String(base64.StdEncoding.EncodeToString(ssecSum[:]))
	}
	objects := []struct {
		key     string
		sse     func(*s3.PutObjectInput)
		enc, bk string
	}{
		{"default", nil, "SSE-S3", "DISABLED"}, // no header: the default, SSE-S3, as in S3 since 2023
		{"kms", func(p *s3.PutObjectInput) {
			p.ServerSideEncryption, p.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(keyARN)
		}, "SSE-KMS", "DISABLED"},
		{"kms bucket key", func(p *s3.PutObjectInput) {
			p.ServerSideEncryption, p.SSEKMSKeyId, p.BucketKeyEnabled = types.ServerSideEncryptionAwsKms, aws.String(keyARN), aws.Bool(true)
		}, "SSE-KMS", "ENABLED"},
		{"s3", func(p *s3.PutObjectInput) { p.ServerSideEncryption = types.ServerSideEncryptionAes256 }, "SSE-S3", "DISABLED"},
		{"ssec+plus", ssec, "SSE-C", "DISABLED"},
	}
	for _, o := range objects {
		in := &s3.PutObjectInput{Bucket: aws.String("inv-src"), Key: aws.String(o.key), Body: strings.NewReader("data of " + o.key)}
		if o.sse != nil {
			o.sse(in)
		}
		if _, err := c.PutObject(cx, in); err != nil {
			t.Fatalf("put %s: %v", o.key, err)
		}
	}
	cfg := invConfig("enc", "inv-dest", func(x *types.InventoryConfiguration) {
		x.OptionalFields = []types.InventoryOptionalField{"BucketKeyStatus", "EncryptionStatus", "Size", "ETag", "ObjectOwner"}
		x.Destination.S3BucketDestination.Prefix = aws.String("reports")
		x.Destination.S3BucketDestination.Encryption = &types.InventoryEncryption{SSEKMS: &types.SSEKMS{KeyId: aws.String(keyARN)}}
	})
	if _, err := c.PutBucketInventoryConfiguration(cx, &s3.PutBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("enc"), InventoryConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}

	// Without the destination policy S3 requires, nothing is delivered,
	// and the run says why.
	status, run := runInventory(t, ts, "inv-src", "enc")
	if status != 200 || run.ManifestKey != "" || !strings.Contains(run.Error, "does not allow s3.amazonaws.com to s3:PutObject") {
		t.Fatalf("run without a destination policy: %d %+v", status, run)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},
	 "Action":"s3:PutObject","Resource":"arn:aws:s3:::inv-dest/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::inv-src"},
	 "StringEquals":{"aws:SourceAccount":%q,"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, acct)
	if _, err := c.PutBucketPolicy(cx, &s3.PutBucketPolicyInput{Bucket: aws.String("inv-dest"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	status, run = runInventory(t, ts, "inv-src", "enc")
	if status != 200 || run.Error != "" || run.Objects != int64(len(objects)) ||
		!strings.HasPrefix(run.ManifestKey, "reports/inv-src/enc/") || !strings.HasSuffix(run.ManifestKey, "Z/manifest.json") {
		t.Fatalf("run: %d %+v", status, run)
	}
	if status, run := runInventory(t, ts, "inv-src", "nope"); status != 404 || run.Code != "NoSuchConfiguration" {
		t.Errorf("run of a missing configuration: %d %+v", status, run)
	}

	get := func(key string) ([]byte, *s3.GetObjectOutput) {
		t.Helper()
		out, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("inv-dest"), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b, out
	}
	raw, mo := get(run.ManifestKey)
	if mo.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(mo.SSEKMSKeyId) != keyARN {
		t.Errorf("manifest.json encrypted %s %s, want SSE-KMS under the configured key", mo.ServerSideEncryption, aws.ToString(mo.SSEKMSKeyId))
	}
	sum, _ := get(strings.TrimSuffix(run.ManifestKey, "manifest.json") + "manifest.checksum")
	if h := md5.Sum(raw); string(sum) != hex.EncodeToString(h[:]) {
		t.Errorf("manifest.checksum %s", sum)
	}
	var m struct {
		SourceBucket, DestinationBucket, Version, CreationTimestamp, FileFormat, FileSchema string
		Files                                                                               []struct {
			Key         string `json:"key"`
			Size        int64  `json:"size"`
			MD5checksum string `json:"MD5checksum"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.SourceBucket != "inv-src" || m.DestinationBucket != "arn:aws:s3:::inv-dest" || m.Version != "2016-11-30" || m.FileFormat != "CSV" ||
		m.FileSchema != "Bucket, Key, Size, ETag, EncryptionStatus, BucketKeyStatus, ObjectOwner" || len(m.Files) != 1 || m.CreationTimestamp == "" {
		t.Fatalf("manifest %s", raw)
	}
	gz, fo := get(m.Files[0].Key)
	if h := md5.Sum(gz); hex.EncodeToString(h[:]) != m.Files[0].MD5checksum || int64(len(gz)) != m.Files[0].Size ||
		!strings.HasPrefix(m.Files[0].Key, "reports/inv-src/enc/data/") || !strings.HasSuffix(m.Files[0].Key, ".csv.gz") {
		t.Errorf("data file %s: %d bytes, md5 %x; manifest %+v", m.Files[0].Key, len(gz), h, m.Files[0])
	}
	if fo.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		t.Errorf("data file encrypted %s", fo.ServerSideEncryption)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		key, err := url.PathUnescape(r[1])
		if err != nil {
			t.Errorf("key %q: %v", r[1], err)
		}
		head, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("inv-src"), Key: aws.String(key)})
		if err != nil && !strings.HasPrefix(key, "ssec") {
			t.Errorf("row %q names %q: %v", r, key, err)
		}
		var enc, bk string
		for _, o := range objects {
			if o.key == key {
				enc, bk = o.enc, o.bk
			}
		}
		if r[0] != "inv-src" || r[2] != fmt.Sprint(len("data of "+key)) || r[4] != enc || r[5] != bk || r[6] == "" {
			t.Errorf("row %q, want encryption %s %s", r, enc, bk)
		}
		if head != nil && strings.Trim(aws.ToString(head.ETag), `"`) != r[3] {
			t.Errorf("row %q: ETag %s", r, aws.ToString(head.ETag))
		}
	}
	if len(rows) != len(objects) || rows[len(rows)-1][1] != "ssec%2Bplus" {
		t.Errorf("rows %q", rows)
	}
	// The Hive symlink names the data file.
	list, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("inv-dest"), Prefix: aws.String("reports/inv-src/enc/hive/")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("hive listing %+v, %v", list, err)
	}
	sym, _ := get(aws.ToString(list.Contents[0].Key))
	if string(sym) != "s3://inv-dest/"+m.Files[0].Key+"\n" {
		t.Errorf("symlink.txt %q", sym)
	}

	// An ORC configuration is accepted but its run is not implemented.
	orc := invConfig("orc", "inv-dest", func(x *types.InventoryConfiguration) {
		x.Destination.S3BucketDestination.Format = types.InventoryFormatOrc
	})
	if _, err := c.PutBucketInventoryConfiguration(cx, &s3.PutBucketInventoryConfigurationInput{Bucket: aws.String("inv-src"), Id: aws.String("orc"), InventoryConfiguration: orc}); err != nil {
		t.Fatal(err)
	}
	if _, run := runInventory(t, ts, "inv-src", "orc"); !strings.Contains(run.Error, "ORC and Parquet are not implemented") {
		t.Errorf("ORC run %+v", run)
	}

	// Every file delivered is an audited PutObject of the S3 service; each
	// run an audited KuraRunBucketInventory of its caller.
	ts.stop(t)
	puts, runs := map[string]bool{}, 0
	for _, ev := range trailEvents(t, ts.dir) {
		switch {
		case ev.EventName == "PutObject" && ev.UserIdentity.InvokedBy == "s3.amazonaws.com":
			if ev.RequestParameters["bucketName"] != "inv-dest" || ev.RecipientAccountID != acct || ev.ErrorCode != "" {
				t.Errorf("delivery event %+v", ev)
			}
			puts[fmt.Sprint(ev.RequestParameters["key"])] = true
		case ev.EventName == "KuraRunBucketInventory":
			runs++
		}
	}
	for _, k := range []string{run.ManifestKey, m.Files[0].Key, aws.ToString(list.Contents[0].Key)} {
		if !puts[k] {
			t.Errorf("no audit event for the delivery of %s", k)
		}
	}
	if runs != 4 {
		t.Errorf("%d KuraRunBucketInventory events, want 4", runs)
	}
}

// The scheduler delivers a new configuration's first report by itself,
// under the inventory lease, and a restart within the same day does not
// deliver it again: the run is kept with the configuration.
func TestInventoryScheduledOncePerDay(t *testing.T) {
	dir := t.TempDir()
	fast := func(c *server.Config) { c.InventoryInterval = 20 * time.Millisecond }
	ts := startWith(t, dir, fast)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "sched-src")
	mustBucket(t, c, "sched-dest")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::sched-dest/*"}]}`
	if _, err := c.PutBucketPolicy(cx, &s3.PutBucketPolicyInput{Bucket: aws.String("sched-dest"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("sched-src"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketInventoryConfiguration(cx, &s3.PutBucketInventoryConfigurationInput{Bucket: aws.String("sched-src"),
		Id: aws.String("daily"), InventoryConfiguration: invConfig("daily", "sched-dest")}); err != nil {
		t.Fatal(err)
	}
	// Data files are named by random UUIDs: a second report adds one even
	// in the same minute, when its manifest would replace the first.
	reports := func(c *s3.Client) int {
		out, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("sched-dest")})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range out.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), ".csv.gz") {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	delivered := func() bool { // the run is recorded: the report is complete
		b, err := ts.Objects.Bucket(cx, "sched-src")
		return err == nil && b.InventoryConfig("daily").Last != nil
	}
	for !delivered() {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler delivered no report in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := reports(c); n != 1 {
		t.Fatalf("%d reports delivered, want 1", n)
	}
	ts.stop(t)
	ts = startWith(t, dir, fast)
	c = ts.client()
	// Once the restarted node holds the lease, its scheduler checks every
	// 20ms: give it many checks.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l, err := ts.Lease(cx, server.LeaseInventory); err == nil && l.Holder == ts.NodeID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted server did not take the inventory lease in 30s")
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := reports(c); n != 1 {
		t.Errorf("%d reports after a restart on the same day, want 1", n)
	}
}
