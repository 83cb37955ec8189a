package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// Accounts and principals shared by the tests.
const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var (
	alice   = Principal{AccountID: acctA, ARN: "arn:aws:iam::" + acctA + ":user/alice"}
	carol   = Principal{AccountID: acctA, ARN: "arn:aws:iam::" + acctA + ":user/team/carol"}
	bob     = Principal{AccountID: acctB, ARN: "arn:aws:iam::" + acctB + ":user/bob"}
	rootA   = Principal{AccountID: acctA, ARN: "arn:aws:iam::" + acctA + ":root"}
	rootB   = Principal{AccountID: acctB, ARN: "arn:aws:iam::" + acctB + ":root"}
	session = Principal{
		AccountID: acctA,
		ARN:       "arn:aws:sts::" + acctA + ":assumed-role/Replicator/sess1",
		RoleARN:   "arn:aws:iam::" + acctA + ":role/service-role/Replicator",
	}
	s3Service = Principal{Service: "s3.amazonaws.com"}
	anonymous = Principal{Anonymous: true}
)

func mustParse(t testing.TB, kind Kind, text string) *Document {
	t.Helper()
	d, err := Parse([]byte(text), kind)
	if err != nil {
		t.Fatalf("Parse(%s): %v\n%s", kind, err, text)
	}
	return d
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParseFile(t testing.TB, kind Kind, name string) *Document {
	t.Helper()
	return mustParse(t, kind, string(readTestdata(t, name)))
}

// ctx builds a request context from key, value pairs; a key repeated
// collects several values.
func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}
