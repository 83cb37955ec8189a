package server_test

import (
	"bytes"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// Object Lock on the wire: bucket configuration, per-version retention and
// legal holds, the x-amz-object-lock-* headers, and the deletes they refuse.

const lockedMsg = "Access Denied because object protected by object lock."

func mustLockBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("create lock bucket %s: %v", name, err)
	}
}

// putWith writes key with opts applied and returns the new version id. It
// names a CRC32 checksum, which Object Lock writes need: the harness client
// (s3.New without LoadDefaultConfig) sends none unless asked.
func putWith(t *testing.T, c *s3.Client, bucket, key string, opts ...func(*s3.PutObjectInput)) string {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("locked data " + key),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}
	for _, o := range opts {
		o(in)
	}
	out, err := c.PutObject(ctx(t), in)
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

func retain(mode types.ObjectLockMode, until time.Time) func(*s3.PutObjectInput) {
	return func(in *s3.PutObjectInput) { in.ObjectLockMode, in.ObjectLockRetainUntilDate = mode, aws.Time(until) }
}

func putRetention(c *s3.Client, t *testing.T, bucket, key, vid string, r *types.ObjectLockRetention, bypass bool) error {
	in := &s3.PutObjectRetentionInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid), Retention: r}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.PutObjectRetention(ctx(t), in)
	return err
}

func deleteVersion(c *s3.Client, t *testing.T, bucket, key, vid string, bypass bool) error {
	in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)}
	if bypass {
		in.BypassGovernanceRetention = aws.Bool(true)
	}
	_, err := c.DeleteObject(ctx(t), in)
	return err
}

func headVersion(t *testing.T, c *s3.Client, bucket, key, vid string) *s3.HeadObjectOutput {
	t.Helper()
	out, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(vid)})
	if err != nil {
		t.Fatalf("head %s/%s@%s: %v", bucket, key, vid, err)
	}
	return out
}

