package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/pg/pgtest"
)

// TestClusterTrail: two nodes' logs export into one store; the cluster
// trail holds every event of both, each node's in the order of its own
// trail file, and reads back the same on every query. On the embedded
// store (one node) and on PostgreSQL (two stores on one schema, two
// nodes appending concurrently).
func TestClusterTrail(t *testing.T) {
	for _, kind := range []string{"bolt", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			var stores [2]meta.Store
			if kind == "bolt" {
				e := newOutboxEnv(t, Options{})
				stores = [2]meta.Store{e.meta.Store, e.meta.Store}
			} else {
				a, b := pgtest.Open(t, t.Name()), pgtest.Open(t, t.Name())
				t.Cleanup(func() { a.Close(); b.Close() })
				stores = [2]meta.Store{a, b}
			}
			const perNode = 300
			var wg sync.WaitGroup
			for n := range 2 {
				l, err := Open(PathIn(t.TempDir()), Options{})
				if err != nil {
					t.Fatal(err)
				}
				c := NewCluster(stores[n], l, fmt.Sprintf("node-%d", n), nil)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perNode {
						if err := l.Append(Event{EventName: "PutObject", RequestID: fmt.Sprintf("node-%d/%04d", n, i)}); err != nil {
							t.Error(err)
						}
					}
					if err := c.Close(); err != nil {
						t.Error(err)
					}
					l.Close()
				}()
			}
			wg.Wait()
			read := func() []ClusterEvent {
				var out []ClusterEvent
				if err := QueryCluster(context.Background(), stores[0], Filter{}, func(ev ClusterEvent) error {
					out = append(out, ev)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return out
			}
			got := read()
			if len(got) != 2*perNode {
				t.Fatalf("%d events in the cluster trail, want %d", len(got), 2*perNode)
			}
			next := map[string]int{}
			for i, ev := range got {
				want := fmt.Sprintf("%s/%04d", ev.Node, next[ev.Node])
				if ev.RequestID != want {
					t.Fatalf("event %d: %s, want %s (a node's events in its trail order)", i, ev.RequestID, want)
				}
				next[ev.Node]++
				if i > 0 && (ev.Batch < got[i-1].Batch || ev.Batch == got[i-1].Batch && ev.Index <= got[i-1].Index) {
					t.Fatalf("event %d out of order", i)
				}
				if len(ev.Line()) == 0 {
					t.Fatalf("event %d has no line", i)
				}
			}
			again := read()
			for i := range got {
				if got[i].EventID != again[i].EventID {
					t.Fatal("two queries disagree on the order")
				}
			}
			var filtered int
			QueryCluster(context.Background(), stores[1], Filter{EventName: "GetObject"}, func(ClusterEvent) error { filtered++; return nil })
			if filtered != 0 {
				t.Fatalf("filter: %d GetObject events", filtered)
			}
		})
	}
}
