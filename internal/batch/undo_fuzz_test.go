package batch

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
)

// FuzzUndoRow: any report row an undo job reads gives an entry or a
// manifest error, never a panic; a row that says it can be undone names a
// version and two encryptions that print back as the row wrote them.
func FuzzUndoRow(f *testing.F) {
	r := result{e: entry{Bucket: "b", Key: "a b", RawKey: "a%20b"}, ok: true, status: 200, msg: "Successful"}.resealed(ops.EncryptionResult{
		VersionID: "null", Before: kura.Encryption{Type: kura.SSES3},
		After:        kura.Encryption{Type: kura.SSEKMS, KMSKeyARN: "arn:aws:kms:us-east-1:111122223333:key/k", BucketKeyEnabled: true},
		LastModified: time.Date(2026, 12, 6, 1, 2, 3, 456000000, time.UTC)})
	f.Add(string(reportRows([]result{r}, true)))
	f.Add("b,k,,succeeded,200,,Successful,SSE-S3\n")
	f.Add("b,k,v,succeeded,200,,,SSE-KMS:arn:x,NONE,v,not a time\n")
	f.Add("b,%zz,,succeeded\n")
	f.Fuzz(func(t *testing.T, row string) {
		recs, err := csv.NewReader(strings.NewReader(row)).ReadAll()
		if err != nil {
			return
		}
		for _, rec := range recs {
			e, err := entryOf(rec, []string{"Bucket", "Key", "VersionId"})
			if err != nil {
				continue
			}
			u := undoRowOf(rec)
			if u.bad != "" {
				continue
			}
			if u.version == "" || EncryptionColumn(u.prev) != rec[7] || EncryptionColumn(u.set) != rec[8] {
				t.Errorf("row %q read as %+v (entry %+v)", rec, u, e)
			}
		}
	})
}
