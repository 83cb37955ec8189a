package policy

import (
	"testing"
)

// holds reports whether a statement Allow * on * with the given Condition
// element applies to a request by alice with context c.
func holds(t *testing.T, version, cond string, c map[string][]string) bool {
	t.Helper()
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	d := mustParse(t, Identity, `{`+v+`"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":`+cond+`}}`)
	r := &Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: c}
	return d.Evaluate(r).Effect == Allow
}

func TestConditionOperators(t *testing.T) {
	const sse = "s3:x-amz-server-side-encryption"
	for _, tc := range []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		// String operators: case-sensitive values, several values OR'd.
		{"StringEquals match", `{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "AES256"), true},
		{"StringEquals other value", `{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aws:kms"), false},
		{"StringEquals is case-sensitive", `{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aes256"), false},
		{"StringEquals missing key", `{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, false},
		{"StringEquals any of list", `{"StringEquals":{"s3:x-amz-server-side-encryption":["AES256","aws:kms"]}}`, ctx(sse, "aws:kms"), true},
		{"StringEquals star is literal", `{"StringEquals":{"s3:prefix":"a*"}}`, ctx("s3:prefix", "abc"), false},
		{"StringEquals star literal match", `{"StringEquals":{"s3:prefix":"a*"}}`, ctx("s3:prefix", "a*"), true},
		{"StringEquals empty value list is missing", `{"StringEquals":{"s3:prefix":""}}`, map[string][]string{"s3:prefix": {}}, false},
		{"StringNotEquals equal", `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "AES256"), false},
		{"StringNotEquals different", `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aws:kms"), true},
		{"StringNotEquals missing key holds", `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, true},
		{"StringNotEquals list is NOR", `{"StringNotEquals":{"s3:x-amz-server-side-encryption":["AES256","aws:kms"]}}`, ctx(sse, "aws:kms"), false},
		{"StringNotEquals list none equal", `{"StringNotEquals":{"s3:x-amz-server-side-encryption":["AES256","aws:kms"]}}`, ctx(sse, "aws:kms:dsse"), true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aes256"), true},
		{"StringEqualsIgnoreCase missing", `{"StringEqualsIgnoreCase":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, false},
		{"StringNotEqualsIgnoreCase equal but case", `{"StringNotEqualsIgnoreCase":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aes256"), false},
		{"StringNotEqualsIgnoreCase different", `{"StringNotEqualsIgnoreCase":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aws:kms"), true},
		{"StringNotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, true},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "home/alice/x"), true},
		{"StringLike no match", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "tmp/x"), false},
		{"StringLike question mark", `{"StringLike":{"s3:prefix":"log-20??"}}`, ctx("s3:prefix", "log-2026"), true},
		{"StringLike question mark is one char", `{"StringLike":{"s3:prefix":"log-20??"}}`, ctx("s3:prefix", "log-202"), false},
		{"StringLike is case-sensitive", `{"StringLike":{"s3:prefix":"Home/*"}}`, ctx("s3:prefix", "home/x"), false},
		{"StringLike escaped star is literal", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctx("s3:prefix", "a*"), true},
		{"StringLike escaped star is no wildcard", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctx("s3:prefix", "ab"), false},
		{"StringLike missing", `{"StringLike":{"s3:prefix":"*"}}`, nil, false},
		{"StringNotLike match", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "home/x"), false},
		{"StringNotLike other", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "tmp/x"), true},
		{"StringNotLike missing holds", `{"StringNotLike":{"s3:prefix":"home/*"}}`, nil, true},

		// Numeric.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), true},
		{"NumericEquals float spelling", `{"NumericEquals":{"s3:max-keys":10}}`, ctx("s3:max-keys", "10.0"), true},
		{"NumericEquals other", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "11"), false},
		{"NumericEquals not a number", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "ten"), false},
		{"NumericEquals missing", `{"NumericEquals":{"s3:max-keys":"10"}}`, nil, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "11"), true},
		{"NumericNotEquals equal", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), false},
		{"NumericNotEquals missing holds", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, nil, true},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "9"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), true},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10.5"), false},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}}`, ctx("kms:ScheduleKeyDeletionPendingWindowInDays", "30"), true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}}`, ctx("kms:ScheduleKeyDeletionPendingWindowInDays", "7"), false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}}`, ctx("kms:ScheduleKeyDeletionPendingWindowInDays", "7"), true},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":"7"}}`, ctx("kms:ScheduleKeyDeletionPendingWindowInDays", "6"), false},
		{"NumericLessThan missing", `{"NumericLessThan":{"s3:max-keys":"10"}}`, nil, false},

		// Date: ISO 8601 and epoch seconds on either side.
		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2025-12-31T23:59:59Z"), true},
		{"DateLessThan equal", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), false},
		{"DateLessThan epoch request", `{"DateLessThan":{"aws:EpochTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:EpochTime", "1767225599"), true},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{"DateEquals epoch policy", `{"DateEquals":{"aws:CurrentTime":"1767225600"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{"DateEquals zone offset", `{"DateEquals":{"aws:CurrentTime":"2026-01-01T09:00:00+09:00"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{"DateEquals date only", `{"DateEquals":{"aws:CurrentTime":"2026-01-01"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:00Z"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:CurrentTime", "2026-01-02T00:00:00Z"), true},
		{"DateNotEquals missing holds", `{"DateNotEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, nil, true},
		{"DateGreaterThan", `{"DateGreaterThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "2026-06-01T00:00:00Z"), true},
		{"DateGreaterThan before", `{"DateGreaterThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "2025-06-01T00:00:00Z"), false},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), true},
		{"DateGreaterThan unparsable request", `{"DateGreaterThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "soon"), false},
		{"DateGreaterThan missing", `{"DateGreaterThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`, nil, false},

		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:SecureTransport", "true"), true},
		{"Bool JSON literal", `{"Bool":{"aws:SecureTransport":false}}`, ctx("aws:SecureTransport", "false"), true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:SecureTransport", "false"), false},
		{"Bool request case", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:SecureTransport", "TRUE"), true},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},

		// BinaryEquals compares base64-decoded bytes.
		{"BinaryEquals", `{"BinaryEquals":{"s3:x-amz-checksum":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("s3:x-amz-checksum", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true},
		{"BinaryEquals other", `{"BinaryEquals":{"s3:x-amz-checksum":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("s3:x-amz-checksum", "b3RoZXI="), false},
		{"BinaryEquals missing", `{"BinaryEquals":{"s3:x-amz-checksum":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, nil, false},

		// IP addresses, v4 and v6.
		{"IpAddress in block", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "198.51.100.1"), false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress v4-mapped request", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "::ffff:203.0.113.7"), true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, ctx("aws:SourceIp", "2001:db8:1234:5678::1"), true},
		{"IpAddress IPv6 outside", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, ctx("aws:SourceIp", "2001:db8:1234:5679::1"), false},
		{"IpAddress not an IP", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "localhost"), false},
		{"IpAddress missing", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, false},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "192.0.2.1"), true},
		{"NotIpAddress missing holds", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},

		// ARN operators compare component by component.
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::src-*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::src-bucket"), true},
		{"ArnLike wildcard account", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/replication-*"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:role/replication-x"), true},
		{"ArnLike star does not cross a colon", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:extra:role/x"), false},
		{"StringLike star crosses a colon", `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::111122223333:extra:role/x"), true},
		{"ArnLike region wildcard", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:*::b"}}`, ctx("aws:SourceArn", "arn:aws:s3:us-east-1::b"), true},
		{"ArnLike resource part keeps colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:log-group:*"}}`, ctx("aws:SourceArn", "arn:aws:logs:us-east-1:111122223333:log-group:g:*"), true},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctx("aws:SourceArn", "bucket"), false},
		{"ArnEquals behaves like ArnLike", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::src-*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::src-bucket"), true},
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::src"}}`, ctx("aws:SourceArn", "arn:aws:s3:::src2"), false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::src"}}`, ctx("aws:SourceArn", "arn:aws:s3:::other"), true},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::src*"}}`, ctx("aws:SourceArn", "arn:aws:s3:::src1"), false},
		{"ArnNotLike missing holds", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::src*"}}`, nil, true},
		{"ArnLike missing", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::src*"}}`, nil, false},

		// Null tests presence.
		{"Null true absent", `{"Null":{"s3:x-amz-server-side-encryption":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"s3:x-amz-server-side-encryption":"true"}}`, ctx(sse, "AES256"), false},
		{"Null false present", `{"Null":{"s3:x-amz-server-side-encryption":"false"}}`, ctx(sse, "AES256"), true},
		{"Null false absent", `{"Null":{"s3:x-amz-server-side-encryption":"false"}}`, nil, false},
		{"Null JSON literal", `{"Null":{"s3:x-amz-server-side-encryption":true}}`, nil, true},
		{"Null empty values is absent", `{"Null":{"s3:x-amz-server-side-encryption":"true"}}`, map[string][]string{sse: {}}, true},

		// IfExists: holds when the key is missing, otherwise the operator decides.
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}`, nil, true},
		{"StringEqualsIfExists mismatch", `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "aws:kms"), false},
		{"StringEqualsIfExists match", `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "AES256"), true},
		{"StringNotEqualsIfExists equal", `{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "AES256"), false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, nil, true},
		{"NumericLessThanIfExists above", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "100"), false},
		{"DateLessThanIfExists missing", `{"DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, nil, true},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true},
		{"BinaryEqualsIfExists missing", `{"BinaryEqualsIfExists":{"s3:x-amz-checksum":"QQ=="}}`, nil, true},
		{"IpAddressIfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},
		{"IpAddressIfExists outside", `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "192.0.2.1"), false},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::x"}}`, nil, true},
		{"StringLikeIfExists present match", `{"StringLikeIfExists":{"s3:prefix":"home/*"}}`, ctx("s3:prefix", "home/x"), true},

		// Set qualifiers over multi-valued keys.
		{"ForAnyValue one overlaps", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["b","c"]}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"ForAnyValue none overlaps", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["c"]}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), false},
		{"ForAnyValue missing is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["c"]}}`, nil, false},
		{"ForAnyValue empty is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["c"]}}`, map[string][]string{"aws:TagKeys": {}}, false},
		{"ForAnyValue negated some differs", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"ForAnyValue negated all equal", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}`, ctx("aws:TagKeys", "a"), false},
		{"ForAnyValue negated missing", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"a"}}`, nil, false},
		{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":"aws:s3:*"}}`, ctx("kms:EncryptionContextKeys", "aws:s3:arn"), true},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}}`, nil, true},
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"ForAllValues not subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "d"), false},
		{"ForAllValues missing is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, nil, true},
		{"ForAllValues empty is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, map[string][]string{"aws:TagKeys": {}}, true},
		{"ForAllValues negated none listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["x","y"]}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"ForAllValues negated one listed", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["x","b"]}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), false},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":"team-*"}}`, ctx("aws:TagKeys", "team-a", "aws:TagKeys", "team-b"), true},
		{"ForAllValues NumericLessThan", `{"ForAllValues:NumericLessThan":{"s3:x":"10"}}`, ctx("s3:x", "1", "s3:x", "20"), false},
		{"ForAllValues IfExists missing", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":"a"}}`, nil, true},
		{"no qualifier on multi-valued key: any value", `{"StringEquals":{"aws:TagKeys":"b"}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), true},
		{"no qualifier negated on multi-valued key: none", `{"StringNotEquals":{"aws:TagKeys":"b"}}`, ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), false},

		// Several keys and several operators are AND'd.
		{"two keys both hold", `{"StringLike":{"kms:ViaService":"s3.*.amazonaws.com","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/*"}}`,
			ctx("kms:ViaService", "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::b/k"), true},
		{"two keys one fails", `{"StringLike":{"kms:ViaService":"s3.*.amazonaws.com","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/*"}}`,
			ctx("kms:ViaService", "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::c/k"), false},
		{"two operators both hold", `{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			ctx("aws:SecureTransport", "true", "aws:SourceIp", "10.1.2.3"), true},
		{"two operators one fails", `{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`,
			ctx("aws:SecureTransport", "false", "aws:SourceIp", "10.1.2.3"), false},
		{"empty condition block", `{}`, nil, true},

		// Key names are case-insensitive on both sides; values are not.
		{"policy key spelled differently", `{"StringEquals":{"S3:X-Amz-Server-Side-Encryption":"AES256"}}`, ctx(sse, "AES256"), true},
		{"context key spelled differently", `{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx("S3:x-AMZ-server-side-encryption", "AES256"), true},
		{"operator name case", `{"stringequals":{"s3:x-amz-server-side-encryption":"AES256"}}`, ctx(sse, "AES256"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := holds(t, Version2012, tc.cond, tc.ctx); got != tc.want {
				t.Errorf("condition %s with context %v: holds = %v, want %v", tc.cond, tc.ctx, got, tc.want)
			}
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		cond    string
		p       Principal
		ctx     map[string][]string
		want    bool
	}{
		{"aws:username from the user ARN", Version2012, `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, alice, ctx("s3:prefix", "home/alice/doc"), true},
		{"another user's prefix", Version2012, `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, alice, ctx("s3:prefix", "home/carol/doc"), false},
		{"user with a path", Version2012, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, carol, ctx("s3:prefix", "carol"), true},
		{"no aws:username for a role session", Version2012, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, session, ctx("s3:prefix", ""), false},
		{"default value", Version2012, `{"StringEquals":{"s3:prefix":"${aws:username, 'nobody'}"}}`, session, ctx("s3:prefix", "nobody"), true},
		{"any context key", Version2012, `{"StringEquals":{"s3:prefix":"${aws:userid}/"}}`, alice, ctx("s3:prefix", "AIDAEXAMPLE/", "aws:userid", "AIDAEXAMPLE"), true},
		{"context overrides derived", Version2012, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, alice, ctx("s3:prefix", "zed", "aws:username", "zed"), true},
		{"PrincipalAccount", Version2012, `{"StringEquals":{"s3:prefix":"${aws:PrincipalAccount}"}}`, alice, ctx("s3:prefix", acctA), true},
		{"variable value is literal in StringLike", Version2012, `{"StringLike":{"s3:prefix":"${s3:delimiter}"}}`, alice, ctx("s3:prefix", "abc", "s3:delimiter", "*"), false},
		{"escapes", Version2012, `{"StringEquals":{"s3:prefix":"${*}${?}${$}"}}`, alice, ctx("s3:prefix", "*?$"), true},
		{"version 2008 keeps text literal", Version2008, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, alice, ctx("s3:prefix", "${aws:username}"), true},
		{"no version keeps text literal", "", `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, alice, ctx("s3:prefix", "alice"), false},
		{"unterminated variable is text", Version2012, `{"StringEquals":{"s3:prefix":"${aws:username"}}`, alice, ctx("s3:prefix", "${aws:username"), true},
		{"ArnLike with variable", Version2012, `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${aws:username}-*"}}`, alice, ctx("aws:SourceArn", "arn:aws:s3:::alice-logs"), true},
		{"multi-valued key is not substituted", Version2012, `{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, alice, ctx("s3:prefix", "a", "aws:TagKeys", "a", "aws:TagKeys", "b"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := ""
			if tc.version != "" {
				v = `"Version":"` + tc.version + `",`
			}
			d := mustParse(t, Identity, `{`+v+`"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":`+tc.cond+`}}`)
			got := d.Evaluate(&Request{Principal: tc.p, Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Context: tc.ctx}).Effect == Allow
			if got != tc.want {
				t.Errorf("allowed = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResourceVariables(t *testing.T) {
	d := mustParse(t, Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*Object",
		"Resource":"arn:aws:s3:::home/${aws:username}/*"}}`)
	for _, tc := range []struct {
		p        Principal
		resource string
		want     Effect
	}{
		{alice, "arn:aws:s3:::home/alice/notes.txt", Allow},
		{alice, "arn:aws:s3:::home/carol/notes.txt", NotApplicable},
		{carol, "arn:aws:s3:::home/carol/notes.txt", Allow},
		{session, "arn:aws:s3:::home/sess1/notes.txt", NotApplicable}, // no aws:username for roles
		{rootA, "arn:aws:s3:::home/root/notes.txt", NotApplicable},
	} {
		if got := d.Evaluate(&Request{Principal: tc.p, Action: "s3:GetObject", Resource: tc.resource}).Effect; got != tc.want {
			t.Errorf("%s on %s: %v, want %v", tc.p.ARN, tc.resource, got, tc.want)
		}
	}
}

func TestDerivedContextKeys(t *testing.T) {
	for _, tc := range []struct {
		p    Principal
		key  string
		want string // "" = absent
	}{
		{alice, "aws:username", "alice"},
		{carol, "aws:username", "carol"},
		{session, "aws:username", ""},
		{rootA, "aws:username", ""},
		{alice, "aws:PrincipalType", "User"},
		{rootA, "aws:PrincipalType", "Account"},
		{session, "aws:PrincipalType", "AssumedRole"},
		{anonymous, "aws:PrincipalType", "Anonymous"},
		{session, "aws:PrincipalArn", session.RoleARN},
		{alice, "aws:PrincipalArn", alice.ARN},
		{anonymous, "aws:PrincipalArn", ""},
		{bob, "aws:PrincipalAccount", acctB},
		{s3Service, "aws:PrincipalServiceName", "s3.amazonaws.com"},
		{s3Service, "aws:PrincipalAccount", ""},
	} {
		e := newEnv(&Request{Principal: tc.p})
		vals := e.lookup(lowerASCII(tc.key))
		got := ""
		if len(vals) == 1 {
			got = vals[0]
		}
		if got != tc.want || len(vals) > 1 {
			t.Errorf("%+v: %s = %q, want %q", tc.p, tc.key, vals, tc.want)
		}
	}
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
