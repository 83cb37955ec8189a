//go:build unix

package object_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/sse"
	"github.com/kurastore/kura/internal/storetest"
)

// BenchmarkPutObject64MiB streams 64 MiB objects through the object
// service, without HTTP, into bbolt metadata and a blob directory, for
// each SSE type. cpu-ms/op is the process's user+system CPU time per PUT
// (getrusage), which other work on a shared machine disturbs less than
// MB/s:
//
//	go test -run='^$' -bench=PutObject64MiB -benchtime=8x ./internal/object
//	go test -run='^$' -bench='PutObject64MiB/^SSE-KMS$' -benchtime=16x -cpuprofile=cpu.out ./internal/object
func BenchmarkPutObject64MiB(b *testing.B) {
	const size = 64 << 20
	// One random MiB repeated, and the MD5 only where it is used, so
	// that the setup hardly shows in a profile.
	body := make([]byte, size)
	rand.Read(body[:1<<20])
	for off := 1 << 20; off < size; off *= 2 {
		copy(body[off:], body[:off])
	}
	sum := sync.OnceValue(func() [16]byte { return md5.Sum(body) })
	customer := make([]byte, 32)
	rand.Read(customer)
	svc, kmsKey := benchService(b)
	ctx := context.Background()
	if err := svc.CreateBucket(ctx, kura.Bucket{Name: "bench", Owner: benchAccount}); err != nil {
		b.Fatal(err)
	}
	ckMD5 := md5.Sum(customer)
	for _, tc := range []struct {
		name       string
		sse        object.SSERequest
		contentMD5 bool
	}{
		{name: "SSE-S3", sse: object.SSERequest{Type: kura.SSES3}},
		{name: "SSE-KMS", sse: object.SSERequest{Type: kura.SSEKMS, KMSKeyID: kmsKey}},
		{name: "SSE-KMS+Content-MD5", sse: object.SSERequest{Type: kura.SSEKMS, KMSKeyID: kmsKey}, contentMD5: true},
		{name: "DSSE-KMS", sse: object.SSERequest{Type: kura.SSEDSSE, KMSKeyID: kmsKey}},
		{name: "SSE-C", sse: object.SSERequest{Type: kura.SSEC, CustomerKey: customer,
			CustomerKeyMD5: base64.StdEncoding.EncodeToString(ckMD5[:])}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(size)
			acc := object.KeyAccess{Caller: benchCaller(), CustomerKey: tc.sse.CustomerKey}
			var cpu time.Duration
			for b.Loop() {
				in := object.PutInput{Bucket: "bench", Key: "big", Body: bytes.NewReader(body), Size: size,
					SSE: tc.sse, Access: acc, Owner: benchAccount}
				if tc.contentMD5 {
					s := sum()
					in.ContentMD5 = s[:]
				}
				c0 := cpuTime()
				if _, err := svc.PutObject(ctx, in); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - c0
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

const benchAccount = "111122223333"

func benchCaller() kura.Call {
	return kura.Call{Principal: kura.Principal{Type: kura.PrincipalRoot, AccountID: benchAccount,
		ARN: "arn:aws:iam::" + benchAccount + ":root"}}
}

// benchService is an object service on bbolt and a blob directory under
// b.TempDir, wired as the server wires it, with a KMS key of the
// account.
func benchService(b *testing.B) (*object.Service, string) {
	b.Helper()
	st := storetest.OpenLocal(b)
	root := make([]byte, 32)
	rand.Read(root)
	managed, err := sse.NewManagedKey("bench", root)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	keys, err := kms.New(kms.Config{Meta: st.Meta, RootKey: root, Region: "us-east-1", Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	svc := object.New(object.Config{Meta: st.Meta, Blobs: st.Blobs, ManagedKey: managed, KMS: keys, Region: "us-east-1", Logger: log})
	if err := svc.Recover(context.Background()); err != nil {
		b.Fatal(err)
	}
	md, err := keys.CreateKey(context.Background(), benchCaller(), kms.CreateKeyInput{Description: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return svc, md.Arn
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
