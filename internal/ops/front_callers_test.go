package ops

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WithFront tells an operation that its caller has already authorized the
// call, so the operation skips its own primary decision. Only the HTTP
// front (internal/s3api), whose route authorizes every request before the
// handler runs, may say that; anything else calling it would run
// operations unauthorized.
func TestOnlyTheHTTPFrontUsesWithFront(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "ops.WithFront(") && filepath.Dir(path) != filepath.Join(root, "internal", "s3api") {
			t.Errorf("%s calls ops.WithFront: only internal/s3api, which authorizes in its route, may", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