func TestLockBucketConfiguration(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)

	// Enabled at creation: versioning comes with it, no default retention.
	mustLockBucket(t, c, "lock-at-create")
	v, err := c.GetBucketVersioning(cx, &s3.GetBucketVersioningInput{Bucket: aws.String("lock-at-create")})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of a lock bucket = %+v, %v", v, err)
	}
	got, err := c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-at-create")})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("lock configuration = %+v, %v", got.ObjectLockConfiguration, err)
	}
	_, err = c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("lock-at-create"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantErr(t, err, 409, "InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")

	// Enabled later: only once versioning is Enabled.
	mustBucket(t, c, "lock-later")
	_, err = c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-later")})
	wantErr(t, err, 404, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
	days := func(mode types.ObjectLockRetentionMode, d int32) *types.ObjectLockConfiguration {
		return &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: mode, Days: aws.Int32(d)}}}
	}
	putConfig := func(bucket string, cfg *types.ObjectLockConfiguration) error {
		_, err := c.PutObjectLockConfiguration(cx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(bucket), ObjectLockConfiguration: cfg})
		return err
	}
	err = putConfig("lock-later", days(types.ObjectLockRetentionModeGovernance, 30))
	wantErr(t, err, 409, "InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
	if _, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("lock-later"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if err := putConfig("lock-later", days(types.ObjectLockRetentionModeGovernance, 30)); err != nil {
		t.Fatalf("enable Object Lock on a versioned bucket: %v", err)
	}
	got, err = c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-later")})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.ObjectLockConfiguration.Rule.DefaultRetention; d.Mode != types.ObjectLockRetentionModeGovernance || aws.ToInt32(d.Days) != 30 || d.Years != nil {
		t.Fatalf("default retention = %+v", d)
	}
	_, err = c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("lock-later"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantErr(t, err, 409, "InvalidBucketState", "so the versioning state cannot be changed")

	// Replacing the rule with none removes the default; lock stays on.
	if err := putConfig("lock-later", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetObjectLockConfiguration(cx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String("lock-later")})
	if err != nil || got.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || got.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("after removing the default: %+v, %v", got.ObjectLockConfiguration, err)
	}

	bad := []struct {
		name   string
		cfg    *types.ObjectLockConfiguration
		status int
		code   string
		msg    string
	}{
		{"no ObjectLockEnabled", &types.ObjectLockConfiguration{Rule: days(types.ObjectLockRetentionModeCompliance, 1).Rule}, 400, "MalformedXML", ""},
		{"Days and Years", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1), Years: aws.Int32(1)}}}, 400, "MalformedXML", ""},
		{"no period", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance}}}, 400, "MalformedXML", ""},
		{"no mode", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Days: aws.Int32(1)}}}, 400, "MalformedXML", ""},
		{"empty rule", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled, Rule: &types.ObjectLockRule{}}, 400, "MalformedXML", ""},
		{"lower-case mode", days("governance", 1), 400, "MalformedXML", ""},
		{"zero days", days(types.ObjectLockRetentionModeGovernance, 0), 400, "InvalidArgument", "Default retention period must be a positive integer value."},
		{"negative years", &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Years: aws.Int32(-1)}}}, 400, "InvalidArgument", "must be a positive integer"},
		{"too many days", days(types.ObjectLockRetentionModeGovernance, 36501), 400, "InvalidArgument", "Default retention period too large."},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, putConfig("lock-at-create", tc.cfg), tc.status, tc.code, tc.msg)
		})
	}

	// Nothing lock-related works on a bucket without Object Lock.
	mustBucket(t, c, "no-lock")
	vid := putWith(t, c, "no-lock", "k")
	missing := "Bucket is missing Object Lock Configuration"
	wantErr(t, putRetention(c, t, "no-lock", "k", vid, &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance,
		RetainUntilDate: aws.Time(time.Now().Add(time.Hour))}, false), 400, "InvalidRequest", missing)
	_, err = c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("no-lock"), Key: aws.String("k")})
	wantErr(t, err, 400, "InvalidRequest", missing)
	_, err = c.PutObjectLegalHold(cx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("no-lock"), Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	wantErr(t, err, 400, "InvalidRequest", missing)
	_, err = c.GetObjectLegalHold(cx, &s3.GetObjectLegalHoldInput{Bucket: aws.String("no-lock"), Key: aws.String("k")})
	wantErr(t, err, 400, "InvalidRequest", missing)
	_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("no-lock"), Key: aws.String("k2"), Body: strings.NewReader("x"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantErr(t, err, 400, "InvalidRequest", missing)
	_, err = c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("no-lock"), Key: aws.String("k2"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	wantErr(t, err, 400, "InvalidRequest", missing)
	wantErr(t, deleteVersion(c, t, "no-lock", "k", vid, true), 400, "InvalidArgument",
		"x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.")
}

func TestLockGovernance(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustLockBucket(t, c, "gov")
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	vid := putWith(t, c, "gov", "doc", retain(types.ObjectLockModeGovernance, until))

	h := headVersion(t, c, "gov", "doc", vid)
	if h.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(until) || h.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("HEAD lock headers: mode %q until %v hold %q", h.ObjectLockMode, h.ObjectLockRetainUntilDate, h.ObjectLockLegalHoldStatus)
	}
	r, err := c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("gov"), Key: aws.String("doc"), VersionId: aws.String(vid)})
	if err != nil || r.Retention.Mode != types.ObjectLockRetentionModeGovernance || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until) {
		t.Fatalf("GetObjectRetention = %+v, %v", r, err)
	}

	// Permanent delete refused; a simple delete adds an unprotected marker.
	wantErr(t, deleteVersion(c, t, "gov", "doc", vid, false), 403, "AccessDenied", lockedMsg)
	del, err := c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("gov"), Key: aws.String("doc")})
	if err != nil || !aws.ToBool(del.DeleteMarker) {
		t.Fatalf("simple delete on a lock bucket = %+v, %v", del, err)
	}
	if err := deleteVersion(c, t, "gov", "doc", aws.ToString(del.VersionId), false); err != nil {
		t.Fatalf("removing the delete marker: %v", err)
	}

	gov := func(u time.Time) *types.ObjectLockRetention {
		return &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(u)}
	}
	steps := []struct {
		name   string
		r      *types.ObjectLockRetention
		bypass bool
		ok     bool
	}{
		{"shorten without bypass", gov(until.Add(-time.Minute)), false, false},
		{"switch to COMPLIANCE without bypass", &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(time.Hour))}, false, false},
		{"remove without bypass", &types.ObjectLockRetention{}, false, false},
		{"extend", gov(until.Add(time.Hour)), false, true},
		{"shorten with bypass", gov(until.Add(30 * time.Minute)), true, true},
	}
	for _, s := range steps {
		err := putRetention(c, t, "gov", "doc", vid, s.r, s.bypass)
		if s.ok && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !s.ok {
			wantErr(t, err, 403, "AccessDenied", lockedMsg)
		}
	}
	r, err = c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("gov"), Key: aws.String("doc"), VersionId: aws.String(vid)})
	if err != nil || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until.Add(30*time.Minute)) {
		t.Fatalf("retention after the changes = %+v, %v", r, err)
	}
	wantErr(t, putRetention(c, t, "gov", "doc", vid, gov(time.Now().Add(-time.Minute)), true), 400, "InvalidArgument",
		"The retain until date must be in the future!")

	// Bypass deletes a GOVERNANCE version.
	if err := deleteVersion(c, t, "gov", "doc", vid, true); err != nil {
		t.Fatalf("delete with bypass: %v", err)
	}
	_, err = c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("gov"), Key: aws.String("doc"), VersionId: aws.String(vid)})
	if err == nil {
		t.Fatal("the bypassed version still exists")
	}

	// An empty Retention with bypass removes it; the version is then free.
	vid2 := putWith(t, c, "gov", "other", retain(types.ObjectLockModeGovernance, until))
	if err := putRetention(c, t, "gov", "other", vid2, &types.ObjectLockRetention{}, true); err != nil {
		t.Fatalf("remove retention with bypass: %v", err)
	}
	_, err = c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("gov"), Key: aws.String("other"), VersionId: aws.String(vid2)})
	wantErr(t, err, 404, "NoSuchObjectLockConfiguration", "does not have a ObjectLock configuration")
	if err := deleteVersion(c, t, "gov", "other", vid2, false); err != nil {
		t.Fatalf("delete after removing retention: %v", err)
	}
}

