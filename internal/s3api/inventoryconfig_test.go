package s3api

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// invDoc builds a PutBucketInventoryConfiguration body; parts replaces
// the elements named by their opening tag.
func invDoc(replace map[string]string) string {
	parts := []struct{ name, xml string }{
		{"Destination", `<Destination><S3BucketDestination><AccountId>111122223333</AccountId><Bucket>arn:aws:s3:::dest</Bucket>` +
			`<Format>CSV</Format><Prefix>p</Prefix></S3BucketDestination></Destination>`},
		{"IsEnabled", `<IsEnabled>true</IsEnabled>`},
		{"Filter", `<Filter><Prefix>logs/</Prefix></Filter>`},
		{"Id", `<Id>report1</Id>`},
		{"IncludedObjectVersions", `<IncludedObjectVersions>All</IncludedObjectVersions>`},
		{"OptionalFields", `<OptionalFields><Field>Size</Field><Field>EncryptionStatus</Field></OptionalFields>`},
		{"Schedule", `<Schedule><Frequency>Daily</Frequency></Schedule>`},
	}
	var b strings.Builder
	b.WriteString(`<InventoryConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, p := range parts {
		if r, ok := replace[p.name]; ok {
			b.WriteString(r)
		} else {
			b.WriteString(p.xml)
		}
	}
	b.WriteString(`</InventoryConfiguration>`)
	return b.String()
}

func TestParseInventoryConfiguration(t *testing.T) {
	prefix := "logs/"
	want := &kura.InventoryConfiguration{ID: "report1", IsEnabled: true, FilterPrefix: &prefix, Frequency: "Daily",
		IncludedObjectVersions: "All", OptionalFields: []string{"Size", "EncryptionStatus"},
		Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", AccountID: "111122223333", Prefix: "p", Format: "CSV"}}
	got, err := parseInventoryConfiguration([]byte(invDoc(nil)), "report1")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parse = %+v, %v", got, err)
	}
	dest := func(inner string) string {
		return `<Destination><S3BucketDestination><Bucket>arn:aws:s3:::dest</Bucket><Format>CSV</Format>` + inner + `</S3BucketDestination></Destination>`
	}
	for _, tc := range []struct {
		name    string
		replace map[string]string
		id      string
		code    string
	}{
		{"id mismatch", nil, "other", "InvalidArgument"},
		{"no destination", map[string]string{"Destination": ""}, "report1", "MalformedXML"},
		{"no bucket destination", map[string]string{"Destination": "<Destination></Destination>"}, "report1", "MalformedXML"},
		{"no IsEnabled", map[string]string{"IsEnabled": ""}, "report1", "MalformedXML"},
		{"IsEnabled not a boolean", map[string]string{"IsEnabled": "<IsEnabled>yes</IsEnabled>"}, "report1", "MalformedXML"},
		{"no Id", map[string]string{"Id": ""}, "report1", "MalformedXML"},
		{"no versions", map[string]string{"IncludedObjectVersions": ""}, "report1", "MalformedXML"},
		{"versions", map[string]string{"IncludedObjectVersions": "<IncludedObjectVersions>current</IncludedObjectVersions>"}, "report1", "MalformedXML"},
		{"no schedule", map[string]string{"Schedule": ""}, "report1", "MalformedXML"},
		{"empty schedule", map[string]string{"Schedule": "<Schedule></Schedule>"}, "report1", "MalformedXML"},
		{"frequency", map[string]string{"Schedule": "<Schedule><Frequency>Monthly</Frequency></Schedule>"}, "report1", "MalformedXML"},
		{"unknown field", map[string]string{"OptionalFields": "<OptionalFields><Field>LastAccessDate</Field></OptionalFields>"}, "report1", "MalformedXML"},
		{"filter without prefix", map[string]string{"Filter": "<Filter></Filter>"}, "report1", "MalformedXML"},
		{"no format", map[string]string{"Destination": `<Destination><S3BucketDestination><Bucket>arn:aws:s3:::dest</Bucket></S3BucketDestination></Destination>`}, "report1", "MalformedXML"},
		{"format", map[string]string{"Destination": `<Destination><S3BucketDestination><Bucket>arn:aws:s3:::dest</Bucket><Format>csv</Format></S3BucketDestination></Destination>`}, "report1", "MalformedXML"},
		{"bucket name", map[string]string{"Destination": `<Destination><S3BucketDestination><Bucket>dest</Bucket><Format>CSV</Format></S3BucketDestination></Destination>`}, "report1", "InvalidArgument"},
		{"bad bucket in ARN", map[string]string{"Destination": `<Destination><S3BucketDestination><Bucket>arn:aws:s3:::Not_Valid</Bucket><Format>CSV</Format></S3BucketDestination></Destination>`}, "report1", "InvalidArgument"},
		{"account", map[string]string{"Destination": `<Destination><S3BucketDestination><AccountId>abc</AccountId><Bucket>arn:aws:s3:::dest</Bucket><Format>CSV</Format></S3BucketDestination></Destination>`}, "report1", "InvalidArgument"},
		{"empty encryption", map[string]string{"Destination": dest("<Encryption></Encryption>")}, "report1", "MalformedXML"},
		{"two encryptions", map[string]string{"Destination": dest("<Encryption><SSE-S3></SSE-S3><SSE-KMS><KeyId>k</KeyId></SSE-KMS></Encryption>")}, "report1", "MalformedXML"},
		{"KMS without key", map[string]string{"Destination": dest("<Encryption><SSE-KMS></SSE-KMS></Encryption>")}, "report1", "MalformedXML"},
		{"not XML", map[string]string{"Id": "<Id>"}, "report1", "MalformedXML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseInventoryConfiguration([]byte(invDoc(tc.replace)), tc.id)
			if e := s3err.As(err); e == nil || e.Code != tc.code {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
		})
	}
	for _, tc := range []struct {
		inner string
		want  *kura.InventoryEncryption
	}{
		{"<Encryption><SSE-S3/></Encryption>", &kura.InventoryEncryption{Type: kura.SSES3}},
		{"<Encryption><SSE-KMS><KeyId>arn:k</KeyId></SSE-KMS></Encryption>", &kura.InventoryEncryption{Type: kura.SSEKMS, KMSKeyID: "arn:k"}},
	} {
		got, err := parseInventoryConfiguration([]byte(invDoc(map[string]string{"Destination": dest(tc.inner)})), "report1")
		if err != nil || !reflect.DeepEqual(got.Destination.Encryption, tc.want) {
			t.Errorf("%s: %+v, %v", tc.inner, got, err)
		}
	}
}

func TestCheckInventoryID(t *testing.T) {
	for id, ok := range map[string]bool{"a": true, "Report-1_x.y": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "a b": false, "a/b": false, "é": false} {
		if err := ops.CheckInventoryID(id); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", id, err, ok)
		}
	}
}

// FuzzInventoryConfiguration: any body is refused with a 4xx S3 error, or
// accepted as a configuration whose GetBucketInventoryConfiguration
// document parses back to the same configuration.
func FuzzInventoryConfiguration(f *testing.F) {
	for _, s := range []string{
		invDoc(nil),
		invDoc(map[string]string{"Filter": "", "OptionalFields": "", "Destination": `<Destination><S3BucketDestination><Bucket>arn:aws:s3:::d-1</Bucket>` +
			`<Format>Parquet</Format><Encryption><SSE-KMS><KeyId>k</KeyId></SSE-KMS></Encryption></S3BucketDestination></Destination>`}),
		invDoc(map[string]string{"Destination": `<Destination><S3BucketDestination><Bucket>arn:aws:s3:::d-1</Bucket>` +
			`<Format>ORC</Format><Encryption><SSE-S3/></Encryption></S3BucketDestination></Destination>`, "Filter": "<Filter><Prefix></Prefix></Filter>"}),
		"", "<", "\x00",
	} {
		f.Add([]byte(s), "report1")
	}
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		c, err := parseInventoryConfiguration(body, id)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		if c.ID != id {
			t.Fatalf("%q: id %q accepted for query id %q", body, c.ID, id)
		}
		doc, err := xml.Marshal(inventoryToXML(c))
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseInventoryConfiguration(doc, id)
		if err != nil {
			t.Fatalf("%q: GET's document %s is refused: %v", body, doc, err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("%q: %+v came back as %+v", body, c, again)
		}
	})
}
