package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestQueryFilters(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(PathIn(dir), Options{MaxBytes: 600, SyncInterval: -1}) // a few events per file
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	alice := UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", AccessKeyID: "AKIAALICE", UserName: "alice"}
	root := UserIdentity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccessKeyID: "AKIAROOT"}
	s3ev := func(name string, min int, who UserIdentity, bucket, key, code string) Event {
		ev := Event{EventName: name, EventTime: t0.Add(time.Duration(min) * time.Minute), UserIdentity: who,
			EventSource: "s3.amazonaws.com", ErrorCode: code, RequestParameters: map[string]any{"bucketName": bucket}}
		if key != "" {
			ev.RequestParameters["key"] = key
		}
		return ev
	}
	events := []Event{
		s3ev("PutObject", 0, alice, "photos", "2026/cat.jpg", ""),         // E0
		s3ev("GetObject", 1, root, "photos", "2026/dog.jpg", "NoSuchKey"), // E1
		s3ev("PutObject", 2, root, "docs", "2026/a.txt", ""),              // E2
		s3ev("ListObjects", 3, alice, "photos", "", "AccessDenied"),       // E3
		{EventName: "GenerateDataKey", EventTime: t0.Add(4 * time.Minute), UserIdentity: alice, // E4
			EventSource: "kms.amazonaws.com", Resources: []Resource{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k"}}},
		{EventName: "DeleteObjects", EventTime: t0.Add(5 * time.Minute), UserIdentity: root, // E5: bucket only in resources
			Resources: []Resource{{ARN: "arn:aws:s3:::docs", Type: "AWS::S3::Bucket"}}},
	}
	for i, ev := range events {
		ev.EventID = fmt.Sprint("E", i)
		if err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if rotated, _ := rotatedFiles(DirIn(dir), PathIn(dir)); len(rotated) < 2 {
		t.Fatalf("%d rotated files: the test should span several", len(rotated))
	}

	for _, tc := range []struct {
		name string
		f    Filter
		want string
	}{
		{"all", Filter{}, "E0 E1 E2 E3 E4 E5"},
		{"since", Filter{Since: t0.Add(2 * time.Minute)}, "E2 E3 E4 E5"},
		{"until", Filter{Until: t0.Add(1 * time.Minute)}, "E0 E1"},
		{"window", Filter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, "E1 E2 E3"},
		{"event name ignores case", Filter{EventName: "putobject"}, "E0 E2"},
		{"principal by user ARN", Filter{Principal: "user/alice"}, "E0 E3 E4"},
		{"principal by access key", Filter{Principal: "AKIAROOT"}, "E1 E2 E5"},
		{"bucket by parameter", Filter{Bucket: "photos"}, "E0 E1 E3"},
		{"bucket by resource", Filter{Bucket: "docs"}, "E2 E5"},
		{"bucket is not a prefix", Filter{Bucket: "photo"}, ""},
		{"key prefix", Filter{KeyPrefix: "2026/"}, "E0 E1 E2"},
		{"bucket and key prefix", Filter{Bucket: "photos", KeyPrefix: "2026/c"}, "E0"},
		{"errors only", Filter{ErrorsOnly: true}, "E1 E3"},
		{"errors by alice", Filter{ErrorsOnly: true, Principal: "alice"}, "E3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, ev := range collect(t, DirIn(dir), tc.f) {
				got = append(got, ev.EventID)
				if !strings.Contains(string(ev.Line()), `"eventID":"`+ev.EventID+`"`) {
					t.Errorf("Line() of %s is %q", ev.EventID, ev.Line())
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}

	stop := errors.New("stop")
	n := 0
	err = Query(DirIn(dir), Filter{}, func(Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Query did not stop at fn's error: %v after %d events", err, n)
	}
	if err := Query(t.TempDir(), Filter{}, func(Event) error { return stop }); err != nil {
		t.Fatalf("empty directory: %v", err)
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(PathIn(dir), Options{MaxBytes: 400, SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// History is delivered first: Old0 failed, Old1 did not.
	l.Append(Event{EventName: "Old0", ErrorCode: "NoSuchKey"})
	l.Append(Event{EventName: "Old1"})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan string, 100)
	done := make(chan error, 1)
	go func() {
		done <- follow(ctx, DirIn(dir), Filter{ErrorsOnly: true}, func(ev Event) error {
			got <- ev.EventName
			return nil
		}, 5*time.Millisecond)
	}()
	// Appends while following, enough to rotate several times; only the
	// failed ones match.
	want := []string{"Old0"}
	for i := range 40 {
		ev := Event{EventName: fmt.Sprint("New", i)}
		if i%2 == 0 {
			ev.ErrorCode = "AccessDenied"
			ev.EventName = fmt.Sprint("Err", i)
			want = append(want, ev.EventName)
		}
		if err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			time.Sleep(10 * time.Millisecond) // let the follower catch up mid-stream sometimes
		}
	}
	if rotated, _ := rotatedFiles(DirIn(dir), PathIn(dir)); len(rotated) < 5 {
		t.Fatalf("only %d rotations", len(rotated))
	}
	var seen []string
	for len(seen) < len(want) {
		select {
		case name := <-got:
			seen = append(seen, name)
		case <-ctx.Done():
			t.Fatalf("follow saw %v, want %v", seen, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Fatalf("follow saw %v, want %v", seen, want)
	}
	select {
	case extra := <-got:
		t.Fatalf("extra event %s", extra)
	default:
	}
}