func TestLockCompliance(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustLockBucket(t, c, "comp")
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	vid := putWith(t, c, "comp", "doc", retain(types.ObjectLockModeCompliance, until))

	wantErr(t, deleteVersion(c, t, "comp", "doc", vid, false), 403, "AccessDenied", lockedMsg)
	wantErr(t, deleteVersion(c, t, "comp", "doc", vid, true), 403, "AccessDenied", lockedMsg)
	for name, r := range map[string]*types.ObjectLockRetention{
		"shorten":              {Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(-time.Minute))},
		"switch to GOVERNANCE": {Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until.Add(time.Hour))},
		"remove":               {},
	} {
		t.Run(name+" with bypass", func(t *testing.T) {
			wantErr(t, putRetention(c, t, "comp", "doc", vid, r, true), 403, "AccessDenied", lockedMsg)
		})
	}
	if err := putRetention(c, t, "comp", "doc", vid, &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance,
		RetainUntilDate: aws.Time(until.Add(24 * time.Hour))}, false); err != nil {
		t.Fatalf("extending COMPLIANCE: %v", err)
	}
	if h := headVersion(t, c, "comp", "doc", vid); !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(until.Add(24 * time.Hour)) {
		t.Fatalf("extended until = %v", h.ObjectLockRetainUntilDate)
	}

	// Once the retain-until date passes, the version is deletable.
	short := time.Now().Add(2 * time.Second)
	vid = putWith(t, c, "comp", "brief", retain(types.ObjectLockModeCompliance, short))
	wantErr(t, deleteVersion(c, t, "comp", "brief", vid, false), 403, "AccessDenied", lockedMsg)
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := deleteVersion(c, t, "comp", "brief", vid, false)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refused after the retain-until date %v: %v", short, err)
		}
		wantErr(t, err, 403, "AccessDenied", lockedMsg)
		time.Sleep(100 * time.Millisecond)
	}
	if time.Now().Before(short) {
		t.Fatalf("deleted before the retain-until date %v", short)
	}
}

