package server_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/server"
)

// exchanges records the request id of every HTTP exchange a client made,
// by the service it was for: the audit trail must hold one event per id.
type exchanges struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	kms  []string // KMS API calls: recorded by KMS itself
	rest []string // S3, IAM, STS: recorded by the S3 handler
}

func (x *exchanges) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := x.rt.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "TrentService.") {
		id := resp.Header.Get("x-amzn-RequestId")
		if id == "" { // turned away before reaching KMS
			id = resp.Header.Get("x-amz-request-id")
		}
		x.kms = append(x.kms, id)
	} else {
		x.rest = append(x.rest, resp.Header.Get("x-amz-request-id"))
	}
	return resp, nil
}

func (x *exchanges) last() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.rest[len(x.rest)-1]
}

// secret is a random printable string: if it ever reached the log it would
// appear verbatim (JSON escapes only control characters and quotes).
func secret(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestAuditEveryRequest(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.TLSSelfSigned = true })
	x := &exchanges{rt: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	hc := &http.Client{Transport: x, Timeout: time.Minute}
	creds := credentials.NewStaticCredentialsProvider(testAK, testSK, "")
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), UsePathStyle: true, Credentials: creds, HTTPClient: hc})
	bad := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), UsePathStyle: true, HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, "not-the-secret-key-at-all-0000000000000", "")})
	k := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), Credentials: creds, HTTPClient: hc})
	cx := ctx(t)

	payload := []byte(secret(200_000))
	ssecKey := []byte(secret(32))
	ssecB64 := base64.StdEncoding.EncodeToString(ssecKey)
	sum := md5.Sum(ssecKey)
	ssecMD5 := base64.StdEncoding.EncodeToString(sum[:])
	plaintext := []byte(secret(64))

	sseApplied := map[string]string{} // request id → SSEApplied the event must carry
	wantErr := map[string]string{}    // request id → errorCode
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	putObj := func(key string, in func(*s3.PutObjectInput), applied string) {
		t.Helper()
		p := &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(key), Body: bytes.NewReader(payload)}
		if in != nil {
			in(p)
		}
		_, err := c.PutObject(cx, p)
		must(err)
		sseApplied[x.last()] = applied
	}
	read := func(out *s3.GetObjectOutput, err error) {
		t.Helper()
		must(err)
		io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}

	mustBucket(t, c, "trail")
	putObj("s3", func(p *s3.PutObjectInput) { p.ServerSideEncryption = types.ServerSideEncryptionAes256 }, "SSE_S3")
	putObj("default", nil, "Default_SSE_S3")
	keyOut, err := k.CreateKey(cx, &kms.CreateKeyInput{Description: aws.String("audit")})
	must(err)
	keyARN := aws.ToString(keyOut.KeyMetadata.Arn)
	putObj("kms", func(p *s3.PutObjectInput) {
		p.ServerSideEncryption, p.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(keyARN)
	}, "SSE_KMS")
	putObj("ssec", func(p *s3.PutObjectInput) {
		p.SSECustomerAlgorithm, p.SSECustomerKey, p.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(ssecB64), aws.String(ssecMD5)
	}, "SSE_C")
	getID := ""
	read(c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("s3")}))
	getID = x.last()
	read(c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("kms")}))
	read(c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("ssec"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ssecB64), SSECustomerKeyMD5: aws.String(ssecMD5)}))
	_, err = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("trail"), Key: aws.String("default")})
	must(err)
	read(c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("default"), Range: aws.String("bytes=10-99")}))
	rangedID := x.last()
	_, err = c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("trail"), Prefix: aws.String("s")})
	must(err)
	listID := x.last()

	mpu, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("trail"), Key: aws.String("mpu")})
	must(err)
	sseApplied[x.last()] = "Default_SSE_S3"
	part, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("trail"), Key: aws.String("mpu"), UploadId: mpu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(payload)})
	must(err)
	_, err = c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("trail"), Key: aws.String("mpu"), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	must(err)
	_, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("trail"), Key: aws.String("copy"), CopySource: aws.String("trail/default")})
	must(err)
	sseApplied[x.last()] = "Default_SSE_S3"
	copyID := x.last()
	_, err = c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("trail"), Key: aws.String("copy")})
	must(err)

	_, err = bad.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String("denied"), Body: bytes.NewReader(payload)})
	wantCode(t, err, "SignatureDoesNotMatch")
	wantErr[x.last()] = "SignatureDoesNotMatch"
	badID := x.last()
	_, err = c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")
	wantErr[x.last()] = "NoSuchKey"

	_, err = c.PutBucketEncryption(cx, &s3.PutBucketEncryptionInput{Bucket: aws.String("trail"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)},
		}}}})
	must(err)
	encID := x.last()
	putObj("default-kms", nil, "Default_SSE_KMS")
	_, err = k.Encrypt(cx, &kms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: plaintext})
	must(err)

	// A KMS call that fails authentication never reaches KMS: the S3
	// handler records it.
	badKMS := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(testAK, "not-the-secret-key-at-all-0000000000000", "")})
	_, err = badKMS.Encrypt(cx, &kms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: plaintext})
	if err == nil {
		t.Fatal("KMS accepted a bad signature")
	}
	// A presigned GET, and an unsigned one.
	pre, err := s3.NewPresignClient(c).PresignGetObject(cx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("s3")})
	must(err)
	resp, err := hc.Get(pre.URL)
	must(err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	presignedID := x.last()
	resp, err = hc.Get(ts.URL() + "/trail/s3")
	must(err)
	resp.Body.Close()
	anonID := x.last()
	wantErr[anonID] = "AccessDenied"
	presignedSig := pre.URL[strings.Index(pre.URL, "X-Amz-Signature=")+len("X-Amz-Signature="):][:64]

	// IAM and STS share the listener; their events are recorded alongside
	// S3's whatever the IAM handler answers.
	loginPassword := "Pw-" + secret(24)
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), Credentials: creds, HTTPClient: hc})
	_, err = ic.CreateUser(cx, &iam.CreateUserInput{UserName: aws.String("audit-user")})
	must(err)
	createUserID := x.last()
	ic.CreateLoginProfile(cx, &iam.CreateLoginProfileInput{UserName: aws.String("audit-user"), Password: aws.String(loginPassword)})
	sc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL()), Credentials: creds, HTTPClient: hc})
	_, err = sc.GetCallerIdentity(cx, &sts.GetCallerIdentityInput{})
	must(err)
	callerID := x.last()
	if os.Getenv("KURA_AUDIT_DUMP") != "" {
		defer func() {
			ts.auditQuery(audit.Filter{}, func(ev audit.Event) error { t.Logf("%s", ev.Line()); return nil })
		}()
	}

	// Events are appended after the response: wait for all of them.
	restIDs, kmsIDs := append([]string(nil), x.rest...), append([]string(nil), x.kms...)
	var evs []audit.Event
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs = evs[:0]
		if err := ts.auditQuery(audit.Filter{}, func(ev audit.Event) error { evs = append(evs, ev); return nil }); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.EventSource != "kms.amazonaws.com" {
				n++
			}
		}
		if n >= len(restIDs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	byID := map[string]audit.Event{}
	isRest := map[string]bool{}
	for _, id := range restIDs {
		isRest[id] = true
	}
	isKMS := map[string]bool{}
	for _, id := range kmsIDs {
		isKMS[id] = true
	}
	var direct, viaS3 int
	for _, ev := range evs {
		if ev.EventSource == "kms.amazonaws.com" {
			switch {
			case ev.UserIdentity.InvokedBy == "s3.amazonaws.com" && isRest[ev.RequestID]:
				viaS3++
			case ev.UserIdentity.InvokedBy == "" && isKMS[ev.RequestID]:
				direct++
			default:
				t.Errorf("KMS event %s (request %s, invokedBy %q) matches no request", ev.EventName, ev.RequestID, ev.UserIdentity.InvokedBy)
			}
			continue
		}
		if _, dup := byID[ev.RequestID]; dup || !isRest[ev.RequestID] {
			t.Errorf("event %s for request %q: duplicate or unknown", ev.EventName, ev.RequestID)
		}
		byID[ev.RequestID] = ev
	}
	if len(byID) != len(restIDs) {
		t.Fatalf("%d S3/IAM/STS events for %d requests", len(byID), len(restIDs))
	}
	badKMSID := kmsIDs[len(kmsIDs)-1]
	for _, ev := range evs {
		if ev.RequestID == badKMSID && (ev.EventName != "Encrypt" || ev.ErrorCode == "" || ev.UserIdentity.Type != "Unknown") {
			t.Errorf("KMS call with a bad signature: %s %s %+v", ev.EventName, ev.ErrorCode, ev.UserIdentity)
		}
	}
	if direct != len(kmsIDs) {
		t.Errorf("%d KMS events for %d KMS requests", direct, len(kmsIDs))
	}
	if viaS3 < 3 { // GenerateDataKey for two SSE-KMS PUTs, Decrypt for one GET
		t.Errorf("%d KMS events caused by S3, want at least 3", viaS3)
	}

	for id, want := range sseApplied {
		ev := byID[id]
		if got := ev.AdditionalEventData["SSEApplied"]; got != want {
			t.Errorf("%s %v: SSEApplied %v, want %s", ev.EventName, ev.RequestParameters["key"], got, want)
		}
	}
	for id, want := range wantErr {
		if ev := byID[id]; ev.ErrorCode != want || ev.ErrorMessage == "" {
			t.Errorf("%s: errorCode %q (%q), want %s", ev.EventName, ev.ErrorCode, ev.ErrorMessage, want)
		}
	}
	for id, ev := range byID {
		if id == badID || id == anonID || ev.EventSource != "s3.amazonaws.com" {
			continue
		}
		u := ev.UserIdentity
		if u.Type != "Root" || u.AccessKeyID != testAK || u.ARN == "" || ev.RecipientAccountID != u.AccountID {
			t.Errorf("%s: userIdentity %+v, recipient %s", ev.EventName, u, ev.RecipientAccountID)
		}
		if ev.TLSDetails == nil || !strings.HasPrefix(ev.TLSDetails.TLSVersion, "TLSv1.") || ev.AdditionalEventData["CipherSuite"] == nil {
			t.Errorf("%s: TLS details %+v", ev.EventName, ev.TLSDetails)
		}
		method := "AuthHeader"
		if id == presignedID {
			method = "QueryString"
		}
		if ev.AdditionalEventData["SignatureVersion"] != "SigV4" || ev.AdditionalEventData["AuthenticationMethod"] != method {
			t.Errorf("%s: additionalEventData %v", ev.EventName, ev.AdditionalEventData)
		}
	}

	check := func(id, name, category string, readOnly bool) audit.Event {
		t.Helper()
		ev := byID[id]
		if ev.EventName != name || ev.EventCategory != category || ev.ReadOnly != readOnly || ev.ManagementEvent != (category == "Management") {
			t.Errorf("request %s: %s %s readOnly=%v management=%v, want %s %s readOnly=%v", id,
				ev.EventName, ev.EventCategory, ev.ReadOnly, ev.ManagementEvent, name, category, readOnly)
		}
		return ev
	}
	ev := check(getID, "GetObject", "Data", true)
	if ev.AdditionalEventData["bytesTransferredOut"] != float64(len(payload)) || ev.ResponseElements != nil {
		t.Errorf("GetObject: %v, responseElements %v", ev.AdditionalEventData, ev.ResponseElements)
	}
	if len(ev.Resources) != 2 || ev.Resources[0].ARN != "arn:aws:s3:::trail/s3" || ev.Resources[1].Type != "AWS::S3::Bucket" ||
		ev.Resources[1].AccountID != ev.UserIdentity.AccountID {
		t.Errorf("GetObject resources %+v", ev.Resources)
	}
	if ev := check(rangedID, "GetObject", "Data", true); ev.AdditionalEventData["bytesTransferredOut"] != float64(90) {
		t.Errorf("ranged GET: %v", ev.AdditionalEventData)
	}
	if ev := check(listID, "ListObjects", "Data", true); ev.RequestParameters["list-type"] != "2" || ev.RequestParameters["prefix"] != "s" {
		t.Errorf("ListObjectsV2 parameters %v", ev.RequestParameters)
	}
	ev = check(copyID, "CopyObject", "Data", false)
	if ev.RequestParameters["x-amz-copy-source"] != "trail/default" || ev.ResponseElements["x-amz-server-side-encryption"] != "AES256" {
		t.Errorf("CopyObject: %v → %v", ev.RequestParameters, ev.ResponseElements)
	}
	check(encID, "PutBucketEncryption", "Management", false)
	ev = check(badID, "PutObject", "Data", false)
	if ev.UserIdentity.Type != "Unknown" || ev.UserIdentity.AccessKeyID != testAK || ev.UserIdentity.ARN != "" ||
		ev.AdditionalEventData["bytesTransferredIn"] != float64(0) {
		t.Errorf("rejected PUT: %+v %v", ev.UserIdentity, ev.AdditionalEventData)
	}
	if ev := check(presignedID, "GetObject", "Data", true); ev.RequestParameters["X-Amz-Signature"] != nil ||
		ev.RequestParameters["X-Amz-Credential"] != nil || ev.AdditionalEventData["bytesTransferredOut"] != float64(len(payload)) {
		t.Errorf("presigned GET: %v %v", ev.RequestParameters, ev.AdditionalEventData)
	}
	if ev := check(anonID, "GetObject", "Data", true); ev.UserIdentity.AccountID != "anonymous" || ev.UserIdentity.Type != "AWSAccount" ||
		ev.AdditionalEventData["AuthenticationMethod"] != nil {
		t.Errorf("unsigned GET: %+v %v", ev.UserIdentity, ev.AdditionalEventData)
	}
	for id, want := range map[string][2]string{createUserID: {"CreateUser", "iam"}, callerID: {"GetCallerIdentity", "sts"}} {
		ev, name := byID[id], want[0]
		if ev.EventName != name || ev.EventSource != want[1]+".amazonaws.com" || !ev.ManagementEvent {
			t.Errorf("%s: event %s from %s", name, ev.EventName, ev.EventSource)
		}
	}
	if ev := byID[createUserID]; ev.RequestParameters["userName"] != "audit-user" {
		t.Errorf("CreateUser parameters %v", ev.RequestParameters)
	}

	// Nothing secret reached the trail: payload, SSE-C key, root secret,
	// KMS plaintext, IAM password; in any encoding we would plausibly use.
	files, _ := filepath.Glob(filepath.Join(audit.DirIn(ts.dir), "*.jsonl"))
	var raw []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(err)
		raw = append(raw, b...)
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line does not parse: %v: %.200s", err, line)
		}
	}
	for name, s := range map[string][]byte{
		"payload": payload[:64], "payload (base64)": []byte(base64.StdEncoding.EncodeToString(payload[:48])),
		"SSE-C key": ssecKey, "SSE-C key (base64)": []byte(ssecB64),
		"root secret": []byte(testSK), "KMS plaintext": plaintext, "KMS plaintext (base64)": []byte(base64.StdEncoding.EncodeToString(plaintext)),
		"IAM password": []byte(loginPassword), "presigned URL signature": []byte(presignedSig),
	} {
		if bytes.Contains(raw, s) {
			t.Errorf("the audit log contains the %s", name)
		}
	}
}
