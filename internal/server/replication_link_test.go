package server_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/server"
)

// Replication between two linked deployments (phase 2 of issue 14):
// tokyo (ap-northeast-1, primary) and osaka (ap-northeast-3, follower) in
// one process on loopback, tokyo's replicas to osaka passing through a TCP
// fault proxy that cuts, delays and resets the link.

// faultProxy forwards TCP connections to target and injects faults.
type faultProxy struct {
	ln     net.Listener
	target atomic.Value // string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	cut    atomic.Bool  // refuse and drop connections
	delay  atomic.Int64 // per forwarded chunk, ns
	// resetAfter, when > 0, resets each new connection after that many
	// bytes toward the target, while resets > 0 (then counts down).
	resetAfter atomic.Int64
	resets     atomic.Int64
	accepted   atomic.Int64
}

func newFaultProxy(t *testing.T) *faultProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.dropAll() })
	return p
}

func (p *faultProxy) URL() string { return "https://" + p.ln.Addr().String() } // the link is TLS through it

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.cut.Load() {
			c.Close()
			continue
		}
		go p.handle(c)
	}
}

func (p *faultProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *faultProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// setCut cuts the link (open connections dropped, new ones refused) or
// heals it.
func (p *faultProxy) setCut(on bool) {
	p.cut.Store(on)
	if on {
		p.dropAll()
	}
}

func (p *faultProxy) handle(c net.Conn) {
	up, err := net.Dial("tcp", p.target.Load().(string))
	if err != nil {
		c.Close()
		return
	}
	p.track(c, true)
	p.track(up, true)
	defer func() {
		p.track(c, false)
		p.track(up, false)
		c.Close()
		up.Close()
	}()
	if p.cut.Load() {
		return // cut while dialing: dropAll may have missed this pair
	}
	limit := int64(-1)
	if n := p.resetAfter.Load(); n > 0 && p.resets.Add(-1) >= 0 {
		limit = n
	}
	done := make(chan struct{}, 2)
	pump := func(dst, src net.Conn, limited bool) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 16<<10)
		var sent int64
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if d := p.delay.Load(); d > 0 {
					time.Sleep(time.Duration(d))
				}
				if limited && limit >= 0 && sent+int64(n) > limit {
					// Reset both ends mid-transfer.
					for _, x := range []net.Conn{c, up} {
						if tc, ok := x.(*net.TCPConn); ok {
							tc.SetLinger(0)
						}
						x.Close()
					}
					return
				}
				sent += int64(n)
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				return
			}
		}
	}
	go pump(up, c, true)
	go pump(c, up, false)
	<-done
	<-done
}

type linkedPair struct {
	tokyo, osaka *testServer
	proxy        *faultProxy
	account      string
}

func regionClient(ts *testServer, region string) *s3.Client {
	return s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(ts.URL()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, ""),
		HTTPClient:  &http.Client{Timeout: 2 * time.Minute}, RetryMaxAttempts: 1})
}

// startLinkedPair starts tokyo and osaka (adjust applies to both);
// tokyo reaches osaka's link endpoint through the fault proxy.
func startLinkedPair(t *testing.T, adjust ...func(*server.Config)) *linkedPair {
	t.Helper()
	secret := link.NewSecret()
	tokyo := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region, c.AllowInsecureSSEC, c.ReplicationInterval = "ap-northeast-1", true, 50*time.Millisecond
		c.Link = server.LinkConfig{Deployment: "tokyo", Listen: "127.0.0.1:0", Secret: secret, SyncInterval: 200 * time.Millisecond}
		for _, f := range adjust {
			f(c)
		}
	})
	p := newFaultProxy(t)
	osaka := startWith(t, t.TempDir(), func(c *server.Config) {
		c.Region, c.AllowInsecureSSEC, c.ReplicationInterval = "ap-northeast-3", true, 50*time.Millisecond
		c.Link = server.LinkConfig{Deployment: "osaka", Listen: "127.0.0.1:0", Advertise: p.URL(), Secret: secret,
			Join: tokyo.LinkURL(), SyncInterval: 200 * time.Millisecond}
		for _, f := range adjust {
			f(c)
		}
	})
	p.target.Store(osaka.LinkListenAddr())
	if tokyo.Root.AccountID != osaka.Root.AccountID {
		t.Fatalf("osaka's first account %s is not tokyo's %s", osaka.Root.AccountID, tokyo.Root.AccountID)
	}
	return &linkedPair{tokyo: tokyo, osaka: osaka, proxy: p, account: tokyo.Root.AccountID}
}

