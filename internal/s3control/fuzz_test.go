package s3control

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// createJobRequestX is a CreateJobRequest document, written from a
// JobSpec with the response encoders (the request shapes are the same).
type createJobRequestX struct {
	XMLName              xml.Name    `xml:"CreateJobRequest"`
	NS                   string      `xml:"xmlns,attr"`
	ConfirmationRequired bool        `xml:"ConfirmationRequired"`
	Operation            operationX  `xml:"Operation"`
	Report               reportX     `xml:"Report"`
	ClientRequestToken   string      `xml:"ClientRequestToken"`
	Manifest             *manifestX  `xml:"Manifest,omitempty"`
	Description          string      `xml:"Description,omitempty"`
	Priority             int         `xml:"Priority"`
	RoleArn              string      `xml:"RoleArn"`
	Tags                 *tagsX      `xml:"Tags,omitempty"`
	ManifestGenerator    *generatorX `xml:"ManifestGenerator,omitempty"`
}

func encodeCreateJob(t *testing.T, s kura.JobSpec, tags []kura.Tag) []byte {
	d := describeOf(&kura.Job{JobSpec: s})
	x := createJobRequestX{NS: xmlns, ConfirmationRequired: s.ConfirmationRequired, Operation: d.Operation, Report: d.Report,
		ClientRequestToken: s.ClientRequestToken, Manifest: d.Manifest, Description: s.Description, Priority: s.Priority,
		RoleArn: s.RoleARN, ManifestGenerator: d.ManifestGenerator}
	if tags != nil {
		tx := tagsOf(tags)
		x.Tags = &tx
	}
	b, err := xml.Marshal(x)
	if err != nil {
		t.Fatalf("encode %+v: %v", s, err)
	}
	return b
}

// wireErrors are the errors a decoder may answer: client errors, and
// NotImplemented for LambdaInvoke. Never a 5xx, never a non-S3 error.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	var e *s3err.Error
	if !errors.As(err, &e) || (e.Status != 400 && e.Status != 501) || e.Message == "" {
		t.Fatalf("decode error %v is not a 400/501 S3 error with a message", err)
	}
}

func seedBodies(f *testing.F) {
	good := `<CreateJobRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Operation><S3UpdateObjectEncryption><ObjectEncryption><SSE-KMS><KMSKeyArn>arn:aws:kms:us-east-1:123456789012:key/k1</KMSKeyArn><BucketKeyEnabled>true</BucketKeyEnabled></SSE-KMS></ObjectEncryption></S3UpdateObjectEncryption></Operation><Report><Bucket>arn:aws:s3:::r</Bucket><Format>Report_CSV_20180820</Format><Enabled>true</Enabled><Prefix>p</Prefix><ReportScope>AllTasks</ReportScope></Report><ClientRequestToken>t</ClientRequestToken><Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields><member>Bucket</member><member>Key</member></Fields></Spec><Location><ObjectArn>arn:aws:s3:::m/manifest.csv</ObjectArn><ETag>e</ETag></Location></Manifest><Priority>10</Priority><RoleArn>arn:aws:iam::123456789012:role/r</RoleArn><Tags><member><Key>k</Key><Value>v</Value></member></Tags></CreateJobRequest>`
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, "<ObjectEncryption><SSE-KMS><KMSKeyArn>arn:aws:kms:us-east-1:123456789012:key/k1</KMSKeyArn><BucketKeyEnabled>true</BucketKeyEnabled></SSE-KMS></ObjectEncryption>",
		"<ServerSideEncryption>aws:kms</ServerSideEncryption><SSEKMSKeyId>k</SSEKMSKeyId>", 1)))
	f.Add([]byte(strings.Replace(good, "S3BatchOperations_CSV_20180820", "S3InventoryReport_CSV_20211130", 1)))
	gen := `<ManifestGenerator><S3JobManifestGenerator><SourceBucket>arn:aws:s3:::src</SourceBucket><EnableManifestOutput>true</EnableManifestOutput><ManifestOutputLocation><Bucket>arn:aws:s3:::manifests</Bucket><ManifestPrefix>gen</ManifestPrefix><ManifestFormat>S3InventoryReport_CSV_20211130</ManifestFormat><ManifestEncryption><SSE-S3 /></ManifestEncryption></ManifestOutputLocation><Filter><MatchAnyObjectEncryption><ObjectEncryption><SSE-KMS><KmsKeyArn>arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab</KmsKeyArn><BucketKeyEnabled>false</BucketKeyEnabled></SSE-KMS></ObjectEncryption></MatchAnyObjectEncryption><CreatedBefore>2026-01-01T00:00:00Z</CreatedBefore><KeyNameConstraint><MatchAnyPrefix><member>logs/</member></MatchAnyPrefix></KeyNameConstraint><MatchAnyStorageClass><member>STANDARD</member><member>GLACIER</member></MatchAnyStorageClass><ObjectSizeGreaterThanBytes>5</ObjectSizeGreaterThanBytes></Filter></S3JobManifestGenerator></ManifestGenerator>`
	start, end := strings.Index(good, "<Manifest>"), strings.Index(good, "</Manifest>")+len("</Manifest>")
	f.Add([]byte(good[:start] + gen + good[end:]))
	ops := []string{
		`<S3PutObjectCopy><TargetResource>arn:aws:s3:::t</TargetResource><AccessControlGrants><member><Grantee><TypeIdentifier>id</TypeIdentifier><Identifier>c</Identifier></Grantee><Permission>READ</Permission></member></AccessControlGrants><NewObjectMetadata><UserMetadata><entry><key>A</key><value>1</value></entry></UserMetadata><HttpExpiresDate>2030-01-01T00:00:00.5Z</HttpExpiresDate><SSEAlgorithm>KMS</SSEAlgorithm></NewObjectMetadata><NewObjectTagging/><ModifiedSinceConstraint>2020-01-01T00:00:00.123456Z</ModifiedSinceConstraint></S3PutObjectCopy>`,
		`<S3PutObjectAcl><AccessControlPolicy><AccessControlList><Owner><ID>o</ID></Owner></AccessControlList></AccessControlPolicy></S3PutObjectAcl>`,
		`<S3PutObjectTagging><TagSet/></S3PutObjectTagging>`,
		`<S3PutObjectRetention><Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention></S3PutObjectRetention>`,
		`<S3PutObjectLegalHold><LegalHold><Status>ON</Status></LegalHold></S3PutObjectLegalHold>`,
		`<S3InitiateRestoreObject><ExpirationInDays>1</ExpirationInDays></S3InitiateRestoreObject>`,
		`<S3ComputeObjectChecksum><ChecksumAlgorithm>CRC32</ChecksumAlgorithm></S3ComputeObjectChecksum>`,
		`<LambdaInvoke/>`, `<S3ReplicateObject/>`,
	}
	opStart, opEnd := strings.Index(good, "<Operation>")+len("<Operation>"), strings.Index(good, "</Operation>")
	for _, op := range ops {
		f.Add([]byte(good[:opStart] + op + good[opEnd:]))
	}
	if b, err := os.ReadFile("/work/shared/spec/raw/wire_samples.txt"); err == nil {
		for _, line := range bytes.Split(b, []byte("\n")) {
			if bytes.HasPrefix(line, []byte("<CreateJobRequest")) {
				f.Add(line)
			}
		}
	}
	f.Add([]byte(`<CreateJobRequest><Operation>`))
	f.Add([]byte(``))
}

