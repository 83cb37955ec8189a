package server_test

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kurastore/kura/internal/audit"
)

// trailEvents reads the whole audit trail of a data dir: in cluster mode
// with the trails of the other nodes startWith ran beside it
// (dir.node<i>), merged by time.
func trailEvents(t *testing.T, dir string) []audit.Event {
	t.Helper()
	var evs []audit.Event
	dirs := []string{dir}
	for i := 1; i < clusterNodes(t); i++ {
		if d := fmt.Sprintf("%s.node%d", dir, i); exists(t, d) {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if err := audit.Query(audit.DirIn(d), audit.Filter{}, func(ev audit.Event) error {
			evs = append(evs, ev)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].EventTime.Before(evs[j].EventTime) })
	return evs
}

func recovered(ev audit.Event) bool {
	v, ok := ev.AdditionalEventData[audit.RecoveredKey]
	return ok && v == false
}

// Invariant 5 of the design: a change applied without its final audit
// event — the process stopped between the commit and the event — has its
// event after the restart, once, marked as recovered; an event that did
// reach the trail is not written twice.
func TestAuditOutboxAfterStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := start(t, dir)
	// Every request to node 0 (in cluster mode too): the process whose
	// audit trail the test stops.
	node0 := ts.Server.URL()
	c := ts.client(func(o *s3.Options) { o.BaseEndpoint = aws.String(node0) })
	mustBucket(t, c, "outbox")
	put := func(key string) {
		t.Helper()
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("outbox"), Key: aws.String(key),
			Body: bytes.NewReader([]byte("data of " + key))}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("kept")
	put("deleted-later")

	// From here on no final event reaches the trail; the changes still
	// commit (and S3 answers: the response does not wait for the event).
	if err := ts.StopAuditTrail(); err != nil {
		t.Fatal(err)
	}
	put("lost")
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("outbox"), Key: aws.String("deleted-later")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("outbox"), Key: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewStaticCredentialsProvider(testAK, testSK, "")
	ic := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(node0), Credentials: creds})
	if _, err := ic.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("outbox-user")}); err != nil {
		t.Fatal(err)
	}
	// KMS withholds its result when its event cannot be written, but the
	// key was created: its event must come back too. One attempt only.
	kc := kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(node0), Credentials: creds,
		Retryer: aws.NopRetryer{}})
	if _, err := kc.CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("outbox")}); err == nil {
		t.Fatal("CreateKey succeeded without its audit event")
	}
	ts.stop(t)

	type want struct {
		name, key string
		recovered bool
	}
	wants := []want{
		{"PutObject", "kept", false},
		{"PutObject", "deleted-later", false},
		{"PutObject", "lost", true},
		{"DeleteObject", "deleted-later", true},
		{"CreateUser", "", true},
		{"CreateKey", "", true},
		{"GetObject", "kept", false}, // reads change nothing: no event to recover
	}
	check := func(round string) {
		t.Helper()
		evs := trailEvents(t, dir)
		for _, w := range wants {
			var got []audit.Event
			for _, ev := range evs {
				k, _ := ev.RequestParameters["key"].(string)
				if ev.EventName == w.name && k == w.key {
					got = append(got, ev)
				}
			}
			n := 1
			if w.name == "GetObject" {
				n = 0 // its event was lost with the trail; nothing to recover
			}
			if len(got) != n {
				t.Errorf("%s: %d %s %q events, want %d", round, len(got), w.name, w.key, n)
				continue
			}
			if n == 0 {
				continue
			}
			ev := got[0]
			if recovered(ev) != w.recovered {
				t.Errorf("%s: %s %q recovered = %v, want %v: %s", round, w.name, w.key, recovered(ev), w.recovered, ev.Line())
			}
			if w.recovered && (ev.EventID == "" || ev.RequestID == "" || ev.UserIdentity.AccountID == "" ||
				ev.SourceIPAddress == "" || ev.EventTime.IsZero() || ev.AdditionalEventData[audit.RecoveredAtKey] == nil) {
				t.Errorf("%s: recovered %s lacks who, when or where: %s", round, w.name, ev.Line())
			}
			if w.recovered && w.key != "" && !strings.Contains(string(ev.Line()), `"arn:aws:s3:::outbox/`+w.key+`"`) {
				t.Errorf("%s: recovered %s does not name its object: %s", round, w.name, ev.Line())
			}
		}
	}
	// The first restart ships the missing events; a second one must not
	// ship them again.
	for round := range 2 {
		ts := start(t, dir)
		check(fmt.Sprint("restart ", round+1))
		ts.stop(t)
	}
}