// setup makes src at tokyo and dst at osaka, versioned, the role (at the
// primary) with seed 004's policy and seed 001's per-region kms:ViaService
// conditions, and src's configuration. It returns osaka's KMS key.
func (lp *linkedPair) setup(t *testing.T, policy func(srcKey, dstKey string) string) (string, string) {
	t.Helper()
	tc, oc := regionClient(lp.tokyo, "ap-northeast-1"), regionClient(lp.osaka, "ap-northeast-3")
	for _, x := range []struct {
		c      *s3.Client
		bucket string
	}{{tc, "src"}, {oc, "dst"}} {
		mustBucket(t, x.c, x.bucket)
		enableVersioning(t, x.c, x.bucket)
	}
	kc := func(ts *testServer, region string) *kms.Client {
		return kms.New(kms.Options{Region: region, BaseEndpoint: aws.String(ts.URL()),
			Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	}
	srcKey, dstKey := createKey(t, kc(lp.tokyo, "ap-northeast-1")), createKey(t, kc(lp.osaka, "ap-northeast-3"))
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(lp.tokyo.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	out, err := ic.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("replication"), AssumeRolePolicyDocument: aws.String(replTrust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("replication"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(policy(srcKey, dstKey))}); err != nil {
		t.Fatal(err)
	}
	lp.waitIAM(t)
	_, err = tc.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String("src"),
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: out.Role.Arn, Rules: []types.ReplicationRule{{
			ID: aws.String("all"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusEnabled},
			SourceSelectionCriteria: &types.SourceSelectionCriteria{SseKmsEncryptedObjects: &types.SseKmsEncryptedObjects{Status: types.SseKmsEncryptedObjectsStatusEnabled}},
			Destination: &types.Destination{Bucket: aws.String("arn:aws:s3:::dst"),
				EncryptionConfiguration: &types.EncryptionConfiguration{ReplicaKmsKeyID: aws.String(dstKey)}},
		}}}})
	if err != nil {
		t.Fatalf("PutBucketReplication src (tokyo) → dst (osaka): %v", err)
	}
	return srcKey, dstKey
}

// waitIAM waits until osaka has applied tokyo's IAM state.
func (lp *linkedPair) waitIAM(t *testing.T) {
	t.Helper()
	want, err := lp.tokyo.IAM.Generation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if lp.osaka.Link.Applied() == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("osaka did not apply tokyo's IAM generation %s", want)
}

