package policy

import "testing"

// benchPolicy is a realistic 20-statement identity policy: a data team's
// access to several buckets and keys, with wildcards, NotAction,
// NotResource, policy variables and conditions of several operator
// families. The statement that allows the benchmarked request is near the
// end, and every Deny must be checked, so Decide walks all 20.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyInsecure", "Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "DenyOutsideCorp", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]}}},
    {"Sid": "DenyIAM", "Effect": "Deny", "NotAction": ["s3:*", "kms:*", "sts:GetCallerIdentity"], "Resource": "*"},
    {"Sid": "DenyUnencrypted", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
    {"Sid": "DenyWrongKey", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::finance-*/*", "Condition": {"StringNotLikeIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/*"}}},
    {"Sid": "DenyOldTokens", "Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}},
    {"Sid": "DenyProdDeletes", "Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket*"], "Resource": ["arn:aws:s3:::prod-*", "arn:aws:s3:::prod-*/*"]},
    {"Sid": "DenyOtherAccounts", "Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::logs-*", "arn:aws:s3:::logs-*/*", "arn:aws:s3:::data-*", "arn:aws:s3:::data-*/*", "arn:aws:s3:::home", "arn:aws:s3:::home/*", "arn:aws:s3:::finance-*/*", "arn:aws:s3:::prod-*", "arn:aws:s3:::prod-*/*"]},
    {"Sid": "ListHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::home", "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
    {"Sid": "OwnHome", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::home/${aws:username}/*"},
    {"Sid": "ReadLogs", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"], "Resource": ["arn:aws:s3:::logs-??", "arn:aws:s3:::logs-??/*"]},
    {"Sid": "ReadProd", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::prod-*/*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["data", "platform"]}}},
    {"Sid": "TaggedWrites", "Effect": "Allow", "Action": "s3:PutObjectTagging", "Resource": "arn:aws:s3:::data-*/*", "Condition": {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["project", "owner", "retention"]}}},
    {"Sid": "SmallLists", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data-*", "Condition": {"NumericLessThanEquals": {"s3:max-keys": "1000"}}},
    {"Sid": "KMSViaS3", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Resource": "arn:aws:kms:us-east-1:111122223333:key/*", "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}, "ArnLike": {"kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::data-*/*", "arn:aws:s3:::finance-*/*"]}}},
    {"Sid": "KMSDescribe", "Effect": "Allow", "Action": ["kms:DescribeKey", "kms:List*"], "Resource": "*"},
    {"Sid": "FinanceWrites", "Effect": "Allow", "Action": ["s3:PutObject", "s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::finance-*/*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "BusinessHours", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::finance-*/*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}},
    {"Sid": "DataWrites", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObjectAttributes"], "Resource": "arn:aws:s3:::data-*/incoming/*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": ["AES256", "aws:kms"]}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
    {"Sid": "WhoAmI", "Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
  ]
}`

// BenchmarkDecide20Statements measures one authorization decision for a
// PutObject against benchPolicy plus a one-statement bucket policy. Target:
// under 10 µs.
func BenchmarkDecide20Statements(b *testing.B) {
	identity := mustParse(b, Identity, benchPolicy)
	if len(identity.Statements) != 20 {
		b.Fatalf("benchPolicy has %d statements", len(identity.Statements))
	}
	bucket := mustParse(b, Resource, `{"Version":"2012-10-17","Statement":[{"Sid":"RequireSSE","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::data-lake/*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}`)
	in := &Input{
		Request: Request{
			Principal: alice,
			Action:    "s3:PutObject",
			Resource:  "arn:aws:s3:::data-lake/incoming/2026/11/23/part-00001.parquet",
			Context: ctx(
				"aws:securetransport", "true",
				"aws:sourceip", "203.0.113.10",
				"aws:currenttime", "2026-11-23T12:00:00Z",
				"aws:tokenissuetime", "2026-11-23T11:00:00Z",
				"s3:x-amz-server-side-encryption", "aws:kms",
				"s3:x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:111122223333:key/1234",
			),
		},
		ResourceAccount: acctA,
		Identity:        []*Document{identity},
		Resource:        bucket,
	}
	if d := Decide(in); !d.Allowed || d.Statement != "DataWrites" {
		b.Fatalf("benchmark request not allowed by DataWrites: %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Decide(in)
	}
}

// BenchmarkDecideDenied is the same policy with a request that an explicit
// Deny stops early, and BenchmarkDecideMixedCaseContext shows the cost of a
// context whose keys are not already lower case (one map copy).
func BenchmarkDecideDenied(b *testing.B) {
	identity := mustParse(b, Identity, benchPolicy)
	in := &Input{
		Request:         Request{Principal: alice, Action: "s3:DeleteObject", Resource: "arn:aws:s3:::prod-a/k", Context: ctx("aws:securetransport", "true", "aws:sourceip", "203.0.113.10")},
		ResourceAccount: acctA,
		Identity:        []*Document{identity},
	}
	if d := Decide(in); d.Reason != ExplicitDenyIdentity {
		b.Fatalf("%+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Decide(in)
	}
}

func BenchmarkDecideMixedCaseContext(b *testing.B) {
	identity := mustParse(b, Identity, benchPolicy)
	in := &Input{
		Request: Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::data-lake/incoming/x",
			Context: ctx("aws:SecureTransport", "true", "aws:SourceIp", "203.0.113.10", "aws:CurrentTime", "2026-11-23T12:00:00Z",
				"aws:TokenIssueTime", "2026-11-23T11:00:00Z", "s3:x-amz-server-side-encryption", "aws:kms")},
		ResourceAccount: acctA,
		Identity:        []*Document{identity},
	}
	if d := Decide(in); !d.Allowed {
		b.Fatalf("%+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Decide(in)
	}
}

func BenchmarkParse20Statements(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse([]byte(benchPolicy), Identity); err != nil {
			b.Fatal(err)
		}
	}
}
