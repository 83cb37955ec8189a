package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
)

// A change made without an HTTP request — a background task — keeps its
// audit event with it: begin the event, make the change with the event in
// the context through the outbox's store, then finish it with the outcome.
func ExampleLog_Begin() {
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	ms, _ := bolt.Open(filepath.Join(dir, "meta.db"))
	defer ms.Close()
	trail, _ := audit.Open(audit.PathIn(dir), audit.Options{})
	defer trail.Close()
	outbox := audit.NewOutbox(ms, trail, nil)
	defer outbox.Close()
	store := outbox.Store() // what the services that make changes get

	// At start, before anything else: ship what a stopped process left.
	if _, err := outbox.Recover(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	ev := audit.Event{EventSource: "s3.amazonaws.com", EventName: "LifecycleTransition", EventType: "AwsServiceEvent",
		UserIdentity: audit.UserIdentity{Type: "AWSService", InvokedBy: "s3.amazonaws.com"},
		Resources:    []audit.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::logs/2026/01.gz"}}}
	p := trail.Begin(ev)
	ctx := audit.WithPending(context.Background(), p)
	err := store.Update(ctx, func(tx meta.Tx) error {
		// The change; the store adds the pending event to this transaction.
		return tx.Put(meta.TableSystem, []byte("example"), []byte("changed"))
	})
	if err != nil {
		p.Drop() // nothing was committed
		fmt.Println(err)
		return
	}
	if err := p.Finish(ev); err != nil {
		fmt.Println("event not written; the next start ships it:", err)
	}
	trail.Sync()
	evs, _ := audit.Read(audit.PathIn(dir), nil)
	fmt.Println(len(evs), evs[0].EventName, evs[0].EventID == p.EventID())
	// Output: 1 LifecycleTransition true
}
