package iam

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"

	"github.com/kurastore/kura/internal/policy"
)

// Model constraints (botocore's iam and sts models).
const (
	namePattern       = `[\w+=,.@-]+`
	pathPattern       = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	policyPathPattern = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	docPattern        = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	maxDocLen         = 131072

	// Quotas (IAM and STS quotas page). Policy sizes do not count white
	// space, as in AWS.
	maxKeysPerUser       = 2
	maxAttachedPolicies  = 10
	maxUserInlineSize    = 2048
	maxRoleInlineSize    = 10240
	maxManagedPolicySize = 6144
	maxTrustPolicySize   = 2048
)

func isNameChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_+=,.@-", c) >= 0
}

// checkName validates a user, role, policy or session name: pattern
// [\w+=,.@-]+ and a length range. field is the model's member name.
func checkName(field, v string, min, max int) error {
	if v == "" {
		return errConstraint(field, "", "Member must not be null")
	}
	if len(v) < min {
		return errConstraint(field, v, "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if len(v) > max {
		return errConstraint(field, v, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	for i := 0; i < len(v); i++ {
		if !isNameChar(v[i]) {
			return errConstraint(field, v, "Member must satisfy regular expression pattern: "+namePattern)
		}
	}
	return nil
}

// checkPath validates a user or role path ("" means "/").
func checkPath(v string) (string, error) {
	if v == "" {
		return "/", nil
	}
	if len(v) > 512 {
		return "", errConstraint("path", v, "Member must have length less than or equal to 512")
	}
	ok := v == "/" || len(v) >= 3 && v[0] == '/' && v[len(v)-1] == '/'
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] >= 0x21 && v[i] <= 0x7E
	}
	if !ok {
		return "", errConstraint("path", v, "Member must satisfy regular expression pattern: "+pathPattern)
	}
	return v, nil
}

// checkPolicyPath validates a managed policy path ("" means "/"): segments
// of [A-Za-z0-9.,+@=_-], each after a slash, and a final slash.
func checkPolicyPath(v string) (string, error) {
	if v == "" {
		return "/", nil
	}
	bad := errConstraint("path", v, "Member must satisfy regular expression pattern: "+policyPathPattern)
	if len(v) > 512 {
		return "", errConstraint("path", v, "Member must have length less than or equal to 512")
	}
	if v[0] != '/' || v[len(v)-1] != '/' || strings.Contains(v, "//") {
		return "", bad
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c != '/' && !isNameChar(c) {
			return "", bad
		}
	}
	return v, nil
}

// checkPathPrefix validates a PathPrefix filter ("" means "/").
func checkPathPrefix(v string) (string, error) {
	if v == "" {
		return "/", nil
	}
	ok := len(v) <= 512 && v[0] == '/'
	for i := 0; ok && i < len(v); i++ {
		ok = v[i] >= 0x21 && v[i] <= 0x7F
	}
	if !ok {
		return "", errConstraint("pathPrefix", v, `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return v, nil
}

// checkDocText applies the model's length and character constraints to a
// policy document parameter.
func checkDocText(field, doc string) error {
	if doc == "" {
		return errConstraint(field, "", "Member must not be null")
	}
	if len(doc) > maxDocLen {
		return errConstraint(field, "", "Member must have length less than or equal to "+strconv.Itoa(maxDocLen))
	}
	for _, r := range doc {
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xFF) {
			return errConstraint(field, "", "Member must satisfy regular expression pattern: "+docPattern)
		}
	}
	return nil
}

// policySize is a document's size as IAM's quotas count it: without white
// space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// checkTags validates tags (at most 50, keys 1–128, values ≤256).
func checkTags(tags []Tag) error {
	if len(tags) > 50 {
		return errConstraint("tags", "", "Member must have length less than or equal to 50")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return errConstraint("tags.member.key", t.Key, "Member must have length between 1 and 128")
		}
		if len(t.Value) > 256 {
			return errConstraint("tags.member.value", t.Value, "Member must have length less than or equal to 256")
		}
		if seen[strings.ToLower(t.Key)] {
			return newError(CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
	}
	return nil
}

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// randomString returns n characters drawn uniformly from alphabet, whose
// length must divide 256.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newID returns an IAM unique id: a 4-letter prefix (AIDA user, AROA role,
// ANPA policy) and 17 base-32 characters.
func newID(prefix string) string { return prefix + randomString(17, base32Upper) }

// newAccessKeyID returns AKIA… (long-term) or ASIA… (temporary) and 16
// base-32 characters, 20 in all like AWS's.
func newAccessKeyID(prefix string) string { return prefix + randomString(16, base32Upper) }

// newSecret returns a 40-character secret access key.
func newSecret() string {
	return randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

// newAccountID returns 12 digits with no leading zero.
func newAccountID() string {
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10 // modulo bias is irrelevant for ids
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// newCanonicalID returns 64 lower-case hex characters, the shape of an S3
// canonical user id.
func newCanonicalID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func validAccountID(s string) bool { return policy.IsAccountID(s) }