// linkedPolicy is seed 004's policy with seed 001's KMS conditions: the
// source's kms:Decrypt through S3 in tokyo's region, the destination's
// kms:Encrypt/GenerateDataKey through S3 in encryptRegion.
func linkedPolicy(encryptRegion string) func(srcKey, dstKey string) string {
	return func(srcKey, dstKey string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetReplicationConfiguration","s3:ListBucket"],"Resource":"arn:aws:s3:::src"},
 {"Effect":"Allow","Action":["s3:GetObjectVersionForReplication","s3:GetObjectVersionAcl","s3:GetObjectVersionTagging"],"Resource":"arn:aws:s3:::src/*"},
 {"Effect":"Allow","Action":["s3:ReplicateObject","s3:ReplicateDelete","s3:ReplicateTags"],"Resource":"arn:aws:s3:::dst/*"},
 {"Effect":"Allow","Action":["kms:Decrypt"],"Resource":"%s","Condition":{"StringLike":{"kms:ViaService":"s3.ap-northeast-1.amazonaws.com","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::src/*"}}},
 {"Effect":"Allow","Action":["kms:Encrypt","kms:GenerateDataKey"],"Resource":"%s","Condition":{"StringLike":{"kms:ViaService":"s3.%s.amazonaws.com","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::dst/*"}}}]}`,
			srcKey, dstKey, encryptRegion)
	}
}

func replicationStatus(t *testing.T, c *s3.Client, bucket, key, version string) string {
	t.Helper()
	out, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(version)})
	if err != nil {
		t.Fatalf("HEAD %s/%s@%s: %v", bucket, key, version, err)
	}
	return string(out.ReplicationStatus)
}

// waitStatuses waits until every version in want has a final status.
func waitStatuses(t *testing.T, c *s3.Client, bucket string, versions map[string]string, within time.Duration) map[string]string {
	t.Helper()
	got := map[string]string{}
	deadline := time.Now().Add(within)
	for {
		pending := 0
		for v, key := range versions {
			s := replicationStatus(t, c, bucket, key, v)
			got[v] = s
			if s == "PENDING" {
				pending++
			}
		}
		if pending == 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// versionsOf lists bucket's version ids (delete markers included), sorted.
func versionsOf(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	var ids []string
	out, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.Versions {
		ids = append(ids, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
	}
	for _, v := range out.DeleteMarkers {
		ids = append(ids, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId)+" (delete marker)")
	}
	sort.Strings(ids)
	return ids
}

func TestReplicationLinkedPairFaults(t *testing.T) {
	lp := startLinkedPair(t)
	srcKey, dstKey := lp.setup(t, linkedPolicy("ap-northeast-3"))
	tc, oc := regionClient(lp.tokyo, "ap-northeast-1"), regionClient(lp.osaka, "ap-northeast-3")
	all := map[string]string{}    // version id → key
	bodies := map[string][]byte{} // version id → data
	put := func(key string, size int, mod func(*s3.PutObjectInput)) string {
		t.Helper()
		body := make([]byte, size)
		rand.Read(body)
		in := &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(key), Body: bytes.NewReader(body)}
		if mod != nil {
			mod(in)
		}
		out, err := tc.PutObject(ctx(t), in)
		if err != nil {
			t.Fatalf("PUT %s: %v", key, err)
		}
		v := aws.ToString(out.VersionId)
		all[v], bodies[v] = key, body
		return v
	}
	kmsPut := func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(srcKey)
	}
	checkAll := func(phase string) {
		t.Helper()
		got := waitStatuses(t, tc, "src", all, 60*time.Second)
		for v, s := range got {
			if s != "COMPLETED" {
				t.Errorf("%s: %s@%s is %s at the source, want COMPLETED", phase, all[v], v, s)
			}
		}
		var want []string
		for v, key := range all {
			want = append(want, key+"@"+v)
		}
		sort.Strings(want)
		if have := versionsOf(t, oc, "dst"); strings.Join(have, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: osaka's versions (no version lost or duplicated):\n%s\nwant:\n%s", phase, strings.Join(have, "\n"), strings.Join(want, "\n"))
		}
		for v, key := range all {
			out, err := oc.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dst"), Key: aws.String(key), VersionId: aws.String(v)})
			if err != nil {
				t.Fatalf("%s: GET replica %s@%s: %v", phase, key, v, err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(b, bodies[v]) {
				t.Fatalf("%s: replica %s@%s has other bytes", phase, key, v)
			}
			if out.ReplicationStatus != types.ReplicationStatusReplica {
				t.Errorf("%s: replica %s@%s status %s", phase, key, v, out.ReplicationStatus)
			}
			if out.ServerSideEncryption == types.ServerSideEncryptionAwsKms && aws.ToString(out.SSEKMSKeyId) != dstKey {
				t.Errorf("%s: replica %s@%s under key %s, want osaka's %s", phase, key, v, aws.ToString(out.SSEKMSKeyId), dstKey)
			}
		}
	}

	// Healthy link: SSE-S3 and SSE-KMS.
	put("a", 1000, nil)
	put("k", 70_000, kmsPut)
	checkAll("healthy")

	// Cut: the versions stay PENDING and queued; nothing reaches osaka.
	lp.proxy.setCut(true)
	for i := 0; i < 10; i++ {
		put(fmt.Sprintf("cut/%d", i%4), 20_000, nil) // several versions of a key
	}
	put("cut/kms", 5000, kmsPut)
	time.Sleep(1500 * time.Millisecond)
	for v, key := range all {
		if strings.HasPrefix(key, "cut/") {
			if s := replicationStatus(t, tc, "src", key, v); s != "PENDING" {
				t.Fatalf("link cut: %s@%s is %s, want PENDING", key, v, s)
			}
		}
	}
	for _, id := range versionsOf(t, oc, "dst") {
		if strings.HasPrefix(id, "cut/") {
			t.Fatalf("link cut: %s reached osaka", id)
		}
	}
	lp.proxy.setCut(false)
	checkAll("after the cut")

	// Resets mid-transfer: large objects, the first connections reset
	// after 100 KiB.
	lp.proxy.resetAfter.Store(100 << 10)
	lp.proxy.resets.Store(3)
	lp.proxy.dropAll() // kept-alive connections end: the next ones are reset
	for i := 0; i < 3; i++ {
		put(fmt.Sprintf("reset/%d", i), 1<<20, nil)
	}
	checkAll("after resets")
	if lp.proxy.resets.Load() >= 0 {
		t.Errorf("the proxy reset fewer connections than it was told to (left %d): the faults were not exercised", lp.proxy.resets.Load())
	}
	lp.proxy.resetAfter.Store(0)

	// Delay: 20 ms a chunk.
	lp.proxy.delay.Store(int64(20 * time.Millisecond))
	put("slow", 200_000, kmsPut)
	checkAll("with delay")
	lp.proxy.delay.Store(0)

	// A delete marker replicates, under its version id.
	del, err := tc.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	dm := aws.ToString(del.VersionId)
	for i := 0; i < 100; i++ {
		if ids := versionsOf(t, oc, "dst"); strings.Contains(strings.Join(ids, "\n"), "a@"+dm+" (delete marker)") {
			break
		}
		if i == 99 {
			t.Fatalf("delete marker %s not replicated", dm)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Bucket names are one namespace: osaka cannot make tokyo's bucket.
	_, err = oc.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("src")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "BucketAlreadyExists" {
		t.Fatalf("osaka CreateBucket src (tokyo's): %v, want BucketAlreadyExists", err)
	}
}

// The destination decides its KMS permissions with its own region in
// kms:ViaService: a policy that allows kms:Encrypt only through S3 in
// tokyo's region makes an SSE-KMS replica to osaka FAILED.
func TestReplicationLinkedViaServiceIsTheDestinations(t *testing.T) {
	lp := startLinkedPair(t)
	srcKey, _ := lp.setup(t, linkedPolicy("ap-northeast-1"))
	tc := regionClient(lp.tokyo, "ap-northeast-1")
	out, err := tc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("k"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(srcKey)})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := tc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("p"), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	got := waitStatuses(t, tc, "src", map[string]string{aws.ToString(out.VersionId): "k", aws.ToString(plain.VersionId): "p"}, 30*time.Second)
	if s := got[aws.ToString(out.VersionId)]; s != "FAILED" {
		t.Errorf("SSE-KMS with kms:Encrypt only via s3.ap-northeast-1: %s, want FAILED", s)
	}
	if s := got[aws.ToString(plain.VersionId)]; s != "COMPLETED" {
		t.Errorf("SSE-S3 beside it: %s, want COMPLETED", s)
	}
}

// Identities mean the same on both sides: a user and access key made at
// the primary authenticate at the follower, a deleted key stops working
// there within the sync interval, and a follower cut off from the primary
// for longer than MaxStaleness refuses to authenticate at all.
func TestReplicationLinkedIAMFollows(t *testing.T) {
	lp := startLinkedPair(t, func(c *server.Config) { c.Link.MaxStaleness = 1500 * time.Millisecond })
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(lp.tokyo.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	if _, err := ic.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	lp.waitIAM(t)
	alice := s3.New(s3.Options{Region: "ap-northeast-3", BaseEndpoint: aws.String(lp.osaka.URL()), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")})
	code := func() string {
		_, err := alice.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		if err != nil {
			return err.Error()
		}
		return "ok"
	}
	if c := code(); c != "AccessDenied" {
		t.Fatalf("alice (made at tokyo) at osaka: %s, want AccessDenied (authenticated, no policy)", c)
	}
	oi := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(lp.osaka.URL()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	if _, err := oi.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("bob")}); err == nil || !strings.Contains(err.Error(), lp.tokyo.URL()) {
		t.Fatalf("CreateUser at osaka: %v, want a refusal naming the primary", err)
	}
	if _, err := ic.DeleteAccessKey(ctx(t), &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: key.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	lp.waitIAM(t)
	if c := code(); c != "InvalidAccessKeyId" {
		t.Fatalf("alice's deleted key at osaka: %s, want InvalidAccessKeyId", c)
	}
	lp.tokyo.stop(t)
	time.Sleep(2 * time.Second)
	root := regionClient(lp.osaka, "ap-northeast-3")
	_, err = root.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" {
		t.Fatalf("osaka cut off from the primary for longer than MaxStaleness: %v, want ServiceUnavailable", err)
	}
}

// linkedPolicyWithout is linkedPolicy("ap-northeast-3") less the actions in without.
func linkedPolicyWithout(without ...string) func(srcKey, dstKey string) string {
	return func(srcKey, dstKey string) string {
		p := linkedPolicy("ap-northeast-3")(srcKey, dstKey)
		for _, a := range without {
			p = strings.NewReplacer(`"`+a+`",`, ``, `,"`+a+`"`, ``, `["`+a+`"]`, `["s3:none"]`).Replace(p)
		}
		return p
	}
}

// Seed 004's table across the link: every encryption type under each
// permission set — all allowed (COMPLETED, the replica encrypted as seed
// 001 says), and each permission removed (FAILED for the types that need
// it, COMPLETED for the others).
func TestReplicationLinkedPermissionTable(t *testing.T) {
	lp := startLinkedPair(t)
	srcKey, dstKey := lp.setup(t, linkedPolicy("ap-northeast-3"))
	tc, oc := regionClient(lp.tokyo, "ap-northeast-1"), regionClient(lp.osaka, "ap-northeast-3")
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(lp.tokyo.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK, "")})
	customerKey := bytes.Repeat([]byte{0x42}, 32)
	ssec := func(k []byte) (string, string) {
		return base64.StdEncoding.EncodeToString(k), md5b64(k)
	}
	ck, ckMD5 := ssec(customerKey)
	types4 := []struct {
		name string
		kms  bool
		mod  func(*s3.PutObjectInput)
	}{
		{"sse-s3", false, func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAes256 }},
		{"sse-kms", true, func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(srcKey)
		}},
		{"dsse-kms", true, func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKmsDsse, aws.String(srcKey)
		}},
		{"sse-c", false, func(in *s3.PutObjectInput) {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck), aws.String(ckMD5)
		}},
	}
	for _, pc := range []struct {
		without []string
		failKMS bool // only the KMS types fail
		failAll bool
	}{
		{},
		{without: []string{"s3:ReplicateObject"}, failAll: true},
		{without: []string{"s3:GetObjectVersionForReplication"}, failAll: true},
		{without: []string{"s3:GetReplicationConfiguration"}, failAll: true},
		{without: []string{"kms:Decrypt"}, failKMS: true},
		{without: []string{"kms:Encrypt"}, failKMS: true},
	} {
		name := "all allowed"
		if len(pc.without) > 0 {
			name = "without " + strings.Join(pc.without, ",")
		}
		t.Run(name, func(t *testing.T) {
			if _, err := ic.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("replication"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(linkedPolicyWithout(pc.without...)(srcKey, dstKey))}); err != nil {
				t.Fatal(err)
			}
			lp.waitIAM(t)
			versions := map[string]string{}
			for _, ty := range types4 {
				key := strings.ReplaceAll(name, " ", "-") + "/" + ty.name
				in := &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(key), Body: strings.NewReader("seed 004")}
				ty.mod(in)
				out, err := tc.PutObject(ctx(t), in)
				if err != nil {
					t.Fatalf("PUT %s: %v", key, err)
				}
				versions[aws.ToString(out.VersionId)] = key
			}
			deadline := time.Now().Add(30 * time.Second)
			for v, key := range versions {
				ty := key[strings.LastIndex(key, "/")+1:]
				want := "COMPLETED"
				if pc.failAll || pc.failKMS && strings.Contains(ty, "kms") {
					want = "FAILED"
				}
				var got string
				for {
					in := &s3.HeadObjectInput{Bucket: aws.String("src"), Key: aws.String(key), VersionId: aws.String(v)}
					if ty == "sse-c" {
						in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck), aws.String(ckMD5)
					}
					h, err := tc.HeadObject(ctx(t), in)
					if err != nil {
						t.Fatal(err)
					}
					got = string(h.ReplicationStatus)
					if got != "PENDING" || time.Now().After(deadline) {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if got != want {
					t.Errorf("%s: %s, want %s", ty, got, want)
					continue
				}
				if want != "COMPLETED" {
					// The source's event names the denied action, whichever
					// side denied it; the destination's too when it did.
					denied := pc.without[0]
					for _, ts := range []*testServer{lp.tokyo, lp.osaka} {
						if ts == lp.osaka && (denied == "kms:Decrypt" || strings.HasPrefix(denied, "s3:Get")) {
							continue // decided at the source; osaka never heard of it
						}
						waitAudit(t, ts, func(ev audit.Event) bool {
							return ev.EventName == "ReplicateObject" && ev.RequestParameters["key"] == key &&
								ev.AdditionalEventData["deniedAction"] == denied
						})
					}
					continue
				}
				in := &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String(key), VersionId: aws.String(v)}
				if ty == "sse-c" {
					in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ck), aws.String(ckMD5)
				}
				h, err := oc.HeadObject(ctx(t), in)
				if err != nil {
					t.Fatalf("%s: replica: %v", ty, err)
				}
				enc := string(h.ServerSideEncryption)
				if ty == "sse-c" {
					enc = aws.ToString(h.SSECustomerAlgorithm) + " (sse-c)"
				}
				wantEnc := map[string]string{"sse-s3": "AES256", "sse-kms": "aws:kms " + dstKey, "dsse-kms": "aws:kms:dsse " + dstKey, "sse-c": "AES256 (sse-c)"}[ty]
				if h.SSEKMSKeyId != nil {
					enc += " " + aws.ToString(h.SSEKMSKeyId)
				}
				if h.ReplicationStatus != types.ReplicationStatusReplica || enc != wantEnc {
					t.Errorf("%s: replica %s %q, want REPLICA %q", ty, h.ReplicationStatus, enc, wantEnc)
				}
			}
		})
	}
}

func md5b64(b []byte) string {
	h := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(h[:])
}

// A metadata change of a replicated version (tags) reaches its replica at
// the linked deployment, found there by version id under its local seq.
func TestReplicationLinkedMetadataChange(t *testing.T) {
	lp := startLinkedPair(t)
	lp.setup(t, linkedPolicy("ap-northeast-3"))
	tc, oc := regionClient(lp.tokyo, "ap-northeast-1"), regionClient(lp.osaka, "ap-northeast-3")
	// osaka's own versions of the key first, so the replica's local seq
	// differs from its id's.
	for i := 0; i < 3; i++ {
		if _, err := oc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("dst"), Key: aws.String("m"), Body: strings.NewReader("osaka's")}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := tc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("m"), Body: strings.NewReader("tokyo's")})
	if err != nil {
		t.Fatal(err)
	}
	v := aws.ToString(out.VersionId)
	if s := waitStatuses(t, tc, "src", map[string]string{v: "m"}, 20*time.Second)[v]; s != "COMPLETED" {
		t.Fatalf("status %s", s)
	}
	if _, err := tc.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String("src"), Key: aws.String("m"), VersionId: aws.String(v),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("osaka")}}}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		tg, err := oc.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String("dst"), Key: aws.String("m"), VersionId: aws.String(v)})
		if err != nil {
			t.Fatalf("replica %s at osaka: %v", v, err)
		}
		if len(tg.TagSet) == 1 && aws.ToString(tg.TagSet[0].Value) == "osaka" {
			break
		}
		if i == 200 {
			t.Fatalf("the tag did not reach the replica: %v", tg.TagSet)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got, err := oc.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("dst"), Key: aws.String("m")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(b) != "tokyo's" || aws.ToString(got.VersionId) != v {
		t.Errorf("osaka's current version of m: %q @%s, want the replica (the newest arrival) %s", b, aws.ToString(got.VersionId), v)
	}
}
