package s3api

import (
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

const replRole = `<Role>arn:aws:iam::111122223333:role/repl</Role>`

// replRule is a V2 rule; extra goes inside it.
func replRule(id, priority, extra string) string {
	return `<Rule><ID>` + id + `</ID><Priority>` + priority + `</Priority><Status>Enabled</Status>` +
		`<Filter><Prefix>p/</Prefix></Filter><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>` +
		`<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination>` + extra + `</Rule>`
}

func replDoc(inner string) string {
	return `<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</ReplicationConfiguration>`
}

func TestParseReplicationConfiguration(t *testing.T) {
	full := replDoc(replRole + `<Rule><ID>all</ID><Priority>3</Priority><Status>Enabled</Status>` +
		`<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>` +
		`<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects>` +
		`<ReplicaModifications><Status>Enabled</Status></ReplicaModifications></SourceSelectionCriteria>` +
		`<ExistingObjectReplication><Status>Disabled</Status></ExistingObjectReplication>` +
		`<Destination><Bucket>arn:aws:s3:::dst</Bucket><Account>444455556666</Account><StorageClass>STANDARD_IA</StorageClass>` +
		`<AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation>` +
		`<EncryptionConfiguration><ReplicaKmsKeyID>arn:aws:kms:us-east-1:444455556666:key/k</ReplicaKmsKeyID></EncryptionConfiguration>` +
		`<ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime>` +
		`<Metrics><Status>Enabled</Status><EventThreshold><Minutes>15</Minutes></EventThreshold></Metrics></Destination>` +
		`<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule>`)
	wantFull := &kura.ReplicationConfiguration{Role: "arn:aws:iam::111122223333:role/repl", Rules: []kura.ReplicationRule{{
		ID: "all", Priority: 3, Status: "Enabled",
		Filter:                  &kura.ReplicationFilter{And: &kura.ReplicationAnd{Prefix: "a/", Tags: []kura.Tag{{Key: "k", Value: "v"}}}},
		DeleteMarkerReplication: "Disabled", ExistingObjectReplication: "Disabled", SseKmsEncryptedObjects: "Enabled", ReplicaModifications: "Enabled",
		Destination: kura.ReplicationDestination{Bucket: "arn:aws:s3:::dst", Account: "444455556666", StorageClass: "STANDARD_IA", OwnerOverride: true,
			ReplicaKmsKeyID: "arn:aws:kms:us-east-1:444455556666:key/k", ReplicationTimeStatus: "Enabled", ReplicationTimeMinutes: 15,
			MetricsStatus: "Enabled", MetricsThresholdMinutes: 15},
	}}}
	v1 := replDoc(replRole + `<Rule><Prefix>logs/</Prefix><Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`)
	tests := []struct {
		name string
		body string
		want *kura.ReplicationConfiguration
		code string
		msg  string
	}{
		{"full V2 rule", full, wantFull, "", ""},
		{"V1 rule, id given by S3", v1, &kura.ReplicationConfiguration{Role: "arn:aws:iam::111122223333:role/repl", Rules: []kura.ReplicationRule{{
			ID: "rule-1", Status: "Enabled", Prefix: "logs/", Destination: kura.ReplicationDestination{Bucket: "arn:aws:s3:::dst"}}}}, "", ""},
		{"no role", replDoc(replRule("a", "1", "")), nil, "MalformedXML", ""},
		{"no rules", replDoc(replRole), nil, "MalformedXML", ""},
		{"bad role ARN", replDoc(`<Role>role</Role>` + replRule("a", "1", "")), nil, "InvalidArgument", "Invalid ReplicationConfiguration Role ARN"},
		{"duplicate ids", replDoc(replRole + replRule("a", "1", "") + replRule("a", "2", "")), nil, "InvalidArgument", "Rule Id must be unique."},
		{"duplicate priorities", replDoc(replRole + replRule("a", "1", "") + replRule("b", "1", "")), nil, "InvalidRequest", "Found duplicate priority 1."},
		{"filter without DeleteMarkerReplication", replDoc(replRole + `<Rule><ID>a</ID><Priority>1</Priority><Status>Enabled</Status><Filter/>` +
			`<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`), nil, "InvalidRequest", "DeleteMarkerReplication must be specified"},
		{"filter without Priority", replDoc(replRole + `<Rule><ID>a</ID><Status>Enabled</Status><Filter/><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>` +
			`<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`), nil, "InvalidRequest", "Priority must be specified"},
		{"tag filter with delete markers", replDoc(replRole + `<Rule><ID>a</ID><Priority>1</Priority><Status>Enabled</Status>` +
			`<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>` +
			`<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`), nil, "InvalidArgument", "Delete marker replication is not supported"},
		{"SseKmsEncryptedObjects without key", replDoc(replRole + replRule("a", "1",
			`<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects></SourceSelectionCriteria>`)),
			nil, "InvalidArgument", "ReplicaKmsKeyID must be specified"},
		{"bad status", replDoc(replRole + `<Rule><Prefix/><Status>On</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`), nil, "MalformedXML", ""},
		{"bad bucket ARN", replDoc(replRole + `<Rule><Prefix/><Status>Enabled</Status><Destination><Bucket>dst</Bucket></Destination></Rule>`), nil, "InvalidArgument", "Invalid bucket ARN."},
		{"bad storage class", replDoc(replRole + `<Rule><Prefix/><Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket><StorageClass>X</StorageClass></Destination></Rule>`), nil, "MalformedXML", ""},
		{"mixed V1 and V2", replDoc(replRole + replRule("a", "1", "") + `<Rule><ID>b</ID><Prefix/><Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`), nil, "InvalidRequest", "cannot be mixed"},
		{"RTC without metrics", replDoc(replRole + `<Rule><ID>a</ID><Priority>1</Priority><Status>Enabled</Status><Filter/><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>` +
			`<Destination><Bucket>arn:aws:s3:::dst</Bucket><ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime></Destination></Rule>`), nil, "InvalidRequest", "Replication metrics must be enabled"},
		{"owner override without account", replDoc(replRole + `<Rule><Prefix/><Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket>` +
			`<AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation></Destination></Rule>`), nil, "InvalidRequest", "Destination Account must be specified"},
		{"not XML", "<", nil, "MalformedXML", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReplicationConfiguration([]byte(tc.body))
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %+v\nwant %+v", got, tc.want)
				}
				return
			}
			var e *s3err.Error
			if !errors.As(err, &e) || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("err %v, want %s containing %q", err, tc.code, tc.msg)
			}
		})
	}
}

