package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/audit"
)

func TestAuditCommand(t *testing.T) {
	data := t.TempDir()
	l, err := audit.Open(audit.PathIn(data), audit.Options{SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	root := audit.UserIdentity{Type: "Root", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333", AccessKeyID: "AKIAROOT"}
	for _, ev := range []audit.Event{
		{EventName: "PutObject", EventTime: now.Add(-3 * time.Hour), UserIdentity: root, SourceIPAddress: "192.0.2.1",
			RequestParameters: map[string]any{"bucketName": "photos", "key": "2026/cat.jpg"}},
		{EventName: "GetObject", EventTime: now.Add(-time.Minute), UserIdentity: root, SourceIPAddress: "192.0.2.1",
			RequestParameters: map[string]any{"bucketName": "photos", "key": "2026/dog.jpg"}, ErrorCode: "NoSuchKey"},
		{EventName: "PutObject", EventTime: now.Add(-time.Minute), UserIdentity: audit.UserIdentity{Type: "Unknown", AccessKeyID: "AKIABAD"},
			RequestParameters: map[string]any{"bucketName": "docs", "key": "a"}, ErrorCode: "SignatureDoesNotMatch"},
		{EventName: "GetObject", EventTime: now.Add(-time.Second), SourceIPAddress: "2001:db8::1234:5678",
			UserIdentity:      audit.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/BatchOperationsRoleWithALongName/job-0123456789abcdef"},
			RequestParameters: map[string]any{"bucketName": "photos", "key": "2026/a very long key name that is longer than forty characters.jpg"}},
		{EventName: "GenerateDataKey", EventTime: now, EventSource: "kms.amazonaws.com",
			UserIdentity: audit.UserIdentity{ARN: root.ARN, InvokedBy: "s3.amazonaws.com"},
			Resources:    []audit.Resource{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k1"}}},
	} {
		if err := l.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()

	run := func(args ...string) (string, error) {
		t.Helper()
		cmd := newAuditCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"--data", data}, args...))
		err := cmd.Execute()
		return out.String(), err
	}
	for _, tc := range []struct {
		args []string
		want []string // one substring per data row, in order
	}{
		{nil, []string{"PutObject", "GetObject", "SignatureDoesNotMatch", "BatchOperationsRoleWithALongName", "GenerateDataKey"}},
		{[]string{"--since", "1h"}, []string{"GetObject", "SignatureDoesNotMatch", "BatchOperationsRoleWithALongName", "GenerateDataKey"}},
		{[]string{"--until", "2h"}, []string{"2026/cat.jpg"}},
		{[]string{"--errors"}, []string{"NoSuchKey", "unverified:AKIABAD"}},
		{[]string{"--bucket", "photos", "--prefix", "2026/d"}, []string{"photos/2026/dog.jpg"}},
		{[]string{"--event", "generatedatakey"}, []string{"111122223333:root (via s3.amazonaws.com)"}},
		{[]string{"--principal", "AKIABAD"}, []string{"docs/a"}},
		{[]string{"--since", now.Add(time.Second).Format(time.RFC3339)}, nil},
	} {
		out, err := run(tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if !strings.HasPrefix(rows[0], "TIME") {
			t.Fatalf("%v: no header in %q", tc.args, out)
		}
		rows = rows[1:]
		if len(rows) != len(tc.want) {
			t.Errorf("%v: %d rows, want %d:\n%s", tc.args, len(rows), len(tc.want), out)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(rows[i], w) {
				t.Errorf("%v: row %d %q lacks %q", tc.args, i, rows[i], w)
			}
		}
	}
	// Columns line up whatever the values' lengths: every column of
	// every row starts where the header's does.
	out, _ := run()
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	starts := func(row string) []int {
		var s []int
		for i := range row {
			if i > 0 && row[i-1] == ' ' && row[i] != ' ' && (i < 2 || row[i-2] == ' ') {
				s = append(s, i) // a column starts after two or more spaces
			}
		}
		return s
	}
	head := starts(rows[0])
	if len(head) != 5 {
		t.Fatalf("header columns at %v: %q", head, rows[0])
	}
	for _, r := range rows[1:] {
		got := starts(r)
		for _, h := range head {
			if !slices.Contains(got, h) {
				t.Errorf("row %q has no column at %d (header %v):\n%s", r, h, head, out)
			}
		}
	}

	// A row: time, event, principal, source ip, resource, result.
	out, _ = run("--event", "PutObject", "--bucket", "photos")
	fields := strings.Fields(strings.Split(out, "\n")[1])
	want := []string{now.Add(-3 * time.Hour).Format(time.RFC3339), "PutObject", "111122223333:root", "192.0.2.1", "photos/2026/cat.jpg", "OK"}
	if strings.Join(fields, " ") != strings.Join(want, " ") {
		t.Errorf("row %q, want %q", fields, want)
	}

	out, err = run("--json", "--errors")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("--json printed %d lines:\n%s", len(lines), out)
	}
	for _, line := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev["errorCode"] == nil {
			t.Errorf("--json line %q: %v", line, err)
		}
	}

	for _, args := range [][]string{{"--since", "yesterday"}, {"--data", t.TempDir()}} {
		if _, err := run(args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
