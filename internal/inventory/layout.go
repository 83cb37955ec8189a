package inventory

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
)

// Layout names the keys of one report in the destination bucket, as S3
// lays them out ("Locating your inventory list"):
//
//	prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.json
//	prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.checksum
//	prefix/source-bucket/config-ID/hive/dt=YYYY-MM-DD-HH-MM/symlink.txt
//	prefix/source-bucket/config-ID/data/<uuid>.csv.gz
//
// Without a prefix the keys start at source-bucket.
type Layout struct {
	Prefix, SourceBucket, ID string
	// Started is the report's timestamp: when the scan began (UTC).
	Started time.Time
}

func (l Layout) base() string {
	b := l.SourceBucket + "/" + l.ID + "/"
	if l.Prefix != "" {
		b = l.Prefix + "/" + b
	}
	return b
}

// Dir is the manifest folder: prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/.
func (l Layout) Dir() string { return l.base() + l.Started.UTC().Format("2006-01-02T15-04Z") + "/" }

// ManifestKey is the key of manifest.json.
func (l Layout) ManifestKey() string { return l.Dir() + "manifest.json" }

// ChecksumKey is the key of manifest.checksum.
func (l Layout) ChecksumKey() string { return l.Dir() + "manifest.checksum" }

// SymlinkKey is the key of the Hive symlink.txt.
func (l Layout) SymlinkKey() string {
	return l.base() + "hive/dt=" + l.Started.UTC().Format("2006-01-02-15-04") + "/symlink.txt"
}

// DataKey is the key of a new data file (a random UUID names it).
func (l Layout) DataKey() string { return l.base() + "data/" + newUUID() + ".csv.gz" }

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Manifest is manifest.json, its fields in S3's order.
type Manifest struct {
	SourceBucket string `json:"sourceBucket"`
	// DestinationBucket is the destination's ARN.
	DestinationBucket string `json:"destinationBucket"`
	Version           string `json:"version"`
	// CreationTimestamp is the scan's start in milliseconds since the
	// epoch, as a string.
	CreationTimestamp string         `json:"creationTimestamp"`
	FileFormat        string         `json:"fileFormat"`
	FileSchema        string         `json:"fileSchema"`
	Files             []ManifestFile `json:"files"`
}

// ManifestFile is one data file of a report.
type ManifestFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5Checksum string `json:"MD5checksum"`
}

// ManifestVersion is the version of the manifest format.
const ManifestVersion = "2016-11-30"

// NewManifest starts the manifest of a report of source into dest.
func NewManifest(source string, dest kura.InventoryDestination, cols []string, started time.Time) Manifest {
	return Manifest{
		SourceBucket: source, DestinationBucket: dest.BucketARN, Version: ManifestVersion,
		CreationTimestamp: strconv.FormatInt(started.UnixMilli(), 10),
		FileFormat:        dest.Format, FileSchema: Schema(cols), Files: []ManifestFile{},
	}
}

// Encode is manifest.json's bytes and manifest.checksum's: the hex MD5 of
// manifest.json.
func (m Manifest) Encode() (manifest, checksum []byte, err error) {
	manifest, err = json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("encode manifest.json: %w", err)
	}
	sum := md5.Sum(manifest)
	return manifest, []byte(hex.EncodeToString(sum[:])), nil
}

// Symlink is the Hive symlink.txt: the s3:// URL of every data file, one
// a line.
func (m Manifest) Symlink(destBucket string) []byte {
	var b strings.Builder
	for _, f := range m.Files {
		b.WriteString("s3://" + destBucket + "/" + f.Key + "\n")
	}
	return []byte(b.String())
}