func TestLockLegalHold(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustLockBucket(t, c, "hold")
	vid := putWith(t, c, "hold", "doc")

	// A version never locked answers NoSuchObjectLockConfiguration and
	// carries no lock headers.
	_, err := c.GetObjectLegalHold(cx, &s3.GetObjectLegalHoldInput{Bucket: aws.String("hold"), Key: aws.String("doc")})
	wantErr(t, err, 404, "NoSuchObjectLockConfiguration", "")
	_, err = c.GetObjectRetention(cx, &s3.GetObjectRetentionInput{Bucket: aws.String("hold"), Key: aws.String("doc")})
	wantErr(t, err, 404, "NoSuchObjectLockConfiguration", "")
	if h := headVersion(t, c, "hold", "doc", vid); h.ObjectLockMode != "" || h.ObjectLockLegalHoldStatus != "" || h.ObjectLockRetainUntilDate != nil {
		t.Fatalf("unlocked version has lock headers: %+v", h)
	}

	setHold := func(status types.ObjectLockLegalHoldStatus) {
		t.Helper()
		if _, err := c.PutObjectLegalHold(cx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("hold"), Key: aws.String("doc"),
			VersionId: aws.String(vid), LegalHold: &types.ObjectLockLegalHold{Status: status}}); err != nil {
			t.Fatalf("legal hold %s: %v", status, err)
		}
		got, err := c.GetObjectLegalHold(cx, &s3.GetObjectLegalHoldInput{Bucket: aws.String("hold"), Key: aws.String("doc"), VersionId: aws.String(vid)})
		if err != nil || got.LegalHold.Status != status {
			t.Fatalf("GetObjectLegalHold after %s = %+v, %v", status, got, err)
		}
		g, err := c.GetObject(cx, &s3.GetObjectInput{Bucket: aws.String("hold"), Key: aws.String("doc"), VersionId: aws.String(vid)})
		if err != nil {
			t.Fatal(err)
		}
		g.Body.Close()
		if g.ObjectLockLegalHoldStatus != status {
			t.Fatalf("GET legal-hold header = %q, want %q", g.ObjectLockLegalHoldStatus, status)
		}
	}
	setHold(types.ObjectLockLegalHoldStatusOn)
	wantErr(t, deleteVersion(c, t, "hold", "doc", vid, false), 403, "AccessDenied", lockedMsg)
	wantErr(t, deleteVersion(c, t, "hold", "doc", vid, true), 403, "AccessDenied", lockedMsg)
	setHold(types.ObjectLockLegalHoldStatusOff)
	if err := deleteVersion(c, t, "hold", "doc", vid, false); err != nil {
		t.Fatalf("delete after the hold was lifted: %v", err)
	}

	_, err = c.PutObjectLegalHold(cx, &s3.PutObjectLegalHoldInput{Bucket: aws.String("hold"), Key: aws.String("doc"),
		LegalHold: &types.ObjectLockLegalHold{Status: "MAYBE"}})
	wantErr(t, err, 400, "MalformedXML", "")
}

// TestLockWriteHeaders covers x-amz-object-lock-* on PutObject, CopyObject
// and CreateMultipartUpload, and the bucket default retention.
func TestLockWriteHeaders(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustLockBucket(t, c, "hdr")
	future := time.Now().Add(time.Hour).UTC().Truncate(time.Second)

	bad := []struct {
		name string
		opt  func(*s3.PutObjectInput)
		msg  string
	}{
		{"mode without date", func(in *s3.PutObjectInput) { in.ObjectLockMode = types.ObjectLockModeGovernance },
			"x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"},
		{"date without mode", func(in *s3.PutObjectInput) { in.ObjectLockRetainUntilDate = aws.Time(future) },
			"must both be supplied"},
		{"unknown mode", retain("FOREVER", future), "Unknown wormMode directive."},
		{"date in the past", retain(types.ObjectLockModeGovernance, time.Now().Add(-time.Hour)), "The retain until date must be in the future!"},
		{"bad legal hold", func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = "on" }, "Legal Hold must be either of 'ON' or 'OFF'"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.PutObjectInput{Bucket: aws.String("hdr"), Key: aws.String("bad"), Body: strings.NewReader("x")}
			tc.opt(in)
			_, err := c.PutObject(cx, in)
			wantErr(t, err, 400, "InvalidArgument", tc.msg)
		})
	}

	// PUT: retention and legal hold from the headers, shown by HEAD.
	src := putWith(t, c, "hdr", "src", retain(types.ObjectLockModeCompliance, future), func(in *s3.PutObjectInput) {
		in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn
	})
	h := headVersion(t, c, "hdr", "src", src)
	if h.ObjectLockMode != types.ObjectLockModeCompliance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(future) ||
		h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("PUT lock headers on HEAD: %q %v %q", h.ObjectLockMode, h.ObjectLockRetainUntilDate, h.ObjectLockLegalHoldStatus)
	}

	// COPY: the source's lock is not copied; the request's headers are.
	cp, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("hdr"), Key: aws.String("plain-copy"), CopySource: aws.String("hdr/src")})
	if err != nil {
		t.Fatal(err)
	}
	if h := headVersion(t, c, "hdr", "plain-copy", aws.ToString(cp.VersionId)); h.ObjectLockMode != "" || h.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("copy inherited the source's lock: %q %q", h.ObjectLockMode, h.ObjectLockLegalHoldStatus)
	}
	cp, err = c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("hdr"), Key: aws.String("locked-copy"), CopySource: aws.String("hdr/src"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(future.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if h := headVersion(t, c, "hdr", "locked-copy", aws.ToString(cp.VersionId)); h.ObjectLockMode != types.ObjectLockModeGovernance ||
		!aws.ToTime(h.ObjectLockRetainUntilDate).Equal(future.Add(time.Hour)) || h.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("copy with lock headers: %q %v %q", h.ObjectLockMode, h.ObjectLockRetainUntilDate, h.ObjectLockLegalHoldStatus)
	}

	// Multipart: the lock asked for at CreateMultipartUpload lands at Complete.
	mpVID := completeUpload(t, c, "hdr", "mp", &s3.CreateMultipartUploadInput{
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(future),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOff,
	})
	h = headVersion(t, c, "hdr", "mp", mpVID)
	if h.ObjectLockMode != types.ObjectLockModeGovernance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(future) ||
		h.ObjectLockLegalHoldStatus != types.ObjectLockLegalHoldStatusOff {
		t.Fatalf("multipart lock headers: %q %v %q", h.ObjectLockMode, h.ObjectLockRetainUntilDate, h.ObjectLockLegalHoldStatus)
	}
	wantErr(t, deleteVersion(c, t, "hdr", "mp", mpVID, false), 403, "AccessDenied", lockedMsg)
}

