package s3api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/storetest"
)

// newTestHandler returns a Handler over real stores in a temp dir, with one
// bucket, an object and an open multipart upload.
func newTestHandler(t testing.TB) (*Handler, string) {
	st := storetest.OpenLocal(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), Region: "us-east-1", Logger: log})
	ctx := context.Background()
	if err := svc.CreateBucket(ctx, kura.Bucket{Name: "fuzz", Owner: "111122223333"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutObject(ctx, object.PutInput{Bucket: "fuzz", Key: "obj", Body: bytes.NewReader([]byte("data")), Size: 4}); err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUpload(ctx, object.UploadInput{Bucket: "fuzz", Key: "mpu"})
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{Objects: svc, Region: "us-east-1", Domain: "localhost", Logger: log}), u.UploadID
}

// xmlTargets are the operations that parse an XML request body.
var xmlTargets = []struct{ method, path, query string }{
	{"PUT", "/fuzz", "versioning"},
	{"PUT", "/fuzz", "tagging"},
	{"PUT", "/fuzz/obj", "tagging"},
	{"POST", "/fuzz", "delete"},
	{"POST", "/fuzz/mpu", "uploadId=UPLOAD"},
	{"PUT", "/newbucket", ""},
}

// FuzzXMLBodies sends arbitrary bodies to every operation that parses XML
// and requires an S3 client error or success — never a 5xx.
func FuzzXMLBodies(f *testing.F) {
	seeds := []string{
		`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`,
		`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`,
		`<Delete><Quiet>true</Quiet><Object><Key>obj</Key></Object><Object><Key>x</Key><VersionId>null</VersionId></Object></Delete>`,
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>`,
		`<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`,
		`<Delete><Object><Key>` + string(bytes.Repeat([]byte("k"), 2000)) + `</Key></Object></Delete>`,
		`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Tagging>&a;</Tagging>`,
		"", "<", "\x00\xff",
	}
	for i := range xmlTargets {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	h, uploadID := newTestHandler(f)
	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		tg := xmlTargets[int(target)%len(xmlTargets)]
		q, _ := url.ParseQuery(tg.query)
		if q.Has("uploadId") {
			q.Set("uploadId", uploadID)
		}
		r := httptest.NewRequest(tg.method, tg.path+"?"+q.Encode(), bytes.NewReader(body))
		w := httptest.NewRecorder()
		req := &request{Request: r, w: w, id: "FUZZ", query: q,
			identity: kura.Principal{AccountID: "111122223333"}}
		if err := h.address(req); err != nil {
			t.Fatal(err)
		}
		if err := h.route(req); err != nil {
			h.writeError(req, err)
		}
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s with body %q: status %d: %s", tg.method, tg.path, tg.query, body, w.Code, w.Body.String())
		}
		if w.Code >= 400 && !bytes.Contains(w.Body.Bytes(), []byte("<Error>")) {
			t.Fatalf("error without S3 XML body: %d %s", w.Code, w.Body.String())
		}
		_ = http.StatusOK
	})
}
