package ops_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
)

// TestUpdateObjectEncryptionReads: one re-key reads each record once —
// the bucket (operation layer), the target key (its permission check,
// its Encrypt or ReEncrypt share one lookup), the version — from SSE-S3
// and from SSE-KMS under the same key; five and four read transactions
// before the key was looked up once per re-key.
func TestUpdateObjectEncryptionReads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.obj.PutObject(ctx, object.PutInput{Bucket: plain, Key: "r", Body: strings.NewReader("data"), Size: 4,
		Owner: owner, SSE: object.SSERequest{Type: kura.SSES3}}); err != nil {
		t.Fatal(err)
	}
	for _, from := range []kura.SSEType{kura.SSES3, kura.SSEKMS} {
		before := e.commits.reads()
		res, err := e.ops.UpdateObjectEncryption(ctx, call(root, "reads"), ops.EncryptionInput{
			Target: ops.Target{Bucket: plain, Key: "r"}, Encryption: object.EncryptionTarget{KMSKeyARN: e.keyARN}})
		if err != nil || res.Before.Type != from || res.After.KMSKeyARN != e.keyARN {
			t.Fatalf("re-key from %v: %+v %v", from, res, err)
		}
		if n := e.commits.reads() - before; n > 3 {
			t.Errorf("re-key from %v: %d read transactions, want at most 3", from, n)
		}
	}
	v, err := e.obj.Head(ctx, plain, "r", "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.obj.Open(ctx, v, 0, v.Size, object.KeyAccess{Caller: call(root, "read")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if data, err := io.ReadAll(r); err != nil || string(data) != "data" {
		t.Errorf("data after two re-keys: %q %v", data, err)
	}
}