// FuzzDecodeCreateJob: any body is answered with a JobSpec or a client
// error; a body that decodes, written again from its JobSpec, decodes to
// the same JobSpec (timestamps compared to the millisecond, the
// precision Kura writes them with).
func FuzzDecodeCreateJob(f *testing.F) {
	seedBodies(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeCreateJob(b)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		again, err := decodeCreateJob(encodeCreateJob(t, got.spec, got.tags))
		if err != nil {
			t.Fatalf("the spec decoded from %q does not decode once written again: %v", b, err)
		}
		if diff := cmp.Diff(normalize(got.spec), normalize(again.spec)); diff != "" {
			t.Fatalf("round trip of %q changed the spec (-first +again):\n%s", b, diff)
		}
		if diff := cmp.Diff(got.tags, again.tags); diff != "" {
			t.Fatalf("round trip of %q changed the tags:\n%s", b, diff)
		}
	})
}

// normalize makes what Kura cannot write back comparable: timestamps
// beyond the millisecond, and grantees without a type (written back as
// canonical ids).
func normalize(s kura.JobSpec) kura.JobSpec {
	if c := s.Operation.Copy; c != nil {
		cp := *c
		cp.ModifiedSince, cp.UnmodifiedSince = cp.ModifiedSince.Truncate(1e6), cp.UnmodifiedSince.Truncate(1e6)
		cp.ObjectLockRetainUntilDate = cp.ObjectLockRetainUntilDate.Truncate(1e6)
		cp.Grants = normalGrants(cp.Grants)
		s.Operation.Copy = &cp
	}
	if a := s.Operation.ACL; a != nil {
		ac := *a
		ac.Grants = normalGrants(ac.Grants)
		s.Operation.ACL = &ac
	}
	if r := s.Operation.Retention; r != nil {
		rc := *r
		rc.Retention.Until = rc.Retention.Until.Truncate(1e6)
		s.Operation.Retention = &rc
	}
	if g := s.ManifestGenerator; g != nil {
		gc := *g
		gc.Filter.CreatedAfter, gc.Filter.CreatedBefore = gc.Filter.CreatedAfter.Truncate(1e6), gc.Filter.CreatedBefore.Truncate(1e6)
		s.ManifestGenerator = &gc
	}
	return s
}

func normalGrants(gs []kura.Grant) []kura.Grant {
	var out []kura.Grant
	for _, g := range gs {
		if g.Type == "" {
			g.Type = "CanonicalUser"
		}
		out = append(out, g)
	}
	return out
}

// FuzzDecodeTagging: PutJobTagging bodies decode to tags or a client
// error, and tags written back decode to the same tags.
func FuzzDecodeTagging(f *testing.F) {
	f.Add([]byte(`<PutJobTaggingRequest xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><Tags><member><Key>a</Key><Value>1</Value></member><member><Key>b c</Key><Value></Value></member></Tags></PutJobTaggingRequest>`))
	f.Add([]byte(`<PutJobTaggingRequest><Tags/></PutJobTaggingRequest>`))
	f.Add([]byte(`<PutJobTaggingRequest><Tags><S3Tag><Key>k</Key><Value>v</Value></S3Tag></Tags></PutJobTaggingRequest>`))
	f.Add([]byte(`<PutJobTaggingRequest><Tags><member><Key>a</Key></member></Tags></PutJobTaggingRequest>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, err := decodeTagging(b)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		x := struct {
			XMLName xml.Name `xml:"PutJobTaggingRequest"`
			Tags    tagsX    `xml:"Tags"`
		}{Tags: tagsOf(tags)}
		enc, err := xml.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeTagging(enc)
		if err != nil {
			t.Fatalf("tags %q from %q do not decode once written again: %v", tags, b, err)
		}
		if diff := cmp.Diff(tags, again); diff != "" {
			t.Fatalf("round trip of %q (-first +again):\n%s", b, diff)
		}
	})
}
