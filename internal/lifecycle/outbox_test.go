package lifecycle

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/storetest"
)

// A lifecycle action is committed with its audit event (the audit outbox):
// if the process stops before the runner appends the event, the next start
// ships it; an action whose event was appended is not shipped twice.
func TestActionsStageTheirEvents(t *testing.T) {
	st := storetest.OpenLocal(t)
	ms, dir := st.Meta, st.Dir
	log, err := audit.Open(audit.PathIn(dir), audit.Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ob := audit.NewOutbox(ms, log, nil)
	store := ob.Store() // as server.Open wires it
	c := &clock{t: date("2020-01-01T10:30:00Z")}
	svc := object.New(object.Config{Meta: store, Blobs: st.Blobs, ManagedKey: storetest.ManagedKey(t), Region: "us-east-1", Now: c.now})
	r := New(Config{Objects: svc, Meta: ms, Audit: log, Region: "us-east-1", Now: c.now,
		Logger: slog.New(slog.DiscardHandler)})
	e := &env{t: t, svc: svc, r: r, clock: c, trail: audit.PathIn(dir)}
	e.bucket("lcb", "", false, kura.LifecycleRule{ID: "gone", Status: "Enabled",
		Filter: &kura.LifecycleFilter{Prefix: ptr("old/")}, Expiration: expireDays(1)})
	e.put("lcb", "old/appended")
	e.put("lcb", "old/lost")

	// The first action's event reaches the trail (its entry is cleared
	// later); then the trail stops taking events, as when the process
	// stops between a commit and its event.
	at := date("2020-01-03T00:00:00Z")
	first := true
	for _, v := range e.versions("lcb") {
		if first {
			first = false
		} else {
			ob.Close()
			log.Close()
		}
		st := Stats{Applied: map[Kind]int{}}
		b, _ := svc.Bucket(context.Background(), "lcb")
		if err := r.applyVersion(context.Background(), "lcb", v, Decide(b.Lifecycle, b.Versioning, v, at, Day), at, 0, &st); err != nil || st.Applied[ExpireCurrent] != 1 {
			t.Fatalf("expire %s: %+v, %v", v.Key, st, err)
		}
	}
	if got := e.ids("lcb"); got != "" {
		t.Fatalf("versions left: %s", got)
	}

	log, err = audit.Open(audit.PathIn(dir), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	rec, err := audit.NewOutbox(ms, log, nil).Recover(context.Background())
	if err != nil || rec.Shipped != 1 {
		t.Fatalf("recovery = %+v, %v; want the lost action's event shipped", rec, err)
	}
	count := map[string]int{}
	for _, ev := range e.events() {
		k, _ := ev.RequestParameters["key"].(string)
		if ev.EventName != EventDelete {
			continue
		}
		count[k]++
		recovered := ev.AdditionalEventData[audit.RecoveredKey] == false
		if recovered != strings.HasSuffix(k, "lost") || ev.AdditionalEventData["lifecycleRuleId"] != "gone" {
			t.Errorf("event for %s: recovered %v: %s", k, recovered, ev.Line())
		}
	}
	if count["old/appended"] != 1 || count["old/lost"] != 1 {
		t.Errorf("events per key = %v, want one each", count)
	}
}
