package objecttest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// keysOf returns the keys of a listing page.
func keysOf(res *object.ListResult) []string {
	var ks []string
	for _, v := range res.Objects {
		ks = append(ks, v.Key)
	}
	return ks
}

func testListPrefixDelimiter(t *testing.T, e *env) {
	e.bucket("bkt", "")
	for _, k := range []string{"a", "b/1", "b/2", "b/c/3", "c/x/1", "c/y/2", "d", "dd/1", "e/"} {
		e.put("bkt", k, "x")
	}
	tests := []struct {
		name     string
		in       object.ListInput
		keys     []string
		prefixes []string
	}{
		{"everything", object.ListInput{}, []string{"a", "b/1", "b/2", "b/c/3", "c/x/1", "c/y/2", "d", "dd/1", "e/"}, nil},
		{"delimiter at the top", object.ListInput{Delimiter: "/"}, []string{"a", "d"}, []string{"b/", "c/", "dd/", "e/"}},
		{"prefix", object.ListInput{Prefix: "b/"}, []string{"b/1", "b/2", "b/c/3"}, nil},
		{"prefix and delimiter", object.ListInput{Prefix: "b/", Delimiter: "/"}, []string{"b/1", "b/2"}, []string{"b/c/"}},
		{"prefix that is not a directory", object.ListInput{Prefix: "d"}, []string{"d", "dd/1"}, nil},
		{"prefix matching nothing", object.ListInput{Prefix: "zzz"}, nil, nil},
		{"other delimiter", object.ListInput{Delimiter: "1"}, []string{"a", "b/2", "b/c/3", "c/y/2", "d", "e/"}, []string{"b/1", "c/x/1", "dd/1"}},
		{"after a key (V1 marker, V2 start-after)", object.ListInput{After: "b/2"}, []string{"b/c/3", "c/x/1", "c/y/2", "d", "dd/1", "e/"}, nil},
		{"after a common prefix skips it", object.ListInput{Delimiter: "/", After: "b/"}, []string{"d"}, []string{"c/", "dd/", "e/"}},
		{"key equal to prefix", object.ListInput{Prefix: "e/", Delimiter: "/"}, []string{"e/"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Bucket = "bkt"
			res := e.list(tc.in)
			if got := keysOf(res); !equal(got, tc.keys) {
				t.Errorf("keys %q, want %q", got, tc.keys)
			}
			if !equal(res.CommonPrefixes, tc.prefixes) {
				t.Errorf("common prefixes %q, want %q", res.CommonPrefixes, tc.prefixes)
			}
			if res.Truncated {
				t.Error("a listing of fewer than MaxKeys entries is truncated")
			}
		})
	}
	_, err := e.svc.ListObjects(e.ctx(), object.ListInput{Bucket: "nobucket", MaxKeys: 10})
	wantCode(t, "listing a missing bucket", err, s3err.NoSuchBucket)
	if res, err := e.svc.ListObjects(e.ctx(), object.ListInput{Bucket: "bkt", MaxKeys: 0}); err != nil || len(res.Objects) != 0 || res.Truncated {
		t.Errorf("MaxKeys 0: %+v, %v; want an empty, untruncated page", res, err)
	}
}

func testListPagination(t *testing.T, e *env) {
	e.bucket("bkt", "")
	var all []string
	for i := range 7 {
		k := fmt.Sprintf("k%02d", i)
		e.put("bkt", k, "x")
		all = append(all, k)
	}
	for _, k := range []string{"p/1", "p/2", "q/1"} {
		e.put("bkt", k, "x")
	}
	tests := []struct {
		name      string
		delimiter string
		max       int
		want      []string // keys and common prefixes, in order
	}{
		{"pages of 3", "", 3, append(append([]string{}, all...), "p/1", "p/2", "q/1")},
		{"pages of 1", "", 1, append(append([]string{}, all...), "p/1", "p/2", "q/1")},
		{"prefixes count toward the page", "/", 2, append(append([]string{}, all...), "p/", "q/")},
		{"one page", "/", 100, append(append([]string{}, all...), "p/", "q/")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			after := ""
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
				res := e.list(object.ListInput{Bucket: "bkt", Delimiter: tc.delimiter, MaxKeys: tc.max, After: after})
				n := len(res.Objects) + len(res.CommonPrefixes)
				if n > tc.max {
					t.Fatalf("page of %d entries, MaxKeys %d", n, tc.max)
				}
				// Keys and prefixes interleave in key order: merge them.
				page := append(keysOf(res), res.CommonPrefixes...)
				sortStrings(page)
				got = append(got, page...)
				if !res.Truncated {
					break
				}
				if n != tc.max || res.NextKey != page[len(page)-1] {
					t.Fatalf("truncated page of %d (max %d), NextKey %q, last entry %q", n, tc.max, res.NextKey, page[len(page)-1])
				}
				after = res.NextKey
			}
			if !equal(got, tc.want) {
				t.Errorf("paged listing %q, want %q", got, tc.want)
			}
		})
	}
}

