package batch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kurastore/kura"
)

// memOpener serves objects from a map, with ETags given.
type memOpener map[string]string

func (m memOpener) open(_ context.Context, bucket, key, _ string, off int64) (*kura.ObjectVersion, io.ReadCloser, error) {
	body, ok := m[bucket+"/"+key]
	if !ok {
		return nil, nil, errors.New("no such object " + bucket + "/" + key)
	}
	sum := md5.Sum([]byte(body))
	off = min(off, int64(len(body)))
	return &kura.ObjectVersion{ETag: hex.EncodeToString(sum[:]), Size: int64(len(body))}, io.NopCloser(strings.NewReader(body[off:])), nil
}

func etagOf(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

// readAll reads a source to its end, returning the entries and the
// cursor after each.
func readAll(t *testing.T, src source) ([]entry, []cursor, error) {
	t.Helper()
	var es []entry
	var cs []cursor
	for {
		e, c, err := src.next(context.Background())
		if err == io.EOF {
			return es, cs, nil
		}
		if err != nil {
			return es, cs, err
		}
		es = append(es, e)
		cs = append(cs, c)
	}
}

func TestCSVManifest(t *testing.T) {
	cases := []struct {
		name   string
		fields []string
		body   string
		want   []entry
		err    string
	}{
		{"bucket,key", []string{"Bucket", "Key"}, "b,a\nb,photos/x%20y.jpg\n",
			[]entry{{"b", "a", "", "a", nil}, {"b", "photos/x y.jpg", "", "photos/x%20y.jpg", nil}}, ""},
		{"plus is a space", []string{"Bucket", "Key"}, "b,a+b\n", []entry{{"b", "a b", "", "a+b", nil}}, ""},
		{"with versions", []string{"Bucket", "Key", "VersionId"}, "b,k,v1\r\nb,k,v2", []entry{{"b", "k", "v1", "k", nil}, {"b", "k", "v2", "k", nil}}, ""},
		{"reordered, ignored, extra columns", []string{"Ignore", "Key", "Bucket"}, "x,k,b,extra\n", []entry{{"b", "k", "", "k", nil}}, ""},
		{"quoted", []string{"Bucket", "Key"}, `"b","a,b"` + "\n", []entry{{"b", "a,b", "", "a,b", nil}}, ""},
		{"blank lines", []string{"Bucket", "Key"}, "b,a\n\nb,c\n", []entry{{"b", "a", "", "a", nil}, {"b", "c", "", "c", nil}}, ""},
		{"missing key", []string{"Bucket", "Key"}, "b\n", nil, "no bucket or no key"},
		{"bad escape", []string{"Bucket", "Key"}, "b,%zz\n", nil, "URL-encoded"},
		{"bad quote", []string{"Bucket", "Key"}, "b,\"a\n", nil, "not valid CSV"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := memOpener{"m/manifest.csv": c.body}
			spec := kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: c.fields,
				Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::m/manifest.csv", ETag: etagOf(c.body)}}
			src, err := openCSV(context.Background(), m.open, spec, cursor{})
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := readAll(t, src)
			if c.err != "" {
				var me *manifestError
				if !errors.As(err, &me) || !strings.Contains(me.reason, c.err) {
					t.Fatalf("err %v, want a manifest error with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("entry %d: %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// TestCSVManifestResume: reading from any checkpointed cursor yields
// exactly the entries after it.
func TestCSVManifestResume(t *testing.T) {
	body := "b,k1\nb,\"k,2\"\n\nb,k%203\r\nb,k4"
	m := memOpener{"m/x.csv": body}
	spec := kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: []string{"Bucket", "Key"},
		Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::m/x.csv", ETag: etagOf(body)}}
	src, _ := openCSV(context.Background(), m.open, spec, cursor{})
	all, cursors, err := readAll(t, src)
	if err != nil || len(all) != 4 {
		t.Fatalf("%v %v", all, err)
	}
	for i, c := range cursors {
		src, err := openCSV(context.Background(), m.open, spec, c)
		if err != nil {
			t.Fatal(err)
		}
		rest, _, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != len(all)-i-1 || len(rest) > 0 && rest[0] != all[i+1] {
			t.Errorf("from cursor %d (%+v): %v, want %v", i, c, rest, all[i+1:])
		}
		if len(rest) > 0 {
			if _, cs, _ := readAll(t, mustOpen(t, m, spec, c)); cs[0].Next != c.Next+1 {
				t.Errorf("task numbers do not continue from %d", c.Next)
			}
		}
	}
}

func mustOpen(t *testing.T, m memOpener, spec kura.JobManifest, c cursor) source {
	src, err := openCSV(context.Background(), m.open, spec, c)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestCSVManifestETag(t *testing.T) {
	m := memOpener{"m/x.csv": "b,k\n"}
	spec := kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: []string{"Bucket", "Key"},
		Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::m/x.csv", ETag: `"` + etagOf("other") + `"`}}
	if _, err := openCSV(context.Background(), m.open, spec, cursor{}); err == nil || !strings.Contains(err.Error(), "ETag") {
		t.Errorf("ETag mismatch: %v", err)
	}
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// inventory builds an inventory report: manifest.json and its data files.
func inventory(schema string, files ...string) memOpener {
	m := memOpener{}
	list := ""
	for i, f := range files {
		key := "inv/src/cfg/2026-01-01T00-00Z/data/" + string(rune('a'+i)) + ".csv.gz"
		m["dest/"+key] = gz(f)
		if i > 0 {
			list += ","
		}
		list += `{"key":"` + key + `","size":1,"MD5checksum":"` + etagOf(gz(f)) + `"}`
	}
	m["dest/inv/src/cfg/2026-01-01T00-00Z/manifest.json"] = `{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::dest","version":"2016-11-30",` +
		`"creationTimestamp":"1514944800000","fileFormat":"CSV","fileSchema":"` + schema + `","files":[` + list + `]}`
	return m
}

func invSpec(m memOpener) kura.JobManifest {
	key := "inv/src/cfg/2026-01-01T00-00Z/manifest.json"
	return kura.JobManifest{Format: kura.ManifestInventoryCSV,
		Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::dest/" + key, ETag: etagOf(m["dest/"+key])}}
}

func TestInventoryManifest(t *testing.T) {
	m := inventory("Bucket, Key, VersionId, IsLatest, Size, EncryptionStatus",
		`"src","a%20b","v1","true","3","SSE-S3"`+"\n"+`"src","c","","true","4","SSE-S3"`+"\n",
		`"src","d","v9","true","5","SSE-KMS"`+"\n")
	src, err := openInventory(context.Background(), m.open, invSpec(m), cursor{})
	if err != nil {
		t.Fatal(err)
	}
	got, cursors, err := readAll(t, src)
	want := []entry{{"src", "a b", "v1", "a%20b", nil}, {"src", "c", "", "c", nil}, {"src", "d", "v9", "d", nil}}
	if err != nil || len(got) != 3 {
		t.Fatalf("%v %v", got, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Resume from every cursor, across files.
	for i, c := range cursors {
		src, err := openInventory(context.Background(), m.open, invSpec(m), c)
		if err != nil {
			t.Fatal(err)
		}
		rest, _, err := readAll(t, src)
		if err != nil || len(rest) != 2-i || len(rest) > 0 && rest[0] != want[i+1] {
			t.Errorf("from cursor %+v: %v %v", c, rest, err)
		}
	}
}

func TestInventoryManifestRefusals(t *testing.T) {
	good := inventory("Bucket, Key", `"src","a"`+"\n")
	cases := []struct {
		name string
		mod  func(m memOpener)
		want string
	}{
		{"not JSON", func(m memOpener) { m["dest/inv/src/cfg/2026-01-01T00-00Z/manifest.json"] = "{" }, "not valid JSON"},
		{"ORC", func(m memOpener) {
			k := "dest/inv/src/cfg/2026-01-01T00-00Z/manifest.json"
			m[k] = strings.Replace(m[k], `"CSV"`, `"ORC"`, 1)
		}, "only CSV"},
		{"no key column", func(m memOpener) {
			k := "dest/inv/src/cfg/2026-01-01T00-00Z/manifest.json"
			m[k] = strings.Replace(m[k], `Bucket, Key`, `Bucket, Size`, 1)
		}, "does not name Bucket and Key"},
		{"MD5 mismatch", func(m memOpener) {
			k := "dest/inv/src/cfg/2026-01-01T00-00Z/manifest.json"
			m[k] = strings.Replace(m[k], etagOf(gz(`"src","a"`+"\n")), "00", 1)
		}, "MD5"},
		{"not gzip", func(m memOpener) { m["dest/inv/src/cfg/2026-01-01T00-00Z/data/a.csv.gz"] = "plain" }, "not gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := memOpener{}
			for k, v := range good {
				m[k] = v
			}
			c.mod(m)
			src, err := openInventory(context.Background(), m.open, invSpec(m), cursor{})
			if err == nil {
				_, _, err = readAll(t, src)
			}
			var me *manifestError
			if !errors.As(err, &me) || !strings.Contains(me.reason, c.want) {
				t.Errorf("err %v, want a manifest error with %q", err, c.want)
			}
		})
	}
}

// FuzzCSVManifest: any manifest body either parses into entries with a
// bucket and a key, or fails as a manifest error; never a panic, and a
// resumed read agrees with the full one.
func FuzzCSVManifest(f *testing.F) {
	for _, s := range []string{"b,k\n", "b,k,v\nb,k2,v2", `"b","k%20x"` + "\n", "b\n", "b,%zz", "\n\n", "b,\"", "a,b,c,d,e\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		m := memOpener{"m/x.csv": body}
		spec := kura.JobManifest{Format: kura.ManifestBatchCSV, Fields: []string{"Bucket", "Key", "VersionId"},
			Location: kura.JobManifestLocation{ObjectARN: "arn:aws:s3:::m/x.csv", ETag: etagOf(body)}}
		src, err := openCSV(context.Background(), m.open, spec, cursor{})
		if err != nil {
			t.Fatal(err)
		}
		all, cursors, err := readAll(t, src)
		var me *manifestError
		if err != nil && !errors.As(err, &me) {
			t.Fatalf("error %v is not a manifest error", err)
		}
		for _, e := range all {
			if e.Bucket == "" || e.Key == "" {
				t.Fatalf("entry without bucket or key: %+v", e)
			}
		}
		if err == nil && len(cursors) > 1 {
			rest, _, err := readAll(t, mustOpen(t, m, spec, cursors[0]))
			if err != nil || len(rest) != len(all)-1 {
				t.Fatalf("resumed read: %d entries (%v), want %d", len(rest), err, len(all)-1)
			}
		}
	})
}

// FuzzInventoryManifest: any manifest.json is parsed or refused as a
// manifest error.
func FuzzInventoryManifest(f *testing.F) {
	f.Add(`{"destinationBucket":"arn:aws:s3:::d","fileFormat":"CSV","fileSchema":"Bucket, Key","files":[]}`)
	f.Add(`{"fileFormat":"ORC"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		m, fields, err := parseInventoryManifest([]byte(body))
		var me *manifestError
		if err != nil {
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a manifest error", err)
			}
			return
		}
		if m == nil || checkFields(fields) != nil {
			t.Fatalf("accepted manifest with fields %v", fields)
		}
	})
}
