package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestAppendAndRead(t *testing.T) {
	dir := t.TempDir()
	path := PathIn(dir)
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 5, 20, 20, 46, 16, 999, time.FixedZone("x", 3600))
	ev := Event{
		UserIdentity: UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/Alice", AccountID: "111122223333"},
		EventTime:    when, EventSource: "kms.amazonaws.com", EventName: "GenerateDataKey", AWSRegion: "us-east-1",
		RequestParameters: map[string]any{"keyId": "k", "keySpec": "AES_256"},
		ReadOnly:          true, ManagementEvent: true, RecipientAccountID: "111122223333",
		Resources: []Resource{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k", AccountID: "111122223333", Type: "AWS::KMS::Key"}},
	}
	if err := l.Append(ev); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Event{EventName: "Decrypt", ErrorCode: "InvalidCiphertextException"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"eventVersion": "1.11", "eventTime": "2026-05-20T19:46:16Z", "eventType": "AwsApiCall",
		"eventCategory": "Management", "readOnly": true, "responseElements": nil,
	} {
		if got, ok := first[k]; !ok || got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if id, _ := first["eventID"].(string); len(id) != 36 {
		t.Errorf("eventID %q", id)
	}
	if res := first["resources"].([]any)[0].(map[string]any); res["ARN"] == nil || res["accountId"] == nil {
		t.Errorf("resources %v", res)
	}

	evs, err := Read(path, func(e Event) bool { return e.ErrorCode != "" })
	if err != nil || len(evs) != 1 || evs[0].EventName != "Decrypt" {
		t.Fatalf("filtered read = %+v, %v", evs, err)
	}
	all, err := Read(path, nil)
	if err != nil || len(all) != 2 || all[0].RequestParameters["keySpec"] != "AES_256" || !all[0].EventTime.Equal(when.Truncate(time.Second)) {
		t.Fatalf("read = %+v, %v", all, err)
	}

	// Permissions: directory 0700, file 0600.
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode().Perm())
	}
	// Reopening appends after what is there.
	l, err = Open(path, Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Event{EventName: "Third"}); err != nil {
		t.Fatal(err)
	}
	if all, _ := Read(path, nil); len(all) != 3 || all[2].EventName != "Third" {
		t.Fatalf("after reopen: %d events", len(all))
	}
	l.Close()
	if err := l.Append(Event{EventName: "Late"}); err == nil {
		t.Fatal("Append after Close succeeded")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestTornLastLineIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte("{\"eventName\":\"A\"}\n\n{\"eventName\":\"B\""), 0o600); err != nil {
		t.Fatal(err)
	}
	evs, err := Read(path, nil)
	if err != nil || len(evs) != 1 || evs[0].EventName != "A" {
		t.Fatalf("read = %+v, %v", evs, err)
	}
	if err := os.WriteFile(path, []byte("{\"eventName\":\"A\"}\nnot json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path, nil); err == nil {
		t.Fatal("a corrupt line was not reported")
	}
}

func TestConcurrentAppendsStayWhole(t *testing.T) {
	path := PathIn(t.TempDir())
	l, err := Open(path, Options{SyncInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	big := string(bytes.Repeat([]byte("p"), 100<<10)) // longer than one read buffer
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				ev := Event{EventName: fmt.Sprintf("g%d-%d", g, i)}
				if i == 7 {
					ev.RequestParameters = map[string]any{"policy": big}
				}
				if err := l.Append(ev); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := Read(path, nil)
	if err != nil || len(evs) != 400 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if seen[ev.EventName] {
			t.Fatalf("duplicate %s", ev.EventName)
		}
		seen[ev.EventName] = true
	}
}

func TestNilLogDiscards(t *testing.T) {
	var l *Log
	if err := l.Append(Event{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
