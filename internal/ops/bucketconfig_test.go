package ops_test

import (
	"context"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The bucket configurations as a principal, without HTTP: each allowed
// and refused (by authorization and by S3's checks of its value),
// recorded as a management event of the bucket, counted.
func TestBucketConfigurations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bt := func(b string) ops.BucketTarget { return ops.BucketTarget{Bucket: b} }
	// photos has ACLs enabled and an ACL that grants everyone read.
	if err := e.obj.UpdateBucket(ctx, bucket, func(b *kura.Bucket) error {
		b.ObjectOwnership = kura.ObjectWriter
		b.ACL = &kura.ACL{Grants: []kura.Grant{{Type: "CanonicalUser", ID: owner, Permission: kura.PermissionFullControl},
			{Type: "Group", URI: kura.GroupAllUsers, Permission: kura.PermissionRead}}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// plain's policy lets bob, of another account, read it: the owner's
	// account alone may all the same (405).
	const bobReads = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"},"Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::plain"}}`
	const public = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::plain/*"}}`
	days := func(n int) *int { return &n }
	// The error a write under a malformed key id gets (sse's, built per key).
	kmsNotFound := &s3err.Error{Code: "KMS.NotFoundException", Status: 400}
	empty := ""
	runOpCases(t, e, []opCase{
		// The policy, its status and Block Public Access.
		{name: "put a policy", op: "PutBucketPolicy", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketPolicy(ctx, c, ops.BucketPolicyInput{BucketTarget: bt(plain), Policy: []byte(bobReads)})
			}},
		{name: "a policy naming another bucket", op: "PutBucketPolicy", p: job, want: s3err.MalformedPolicy, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketPolicy(ctx, c, ops.BucketPolicyInput{BucketTarget: bt(plain),
					Policy: []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}}`)})
			}},
		{name: "not a policy", op: "PutBucketPolicy", p: job, want: s3err.MalformedPolicy, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketPolicy(ctx, c, ops.BucketPolicyInput{BucketTarget: bt(plain), Policy: []byte(`{`)})
			}},
		{name: "policy by an IAM user without permission", op: "PutBucketPolicy", p: alice, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketPolicy(ctx, c, ops.BucketPolicyInput{BucketTarget: bt(plain), Policy: []byte(bobReads)})
			}},
		{name: "read the policy", op: "GetBucketPolicy", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				doc, err := e.ops.GetBucketPolicy(ctx, c, bt(plain))
				if err == nil && doc != bobReads {
					t.Errorf("policy %q, want the document as sent", doc)
				}
				return err
			}},
		{name: "policy read by another account the policy allows", op: "GetBucketPolicy", p: bob, want: s3err.MethodNotAllowed, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketPolicy(ctx, c, bt(plain)); return err }},
		{name: "a private bucket", op: "GetBucketPolicyStatus", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				pub, err := e.ops.GetBucketPolicyStatus(ctx, c, bt(plain))
				if err == nil && pub {
					t.Error("plain is public, want private")
				}
				return err
			}},
		{name: "a bucket public by its ACL", op: "GetBucketPolicyStatus", p: job, status: 200, bucket: bucket,
			run: func(c kura.Call) error {
				pub, err := e.ops.GetBucketPolicyStatus(ctx, c, bt(bucket))
				if err == nil && !pub {
					t.Error("photos is private, want public (its ACL)")
				}
				return err
			}},
		{name: "block public policies", op: "PutPublicAccessBlock", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutPublicAccessBlock(ctx, c, ops.PublicAccessBlockInput{BucketTarget: bt(plain),
					Config: kura.PublicAccessBlock{BlockPublicPolicy: true}})
			}},
		{name: "a public policy while blocked", op: "PutBucketPolicy", p: job, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketPolicy(ctx, c, ops.BucketPolicyInput{BucketTarget: bt(plain), Policy: []byte(public)})
			}},
		{name: "read Block Public Access", op: "GetPublicAccessBlock", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				pab, err := e.ops.GetPublicAccessBlock(ctx, c, bt(plain))
				if err == nil && !pab.BlockPublicPolicy {
					t.Errorf("settings %+v, want BlockPublicPolicy", pab)
				}
				return err
			}},
		{name: "Block Public Access without permission", op: "DeletePublicAccessBlock", p: alice, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeletePublicAccessBlock(ctx, c, bt(plain)) }},
		{name: "remove Block Public Access", op: "DeletePublicAccessBlock", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeletePublicAccessBlock(ctx, c, bt(plain)) }},
		{name: "no Block Public Access", op: "GetPublicAccessBlock", p: job, want: s3err.NoSuchPublicAccessBlockConfiguration, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetPublicAccessBlock(ctx, c, bt(plain)); return err }},
		{name: "remove the policy", op: "DeleteBucketPolicy", p: root, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketPolicy(ctx, c, bt(plain)) }},
		{name: "no policy", op: "GetBucketPolicy", p: job, want: s3err.NoSuchBucketPolicy, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketPolicy(ctx, c, bt(plain)); return err }},

		// Default encryption.
		{name: "SSE-S3 with a KMS key", op: "PutBucketEncryption", p: job, want: s3err.InvalidArgument, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketEncryption(ctx, c, ops.BucketEncryptionInput{BucketTarget: bt(plain),
					Encryption: kura.BucketEncryption{Algorithm: kura.SSES3, KMSMasterKeyID: e.keyARN}})
			}},
		{name: "a KMS key id no write could use", op: "PutBucketEncryption", p: job, want: kmsNotFound, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketEncryption(ctx, c, ops.BucketEncryptionInput{BucketTarget: bt(plain),
					Encryption: kura.BucketEncryption{Algorithm: kura.SSEKMS, KMSMasterKeyID: "aws/s3"}})
			}},
		{name: "SSE-KMS by default", op: "PutBucketEncryption", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketEncryption(ctx, c, ops.BucketEncryptionInput{BucketTarget: bt(plain),
					Encryption: kura.BucketEncryption{Algorithm: kura.SSEKMS, KMSMasterKeyID: e.keyARN, BucketKeyEnabled: true}})
			}},
		{name: "read the default encryption", op: "GetBucketEncryption", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				enc, err := e.ops.GetBucketEncryption(ctx, c, bt(plain))
				if err == nil && (enc.Algorithm != kura.SSEKMS || enc.KMSMasterKeyID != e.keyARN) {
					t.Errorf("encryption %+v, want SSE-KMS with the key", enc)
				}
				return err
			}},
		{name: "encryption without permission", op: "GetBucketEncryption", p: alice, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketEncryption(ctx, c, bt(plain)); return err }},
		{name: "reset the encryption", op: "DeleteBucketEncryption", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketEncryption(ctx, c, bt(plain)) }},
		{name: "no default encryption", op: "GetBucketEncryption", p: job, want: s3err.SSEConfigNotFound, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketEncryption(ctx, c, bt(plain)); return err }},

		// Object Lock.
		{name: "lock an unversioned bucket", op: "PutObjectLockConfiguration", p: job, want: s3err.InvalidBucketState, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutObjectLockConfiguration(ctx, c, ops.ObjectLockConfigInput{BucketTarget: bt(plain)})
			}},
		{name: "a negative retention", op: "PutObjectLockConfiguration", p: job, want: s3err.InvalidArgument, bucket: locked,
			run: func(c kura.Call) error {
				return e.ops.PutObjectLockConfiguration(ctx, c, ops.ObjectLockConfigInput{BucketTarget: bt(locked),
					Rule: &kura.LockRule{Mode: "GOVERNANCE", Days: -1}})
			}},
		{name: "a default retention", op: "PutObjectLockConfiguration", p: job, status: 200, bucket: locked,
			run: func(c kura.Call) error {
				return e.ops.PutObjectLockConfiguration(ctx, c, ops.ObjectLockConfigInput{BucketTarget: bt(locked),
					Rule: &kura.LockRule{Mode: "GOVERNANCE", Days: 30}})
			}},
		{name: "read the lock", op: "GetObjectLockConfiguration", p: job, status: 200, bucket: locked,
			run: func(c kura.Call) error {
				rule, err := e.ops.GetObjectLockConfiguration(ctx, c, bt(locked))
				if err == nil && (rule == nil || rule.Days != 30) {
					t.Errorf("rule %+v, want 30 days", rule)
				}
				return err
			}},
		{name: "no lock", op: "GetObjectLockConfiguration", p: job, want: s3err.ObjectLockConfigNotFound, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetObjectLockConfiguration(ctx, c, bt(plain)); return err }},

		// Object Ownership.
		{name: "disable ACLs that grant others", op: "PutBucketOwnershipControls", p: job, want: s3err.InvalidBucketAclWithObjectOwnership, bucket: bucket,
			run: func(c kura.Call) error {
				return e.ops.PutBucketOwnershipControls(ctx, c, ops.OwnershipInput{BucketTarget: bt(bucket), ObjectOwnership: kura.BucketOwnerEnforced})
			}},
		{name: "no ownership controls", op: "GetBucketOwnershipControls", p: job, want: s3err.OwnershipControlsNotFound, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketOwnershipControls(ctx, c, bt(plain)); return err }},
		{name: "ownership by the writer", op: "PutBucketOwnershipControls", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketOwnershipControls(ctx, c, ops.OwnershipInput{BucketTarget: bt(plain), ObjectOwnership: kura.ObjectWriter})
			}},
		{name: "read the ownership", op: "GetBucketOwnershipControls", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				v, err := e.ops.GetBucketOwnershipControls(ctx, c, bt(plain))
				if err == nil && v != kura.ObjectWriter {
					t.Errorf("ownership %q, want ObjectWriter", v)
				}
				return err
			}},
		{name: "ownership by another account", op: "DeleteBucketOwnershipControls", p: bob, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketOwnershipControls(ctx, c, bt(plain)) }},
		{name: "remove the ownership controls", op: "DeleteBucketOwnershipControls", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketOwnershipControls(ctx, c, bt(plain)) }},

		// CORS.
		{name: "a method S3 does not serve", op: "PutBucketCors", p: job, want: s3err.InvalidRequest, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketCors(ctx, c, ops.CORSInput{BucketTarget: bt(plain), Rules: []kura.CORSRule{
					{AllowedMethods: []string{"PATCH"}, AllowedOrigins: []string{"*"}}}})
			}},
		{name: "CORS rules", op: "PutBucketCors", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketCors(ctx, c, ops.CORSInput{BucketTarget: bt(plain), Rules: []kura.CORSRule{
					{ID: "gets", AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"https://*.example.com"}}}})
			}},
		{name: "read the CORS rules", op: "GetBucketCors", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				rules, err := e.ops.GetBucketCors(ctx, c, bt(plain))
				if err == nil && (len(rules) != 1 || rules[0].ID != "gets") {
					t.Errorf("rules %+v, want the one put", rules)
				}
				return err
			}},
		{name: "remove the CORS rules", op: "DeleteBucketCors", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketCors(ctx, c, bt(plain)) }},
		{name: "no CORS rules", op: "GetBucketCors", p: job, want: s3err.NoSuchCORSConfiguration, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketCors(ctx, c, bt(plain)); return err }},

		// Lifecycle.
		{name: "expire after zero days", op: "PutBucketLifecycleConfiguration", p: job, want: s3err.InvalidArgument, bucket: plain,
			run: func(c kura.Call) error {
				_, err := e.ops.PutBucketLifecycleConfiguration(ctx, c, ops.LifecycleInput{BucketTarget: bt(plain), Rules: []kura.LifecycleRule{
					{Filter: &kura.LifecycleFilter{}, Status: "Enabled", Expiration: &kura.LifecycleExpiration{Days: days(0)}}}})
				return err
			}},
		{name: "lifecycle without permission", op: "PutBucketLifecycleConfiguration", p: alice, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error {
				_, err := e.ops.PutBucketLifecycleConfiguration(ctx, c, ops.LifecycleInput{BucketTarget: bt(plain)})
				return err
			}},
		{name: "a lifecycle rule", op: "PutBucketLifecycleConfiguration", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				rules, err := e.ops.PutBucketLifecycleConfiguration(ctx, c, ops.LifecycleInput{BucketTarget: bt(plain), Rules: []kura.LifecycleRule{
					{Prefix: &empty, Status: "Enabled", Expiration: &kura.LifecycleExpiration{Days: days(7)}}}})
				if err == nil && (len(rules) != 1 || rules[0].ID == "") {
					t.Errorf("rules %+v, want the rule with an ID given", rules)
				}
				return err
			}},
		{name: "read the lifecycle", op: "GetBucketLifecycleConfiguration", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				rules, err := e.ops.GetBucketLifecycleConfiguration(ctx, c, bt(plain))
				if err == nil && (len(rules) != 1 || rules[0].ID == "" || *rules[0].Expiration.Days != 7) {
					t.Errorf("rules %+v, want the one put, with its ID", rules)
				}
				return err
			}},
		{name: "remove the lifecycle", op: "DeleteBucketLifecycle", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketLifecycle(ctx, c, bt(plain)) }},
		{name: "no lifecycle", op: "GetBucketLifecycleConfiguration", p: job, want: s3err.NoSuchLifecycle, bucket: plain,
			run: func(c kura.Call) error {
				_, err := e.ops.GetBucketLifecycleConfiguration(ctx, c, bt(plain))
				return err
			}},

		// The website.
		{name: "a website without an index", op: "PutBucketWebsite", p: job, want: s3err.InvalidArgument, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketWebsite(ctx, c, ops.WebsiteInput{BucketTarget: bt(plain)})
			}},
		{name: "a redirect of every request with an index", op: "PutBucketWebsite", p: job, want: s3err.InvalidArgument, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketWebsite(ctx, c, ops.WebsiteInput{BucketTarget: bt(plain), Website: kura.Website{IndexDocument: "index.html",
					RedirectAllRequestsTo: &kura.WebsiteRedirectAll{HostName: "example.com"}}})
			}},
		{name: "a website", op: "PutBucketWebsite", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketWebsite(ctx, c, ops.WebsiteInput{BucketTarget: bt(plain), Website: kura.Website{IndexDocument: "index.html"}})
			}},
		{name: "read the website", op: "GetBucketWebsite", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				w, err := e.ops.GetBucketWebsite(ctx, c, bt(plain))
				if err == nil && w.IndexDocument != "index.html" {
					t.Errorf("website %+v, want index.html", w)
				}
				return err
			}},
		{name: "website by another account", op: "DeleteBucketWebsite", p: bob, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketWebsite(ctx, c, bt(plain)) }},
		{name: "remove the website", op: "DeleteBucketWebsite", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketWebsite(ctx, c, bt(plain)) }},
		{name: "no website", op: "GetBucketWebsite", p: job, want: s3err.NoSuchWebsiteConfiguration, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.GetBucketWebsite(ctx, c, bt(plain)); return err }},
	})
}

// Inventory configurations and KuraRunBucketInventory as a principal.
func TestInventoryConfigurations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	it := func(id string) ops.InventoryTarget {
		return ops.InventoryTarget{BucketTarget: ops.BucketTarget{Bucket: plain}, ID: id}
	}
	cfg := kura.InventoryConfiguration{ID: "daily", IsEnabled: true, Frequency: "Daily", IncludedObjectVersions: "Current",
		Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::" + bucket, Format: "CSV"}}
	runOpCases(t, e, []opCase{
		{name: "configure", op: "PutBucketInventoryConfiguration", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketInventoryConfiguration(ctx, c, ops.InventoryInput{BucketTarget: ops.BucketTarget{Bucket: plain}, Config: cfg})
			}},
		{name: "configure without permission", op: "PutBucketInventoryConfiguration", p: alice, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error {
				return e.ops.PutBucketInventoryConfiguration(ctx, c, ops.InventoryInput{BucketTarget: ops.BucketTarget{Bucket: plain}, Config: cfg})
			}},
		{name: "read one", op: "GetBucketInventoryConfiguration", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				got, err := e.ops.GetBucketInventoryConfiguration(ctx, c, it("daily"))
				if err == nil && (got.ID != "daily" || got.Frequency != "Daily") {
					t.Errorf("configuration %+v, want the one put", got)
				}
				return err
			}},
		{name: "read one that is not there", op: "GetBucketInventoryConfiguration", p: job, want: s3err.NoSuchConfiguration, bucket: plain,
			run: func(c kura.Call) error {
				_, err := e.ops.GetBucketInventoryConfiguration(ctx, c, it("weekly"))
				return err
			}},
		{name: "list", op: "ListBucketInventoryConfigurations", p: job, status: 200, bucket: plain,
			run: func(c kura.Call) error {
				page, err := e.ops.ListBucketInventoryConfigurations(ctx, c, ops.InventoryListInput{BucketTarget: ops.BucketTarget{Bucket: plain}})
				if err == nil && (len(page.Configurations) != 1 || page.Truncated) {
					t.Errorf("page %+v, want the one configuration", page)
				}
				return err
			}},
		{name: "run without a report writer", op: "KuraRunBucketInventory", p: job, want: s3err.NotImplemented, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.RunBucketInventory(ctx, c, it("daily")); return err }},
		{name: "run by another account", op: "KuraRunBucketInventory", p: bob, want: s3err.AccessDenied, bucket: plain,
			run: func(c kura.Call) error { _, err := e.ops.RunBucketInventory(ctx, c, it("daily")); return err }},
		{name: "remove", op: "DeleteBucketInventoryConfiguration", p: job, status: 204, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketInventoryConfiguration(ctx, c, it("daily")) }},
		{name: "remove again", op: "DeleteBucketInventoryConfiguration", p: job, want: s3err.NoSuchConfiguration, bucket: plain,
			run: func(c kura.Call) error { return e.ops.DeleteBucketInventoryConfiguration(ctx, c, it("daily")) }},
	})
}

// Every configuration operation is refused to an IAM user whose policies
// allow none of it (AccessDenied, not an error of the empty input), and
// the refusal is recorded and counted.
func TestBucketConfigurationsDenied(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bt := ops.BucketTarget{Bucket: plain}
	it := ops.InventoryTarget{BucketTarget: bt, ID: "daily"}
	var cases []opCase
	for op, run := range map[string]func(kura.Call) error{
		"GetBucketAcl": func(c kura.Call) error { _, err := e.ops.GetBucketAcl(ctx, c, bt); return err },
		"PutBucketAcl": func(c kura.Call) error {
			return e.ops.PutBucketAcl(ctx, c, ops.BucketACLInput{BucketTarget: bt, Canned: "private"})
		},
		"GetBucketPolicy":       func(c kura.Call) error { _, err := e.ops.GetBucketPolicy(ctx, c, bt); return err },
		"DeleteBucketPolicy":    func(c kura.Call) error { return e.ops.DeleteBucketPolicy(ctx, c, bt) },
		"GetBucketPolicyStatus": func(c kura.Call) error { _, err := e.ops.GetBucketPolicyStatus(ctx, c, bt); return err },
		"PutBucketEncryption": func(c kura.Call) error {
			return e.ops.PutBucketEncryption(ctx, c, ops.BucketEncryptionInput{BucketTarget: bt})
		},
		"DeleteBucketEncryption": func(c kura.Call) error { return e.ops.DeleteBucketEncryption(ctx, c, bt) },
		"PutObjectLockConfiguration": func(c kura.Call) error {
			return e.ops.PutObjectLockConfiguration(ctx, c, ops.ObjectLockConfigInput{BucketTarget: bt})
		},
		"GetObjectLockConfiguration": func(c kura.Call) error { _, err := e.ops.GetObjectLockConfiguration(ctx, c, bt); return err },
		"PutBucketOwnershipControls": func(c kura.Call) error {
			return e.ops.PutBucketOwnershipControls(ctx, c, ops.OwnershipInput{BucketTarget: bt})
		},
		"GetBucketOwnershipControls": func(c kura.Call) error { _, err := e.ops.GetBucketOwnershipControls(ctx, c, bt); return err },
		"PutPublicAccessBlock": func(c kura.Call) error {
			return e.ops.PutPublicAccessBlock(ctx, c, ops.PublicAccessBlockInput{BucketTarget: bt})
		},
		"GetPublicAccessBlock":            func(c kura.Call) error { _, err := e.ops.GetPublicAccessBlock(ctx, c, bt); return err },
		"PutBucketCors":                   func(c kura.Call) error { return e.ops.PutBucketCors(ctx, c, ops.CORSInput{BucketTarget: bt}) },
		"GetBucketCors":                   func(c kura.Call) error { _, err := e.ops.GetBucketCors(ctx, c, bt); return err },
		"DeleteBucketCors":                func(c kura.Call) error { return e.ops.DeleteBucketCors(ctx, c, bt) },
		"GetBucketLifecycleConfiguration": func(c kura.Call) error { _, err := e.ops.GetBucketLifecycleConfiguration(ctx, c, bt); return err },
		"DeleteBucketLifecycle":           func(c kura.Call) error { return e.ops.DeleteBucketLifecycle(ctx, c, bt) },
		"PutBucketWebsite":                func(c kura.Call) error { return e.ops.PutBucketWebsite(ctx, c, ops.WebsiteInput{BucketTarget: bt}) },
		"GetBucketWebsite":                func(c kura.Call) error { _, err := e.ops.GetBucketWebsite(ctx, c, bt); return err },
		"GetBucketInventoryConfiguration": func(c kura.Call) error { _, err := e.ops.GetBucketInventoryConfiguration(ctx, c, it); return err },
		"ListBucketInventoryConfigurations": func(c kura.Call) error {
			_, err := e.ops.ListBucketInventoryConfigurations(ctx, c, ops.InventoryListInput{BucketTarget: bt})
			return err
		},
		"DeleteBucketInventoryConfiguration": func(c kura.Call) error {
			return e.ops.DeleteBucketInventoryConfiguration(ctx, c, it)
		},
	} {
		cases = append(cases, opCase{name: op + " refused", op: op, p: alice, want: s3err.AccessDenied, bucket: plain, run: run})
	}
	runOpCases(t, e, cases)
}
