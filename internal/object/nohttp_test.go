package object

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The object service, the access layer and the operation layer know
// nothing of HTTP: Batch Operations, replication, lifecycle and the
// console call them without a request (issue 12). This keeps net/http out
// of their dependencies.
func TestNoHTTPDependency(t *testing.T) {
	for _, pkg := range []string{"github.com/kurastore/kura/internal/object", "github.com/kurastore/kura/internal/access",
		"github.com/kurastore/kura/internal/ops", "github.com/kurastore/kura/internal/inventory",
		"github.com/kurastore/kura/internal/batch", "github.com/kurastore/kura/internal/accesslog",
		"github.com/kurastore/kura/internal/replication"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		if slices.Contains(strings.Fields(string(out)), "net/http") {
			t.Errorf("%s depends on net/http; the layers below s3api must not", pkg)
		}
	}
}
