package server_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The exact texts of errors whose wording was aligned with captured AWS
// responses (issue 16 item 10; sources in docs/errors.md): clients that
// match on the message must read what S3 sends, to the space.
func TestErrorTextsAsS3(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "texts")

	up, err := c.CreateMultipartUpload(cx, &s3.CreateMultipartUploadInput{Bucket: aws.String("texts"), Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i := int32(1); i <= 2; i++ {
		p, err := c.UploadPart(cx, &s3.UploadPartInput{Bucket: aws.String("texts"), Key: aws.String("mp"), UploadId: up.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader([]byte("small part"))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: p.ETag})
	}

	for _, tc := range []struct {
		name   string
		call   func() error
		status int
		code   string
		msg    string
	}{
		{"Content-MD5 that does not match", func() error {
			_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("texts"), Key: aws.String("k"),
				Body: bytes.NewReader([]byte("hello")), ContentMD5: aws.String("AAAAAAAAAAAAAAAAAAAAAA==")})
			return err
		}, http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."},
		{"Content-MD5 that is not an MD5", func() error {
			_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("texts"), Key: aws.String("k"),
				Body: bytes.NewReader([]byte("hello")), ContentMD5: aws.String("not-an-md5")})
			return err
		}, http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid."},
		{"If-None-Match with an ETag on a write", func() error {
			_, err := c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("texts"), Key: aws.String("k"),
				Body: bytes.NewReader([]byte("hello")), IfNoneMatch: aws.String(`"abc"`)})
			return err
		}, http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented"},
		{"Complete with an unknown part ETag", func() error {
			_, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("texts"), Key: aws.String("mp"), UploadId: up.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)}}}})
			return err
		}, http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
		{"Complete with a small non-final part", func() error {
			_, err := c.CompleteMultipartUpload(cx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("texts"), Key: aws.String("mp"), UploadId: up.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			return err
		}, http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"},
		{"versioning Status outside the schema", func() error {
			_, err := c.PutBucketVersioning(cx, &s3.PutBucketVersioningInput{Bucket: aws.String("texts"),
				VersioningConfiguration: &types.VersioningConfiguration{Status: "Sometimes"}})
			return err
		}, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"},
		{"a location constraint of another region", func() error {
			_, err := c.CreateBucket(cx, &s3.CreateBucketInput{Bucket: aws.String("elsewhere"),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
			return err
		}, http.StatusBadRequest, "InvalidLocationConstraint", "The specified location-constraint is not valid"},
		{"ListParts with a negative max-parts", func() error {
			_, err := c.ListParts(cx, &s3.ListPartsInput{Bucket: aws.String("texts"), Key: aws.String("mp"), UploadId: up.UploadId, MaxParts: aws.Int32(-1)})
			return err
		}, http.StatusBadRequest, "InvalidArgument", "Argument max-parts must be an integer between 0 and 2147483647"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			wantStatus(t, err, tc.code, tc.status)
			if got := errMessage(err); got != tc.msg {
				t.Errorf("message %q, want %q", got, tc.msg)
			}
		})
	}
}
