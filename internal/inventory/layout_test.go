package inventory

import (
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"testing"
	"time"

	"github.com/kurastore/kura"
)

func TestLayoutKeys(t *testing.T) {
	started := time.Date(2016, 11, 6, 21, 32, 45, 0, time.UTC)
	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	for _, tc := range []struct {
		prefix                            string
		manifest, checksum, symlink, data string
	}{
		{"", "src/cfg/2016-11-06T21-32Z/manifest.json", "src/cfg/2016-11-06T21-32Z/manifest.checksum",
			"src/cfg/hive/dt=2016-11-06-21-32/symlink.txt", `^src/cfg/data/` + uuid + `\.csv\.gz$`},
		{"reports", "reports/src/cfg/2016-11-06T21-32Z/manifest.json", "reports/src/cfg/2016-11-06T21-32Z/manifest.checksum",
			"reports/src/cfg/hive/dt=2016-11-06-21-32/symlink.txt", `^reports/src/cfg/data/` + uuid + `\.csv\.gz$`},
	} {
		l := Layout{Prefix: tc.prefix, SourceBucket: "src", ID: "cfg", Started: started.In(time.FixedZone("", -5*3600))}
		if got := l.ManifestKey(); got != tc.manifest {
			t.Errorf("ManifestKey = %s, want %s", got, tc.manifest)
		}
		if got := l.ChecksumKey(); got != tc.checksum {
			t.Errorf("ChecksumKey = %s, want %s", got, tc.checksum)
		}
		if got := l.SymlinkKey(); got != tc.symlink {
			t.Errorf("SymlinkKey = %s, want %s", got, tc.symlink)
		}
		k1, k2 := l.DataKey(), l.DataKey()
		if !regexp.MustCompile(tc.data).MatchString(k1) || k1 == k2 {
			t.Errorf("DataKey = %s, %s; want distinct keys matching %s", k1, k2, tc.data)
		}
	}
}

func TestManifestEncoding(t *testing.T) {
	started := time.Date(2018, 1, 3, 2, 0, 0, 0, time.UTC)
	c := &kura.InventoryConfiguration{IncludedObjectVersions: "All", OptionalFields: []string{"Size", "EncryptionStatus"}}
	m := NewManifest("src", kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}, Columns(c), started)
	m.Files = append(m.Files, ManifestFile{Key: "inv/src/cfg/data/u1.csv.gz", Size: 2147483647, MD5Checksum: "f11166069f1990abeb9c97ace9cdfabc"})
	manifest, checksum, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "sourceBucket": "src",
  "destinationBucket": "arn:aws:s3:::dest",
  "version": "2016-11-30",
  "creationTimestamp": "1514944800000",
  "fileFormat": "CSV",
  "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, EncryptionStatus",
  "files": [
    {
      "key": "inv/src/cfg/data/u1.csv.gz",
      "size": 2147483647,
      "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"
    }
  ]
}`
	if string(manifest) != want {
		t.Errorf("manifest.json\n got %s\nwant %s", manifest, want)
	}
	sum := md5.Sum(manifest)
	if string(checksum) != hex.EncodeToString(sum[:]) {
		t.Errorf("manifest.checksum = %s, want the hex MD5 of manifest.json", checksum)
	}
	if got, want := string(m.Symlink("dest")), "s3://dest/inv/src/cfg/data/u1.csv.gz\n"; got != want {
		t.Errorf("symlink.txt = %q, want %q", got, want)
	}
	// An empty bucket's report lists no files, as an empty array.
	empty, _, _ := NewManifest("src", kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}, Columns(c), started).Encode()
	if !regexp.MustCompile(`"files": \[\]`).Match(empty) {
		t.Errorf("empty manifest: %s", empty)
	}
}
