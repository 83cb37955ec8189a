//go:build e2e

package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The console end to end in headless Chromium (chromedp): sign in as an
// IAM user, upload a file (multipart, with its progress bar), see the
// bucket's encryption posture, re-key what does not match (a dry run,
// then the job, confirmed), watch the job finish, see the posture change,
// and find the audit events. scripts/e2e-console.sh runs it with
// KURA_REQUIRE_CHROMIUM=1, so a machine without Chromium fails rather
// than skips; KURA_CONSOLE_SCREENSHOTS=dir saves the pages as PNGs (the
// ones docs/console.md shows).

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("KURA_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("KURA_REQUIRE_CHROMIUM=1 and no chromium on PATH: apt-get install -y chromium")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); KURA_REQUIRE_CHROMIUM=1 makes this a failure")
	return ""
}

func TestConsoleE2E(t *testing.T) {
	exe := chromium(t)
	ts := start(t)
	c := ts.s3(testAK, testSK)
	for _, name := range []string{"photos", "job-reports"} {
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	// Three objects under SSE-S3, then a KMS default: they no longer match it.
	for _, k := range []string{"2026/beach.jpg", "2026/forest.jpg", "2025/snow.jpg"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String(k),
			Body: strings.NewReader("pixels of " + k), ContentType: aws.String("image/jpeg")}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := ts.kms().CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("photos")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	if _, err := ts.kms().CreateAlias(ctx(t), &kms.CreateAliasInput{AliasName: aws.String("alias/photos"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{Bucket: aws.String("photos"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)},
			BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
		t.Fatal(err)
	}
	role := ts.role(t, "photos-rekey", rekeyRolePolicy)
	ak, sk := ts.user(t, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:*","iam:*","cloudtrail:LookupEvents"],"Resource":"*"}]}`)

	upload := filepath.Join(t.TempDir(), "holiday.mov")
	if err := os.WriteFile(upload, []byte(strings.Repeat("frame ", 2<<20)), 0o600); err != nil { // 12 MiB: two parts
		t.Fatal(err)
	}
	shots := os.Getenv("KURA_CONSOLE_SCREENSHOTS")

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 860), chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v\npage: %s", what, err, body)
		}
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if shots == "" {
				return nil
			}
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		})
	}
	// until waits for a JavaScript condition to hold.
	until := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, tg)
			return err
		})
	}
	text := func(sel string) string {
		t.Helper()
		// Read through the page, not chromedp's DOM mirror, which can lag
		// behind a page that has just been redrawn.
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`).innerText.trim()`))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}

	// With the keyboard only: the key field has the focus, Enter signs in.
	step("sign in", chromedp.Navigate(ts.admin+"/"), chromedp.WaitVisible(chromedp.ID("ak")), shot("signin"),
		until(`document.activeElement && document.activeElement.id === 'ak'`),
		chromedp.SendKeys(chromedp.ID("ak"), ak), chromedp.SendKeys(chromedp.ID("sk"), sk+kb.Enter),
		chromedp.WaitVisible(chromedp.ID("signout")))
	if who := text("#who"); !strings.Contains(who, ":user/alice") {
		t.Fatalf("signed in as %q", who)
	}

	step("upload", chromedp.Navigate(ts.admin+"/#/b/photos/2026/"), chromedp.WaitVisible(chromedp.ID("objects")),
		chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{upload}), chromedp.Click(chromedp.ID("upload")),
		until(`document.querySelector('#objects') && document.querySelector('#objects').textContent.includes('holiday.mov')`),
		shot("browse"))

	step("object details and a tag", chromedp.Navigate(ts.admin+"/#/o/photos/2026%2Fholiday.mov"), until(`document.body.textContent.includes('Bucket key')`),
		chromedp.SetValue(chromedp.ID("tags-edit"), "album=summer 2026"), chromedp.Click(chromedp.ID("tags-save")),
		until(`document.querySelector('main table') && document.querySelector('main table').textContent.includes('summer 2026')`),
		shot("object"))
	if s := text("main"); !strings.Contains(s, keyARN) || !strings.Contains(s, "12 MiB") {
		t.Errorf("object view: %s", s)
	}

	step("posture before", chromedp.Navigate(ts.admin+"/#/posture/photos"), chromedp.WaitVisible(chromedp.ID("posture-mismatched")))
	if got := text("#posture-mismatched"); got != "3" {
		t.Fatalf("mismatched before the re-key: %q, want 3", got)
	}
	step("dry run", chromedp.WaitVisible(chromedp.ID("rekey-form")), chromedp.SetValue(chromedp.ID("rekey-key"), keyARN),
		chromedp.SetValue(chromedp.ID("rekey-role"), role), chromedp.SetValue(chromedp.ID("rekey-report"), "job-reports"),
		chromedp.Click(chromedp.ID("rekey-dryrun")), until(`document.querySelector('#rekey-result').textContent.includes('Dry-run job')`),
		shot("posture-before"))

	step("dry run finishes", chromedp.Navigate(ts.admin+"/#/jobs"),
		until(`[...document.querySelectorAll('#jobs .job-status')].some(e => e.textContent.startsWith('Complete'))`))

	step("re-key job", chromedp.Navigate(ts.admin+"/#/posture/photos"), chromedp.WaitVisible(chromedp.ID("rekey-form")),
		chromedp.SetValue(chromedp.ID("rekey-key"), keyARN), chromedp.SetValue(chromedp.ID("rekey-role"), role),
		chromedp.SetValue(chromedp.ID("rekey-report"), "job-reports"),
		chromedp.Click(chromedp.ID("rekey-create")), until(`document.querySelector('#rekey-result').textContent.includes('waits for your confirmation')`))

	step("confirm and watch", chromedp.Navigate(ts.admin+"/#/jobs"),
		until(`!!document.querySelector('button[aria-label^="Confirm job"]')`),
		chromedp.Click(chromedp.CSS(`button[aria-label^="Confirm job"]`)),
		until(`[...document.querySelectorAll('#jobs .job-status')].filter(e => e.textContent.startsWith('Complete')).length == 2`),
		until(`[...document.querySelectorAll('#jobs a')].some(a => a.textContent == 'Completion report')`),
		shot("jobs"))

	step("posture after", chromedp.Navigate(ts.admin+"/#/posture/photos"), chromedp.WaitVisible(chromedp.ID("posture-mismatched")),
		shot("posture-after"))
	if got := text("#posture-mismatched"); got != "0" {
		t.Errorf("mismatched after the re-key: %q, want 0", got)
	}
	if got := text("#posture-matched"); got != "4" {
		t.Errorf("matching after the re-key: %q, want 4", got)
	}

	step("audit: the upload, as alice", chromedp.Navigate(ts.admin+"/#/audit"), chromedp.WaitVisible(chromedp.ID("audit-form")),
		chromedp.SendKeys(chromedp.ID("audit-principal"), "alice"), chromedp.SendKeys(chromedp.ID("audit-action"), "CompleteMultipartUpload"),
		chromedp.Click(chromedp.ID("audit-search")),
		until(`location.hash.includes('principal=alice') && document.querySelector('#audit tbody') &&
			document.querySelector('#audit tbody').textContent.includes('photos/2026/holiday.mov') &&
			document.querySelector('#audit tbody').textContent.includes(':user/alice')`))
	if s := text("#audit tbody"); !strings.Contains(s, ":user/alice") || !strings.Contains(s, "CompleteMultipartUpload") {
		t.Errorf("the upload's audit event: %s", s)
	}
	step("audit: the re-key, as the job's role", chromedp.Navigate(ts.admin+"/#/audit?action=UpdateObjectEncryption&result=success"),
		until(`document.querySelector('#audit tbody') && document.querySelector('#audit tbody').textContent.includes('assumed-role/photos-rekey')`),
		shot("audit"))

	step("kms: create a key with an alias, turn yearly rotation on, disable it", chromedp.Navigate(ts.admin+"/#/kms"),
		until(`document.querySelector('#keys') && document.querySelector('#keys').textContent.includes('alias/photos')`),
		chromedp.SendKeys(chromedp.ID("key-desc"), "job reports"), chromedp.SendKeys(chromedp.ID("key-alias"), "reports"),
		chromedp.Click(chromedp.ID("key-create")),
		until(`document.querySelector('#keys') && document.querySelector('#keys').textContent.includes('alias/reports')`),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#keys tr')].find(r => r.textContent.includes('alias/reports')).querySelector('[data-action="rotate-yearly"]').click()`),
		until(`[...document.querySelectorAll('#keys tr')].find(r => r.textContent.includes('alias/reports')).querySelector('.rotation').textContent == 'on'`),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#keys tr')].find(r => r.textContent.includes('alias/reports')).querySelector('[data-action="disable"]').click()`),
		until(`[...document.querySelectorAll('#keys tr')].find(r => r.textContent.includes('alias/reports')).textContent.includes('Disabled')`),
		chromedp.Click(chromedp.ID("key-usage-find")),
		until(`document.querySelector('#key-usage-table') && document.querySelector('#key-usage-table').textContent.includes('photos: 4 object(s), 12 MiB — the bucket default')`),
		shot("kms"))
	step("iam: a policy with an error is refused with IAM's message", chromedp.Navigate(ts.admin+"/#/iam"),
		until(`document.body.textContent.includes('photos-rekey')`),
		chromedp.SendKeys(chromedp.ID("policy-name"), "broken"),
		chromedp.SetValue(chromedp.ID("policy-new-doc"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`),
		chromedp.Click(chromedp.ID("policy-create-submit")),
		until(`document.querySelector('#iam-msg .error') && document.querySelector('#iam-msg .error').textContent.includes('MalformedPolicyDocument')`),
		shot("iam"))

	// Confirmation dialogs are answered yes from here on.
	step("accept confirmations", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
	step("buckets: create one under KMS with versioning, and one with Object Lock", chromedp.Navigate(ts.admin+"/#/"),
		chromedp.WaitVisible(chromedp.ID("bucket-create")),
		chromedp.SendKeys(chromedp.ID("bucket-name"), "archive"), chromedp.Click(chromedp.ID("bucket-versioning")),
		chromedp.SetValue(chromedp.ID("bucket-enc"), "SSE-KMS"), chromedp.SetValue(chromedp.ID("bucket-key"), keyARN),
		chromedp.Click(chromedp.ID("bucket-create-submit")),
		until(`!!document.querySelector('#buckets tr[data-bucket="archive"]')`),
		chromedp.SendKeys(chromedp.ID("bucket-name"), "vault"), chromedp.Click(chromedp.ID("bucket-lock")),
		chromedp.Click(chromedp.ID("bucket-create-submit")),
		until(`!!document.querySelector('#buckets tr[data-bucket="vault"]')`),
		chromedp.SendKeys(chromedp.ID("bucket-name"), "scratch"), chromedp.Click(chromedp.ID("bucket-create-submit")),
		until(`!!document.querySelector('#buckets tr[data-bucket="scratch"]')`),
		shot("buckets"),
		chromedp.Click(chromedp.CSS(`button[aria-label="Delete bucket scratch"]`)),
		until(`document.querySelector('#buckets') && !document.querySelector('#buckets tr[data-bucket="scratch"]')`))
	if v, err := c.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("archive")}); err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("archive versioning: %v %v", v, err)
	}
	if e, err := c.GetBucketEncryption(ctx(t), &s3.GetBucketEncryptionInput{Bucket: aws.String("archive")}); err != nil ||
		aws.ToString(e.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != keyARN {
		t.Errorf("archive encryption: %v %v", e, err)
	}
	if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("scratch")}); err == nil {
		t.Error("scratch was not deleted")
	}

	step("bucket settings: suspend versioning, default encryption to DSSE", chromedp.Navigate(ts.admin+"/#/settings/archive"),
		chromedp.WaitVisible(chromedp.ID("versioning-form")),
		chromedp.SetValue(chromedp.ID("versioning-status"), "Suspended"), chromedp.Click(chromedp.ID("versioning-save")),
		until(`document.querySelector('main dl') && document.querySelector('main dl').textContent.includes('Suspended')`),
		chromedp.SetValue(chromedp.ID("settings-enc"), "DSSE-KMS"), chromedp.Click(chromedp.ID("encryption-save")),
		until(`document.querySelector('main dl') && document.querySelector('main dl').textContent.includes('DSSE-KMS')`),
		shot("settings"))
	if e, err := c.GetBucketEncryption(ctx(t), &s3.GetBucketEncryptionInput{Bucket: aws.String("archive")}); err != nil ||
		e.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAwsKmsDsse {
		t.Errorf("archive encryption after the edit: %v %v", e, err)
	}

	step("object: storage class and metadata, by copies that keep the encryption", chromedp.Navigate(ts.admin+"/#/o/photos/2026%2Fbeach.jpg"),
		chromedp.WaitVisible(chromedp.ID("class-form")),
		chromedp.SetValue(chromedp.ID("class-select"), "STANDARD_IA"), chromedp.Click(chromedp.ID("class-save")),
		until(`document.querySelector('main dl') && document.querySelector('main dl').textContent.includes('STANDARD_IA')`),
		chromedp.WaitVisible(chromedp.ID("meta-edit")),
		chromedp.SetValue(chromedp.ID("meta-edit"), "camera=x100\nplace=beach"),
		chromedp.SetValue(chromedp.ID("meta-cacheControl"), "max-age=3600"), chromedp.Click(chromedp.ID("meta-save")),
		until(`document.body.textContent.includes('x-amz-meta-camera')`),
		shot("object-edit"))
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("photos"), Key: aws.String("2026/beach.jpg")})
	if err != nil || h.StorageClass != types.StorageClassStandardIa || h.Metadata["place"] != "beach" || aws.ToString(h.SSEKMSKeyId) != keyARN ||
		aws.ToString(h.ContentType) != "image/jpeg" || aws.ToString(h.CacheControl) != "max-age=3600" {
		t.Errorf("beach.jpg after the edits: %v %v", h, err)
	}

	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("vault"), Key: aws.String("contract.pdf"), Body: strings.NewReader("signed")}); err != nil {
		t.Fatal(err)
	}
	until2030 := time.Now().AddDate(1, 0, 0).Format("2006-01-02T15:04")
	step("object lock: retention and legal hold", chromedp.Navigate(ts.admin+"/#/o/vault/contract.pdf"),
		chromedp.WaitVisible(chromedp.ID("retention-form")),
		chromedp.SetValue(chromedp.ID("retention-mode"), "GOVERNANCE"), chromedp.SetValue(chromedp.ID("retention-until"), until2030),
		chromedp.Click(chromedp.ID("retention-save")),
		until(`document.querySelector('main dl') && document.querySelector('main dl').textContent.includes('GOVERNANCE until')`),
		chromedp.WaitVisible(chromedp.ID("legalhold-toggle")), chromedp.Click(chromedp.ID("legalhold-toggle")),
		until(`document.querySelector('#legalhold-toggle') && document.querySelector('#legalhold-toggle').textContent == 'Remove legal hold'`),
		shot("object-lock"))
	if lh, err := c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: aws.String("vault"), Key: aws.String("contract.pdf")}); err != nil || lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Errorf("legal hold: %v %v", lh, err)
	}
	if r, err := c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: aws.String("vault"), Key: aws.String("contract.pdf")}); err != nil || r.Retention.Mode != types.ObjectLockRetentionModeGovernance {
		t.Errorf("retention: %v %v", r, err)
	}

	step("iam: a user with an access key (the secret shown once) and a managed policy", chromedp.Navigate(ts.admin+"/#/iam"),
		chromedp.WaitVisible(chromedp.ID("user-create")),
		chromedp.SendKeys(chromedp.ID("policy-name"), "list-buckets"),
		chromedp.SetValue(chromedp.ID("policy-new-doc"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`),
		chromedp.Click(chromedp.ID("policy-create-submit")),
		until(`document.body.textContent.includes('policy/list-buckets')`),
		chromedp.SendKeys(chromedp.ID("user-name"), "bob"), chromedp.Click(chromedp.ID("user-create-submit")),
		until(`!!document.querySelector('tr[data-user="bob"]')`),
		chromedp.Click(chromedp.CSS(`button[aria-label="Manage user bob"]`)),
		chromedp.WaitVisible(chromedp.ID("key-new")), chromedp.Click(chromedp.ID("key-new")),
		until(`!!document.querySelector('#new-key-secret')`))
	bobAK, bobSK := text("#new-key-id"), text("#new-key-secret")
	step("attach", chromedp.SetValue(chromedp.ID("attach-arn"), "arn:aws:iam::"+strings.Split(role, ":")[4]+":policy/list-buckets"),
		chromedp.Click(chromedp.ID("attach-submit")),
		until(`document.querySelector('#attached') && document.querySelector('#attached').textContent.includes('policy/list-buckets')`),
		chromedp.SetValue(chromedp.ID("inline-name"), "read-photos"),
		chromedp.SetValue(chromedp.ID("inline-doc"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`),
		chromedp.Click(chromedp.ID("inline-submit")),
		until(`document.querySelector('#inline') && document.querySelector('#inline').textContent.includes('read-photos')`),
		shot("iam-user"))
	if _, err := ts.s3(bobAK, bobSK).ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("bob's new key with the attached policy: %v", err)
	}
	// clickUntil clicks the button labelled from until one labelled to is
	// on the page: the panel may be redrawn under a click (the previous
	// step's redraw), and a repeated click asks for the same status.
	clickUntil := func(from, to string) chromedp.Action[chromedp.Void] {
		return until(`(() => { if (document.querySelector('button[aria-label="` + to + `"]')) return true;
			document.querySelector('button[aria-label="` + from + `"]')?.click(); return false; })()`)
	}
	step("deactivate bob's key", clickUntil("Deactivate access key "+bobAK, "Activate access key "+bobAK))
	if _, err := ts.s3(bobAK, bobSK).ListBuckets(ctx(t), &s3.ListBucketsInput{}); err == nil || !strings.Contains(err.Error(), "InvalidAccessKeyId") {
		t.Errorf("bob's deactivated key: %v, want InvalidAccessKeyId", err)
	}
	step("activate bob's key again", clickUntil("Activate access key "+bobAK, "Deactivate access key "+bobAK))
	if _, err := ts.s3(bobAK, bobSK).ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("bob's key activated again: %v", err)
	}
	step("iam: a role with its trust policy, then deleted", chromedp.Navigate(ts.admin+"/#/iam"),
		chromedp.WaitVisible(chromedp.ID("role-create")),
		chromedp.SendKeys(chromedp.ID("role-name"), "ingest"), chromedp.Click(chromedp.ID("role-create-submit")),
		until(`!!document.querySelector('tr[data-role="ingest"]')`),
		chromedp.Click(chromedp.CSS(`button[aria-label="Manage role ingest"]`)),
		until(`document.querySelector('#role-trust-view') && document.querySelector('#role-trust-view').value.includes('batchoperations.s3.amazonaws.com')`),
		// A malformed trust policy is refused with IAM's error shown; a
		// valid one is saved and shown again from GetRole.
		chromedp.SetValue(chromedp.ID("role-trust-view"), `{"Version":"2012-10-17","Statement":[`),
		chromedp.Click(chromedp.ID("role-trust-save")),
		until(`document.querySelector('#panel-msg') && document.querySelector('#panel-msg').textContent.includes('MalformedPolicyDocument')`),
		chromedp.SetValue(chromedp.ID("role-trust-view"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		chromedp.Click(chromedp.ID("role-trust-save")),
		until(`document.querySelector('#role-trust-view') && document.querySelector('#role-trust-view').value.includes('ec2.amazonaws.com') && !document.querySelector('#role-trust-view').value.includes('batchoperations')`),
		chromedp.Click(chromedp.CSS(`button[aria-label="Delete role ingest"]`)),
		until(`document.querySelector('#iam-roles') && !document.querySelector('tr[data-role="ingest"]')`))

	step("sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("ak")))
}