// completeUpload runs a one-part multipart upload with create's lock fields
// and returns the version id.
func completeUpload(t *testing.T, c *s3.Client, bucket, key string, create *s3.CreateMultipartUploadInput) string {
	t.Helper()
	cx := ctx(t)
	create.Bucket, create.Key = aws.String(bucket), aws.String(key)
	u, err := c.CreateMultipartUpload(cx, create)
	if err != nil {
		t.Fatalf("create upload: %v", err)
	}
	p, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: u.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("one part"))})
	if err != nil {
		t.Fatalf("upload part: %v", err)
	}
	done, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: u.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}}})
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	return aws.ToString(done.VersionId)
}

// TestLockDefaultRetention: the bucket default applies to new versions
// from every kind of write unless the write names its own retention, and
// makes PutObject require an integrity header.
func TestLockDefaultRetention(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustLockBucket(t, c, "dflt")
	if _, err := c.PutObjectLockConfiguration(cx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("dflt"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	wantDefault := func(key, vid string) {
		t.Helper()
		h := headVersion(t, c, "dflt", key, vid)
		want := aws.ToTime(h.LastModified).Add(24 * time.Hour)
		got := aws.ToTime(h.ObjectLockRetainUntilDate)
		if h.ObjectLockMode != types.ObjectLockModeGovernance || got.Before(want) || got.After(want.Add(time.Second)) {
			t.Fatalf("%s: default retention %q until %v, want GOVERNANCE until LastModified+1d = %v", key, h.ObjectLockMode, got, want)
		}
	}
	wantDefault("put", putWith(t, c, "dflt", "put"))
	cp, err := c.CopyObject(cx, &s3.CopyObjectInput{Bucket: aws.String("dflt"), Key: aws.String("copy"), CopySource: aws.String("dflt/put")})
	if err != nil {
		t.Fatal(err)
	}
	wantDefault("copy", aws.ToString(cp.VersionId))
	wantDefault("mp", completeUpload(t, c, "dflt", "mp", &s3.CreateMultipartUploadInput{}))

	future := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	vid := putWith(t, c, "dflt", "explicit", retain(types.ObjectLockModeCompliance, future))
	if h := headVersion(t, c, "dflt", "explicit", vid); h.ObjectLockMode != types.ObjectLockModeCompliance || !aws.ToTime(h.ObjectLockRetainUntilDate).Equal(future) {
		t.Fatalf("explicit retention did not override the default: %q %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate)
	}

	// Integrity: a PUT without Content-MD5 or a checksum is refused. The
	// harness client sends neither unless told to (SDK defaults: below).
	bare := ts.client()
	const need = "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"
	body := []byte("needs integrity")
	sum := md5.Sum(body)
	_, err = bare.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("dflt"), Key: aws.String("bare"), Body: bytes.NewReader(body)})
	wantErr(t, err, 400, "InvalidRequest", need)
	if _, err := bare.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("dflt"), Key: aws.String("bare"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))}); err != nil {
		t.Fatalf("PUT with Content-MD5: %v", err)
	}
	mustLockBucket(t, c, "no-default")
	if _, err := bare.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("no-default"), Key: aws.String("bare"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PUT without lock parameters or default needs no checksum: %v", err)
	}
	_, err = bare.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("no-default"), Key: aws.String("held"), Body: bytes.NewReader(body),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantErr(t, err, 400, "InvalidRequest", need)
}