// The same across SIGKILL: a `kura server` process killed at a random
// moment while PUTs and DELETEs are in flight restarts with exactly one
// event per applied change — applied changes whose answer never went out
// included (the kill may land between the commit and the event, or
// between the event and the clearing of its outbox entry) — and none for
// a change that was not applied.
func TestAuditOutboxKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipped with -short: builds the kura binary and restarts it several times")
	}
	const rounds, workers = 5, 4
	bin := buildKura(t)
	dir := filepath.Join(t.TempDir(), "data")
	p := startKura(t, bin, dir, 0)
	mustBucket(t, p.s3Client(), "killed")

	type outcome struct{ put, del bool } // acknowledged
	var mu sync.Mutex
	acked := map[string]*outcome{}
	for round := 1; round <= rounds; round++ {
		c := p.s3Client()
		var killed atomic.Bool
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []string
				for i := 0; !killed.Load(); i++ {
					key := fmt.Sprintf("r%d-w%d-%04d", round, w, i)
					op := "put"
					if len(mine) > 0 && i%3 == 2 {
						key, op = mine[0], "del"
						mine = mine[1:]
					}
					cx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					var err error
					if op == "put" {
						_, err = c.PutObject(cx, &s3.PutObjectInput{Bucket: aws.String("killed"), Key: aws.String(key),
							Body: bytes.NewReader([]byte(key))})
					} else {
						_, err = c.DeleteObject(cx, &s3.DeleteObjectInput{Bucket: aws.String("killed"), Key: aws.String(key)})
					}
					cancel()
					if err != nil {
						if !killed.Load() {
							t.Errorf("%s %s before the kill: %v", op, key, err)
						}
						return
					}
					mu.Lock()
					if acked[key] == nil {
						acked[key] = &outcome{}
					}
					if op == "put" {
						acked[key].put = true
						mine = append(mine, key)
					} else {
						acked[key].del = true
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(50+mrand.IntN(250)) * time.Millisecond)
		killed.Store(true)
		p.kill()
		wg.Wait()
		p = startKura(t, bin, dir, round)
	}

	// Every key the workers touched, present or not, against its events.
	present := map[string]bool{}
	pg := s3.NewListObjectsV2Paginator(p.s3Client(), &s3.ListObjectsV2Input{Bucket: aws.String("killed")})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			present[aws.ToString(o.Key)] = true
		}
	}
	type events struct{ put, del int }
	seen := map[string]*events{}
	var recoveredN, total int
	for _, ev := range trailEvents(t, dir) {
		key, _ := ev.RequestParameters["key"].(string)
		if ev.ErrorCode != "" || key == "" || (ev.EventName != "PutObject" && ev.EventName != "DeleteObject") {
			continue
		}
		if seen[key] == nil {
			seen[key] = &events{}
		}
		if ev.EventName == "PutObject" {
			seen[key].put++
		} else {
			seen[key].del++
		}
		total++
		if recovered(ev) {
			recoveredN++
		}
	}
	keys := map[string]bool{}
	for k := range acked {
		keys[k] = true
	}
	for k := range present {
		keys[k] = true
	}
	for k := range seen {
		keys[k] = true
	}
	for k := range keys {
		e, a := seen[k], acked[k]
		if e == nil {
			e = &events{}
		}
		if a == nil {
			a = &outcome{}
		}
		switch {
		case e.put > 1 || e.del > 1:
			t.Errorf("%s: %d PutObject and %d DeleteObject events for one PUT and at most one DELETE", k, e.put, e.del)
		case present[k] && (e.put != 1 || e.del != 0):
			t.Errorf("%s is there with %d PutObject and %d DeleteObject events", k, e.put, e.del)
		case !present[k] && e.put != e.del:
			t.Errorf("%s is gone with %d PutObject and %d DeleteObject events", k, e.put, e.del)
		case a.put && e.put != 1, a.del && e.del != 1:
			t.Errorf("%s: acknowledged %+v but events %+v", k, *a, *e)
		}
	}
	t.Logf("%d rounds: %d keys, %d change events, %d of them recovered from the outbox at a restart",
		rounds, len(keys), total, recoveredN)
}