// FuzzReplicationConfiguration: any body is refused with a 4xx or
// accepted, and what GET then answers is accepted again as the same
// configuration.
func FuzzReplicationConfiguration(f *testing.F) {
	for _, s := range []string{
		replDoc(replRole + replRule("a", "1", "") + replRule("b", "2", "<ExistingObjectReplication><Status>Enabled</Status></ExistingObjectReplication>")),
		replDoc(replRole + `<Rule><Prefix>logs/</Prefix><Status>Disabled</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>`),
		replDoc(replRole + `<Rule><ID>t</ID><Priority>0</Priority><Status>Enabled</Status><Filter><Tag><Key>k</Key><Value></Value></Tag></Filter>` +
			`<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication><Destination><Bucket>arn:aws:s3:::d-1</Bucket>` +
			`<Metrics><Status>Disabled</Status></Metrics></Destination></Rule>`),
		"", "<", "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseReplicationConfiguration(body)
		if err != nil {
			var e *s3err.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		doc, err := xml.Marshal(replicationToXML(c))
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseReplicationConfiguration(doc)
		if err != nil {
			t.Fatalf("%q: GET's document %s is refused: %v", body, doc, err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("%q: round trip changed the configuration:\n%+v\n%+v", body, c, again)
		}
	})
}