func testListSkipsDeleted(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	e.put("bkt", "a", "1")
	e.put("bkt", "a", "2") // two versions, listed once
	e.put("bkt", "b", "1")
	e.del("bkt", "b", "") // behind a delete marker: not listed
	e.put("bkt", "c", "1")
	res := e.list(object.ListInput{Bucket: "bkt"})
	if got := keysOf(res); !equal(got, []string{"a", "c"}) {
		t.Errorf("ListObjects %q, want [a c]", got)
	}
	if res.Objects[0].ETag != md5Hex("2") {
		t.Errorf("ListObjects shows a non-current version of a: ETag %s", res.Objects[0].ETag)
	}
	// A page of one after "a" must not stop at the marked key b.
	res = e.list(object.ListInput{Bucket: "bkt", After: "a", MaxKeys: 1})
	if got := keysOf(res); !equal(got, []string{"c"}) || res.Truncated {
		t.Errorf("page after a: %q truncated=%v, want [c], not truncated", got, res.Truncated)
	}
}

func testListVersions(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	a1 := e.put("bkt", "a", "1")
	a2 := e.put("bkt", "a", "2")
	bdm := e.put("bkt", "b", "1")
	dm := e.del("bkt", "b", "")
	d1 := e.put("bkt", "dir/x", "1")
	res := e.listVersions(object.ListInput{Bucket: "bkt"})
	type entry struct {
		key, id string
		latest  bool
		marker  bool
	}
	want := []entry{
		{"a", a2.VersionID, true, false},
		{"a", a1.VersionID, false, false},
		{"b", dm.VersionID, true, true},
		{"b", bdm.VersionID, false, false},
		{"dir/x", d1.VersionID, true, false},
	}
	if len(res.Objects) != len(want) || len(res.IsLatest) != len(res.Objects) {
		t.Fatalf("ListVersions: %d entries (%d IsLatest), want %d", len(res.Objects), len(res.IsLatest), len(want))
	}
	for i, w := range want {
		v := res.Objects[i]
		if got := (entry{v.Key, v.VersionID, res.IsLatest[i], v.DeleteMarker}); got != w {
			t.Errorf("entry %d: %+v, want %+v", i, got, w)
		}
	}
	del := e.listVersions(object.ListInput{Bucket: "bkt", Delimiter: "/"})
	if len(del.Objects) != 4 || !equal(del.CommonPrefixes, []string{"dir/"}) {
		t.Errorf("ListVersions with delimiter: %d versions, prefixes %q; want 4 and [dir/]", len(del.Objects), del.CommonPrefixes)
	}
	pre := e.listVersions(object.ListInput{Bucket: "bkt", Prefix: "b"})
	if len(pre.Objects) != 2 || pre.Objects[0].VersionID != dm.VersionID {
		t.Errorf("ListVersions with prefix b: %d entries", len(pre.Objects))
	}
}

func testListVersionsPagination(t *testing.T, e *env) {
	e.bucket("bkt", "Enabled")
	var want []string
	for _, k := range []string{"a", "b", "c"} {
		var ids []string
		for i := range 3 {
			ids = append([]string{e.put("bkt", k, fmt.Sprint(i)).VersionID}, ids...)
		}
		for _, id := range ids {
			want = append(want, k+"@"+id)
		}
	}
	for _, max := range []int{1, 2, 4, 9, 10} {
		t.Run(fmt.Sprintf("pages of %d", max), func(t *testing.T) {
			var got []string
			in := object.ListInput{Bucket: "bkt", MaxKeys: max}
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
				res := e.listVersions(in)
				for _, v := range res.Objects {
					got = append(got, v.Key+"@"+v.VersionID)
				}
				if !res.Truncated {
					break
				}
				last := res.Objects[len(res.Objects)-1]
				if res.NextKey != last.Key || res.NextVersion != last.VersionID {
					t.Fatalf("NextKey/NextVersion %s/%s, want the last entry %s/%s", res.NextKey, res.NextVersion, last.Key, last.VersionID)
				}
				in.After, in.VersionAfter = res.NextKey, res.NextVersion
			}
			if !equal(got, want) {
				t.Errorf("paged versions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
