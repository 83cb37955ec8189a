package kura_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoEncodingInDomainTypes holds the package to its doc comment: no
// struct tags (the encodings belong to meta and s3api) and no imports from
// internal/ (the domain depends on nothing of Kura's).
func TestNoEncodingInDomainTypes(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.Contains(path, "/internal/") || strings.HasPrefix(path, "internal/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if fld, ok := n.(*ast.Field); ok && fld.Tag != nil {
				t.Errorf("%s: field with tag %s", fset.Position(fld.Pos()), fld.Tag.Value)
			}
			return true
		})
	}
	if len(files) < 2 {
		t.Fatalf("found %d files; run from the package directory", len(files))
	}
}
