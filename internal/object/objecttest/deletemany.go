package objecttest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3err"
)

// DeleteMany (DeleteObjects' one transaction) gives every key the outcome
// Delete gives it alone, and leaves the same versions behind: two twin
// buckets get the same writes, then the same deletes, one key at a time
// in one and all at once in the other. The batch mixes Object Lock
// refusals (retention, legal hold, with and without the bypass), versions
// removed, delete markers created (and removed by id), missing keys and
// versions, and the same key twice.
func testDeleteMany(t *testing.T, e *env) {
	for i, tc := range []struct {
		name   string
		create func(name string)
	}{
		{"unversioned", func(n string) { e.bucket(n, "") }},
		{"versioned", func(n string) { e.bucket(n, "Enabled") }},
		{"suspended", func(n string) { e.bucket(n, "Suspended") }},
		{"object lock", func(n string) { e.lockBucket(n, nil) }},
		{"replicated", func(n string) {
			e.bucket(n, "Enabled")
			if err := e.svc.UpdateBucket(e.ctx(), n, func(b *kura.Bucket) error {
				b.Replication = &kura.ReplicationConfiguration{Role: "arn:aws:iam::" + Account + ":role/r",
					Rules: []kura.ReplicationRule{{ID: "r", Priority: 1, Status: "Enabled", Filter: &kura.ReplicationFilter{},
						DeleteMarkerReplication: "Enabled", Destination: kura.ReplicationDestination{Bucket: "arn:aws:s3:::elsewhere"}}}}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ins := map[string][]object.DeleteInput{}
			for _, mode := range []string{"one", "many"} {
				b := fmt.Sprintf("dm-%s-%d", mode, i)
				tc.create(b)
				locked := tc.name == "object lock"
				plain := e.put(b, "plain", "p")
				e.put(b, "plain", "p2")
				gov, hold := plain, plain
				if locked {
					gov = e.put(b, "gov", "g", withLock(object.Lock{Retention: retention(object.Governance, time.Hour)}))
					hold = e.put(b, "hold", "h", withLock(object.Lock{LegalHold: on()}))
				}
				in := func(key, version string, bypass bool) object.DeleteInput {
					return object.DeleteInput{Bucket: b, Key: key, VersionID: version, BypassGovernance: bypass}
				}
				ins[mode] = []object.DeleteInput{
					in("plain", "", false),
					in("plain", "", false), // the same key again
					in("plain", plain.VersionID, false),
					in("gov", gov.VersionID, false),
					in("hold", hold.VersionID, true),
					in("gov", gov.VersionID, true),
					in("missing", "", false),
					in("missing", "00000000000000010000000000000000", false),
					in("plain", "not-a-version-id", false),
				}
			}
			type outcome struct {
				code         string
				marker, vid  bool
				namedVersion bool
			}
			describe := func(in object.DeleteInput, res object.DeleteResult, err error) outcome {
				o := outcome{marker: res.DeleteMarker, vid: res.VersionID != "", namedVersion: res.VersionID == in.VersionID}
				if err != nil {
					o.code = s3err.As(err).Code
				}
				return o
			}
			var one, many []outcome
			for _, in := range ins["one"] {
				res, err := e.tryDelete(in)
				one = append(one, describe(in, res, err))
			}
			for i, o := range e.svc.DeleteMany(e.ctx(), ins["many"]) {
				many = append(many, describe(ins["many"][i], o.DeleteResult, o.Err))
			}
			if !slices.Equal(one, many) {
				t.Errorf("DeleteMany outcomes\n%+v\nDelete one by one\n%+v", many, one)
			}
			left := func(b string) []string {
				var out []string
				for _, v := range e.listVersions(object.ListInput{Bucket: b}).Objects {
					out = append(out, fmt.Sprintf("%s marker=%v", v.Key, v.DeleteMarker))
				}
				return out
			}
			if a, b := left(ins["one"][0].Bucket), left(ins["many"][0].Bucket); !slices.Equal(a, b) {
				t.Errorf("versions left by DeleteMany %v, by Delete one by one %v", b, a)
			}
			// Delete markers are queued for replication as Delete queues
			// them (in the transaction that installs them).
			queued := func(b string) []string {
				runs, _, err := e.svc.ReplicationQueue(e.ctx(), nil, 1000)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range runs {
					if r.Bucket == b {
						out = append(out, fmt.Sprintf("%s marker=%v", r.Key, r.DeleteMarker))
					}
				}
				slices.Sort(out)
				return out
			}
			a, b := queued(ins["one"][0].Bucket), queued(ins["many"][0].Bucket)
			if !slices.Equal(a, b) {
				t.Errorf("replication queued by DeleteMany %v, by Delete one by one %v", b, a)
			}
			if tc.name == "replicated" && !slices.Contains(b, "missing marker=true") {
				t.Errorf("replication queue %v: no delete marker for the missing key", b)
			}
		})
	}
	// A batch naming a bucket that is not there: every key gets NoSuchBucket.
	for _, o := range e.svc.DeleteMany(e.ctx(), []object.DeleteInput{{Bucket: "nowhere", Key: "a"}, {Bucket: "nowhere", Key: "b"}}) {
		wantCode(t, "DeleteMany in a missing bucket", o.Err, s3err.NoSuchBucket)
	}
}
