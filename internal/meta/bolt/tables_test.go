package bolt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kurastore/kura/internal/meta"
)

// TestTablesSequencesGeneration: what kura migrate reads of a file —
// every table with its row count (not the counters' bucket), the
// counters, and a generation that moves with every write and only then.
func TestTablesSequencesGeneration(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g0, err := s.Generation()
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx meta.Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			if err := tx.Put("zeta", []byte(k), []byte("v")); err != nil {
				return err
			}
		}
		if err := tx.Put("alpha", []byte("k"), nil); err != nil {
			return err
		}
		_, err := tx.Sequence("versions")
		if err == nil {
			err = tx.RaiseSequence("other", 41)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.Tables()
	if err != nil || len(ts) != 2 || ts[0] != (TableInfo{"alpha", 1}) || ts[1] != (TableInfo{"zeta", 3}) {
		t.Errorf("Tables = %v, %v; want alpha (1) and zeta (3), not the counters", ts, err)
	}
	seqs, err := s.Sequences()
	if err != nil || len(seqs) != 2 || seqs["versions"] != 1 || seqs["other"] != 41 {
		t.Errorf("Sequences = %v, %v", seqs, err)
	}
	g1, _ := s.Generation()
	g2, _ := s.Generation()
	if g1 == g0 || g2 != g1 {
		t.Errorf("generations %d, %d, %d: want a change after the write and none after reads", g0, g1, g2)
	}
}
