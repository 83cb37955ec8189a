package pg_test

import (
	"testing"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/metatest"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
)

// TestSuite runs the meta.Store behaviour suite on PostgreSQL: each
// directory the suite uses is a schema of its own.
func TestSuite(t *testing.T) {
	pgtest.DSN(t)
	metatest.Run(t, func(t *testing.T, dir string) meta.Store {
		return pgtest.Open(t, dir)
	})
}
