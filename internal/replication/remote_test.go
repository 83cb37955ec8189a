package replication

import (
	"bytes"
	"testing"

	"github.com/kurastore/kura/internal/sse"
)

// A data key sealed for one replica opens only for it: another source
// deployment, bucket, key or version id does not open it.
func TestReplicationLinkKeyAAD(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	dk := sse.DataKeys{DEK: bytes.Repeat([]byte{1}, 32), DEK2: bytes.Repeat([]byte{2}, 32)}
	sealed, err := sealKeys(key, dk, KeyAAD("tokyo", "dst", "k", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, dk.DEK) {
		t.Fatal("the sealed keys contain the key in the clear")
	}
	got, err := openKeys(key, sealed, KeyAAD("tokyo", "dst", "k", "v1"))
	if err != nil || !bytes.Equal(got.DEK, dk.DEK) || !bytes.Equal(got.DEK2, dk.DEK2) {
		t.Fatalf("open: %v", err)
	}
	for _, aad := range [][]byte{KeyAAD("osaka", "dst", "k", "v1"), KeyAAD("tokyo", "other", "k", "v1"),
		KeyAAD("tokyo", "dst", "k2", "v1"), KeyAAD("tokyo", "dst", "k", "v2")} {
		if _, err := openKeys(key, sealed, aad); err == nil {
			t.Errorf("opened under %q", aad)
		}
	}
}
