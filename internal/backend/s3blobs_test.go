package backend

import (
	"strings"
	"testing"
)

func TestParseS3(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want S3Blobs // zero when raw must be refused
		err  string
	}{
		{raw: "s3://b", want: S3Blobs{Bucket: "b"}},
		{raw: "s3://b/kura/blobs/", want: S3Blobs{Bucket: "b", Prefix: "kura/blobs/"}},
		{raw: "s3://b/p/?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=true&part_size=8MiB",
			want: S3Blobs{Bucket: "b", Prefix: "p/", Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", PathStyle: true, PartSize: 8 << 20}},
		{raw: "s3://b?part_size=5242880", want: S3Blobs{Bucket: "b", PartSize: 5 << 20}},
		{raw: "s3://AKIA:secret@b/p", err: "takes no credentials"},
		{raw: "s3:///p", err: "no bucket"},
		{raw: "s3://b?endpoint=ftp://x", err: "want http://host:port"},
		{raw: "s3://b?endpoint=http://u:p@x", err: "takes no credentials"},
		{raw: "s3://b?path_style=maybe", err: "want true or false"},
		{raw: "s3://b?part_size=1MiB", err: "from 5MiB to 5GiB"},
		{raw: "s3://b?part_size=6GiB", err: "from 5MiB to 5GiB"},
		{raw: "s3://b?pathstyle=true", err: `unknown option "pathstyle"`},
	} {
		b, err := ParseBlobs(tc.raw)
		if tc.want.Bucket == "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBlobs(%q) = %v, %v; want an error saying %q", tc.raw, b, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseBlobs(%q): the error shows the secret: %v", tc.raw, err)
			}
			continue
		}
		if err != nil || b != tc.want {
			t.Errorf("ParseBlobs(%q) = %#v, %v; want %#v", tc.raw, b, err, tc.want)
		}
	}
}
