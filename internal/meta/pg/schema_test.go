package pg

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMigrationsCoverTables: every meta.Table Kura declares has its table
// in the migrations, so no request pays for creating one, and the
// embedded migrations are numbered 1..n.
func TestMigrationsCoverTables(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, m := range ms {
		all.WriteString(m.sql)
	}
	files, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)\bTable\s+Table\s*=\s*"([^"]+)"|\bTable[A-Za-z]*\s+Table\s*=\s*"([^"]+)"`)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			name := m[1] + m[2]
			n++
			want := "CREATE TABLE IF NOT EXISTS " + sqlName("kv_", name) + " "
			if !strings.Contains(all.String(), want) {
				t.Errorf("meta.Table %q (%s) has no %q in migrations/", name, filepath.Base(f), want)
			}
		}
	}
	if n < 20 {
		t.Fatalf("found %d meta.Table declarations in ../*.go, want the 20-odd of store.go", n)
	}
}

func TestSQLName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"versions", "kv_versions"},
		{"audit_outbox", "kv_audit_outbox"},
		{"Upper", "kv_h_"},
		{"with-dash", "kv_h_"},
		{"h_x", "kv_h_"}, // never mistaken for a hashed name
		{strings.Repeat("x", 70), "kv_h_"},
	} {
		got := sqlName("kv_", c.in)
		if !strings.HasPrefix(got, c.want) || (strings.HasSuffix(c.want, "_") && len(got) != len("kv_h_")+24) || !validIdent(got) {
			t.Errorf("sqlName(kv_, %q) = %q, want %q…", c.in, got, c.want)
		}
	}
}
