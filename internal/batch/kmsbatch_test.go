package batch

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/kms"
)

// TestGroupResealWithoutBucketKeyAuthorizesEachObject: a re-seal job to
// SSE-KMS without a bucket key looks the key up once a group
// (kms.Service.BatchKey), but every object is still decided on its own
// encryption context: a key policy that denies the job role the key for
// objects outside ok/ lets those under it be re-sealed and refuses the
// others with
// the single call's AccessDenied, and every re-seal is one Encrypt event
// of its own naming the object's context.
func TestGroupResealWithoutBucketKeyAuthorizesEachObject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + owner + `:root"},"Action":"kms:*","Resource":"*"},
 {"Effect":"Deny","Principal":{"AWS":"` + roleARN + `"},"Action":"kms:*","Resource":"*",
  "Condition":{"StringNotLike":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::` + data + `/ok/*"}}}]}`
	k, err := e.kms.CreateKey(ctx, kura.Call{Principal: root}, kms.CreateKeyInput{Policy: policy, Description: "per-object context"})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"ok/a", "ok/b", "no/c", "ok/d"}
	for _, key := range keys {
		e.put(data, key, "body of "+key)
	}
	s := e.service(nil)
	op := kura.JobOperation{Name: kura.OpS3UpdateObjectEncryption,
		UpdateEncryption: &kura.JobUpdateEncryption{Type: kura.SSEKMS, KMSKeyARN: k.Arn, BucketKeyEnabled: false}}
	j, rows := e.job(s, "ctx", data, keys, op)
	if j.Progress.Succeeded != 3 || j.Progress.Failed != 1 {
		t.Fatalf("progress %+v, rows %q", j.Progress, rows)
	}
	if f := rows["failed"][0]; f[1] != "no/c" || f[4] != "403" || f[5] != "AccessDenied" {
		t.Errorf("failed row %q", f)
	}
	for _, key := range []string{"ok/a", "ok/b", "ok/d"} {
		if v := e.head(data, key); v.Encryption.Type != kura.SSEKMS || v.Encryption.KMSKeyARN != k.Arn || v.Encryption.BucketKeyEnabled {
			t.Errorf("%s: %+v", key, v.Encryption)
		}
		if got := e.read(data, key); got != "body of "+key {
			t.Errorf("%s reads %q", key, got)
		}
	}
	if v := e.head(data, "no/c"); v.Encryption.Type != kura.SSES3 {
		t.Errorf("no/c re-sealed: %+v", v.Encryption)
	}
	seen := map[string]int{}
	for _, ev := range e.events("Encrypt") {
		if ev.UserIdentity.ARN != jobPrincipal.ARN || ev.ErrorCode != "" {
			continue
		}
		b, _ := json.Marshal(ev.RequestParameters["encryptionContext"])
		var c map[string]string
		json.Unmarshal(b, &c)
		seen[c["aws:s3:arn"]]++
	}
	for _, key := range []string{"ok/a", "ok/b", "ok/d"} {
		if n := seen["arn:aws:s3:::"+data+"/"+key]; n != 1 {
			t.Errorf("%s: %d Encrypt events, want 1 (%v)", key, n, seen)
		}
	}
	if len(seen) != 3 {
		t.Errorf("Encrypt events for %v, want the three ok/ objects", seen)
	}
}