func TestLockDeleteObjects(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustLockBucket(t, c, "multi-lock")
	future := time.Now().Add(time.Hour)
	gov := putWith(t, c, "multi-lock", "gov", retain(types.ObjectLockModeGovernance, future))
	held := putWith(t, c, "multi-lock", "held", func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn })
	free := putWith(t, c, "multi-lock", "free")
	ids := []types.ObjectIdentifier{
		{Key: aws.String("gov"), VersionId: aws.String(gov)},
		{Key: aws.String("held"), VersionId: aws.String(held)},
		{Key: aws.String("free"), VersionId: aws.String(free)},
	}
	deleteAll := func(bypass bool) *s3.DeleteObjectsOutput {
		t.Helper()
		in := &s3.DeleteObjectsInput{Bucket: aws.String("multi-lock"), Delete: &types.Delete{Objects: ids}}
		if bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		out, err := c.DeleteObjects(cx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	refused := func(out *s3.DeleteObjectsOutput) map[string]string {
		m := map[string]string{}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) != "AccessDenied" || aws.ToString(e.Message) != lockedMsg {
				t.Fatalf("error entry %+v", e)
			}
			m[aws.ToString(e.Key)] = aws.ToString(e.VersionId)
		}
		return m
	}

	out := deleteAll(false)
	if r := refused(out); len(r) != 2 || r["gov"] != gov || r["held"] != held || len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "free" {
		t.Fatalf("without bypass: deleted %+v, refused %v", out.Deleted, r)
	}
	out = deleteAll(true)
	if r := refused(out); len(r) != 1 || r["held"] != held {
		t.Fatalf("with bypass: refused %v, want only the held version", r)
	}
	if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("multi-lock"), Key: aws.String("gov"), VersionId: aws.String(gov)}); err == nil {
		t.Fatal("GOVERNANCE version survived a bypassing DeleteObjects")
	}

	// Without version ids every key just gets a delete marker.
	out, err := c.DeleteObjects(cx, &s3.DeleteObjectsInput{Bucket: aws.String("multi-lock"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("held")}}}})
	if err != nil || len(out.Errors) != 0 || len(out.Deleted) != 1 || !aws.ToBool(out.Deleted[0].DeleteMarker) {
		t.Fatalf("DeleteObjects without version ids = %+v, %v", out, err)
	}
	headVersion(t, c, "multi-lock", "held", held)
}

// TestLockSubresourceRouting: a lock sub-resource with a method it does not
// serve is refused, never taken for the plain object or bucket operation.
func TestLockSubresourceRouting(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	mustLockBucket(t, c, "route")
	vid := putWith(t, c, "route", "doc")
	for _, u := range []string{"/route/doc?retention", "/route/doc?legal-hold", "/route?object-lock"} {
		if status, code := errorCode(t, signed(t, testCreds, http.MethodDelete, ts.URL()+u, nil, time.Now())); status != 405 || code != "MethodNotAllowed" {
			t.Fatalf("DELETE %s = %d %s", u, status, code)
		}
	}
	headVersion(t, c, "route", "doc", vid)
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("route")}); err != nil {
		t.Fatalf("bucket after DELETE ?object-lock: %v", err)
	}
}

