package server_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// TestList10kKeys lists 10,000 keys with and without delimiters, paging
// through V1 and V2.
func TestList10kKeys(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10k PUTs; run without -short")
	}
	// Listing is metadata only: the blobs stay in memory, so the 10,000
	// PUTs do not each create and sync a file.
	ts := startWith(t, t.TempDir(), func(c *server.Config) { c.Blobs = newMemBlobs() })
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "many")
	var keys []string
	for d := 0; d < 100; d++ {
		for f := 0; f < 100; f++ {
			keys = append(keys, fmt.Sprintf("dir%03d/file%03d", d, f))
		}
	}
	var wg sync.WaitGroup
	work := make(chan string)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				put(t, c, "many", k, nil)
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	sort.Strings(keys)

	// V2 without delimiter: every key, in order, in pages of 1000.
	var got []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("many")})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(cx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
		}
	}
	if pages != 10 || len(got) != len(keys) {
		t.Fatalf("V2 listed %d keys in %d pages", len(got), pages)
	}
	for i := range keys {
		if got[i] != keys[i] {
			t.Fatalf("key %d = %s, want %s", i, got[i], keys[i])
		}
	}

	// V2 with delimiter, small pages: 100 common prefixes.
	var prefixes []string
	p = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("many"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(7)})
	for p.HasMorePages() {
		page, err := p.NextPage(cx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Contents) != 0 {
			t.Fatal("top level has no objects")
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	if len(prefixes) != 100 || prefixes[0] != "dir000/" || prefixes[99] != "dir099/" {
		t.Fatalf("prefixes = %d %v...", len(prefixes), prefixes[:min(3, len(prefixes))])
	}

	// Prefix + delimiter inside a directory, V1 with markers.
	var v1keys []string
	in := &s3.ListObjectsInput{Bucket: aws.String("many"), Prefix: aws.String("dir042/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(30)}
	for {
		out, err := c.ListObjects(cx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			v1keys = append(v1keys, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.Marker = out.NextMarker
	}
	if len(v1keys) != 100 || v1keys[0] != "dir042/file000" || v1keys[99] != "dir042/file099" {
		t.Fatalf("V1 listed %d keys", len(v1keys))
	}

	// start-after and encoding-type=url.
	out, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("many"), StartAfter: aws.String("dir099/file097"), EncodingType: types.EncodingTypeUrl})
	if err != nil || len(out.Contents) != 2 || aws.ToString(out.Contents[0].Key) != "dir099/file098" {
		t.Fatalf("start-after = %+v, %v", out.Contents, err)
	}
}

func TestListEncodingAndEdgeCases(t *testing.T) {
	t.Parallel()
	ts := start(t)
	c := ts.client()
	cx := ctx(t)
	mustBucket(t, c, "enc")
	for _, k := range []string{"a b", "a+b", "a/b/c", "a/b/d", "a/e", "ü", "z%"} {
		put(t, c, "enc", k, []byte(k))
	}
	out, err := c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("enc"), Delimiter: aws.String("/"), Prefix: aws.String("a/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a/e" || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "a/b/" {
		t.Fatalf("prefix+delimiter: %+v %+v", out.Contents, out.CommonPrefixes)
	}
	out, err = c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("enc"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	var enc []string
	for _, o := range out.Contents {
		enc = append(enc, aws.ToString(o.Key))
	}
	want := []string{"a+b", "a%2Bb", "a/b/c", "a/b/d", "a/e", "z%25", "%C3%BC"}
	if fmt.Sprint(enc) != fmt.Sprint(want) {
		t.Fatalf("url-encoded keys = %v, want %v", enc, want)
	}
	_, err = c.ListObjectsV2(cx, &s3.ListObjectsV2Input{Bucket: aws.String("enc"), MaxKeys: aws.Int32(0)})
	if err != nil {
		t.Fatal(err)
	}
}
