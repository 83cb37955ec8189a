package objecttest

import (
	"slices"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// versionIDs returns the version ids of key in a version listing, newest
// first, with "DM" appended to delete markers'.
func versionIDs(e *env, bucket, key string) []string {
	e.t.Helper()
	var ids []string
	for _, v := range e.listVersions(object.ListInput{Bucket: bucket, Prefix: key}).Objects {
		if v.Key != key {
			continue
		}
		id := v.VersionID
		if v.DeleteMarker {
			id += " DM"
		}
		ids = append(ids, id)
	}
	return ids
}

func testVersioningEnabled(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	var vs []*kura.ObjectVersion
	for _, body := range []string{"one", "two", "three"} {
		v := e.put("bkt", "k", body)
		if v.VersionID == "" || v.VersionID == object.NullVersion {
			t.Fatalf("versioned PUT gave version id %q", v.VersionID)
		}
		vs = append(vs, v)
		e.clock.add(time.Second)
	}
	if vs[0].VersionID == vs[1].VersionID || vs[1].VersionID == vs[2].VersionID {
		t.Fatalf("version ids repeat: %s %s %s", vs[0].VersionID, vs[1].VersionID, vs[2].VersionID)
	}
	for i, body := range []string{"one", "two", "three"} {
		t.Run("get version "+body, func(t *testing.T) {
			if got := e.get("bkt", "k", vs[i].VersionID); got != body {
				t.Errorf("GET ?versionId=%s: %q, want %q", vs[i].VersionID, got, body)
			}
			if h := e.mustHead("bkt", "k", vs[i].VersionID); !h.LastModified.Equal(vs[i].LastModified) || h.ETag != md5Hex(body) {
				t.Errorf("Head of version %d: %+v", i, h)
			}
		})
	}
	if got := e.get("bkt", "k", ""); got != "three" {
		t.Errorf("GET current: %q, want the newest", got)
	}
	want := []string{vs[2].VersionID, vs[1].VersionID, vs[0].VersionID}
	if got := versionIDs(e, "bkt", "k"); !equal(got, want) {
		t.Errorf("versions %v, want newest first %v", got, want)
	}
	// Deleting the current version by id makes the previous one current.
	if res := e.del("bkt", "k", vs[2].VersionID); res.VersionID != vs[2].VersionID || res.DeleteMarker {
		t.Errorf("delete by version id: %+v", res)
	}
	if got := e.get("bkt", "k", ""); got != "two" {
		t.Errorf("GET after deleting the newest version: %q, want two", got)
	}
	_, err := e.head("bkt", "k", vs[2].VersionID)
	wantCode(t, "Head of a deleted version", err, s3err.NoSuchVersion)
	// The version id of another key does not find this one.
	other := e.put("bkt", "other", "x")
	_, err = e.head("bkt", "k", other.VersionID)
	wantCode(t, "Head with another key's version id", err, s3err.NoSuchVersion)
	// Version order comes from the commit, not from the clock: a write
	// whose clock reads earlier is still the newest.
	e.clock.add(-time.Hour)
	late := e.put("bkt", "k", "clock went back")
	if cur := e.mustHead("bkt", "k", ""); cur.VersionID != late.VersionID {
		t.Errorf("current version %s after a write with an earlier clock, want %s", cur.VersionID, late.VersionID)
	}
}

func testVersioningSuspended(t *testing.T, e *env) {
	e.bucket("bkt", "")
	pre := e.put("bkt", "k", "before versioning") // the null version
	e.versioning("bkt", "Enabled")
	v1 := e.put("bkt", "k", "enabled 1")
	e.versioning("bkt", "Suspended")
	n1 := e.put("bkt", "k", "suspended 1")
	if n1.VersionID != object.NullVersion {
		t.Fatalf("PUT in a suspended bucket: version %q, want null", n1.VersionID)
	}
	// The suspended PUT replaced the pre-versioning null version.
	if got := versionIDs(e, "bkt", "k"); !equal(got, []string{object.NullVersion, v1.VersionID}) {
		t.Errorf("versions %v, want [null %s]", got, v1.VersionID)
	}
	e.dataGone("the replaced null version", pre)
	n2 := e.put("bkt", "k", "suspended 2")
	if n2.VersionID != object.NullVersion || sameData(n2, n1) {
		t.Errorf("second suspended PUT: version %q blob %s, want a new null version", n2.VersionID, n2.BlobID)
	}
	if got := versionIDs(e, "bkt", "k"); !equal(got, []string{object.NullVersion, v1.VersionID}) {
		t.Errorf("versions after a second suspended PUT %v, want the null version replaced", got)
	}
	if got := e.get("bkt", "k", object.NullVersion); got != "suspended 2" {
		t.Errorf("GET null: %q", got)
	}
	if got := e.get("bkt", "k", v1.VersionID); got != "enabled 1" {
		t.Errorf("GET of the version from before suspension: %q", got)
	}
	// A delete in a suspended bucket is a null delete marker, replacing the
	// null version.
	res := e.del("bkt", "k", "")
	if !res.DeleteMarker || res.VersionID != object.NullVersion {
		t.Errorf("delete in a suspended bucket: %+v, want a null delete marker", res)
	}
	if got := versionIDs(e, "bkt", "k"); !equal(got, []string{object.NullVersion + " DM", v1.VersionID}) {
		t.Errorf("versions after suspended delete %v", got)
	}
	// Re-enabling keeps everything; new versions get ids again.
	e.versioning("bkt", "Enabled")
	v2 := e.put("bkt", "k", "enabled 2")
	if got := versionIDs(e, "bkt", "k"); !equal(got, []string{v2.VersionID, object.NullVersion + " DM", v1.VersionID}) {
		t.Errorf("versions after re-enabling %v", got)
	}
}

func testDeleteMarkers(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	v := e.put("bkt", "k", "data")
	e.clock.add(time.Second)
	res := e.del("bkt", "k", "")
	if !res.DeleteMarker || res.VersionID == "" || res.VersionID == v.VersionID {
		t.Fatalf("delete in a versioned bucket: %+v, want a new delete marker", res)
	}
	tests := []struct {
		name, version string
		want          *s3err.Error
	}{
		{"current is a delete marker", "", s3err.NoSuchKey},
		{"the delete marker by id", res.VersionID, s3err.MethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.head("bkt", "k", tc.version)
			wantCode(t, "Head", err, tc.want)
			if !slices.Contains(s3err.As(err).Header, s3err.Field{Name: "x-amz-delete-marker", Value: "true"}) {
				t.Errorf("error %v does not say it met a delete marker", err)
			}
		})
	}
	if got := e.get("bkt", "k", v.VersionID); got != "data" {
		t.Errorf("GET of the version under the marker: %q", got)
	}
	if l := e.list(object.ListInput{Bucket: "bkt"}); len(l.Objects) != 0 {
		t.Errorf("ListObjects shows %d objects under a delete marker", len(l.Objects))
	}
	// A second delete stacks a second marker.
	res2 := e.del("bkt", "k", "")
	if got := versionIDs(e, "bkt", "k"); !equal(got, []string{res2.VersionID + " DM", res.VersionID + " DM", v.VersionID}) {
		t.Errorf("versions %v", got)
	}
	// Removing the markers by id brings the object back.
	for _, id := range []string{res2.VersionID, res.VersionID} {
		if r := e.del("bkt", "k", id); !r.DeleteMarker || r.VersionID != id {
			t.Errorf("removing delete marker %s: %+v", id, r)
		}
	}
	if got := e.get("bkt", "k", ""); got != "data" {
		t.Errorf("GET after removing the delete markers: %q", got)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
