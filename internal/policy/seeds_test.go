package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The seed documents the testdata policies were copied from (see
// testdata/SOURCES.md).
const seedDir = "/work/shared/seeds"

func TestSeedFilesAreVerbatim(t *testing.T) {
	seeds, err := filepath.Glob(filepath.Join(seedDir, "0*.txt"))
	if err != nil || len(seeds) == 0 {
		t.Skipf("seed documents not available at %s on this machine", seedDir)
	}
	files, err := filepath.Glob("testdata/seed*.json")
	if err != nil || len(files) < 9 {
		t.Fatalf("testdata seed policies: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		num := strings.TrimPrefix(filepath.Base(f), "seed")[:3]
		if num == "002" {
			continue // not in the seed as text; see SOURCES.md
		}
		src, err := filepath.Glob(filepath.Join(seedDir, num+"_*.txt"))
		if err != nil || len(src) != 1 {
			t.Fatalf("%s: no seed %s", f, num)
		}
		seed, err := os.ReadFile(src[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(seed), string(readTestdata(t, filepath.Base(f)))) {
			t.Errorf("%s is not a verbatim excerpt of %s", f, src[0])
		}
	}
}

// Seed 002 (via the AWS page it quotes): a bucket policy that denies PUTs
// unless x-amz-server-side-encryption is AES256, including PUTs without
// the header.
func TestSeed002RequireSSES3(t *testing.T) {
	bucketPolicy := mustParseFile(t, Resource, "seed002-require-sse-s3-bucket-policy.json")
	userPolicy := mustParse(t, Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	const sse = "s3:x-amz-server-side-encryption"
	for _, tc := range []struct {
		name     string
		p        Principal
		root     bool
		action   string
		resource string
		ctx      map[string][]string
		want     Reason
		st       string
	}{
		{"PUT with AES256", alice, false, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", ctx(sse, "AES256"), AllowedByIdentity, ""},
		{"PUT with aws:kms", alice, false, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", ctx(sse, "aws:kms"), ExplicitDenyResource, "DenyIncorrectEncryptionHeader"},
		{"PUT with lower-case aes256", alice, false, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", ctx(sse, "aes256"), ExplicitDenyResource, "DenyIncorrectEncryptionHeader"},
		{"PUT without the header", alice, false, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", nil, ExplicitDenyResource, "DenyIncorrectEncryptionHeader"},
		{"PUT without the header, other keys present", alice, false, "s3:PutObject", "arn:aws:s3:::YourBucket/a/b", ctx("aws:SecureTransport", "true"), ExplicitDenyResource, "DenyIncorrectEncryptionHeader"},
		{"root PUT without the header", rootA, true, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", nil, ExplicitDenyResource, "DenyIncorrectEncryptionHeader"},
		{"root PUT with AES256", rootA, true, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", ctx(sse, "AES256"), AllowedAsRoot, ""},
		{"anonymous PUT without the header", anonymous, false, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", nil, ExplicitDenyResource, "DenyIncorrectEncryptionHeader"},
		{"anonymous PUT with AES256 is not granted", anonymous, false, "s3:PutObject", "arn:aws:s3:::YourBucket/photo.jpg", ctx(sse, "AES256"), NoResourceAllow, ""},
		{"GET is not affected", alice, false, "s3:GetObject", "arn:aws:s3:::YourBucket/photo.jpg", nil, AllowedByIdentity, ""},
		{"other bucket is not affected", alice, false, "s3:PutObject", "arn:aws:s3:::OtherBucket/photo.jpg", nil, AllowedByIdentity, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(&Input{
				Request:         Request{Principal: tc.p, Action: tc.action, Resource: tc.resource, Context: tc.ctx},
				ResourceAccount: acctA,
				IsRoot:          tc.root,
				Identity:        []*Document{userPolicy},
				Resource:        bucketPolicy,
			})
			if got.Reason != tc.want || got.Allowed != (tc.want >= AllowedByIdentity) || (tc.st != "" && got.Statement != tc.st) {
				t.Errorf("Decide = %+v, want reason %q statement %q", got, tc.want, tc.st)
			}
		})
	}
	// Each statement on its own: the Null statement catches exactly the
	// requests without the header.
	res := bucketPolicy.Evaluate(&Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::YourBucket/x", Context: ctx(sse, "AES256")})
	if res.Effect != NotApplicable {
		t.Errorf("AES256 PUT: %+v, want NotApplicable", res)
	}
	nullOnly := *bucketPolicy
	nullOnly.Statements = bucketPolicy.Statements[1:]
	for _, c := range []struct {
		ctx  map[string][]string
		want Effect
	}{{nil, Deny}, {ctx(sse, "aws:kms"), NotApplicable}} {
		if got := nullOnly.Evaluate(&Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::YourBucket/x", Context: c.ctx}).Effect; got != c.want {
			t.Errorf("DenyUnEncryptedObjectUploads with %v: %v, want %v", c.ctx, got, c.want)
		}
	}
}

// Seed 001: the replication role may use kms:Decrypt on the source key and
// kms:Encrypt on the destination key only through S3 in the right Region
// and only for objects under the right prefix (or, with Bucket Keys, for
// the bucket ARN).
func TestSeed001ReplicationRoleKMS(t *testing.T) {
	const (
		via        = "kms:ViaService"
		ec         = "kms:EncryptionContext:aws:s3:arn"
		srcVia     = "s3.source-bucket-region.amazonaws.com"
		srcKeys    = "List of the AWS KMS key ARNs that are used to encrypt source objects."
		srcKeysDoc = "List of AWS KMS key ARNs that are used to encrypt source objects."
		dstKeys    = "AWS KMS key ARNs (in the same AWS リージョン as the destination bucket) to use for encrypting object replicas"
	)
	type check struct {
		name     string
		action   string
		resource string
		ctx      map[string][]string
		want     Effect
	}
	for _, tc := range []struct {
		file   string
		checks []check
	}{
		{"seed001-sse-kms-separate-destination-buckets.json", []check{
			{"decrypt source object", "kms:Decrypt", srcKeysDoc, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a.txt"), Allow},
			{"decrypt wrong region", "kms:Decrypt", srcKeysDoc, ctx(via, "s3.other-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a.txt"), NotApplicable},
			{"decrypt not through S3", "kms:Decrypt", srcKeysDoc, ctx(ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a.txt"), NotApplicable},
			{"decrypt outside the prefix", "kms:Decrypt", srcKeysDoc, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/other/a.txt"), NotApplicable},
			{"decrypt without encryption context", "kms:Decrypt", srcKeysDoc, ctx(via, srcVia), NotApplicable},
			{"decrypt another key", "kms:Decrypt", keyARN, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a.txt"), NotApplicable},
			{"context keys in other spelling", "kms:Decrypt", srcKeysDoc, ctx("KMS:ViaService", srcVia, "kms:encryptioncontext:AWS:S3:ARN", "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a.txt"), Allow},
			{"encrypt replica in destination 1", "kms:Encrypt",
				"AWS KMS key ARNs (in the same AWS リージョン as destination bucket 1). Used to encrypt object replicas created in destination bucket 1.",
				ctx(via, "s3.destination-bucket-1-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET1/key-prefix1/a.txt"), Allow},
			{"encrypt replica in destination 2", "kms:Encrypt",
				"AWS KMS key ARNs (in the same AWS リージョン as destination bucket 2). Used to encrypt object replicas created in destination bucket 2.",
				ctx(via, "s3.destination-bucket-2-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET2/key-prefix1/a.txt"), Allow},
			{"encrypt with bucket 1's region for bucket 2", "kms:Encrypt",
				"AWS KMS key ARNs (in the same AWS リージョン as destination bucket 2). Used to encrypt object replicas created in destination bucket 2.",
				ctx(via, "s3.destination-bucket-1-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET2/key-prefix1/a.txt"), NotApplicable},
			{"encrypt is not decrypt", "kms:Decrypt",
				"AWS KMS key ARNs (in the same AWS リージョン as destination bucket 1). Used to encrypt object replicas created in destination bucket 1.",
				ctx(via, "s3.destination-bucket-1-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET1/key-prefix1/a.txt"), NotApplicable},
		}},
		{"seed001-sse-s3-and-sse-kms-replication.json", []check{
			{"read replication config", "s3:GetReplicationConfiguration", "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET", nil, Allow},
			{"list source", "s3:ListBucket", "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET", nil, Allow},
			{"read source version", "s3:GetObjectVersionForReplication", "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a", nil, Allow},
			{"read source version outside prefix", "s3:GetObjectVersionForReplication", "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/tmp/a", nil, NotApplicable},
			{"replicate to destination", "s3:ReplicateObject", "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET/key-prefix1/a", nil, Allow},
			{"replicate delete", "s3:ReplicateDelete", "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET/key-prefix1/a", nil, Allow},
			{"replicate tags not granted", "s3:ReplicateTags", "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET/key-prefix1/a", nil, NotApplicable},
			{"decrypt source object", "kms:Decrypt", srcKeys, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a"), Allow},
			{"decrypt with bucket ARN context", "kms:Decrypt", srcKeys, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET"), NotApplicable},
			{"encrypt replica", "kms:Encrypt", dstKeys, ctx(via, "s3.destination-bucket-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET/prefix1/a"), Allow},
			{"encrypt replica outside prefix", "kms:Encrypt", dstKeys, ctx(via, "s3.destination-bucket-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET/key-prefix1/a"), NotApplicable},
			{"generate data key not granted", "kms:GenerateDataKey", dstKeys, ctx(via, "s3.destination-bucket-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET/prefix1/a"), NotApplicable},
		}},
		{"seed001-bucket-key-replication.json", []check{
			{"decrypt with bucket ARN context", "kms:Decrypt", srcKeys, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET"), Allow},
			{"decrypt with object ARN context", "kms:Decrypt", srcKeys, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a"), NotApplicable},
			{"encrypt with bucket ARN context", "kms:Encrypt", dstKeys, ctx(via, "s3.destination-bucket-region.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET"), Allow},
			{"encrypt via the source region", "kms:Encrypt", dstKeys, ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-DESTINATION-BUCKET"), NotApplicable},
		}},
	} {
		role := mustParseFile(t, Identity, tc.file)
		for _, c := range tc.checks {
			r := &Request{Principal: session, Action: c.action, Resource: c.resource, Context: c.ctx}
			if got := role.Evaluate(r).Effect; got != c.want {
				t.Errorf("%s: %s: %v, want %v", tc.file, c.name, got, c.want)
			}
		}
	}

	// Through Decide, with the replication role's policy and a default key
	// policy: allowed only when the conditions hold.
	role := mustParseFile(t, Identity, "seed001-sse-s3-and-sse-kms-replication.json")
	keyPolicy := mustParse(t, Resource, `{"Version":"2012-10-17","Statement":[`+defaultKeyStatement(acctA)+`]}`)
	for _, c := range []struct {
		ctx  map[string][]string
		want Reason
	}{
		{ctx(via, srcVia, ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a"), AllowedByIdentity},
		{ctx(via, "s3.elsewhere.amazonaws.com", ec, "arn:aws:s3:::DOC-EXAMPLE-SOURCE-BUCKET/key-prefix1/a"), NoIdentityAllow},
		{nil, NoIdentityAllow},
	} {
		d := Decide(&Input{
			Request:         Request{Principal: session, Action: "kms:Decrypt", Resource: srcKeys, Context: c.ctx},
			ResourceAccount: acctA,
			Identity:        []*Document{role},
			Resource:        keyPolicy,
			KeyPolicy:       true,
		})
		if d.Reason != c.want {
			t.Errorf("Decide kms:Decrypt with %v = %+v, want %v", c.ctx, d, c.want)
		}
	}
}

// seed003Actions is seed 003's list of permissions UpdateObjectEncryption
// needs (the same list appears in seed 000's policy).
var seed003Actions = []string{"s3:PutObject", "s3:UpdateObjectEncryption", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*"}

// Seeds 000 and 003: with the documented permission list every action
// UpdateObjectEncryption performs is allowed; without any one entry, that
// action is denied.
func TestSeed000And003UpdateObjectEncryptionPermissions(t *testing.T) {
	const (
		object = "arn:aws:s3:::example-bucket/doc.pdf"
		key    = "arn:aws:kms:us-east-1:111122223333:key/01234567-89ab-cdef-0123-456789abcdef"
	)
	// The actions the operation performs, each with the resource it needs
	// and the policy entry that grants it.
	performed := []struct{ action, resource, entry string }{
		{"s3:PutObject", object, "s3:PutObject"},
		{"s3:UpdateObjectEncryption", object, "s3:UpdateObjectEncryption"},
		{"kms:Encrypt", key, "kms:Encrypt"},
		{"kms:Decrypt", key, "kms:Decrypt"},
		{"kms:GenerateDataKey", key, "kms:GenerateDataKey"},
		{"kms:ReEncryptFrom", key, "kms:ReEncrypt*"},
		{"kms:ReEncryptTo", key, "kms:ReEncrypt*"},
	}
	seed000 := readTestdata(t, "seed000-update-object-encryption-permissions.json")
	seed003 := policyWithActions(t, seed000, seed003Actions)

	decide := func(doc *Document, action, resource string) Decision {
		return Decide(&Input{
			Request:         Request{Principal: alice, Action: action, Resource: resource},
			ResourceAccount: acctA,
			Identity:        []*Document{doc},
		})
	}
	for _, src := range []struct {
		name string
		text []byte
	}{{"seed 000 policy", seed000}, {"seed 003 list", seed003}} {
		full := mustParse(t, Identity, string(src.text))
		for _, p := range performed {
			if d := decide(full, p.action, p.resource); !d.Allowed {
				t.Errorf("%s: %s on %s denied: %+v", src.name, p.action, p.resource, d)
			}
		}
		// Outside the listed resources nothing is granted.
		for _, p := range []struct{ action, resource string }{
			{"s3:PutObject", "arn:aws:s3:::other-bucket/doc.pdf"},
			{"kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/another"},
			{"s3:DeleteObject", object},
			{"kms:ScheduleKeyDeletion", key},
		} {
			if d := decide(full, p.action, p.resource); d.Allowed || d.Reason != NoIdentityAllow {
				t.Errorf("%s: %s on %s: %+v, want NoIdentityAllow", src.name, p.action, p.resource, d)
			}
		}

		for _, removed := range seed003Actions {
			var actions []string
			for _, a := range listedActions(t, src.text) {
				if a != removed {
					actions = append(actions, a)
				}
			}
			doc := mustParse(t, Identity, string(policyWithActions(t, src.text, actions)))
			for _, p := range performed {
				d := decide(doc, p.action, p.resource)
				if p.entry == removed {
					if d.Allowed || d.Reason != NoIdentityAllow {
						t.Errorf("%s without %s: %s = %+v, want denied", src.name, removed, p.action, d)
					} else if msg := d.Message(alice.ARN, p.action, p.resource, QuotedResource); !strings.Contains(msg, "because no identity-based policy allows the "+p.action+" action") {
						t.Errorf("message %q", msg)
					}
				} else if !d.Allowed {
					t.Errorf("%s without %s: %s denied too: %+v", src.name, removed, p.action, d)
				}
			}
		}
	}
}

// listedActions returns the Action list of a one-statement policy.
func listedActions(t *testing.T, text []byte) []string {
	t.Helper()
	var doc struct{ Statement []struct{ Action []string } }
	if err := json.Unmarshal(text, &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("listedActions: %v", err)
	}
	return doc.Statement[0].Action
}

// policyWithActions returns text with its single statement's Action list
// replaced, everything else unchanged.
func policyWithActions(t *testing.T, text []byte, actions []string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	st := doc["Statement"].([]any)[0].(map[string]any)
	st["Action"] = slices.Clone(actions)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Seed 004: the replication role's trust and permission policies and the
// default KMS key policy of the Tokyo/Osaka example.
func TestSeed004Replication(t *testing.T) {
	trustText := readTestdata(t, "seed004-replication-role-trust.json")
	trust := mustParse(t, Trust, string(trustText))
	if _, err := Parse(trustText, Identity); err == nil || err.Error() != "Policy document should not specify a principal." {
		t.Errorf("trust policy parsed as an identity policy: %v", err)
	}
	if _, err := Parse(trustText, Resource); err == nil || err.Error() != "Policy statement must contain resources." {
		t.Errorf("trust policy parsed as a resource policy: %v", err)
	}
	roleARN := "arn:aws:iam::" + acctA + ":role/replication"
	for _, c := range []struct {
		name string
		p    Principal
		want Reason
	}{
		{"S3 may assume the role", s3Service, AllowedByResource},
		{"another service may not", Principal{Service: "ec2.amazonaws.com"}, NoResourceAllow},
		{"a user of the account needs an identity allow", alice, NoIdentityAllow},
		{"anonymous may not", anonymous, NoResourceAllow},
	} {
		d := Decide(&Input{Request: Request{Principal: c.p, Action: "sts:AssumeRole", Resource: roleARN}, ResourceAccount: acctA, Resource: trust})
		if d.Reason != c.want {
			t.Errorf("trust: %s: %+v, want %v", c.name, d, c.want)
		}
	}

	sseS3 := mustParseFile(t, Identity, "seed004-sse-s3-replication-permissions.json")
	for _, c := range []struct {
		action, resource string
		want             Effect
	}{
		{"s3:GetReplicationConfiguration", "arn:aws:s3:::s3-bucket-tokyo", Allow},
		{"s3:ListBucket", "arn:aws:s3:::s3-bucket-tokyo", Allow},
		{"s3:ListBucket", "arn:aws:s3:::s3-bucket-osaka", NotApplicable},
		{"s3:GetObjectVersionForReplication", "arn:aws:s3:::s3-bucket-tokyo/test.txt", Allow},
		{"s3:GetObjectVersionTagging", "arn:aws:s3:::s3-bucket-tokyo/test.txt", Allow},
		{"s3:GetObjectVersionForReplication", "arn:aws:s3:::s3-bucket-tokyo", NotApplicable},
		{"s3:ReplicateObject", "arn:aws:s3:::s3-bucket-osaka/test.txt", Allow},
		{"s3:ReplicateTags", "arn:aws:s3:::s3-bucket-osaka/test.txt", Allow},
		{"s3:ReplicateObject", "arn:aws:s3:::s3-bucket-tokyo/test.txt", NotApplicable},
		{"s3:PutObject", "arn:aws:s3:::s3-bucket-osaka/test.txt", NotApplicable},
		{"kms:Decrypt", "arn:aws:kms:ap-northeast-1:account-id:key/XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", NotApplicable},
	} {
		if got := sseS3.Evaluate(&Request{Principal: session, Action: c.action, Resource: c.resource}).Effect; got != c.want {
			t.Errorf("SSE-S3 permissions: %s on %s: %v, want %v", c.action, c.resource, got, c.want)
		}
	}

	// The key policy as printed says "account-id", which AWS refuses as a
	// principal; with a real account ID it is the default key policy.
	keyText := readTestdata(t, "seed004-kms-default-key-policy.json")
	if _, err := Parse(keyText, Resource); err == nil || err.Error() != "Invalid principal in policy" {
		t.Errorf("seed 004 key policy with the account-id placeholder: err = %v, want Invalid principal in policy", err)
	}
	keyPolicy := mustParse(t, Resource, strings.ReplaceAll(string(keyText), "account-id", acctA))
	sseKMS := mustParseFile(t, Identity, "seed004-sse-kms-replication-permissions.json")
	const (
		tokyoKey = "arn:aws:kms:ap-northeast-1:account-id:key/XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		osakaKey = "arn:aws:kms:ap-northeast-3:account-id:key/XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
	)
	for _, c := range []struct {
		name     string
		p        Principal
		root     bool
		identity []*Document
		action   string
		key      string
		want     Reason
	}{
		{"role decrypts with the source key", session, false, []*Document{sseKMS}, "kms:Decrypt", tokyoKey, AllowedByIdentity},
		{"role encrypts with the destination key", session, false, []*Document{sseKMS}, "kms:Encrypt", osakaKey, AllowedByIdentity},
		{"role generates data keys with the destination key", session, false, []*Document{sseKMS}, "kms:GenerateDataKey", osakaKey, AllowedByIdentity},
		{"role may not encrypt with the source key", session, false, []*Document{sseKMS}, "kms:Encrypt", tokyoKey, NoIdentityAllow},
		{"role may not decrypt with the destination key", session, false, []*Document{sseKMS}, "kms:Decrypt", osakaKey, NoIdentityAllow},
		{"the SSE-S3 policy alone grants no KMS use", session, false, []*Document{sseS3}, "kms:Decrypt", tokyoKey, NoIdentityAllow},
		{"root of the key's account", rootA, true, nil, "kms:ScheduleKeyDeletion", tokyoKey, AllowedAsRoot},
		{"another account's role", Principal{AccountID: acctB, ARN: "arn:aws:sts::" + acctB + ":assumed-role/replication/s", RoleARN: "arn:aws:iam::" + acctB + ":role/replication"},
			false, []*Document{sseKMS}, "kms:Decrypt", tokyoKey, NoResourceAllow},
	} {
		d := Decide(&Input{
			Request:         Request{Principal: c.p, Action: c.action, Resource: c.key},
			ResourceAccount: acctA,
			IsRoot:          c.root,
			Identity:        c.identity,
			Resource:        keyPolicy,
			KeyPolicy:       true,
		})
		if d.Reason != c.want {
			t.Errorf("SSE-KMS: %s: %+v, want %v", c.name, d, c.want)
		}
	}
}

// Every seed policy parses as the kind it is.
func TestSeedPoliciesParse(t *testing.T) {
	kinds := map[string]Kind{
		"seed000-update-object-encryption-permissions.json": Identity,
		"seed001-sse-kms-separate-destination-buckets.json": Identity,
		"seed001-sse-s3-and-sse-kms-replication.json":       Identity,
		"seed001-bucket-key-replication.json":               Identity,
		"seed002-require-sse-s3-bucket-policy.json":         Resource,
		"seed004-replication-role-trust.json":               Trust,
		"seed004-sse-s3-replication-permissions.json":       Identity,
		"seed004-sse-kms-replication-permissions.json":      Identity,
		"seed004-kms-default-key-policy.json":               Resource, // refused: see TestSeed004Replication
	}
	files, _ := filepath.Glob("testdata/seed*.json")
	if len(files) != len(kinds) {
		t.Errorf("%d seed files, %d known", len(files), len(kinds))
	}
	for name, kind := range kinds {
		_, err := Parse(readTestdata(t, name), kind)
		if wantErr := name == "seed004-kms-default-key-policy.json"; (err != nil) != wantErr {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
