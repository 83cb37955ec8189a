package object

import (
	"slices"
	"testing"
)

func TestReadGuard(t *testing.T) {
	var g readGuard
	if due := g.retire([]string{"a"}); !slices.Equal(due, []string{"a"}) {
		t.Fatalf("no reads running: want a due at once, got %v", due)
	}
	end1 := g.begin()
	if due := g.retire([]string{"b"}); len(due) != 0 {
		t.Fatalf("read 1 running: b must wait, got %v", due)
	}
	end2 := g.begin() // starts after b was released: cannot reach b
	if due := g.retire([]string{"c"}); len(due) != 0 {
		t.Fatalf("reads running: c must wait, got %v", due)
	}
	if due := end1(); !slices.Equal(due, []string{"b"}) {
		t.Fatalf("read 1 ended: want b due (c waits for read 2), got %v", due)
	}
	if due := end1(); len(due) != 0 {
		t.Fatalf("ending twice must be a no-op, got %v", due)
	}
	if due := end2(); !slices.Equal(due, []string{"c"}) {
		t.Fatalf("read 2 ended: want c due, got %v", due)
	}
	if len(g.active) != 0 || len(g.pending) != 0 {
		t.Fatalf("guard not empty: %v %v", g.active, g.pending)
	}
}