// TestLockDefaultRetentionTLS: with the SDK's default checksum setting
// (what config.LoadDefaultConfig gives: WhenSupported), the trailing CRC32 it
// sends over HTTPS satisfies the integrity rule without the caller naming a
// checksum.
func TestLockDefaultRetentionTLS(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.TLSSelfSigned = true })
	var trailer bool
	c := ts.client(func(o *s3.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		o.HTTPClient = &http.Client{Transport: &spy{rt: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
			seen: func(r *http.Request) { trailer = trailer || r.Header.Get("x-amz-trailer") != "" }}}
	})
	cx := ctx(t)
	mustLockBucket(t, c, "tls-dflt")
	if _, err := c.PutObjectLockConfiguration(cx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String("tls-dflt"),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Years: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("tls-dflt"), Key: aws.String("k"), Body: strings.NewReader("data")})
	if err != nil {
		t.Fatalf("default SDK PUT into a default-retention bucket over TLS: %v", err)
	}
	if !trailer {
		t.Fatal("the SDK sent no trailing checksum; the test no longer shows the default satisfies the rule")
	}
	h := headVersion(t, c, "tls-dflt", "k", aws.ToString(out.VersionId))
	if want := aws.ToTime(h.LastModified).Add(365 * 24 * time.Hour); h.ObjectLockMode != types.ObjectLockModeCompliance ||
		aws.ToTime(h.ObjectLockRetainUntilDate).Sub(want).Abs() > time.Second {
		t.Fatalf("default 1-year COMPLIANCE retention: %q until %v, want about %v", h.ObjectLockMode, h.ObjectLockRetainUntilDate, want)
	}
}

// TestLockUpdateObjectEncryption: UpdateObjectEncryption refuses every
// version Object Lock protects (no bypass), and works once the protection is
// lifted.
func TestLockUpdateObjectEncryption(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	keyARN := createKey(t, ts.kmsClient())
	mustLockBucket(t, c, "uoe-lock")
	future := time.Now().Add(time.Hour)
	cases := []struct {
		name string
		lock func(*s3.PutObjectInput)
		lift func(t *testing.T, vid string) // nil: cannot be lifted
	}{
		{"governance", retain(types.ObjectLockModeGovernance, future), func(t *testing.T, vid string) {
			if err := putRetention(c, t, "uoe-lock", "governance", vid, &types.ObjectLockRetention{}, true); err != nil {
				t.Fatalf("remove retention: %v", err)
			}
		}},
		{"compliance", retain(types.ObjectLockModeCompliance, future), nil},
		{"legal-hold", func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn }, func(t *testing.T, vid string) {
			if _, err := c.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: aws.String("uoe-lock"), Key: aws.String("legal-hold"),
				VersionId: aws.String(vid), LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
				t.Fatalf("lift legal hold: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vid := putWith(t, c, "uoe-lock", tc.name, tc.lock)
			wantErr(t, uoe(t, c, "uoe-lock", tc.name, vid, keyARN, false), 403, "AccessDenied", "protected by S3 Object Lock")
			if h := headVersion(t, c, "uoe-lock", tc.name, vid); h.ServerSideEncryption != types.ServerSideEncryptionAes256 {
				t.Fatalf("refused update changed the encryption to %q", h.ServerSideEncryption)
			}
			if tc.lift == nil {
				return
			}
			tc.lift(t, vid)
			if err := uoe(t, c, "uoe-lock", tc.name, vid, keyARN, false); err != nil {
				t.Fatalf("UpdateObjectEncryption after lifting the lock: %v", err)
			}
			if h := headVersion(t, c, "uoe-lock", tc.name, vid); h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != keyARN {
				t.Fatalf("after update: %q %q", h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId))
			}
		})
	}
}

// With --ignore-bypass-without-lock the header is accepted on a bucket
// without Object Lock and changes nothing: the delete happens as it would
// without it (RGW/MinIO behaviour, for clients written against them).
func TestLockIgnoreBypassWithoutLock(t *testing.T) {
	t.Parallel()
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.IgnoreBypassWithoutLock = true })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "no-lock")
	vid := putWith(t, c, "no-lock", "k")
	if err := deleteVersion(c, t, "no-lock", "k", vid, true); err != nil {
		t.Fatalf("DeleteObject with bypass on a bucket without lock: %v", err)
	}
	putWith(t, c, "no-lock", "a")
	out, err := c.DeleteObjects(cx, &s3.DeleteObjectsInput{Bucket: aws.String("no-lock"), BypassGovernanceRetention: aws.Bool(true),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("a")}}}})
	if err != nil || len(out.Errors) != 0 || len(out.Deleted) != 1 {
		t.Fatalf("DeleteObjects with bypass: %v %+v", err, out)
	}
	if _, err := c.HeadObject(cx, &s3.HeadObjectInput{Bucket: aws.String("no-lock"), Key: aws.String("a")}); err == nil {
		t.Fatal("object a still there")
	}
}
