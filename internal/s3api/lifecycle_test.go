package s3api

import (
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

func TestParseLifecycleConfiguration(t *testing.T) {
	doc := func(rules ...string) string {
		return `<LifecycleConfiguration>` + strings.Join(rules, "") + `</LifecycleConfiguration>`
	}
	exp := `<Expiration><Days>1</Days></Expiration>`
	for _, tc := range []struct {
		name, doc, code, msg string
	}{
		{"prefix filter", doc(`<Rule><ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>` + exp + `</Rule>`), "", ""},
		{"legacy prefix", doc(`<Rule><ID>a</ID><Prefix></Prefix><Status>Disabled</Status>` + exp + `</Rule>`), "", ""},
		{"empty filter", doc(`<Rule><Filter/><Status>Enabled</Status>` + exp + `</Rule>`), "", ""},
		{"and filter", doc(`<Rule><Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>` + exp + `</Rule>`), "", ""},
		{"date", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>`), "", ""},
		{"transitions", doc(`<Rule><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition><Transition><Days>90</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>`), "", ""},
		{"noncurrent", doc(`<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration><NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition></Rule>`), "", ""},
		{"abort mpu", doc(`<Rule><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`), "", ""},

		{"no rules", doc(), "MalformedXML", ""},
		{"bad status", doc(`<Rule><Filter/><Status>enabled</Status>` + exp + `</Rule>`), "MalformedXML", ""},
		{"filter and prefix", doc(`<Rule><Prefix/><Filter/><Status>Enabled</Status>` + exp + `</Rule>`), "MalformedXML", ""},
		{"no filter nor prefix", doc(`<Rule><Status>Enabled</Status>` + exp + `</Rule>`), "MalformedXML", ""},
		{"two filter conditions", doc(`<Rule><Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status>` + exp + `</Rule>`), "MalformedXML", ""},
		{"no action", doc(`<Rule><Filter/><Status>Enabled</Status></Rule>`), "InvalidRequest", "At least one action needs to be specified in a rule"},
		{"days zero", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>`), "InvalidArgument",
			"'Days' for Expiration action must be a positive integer"},
		{"days negative", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>-1</Days></Expiration></Rule>`), "InvalidArgument", ""},
		{"days and date", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>`), "MalformedXML", ""},
		{"empty expiration", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration></Expiration></Rule>`), "MalformedXML", ""},
		{"date not midnight", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>`), "InvalidArgument", "Date must be at midnight GMT"},
		{"date garbage", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Date>tomorrow</Date></Expiration></Rule>`), "InvalidArgument", ""},
		{"id too long", doc(`<Rule><ID>` + strings.Repeat("x", 256) + `</ID><Filter/><Status>Enabled</Status>` + exp + `</Rule>`), "InvalidArgument",
			"ID length should not exceed allowed limit of 255"},
		{"same id", doc(`<Rule><ID>a</ID><Filter/><Status>Enabled</Status>`+exp+`</Rule>`, `<Rule><ID>a</ID><Filter/><Status>Enabled</Status>`+exp+`</Rule>`), "InvalidArgument", ""},
		{"bad class", doc(`<Rule><Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>STANDARD</StorageClass></Transition></Rule>`), "MalformedXML", ""},
		{"same class twice", doc(`<Rule><Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition><Transition><Days>2</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>`), "InvalidRequest", ""},
		{"abort with tags", doc(`<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`), "InvalidRequest", ""},
		{"delete marker with tags", doc(`<Rule><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`), "InvalidRequest", ""},
		{"noncurrent zero", doc(`<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration></Rule>`), "InvalidArgument", ""},
		{"size range", doc(`<Rule><Filter><And><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>5</ObjectSizeLessThan></And></Filter><Status>Enabled</Status>` + exp + `</Rule>`), "InvalidArgument", ""},
		{"days not int", doc(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>soon</Days></Expiration></Rule>`), "MalformedXML", ""},
	} {
		_, err := parseAndValidateLifecycle([]byte(tc.doc))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		e := s3err.As(err)
		if err == nil || e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
			t.Errorf("%s: got %v, want %s %q", tc.name, err, tc.code, tc.msg)
		}
	}
}

func TestLifecycleNormalisation(t *testing.T) {
	rules, err := parseAndValidateLifecycle([]byte(`<LifecycleConfiguration>` +
		`<Rule><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01</Date></Expiration></Rule>` +
		`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	if rules[0].ID == "" || rules[1].ID == "" || rules[0].ID == rules[1].ID {
		t.Errorf("generated IDs %q, %q: want two distinct non-empty IDs", rules[0].ID, rules[1].ID)
	}
	if got := rules[0].Expiration.Date; got != "2030-01-01T00:00:00Z" {
		t.Errorf("date normalised to %q", got)
	}
}

// parseAndValidateLifecycle is what a PutBucketLifecycleConfiguration
// does with its body: the handler reads it, the operation checks it.
func parseAndValidateLifecycle(b []byte) ([]kura.LifecycleRule, error) {
	rules, err := parseLifecycleConfiguration(b)
	if err != nil {
		return nil, err
	}
	return rules, ops.ValidateLifecycle(rules)
}

// parseAndValidateCORS is what a PutBucketCors does with its body.
func parseAndValidateCORS(b []byte) ([]kura.CORSRule, error) {
	rules, err := parseCORSConfiguration(b)
	if err != nil {
		return nil, err
	}
	return rules, ops.ValidateCORS(rules)
}
