package backend

import (
	"strings"
	"testing"
)

func TestParseSharedFile(t *testing.T) {
	for _, tc := range []struct{ raw, want, err string }{
		{raw: "file:///mnt/kura?shared=1", want: "/mnt/kura (shared)"},
		{raw: "file:///mnt/kura?shared=true", want: "/mnt/kura (shared)"},
		{raw: "file:///mnt/kura?shared=0", want: "/mnt/kura"},
		{raw: "file:rel?shared=1", want: "rel (shared)"},
		{raw: "file:///mnt/kura?shared=yes", err: "want 1 or 0"},
		{raw: "file:///mnt/kura?nfs=1", err: `unknown option "nfs"`},
		{raw: "file://nas/kura?shared=1", err: "has no host"},
	} {
		b, err := ParseBlobs(tc.raw)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseBlobs(%q) = %v, %v; want an error saying %q", tc.raw, b, err, tc.err)
			}
			continue
		}
		if err != nil || b.String() != tc.want {
			t.Errorf("ParseBlobs(%q) = %v, %v; want %s", tc.raw, b, err, tc.want)
		}
	}
	s, err := SharedFile(t.TempDir()).Open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !s.(interface{ Shared() bool }).Shared() {
		t.Fatal("SharedFile opened a store that is not shared")
	}
}
