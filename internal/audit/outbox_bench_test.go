package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
)

// BenchmarkOutboxUpdate measures what the outbox adds to a request's
// metadata transaction and event: "plain" puts one ~400-byte record (an
// object version's size) and appends an S3-sized event to the trail, as
// a request did before the outbox; "staged" does the same with a Pending,
// so the transaction also encodes and puts the intent (~1 KB) and the
// background clearing deletes it later. Concurrent writers share commits
// as requests do.
//
//	go test -run='^$' -bench=OutboxUpdate -benchtime=3s ./internal/audit
func BenchmarkOutboxUpdate(b *testing.B) {
	for _, staged := range []bool{false, true} {
		for _, conc := range []int{1, 16} {
			name := fmt.Sprintf("plain/c=%d", conc)
			if staged {
				name = fmt.Sprintf("staged/c=%d", conc)
			}
			b.Run(name, func(b *testing.B) {
				dir := b.TempDir()
				ms, err := bolt.Open(filepath.Join(dir, "meta.db"))
				if err != nil {
					b.Fatal(err)
				}
				defer ms.Close()
				l, err := Open(PathIn(dir), Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				ob := NewOutbox(ms, l, nil)
				defer ob.Close()
				st := ob.Store()
				val := []byte(strings.Repeat("v", 400))
				ev := benchIntent()
				var n atomic.Int64
				b.SetParallelism(conc)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						ctx := context.Background()
						var p *Pending
						if staged {
							p = l.Begin(ev)
							ctx = WithPending(ctx, p)
						}
						key := []byte(fmt.Sprintf("bench/%012d", i))
						if err := st.Update(ctx, func(tx meta.Tx) error { return tx.Put(meta.TableVersions, key, val) }); err != nil {
							b.Error(err)
							return
						}
						// Both append the event, as every request does.
						if p != nil {
							err = p.Finish(ev)
						} else {
							err = l.Append(ev)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// benchIntent is an S3 PutObject event as the handler stages it.
func benchIntent() Event {
	return Event{
		UserIdentity: UserIdentity{Type: "Root", PrincipalID: "255906510944", ARN: "arn:aws:iam::255906510944:root",
			AccountID: "255906510944", AccessKeyID: "AKIAKURATEST00000001"},
		EventSource: "s3.amazonaws.com", EventName: "PutObject", AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1",
		UserAgent:         "aws-sdk-go-v2/1.47.7 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/s3#1.114.8 m/E,e",
		RequestParameters: map[string]any{"Host": "127.0.0.1:42005", "bucketName": "bench", "key": "put-1MiB-3", "x-id": "PutObject"},
		AdditionalEventData: map[string]any{"AuthenticationMethod": "AuthHeader", "SignatureVersion": "SigV4",
			"bytesTransferredIn": 1048576, "x-amz-id-2": "53C4F82EBA75B8FB"},
		RequestID: "53C4F82EBA75B8FB", Resources: []Resource{{ARN: "arn:aws:s3:::bench/put-1MiB-3", Type: "AWS::S3::Object"},
			{ARN: "arn:aws:s3:::bench", AccountID: "255906510944", Type: "AWS::S3::Bucket"}},
		EventCategory: "Data", RecipientAccountID: "255906510944",
	}
}
