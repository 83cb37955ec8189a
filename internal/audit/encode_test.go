package audit

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// oddStrings are the strings encoding/json treats specially: HTML
// characters, control characters, quotes and backslashes, U+2028 and
// U+2029, invalid UTF-8, multi-byte runes.
var oddStrings = []string{
	"", "plain", `quote " and back\slash`, "<script>&amp;</script>", "tab\tnl\nr\rbs\bff\f",
	"\x00\x01\x1f\x7f", "line\u2028sep\u2029", "bad \xff\xfe utf8 \xc3", "日本語 ✓ 😀 é", "a\u00e9\u0301",
	"\xed\xa0\x80 surrogate", "trailing \xe2\x82", "key=value&x=<y>", strings.Repeat("長い", 50),
}

type stringer struct{ A string }

func randString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return oddStrings[r.IntN(len(oddStrings))]
	}
	b := make([]byte, r.IntN(24))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randValue(r *rand.Rand, depth int) any {
	switch r.IntN(16) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return r.IntN(1 << 20)
	case 3:
		return r.Int64() - r.Int64()
	case 4:
		return r.Float64() * 1e6
	case 5:
		return time.Unix(r.Int64N(1<<35), r.Int64N(1e9)).UTC()
	case 6:
		return time.Unix(r.Int64N(1<<32), 0).In(time.FixedZone("x", 3600))
	case 7:
		m := map[string]string{}
		for range r.IntN(4) {
			m[randString(r)] = randString(r)
		}
		return m
	case 8:
		return []string{randString(r), randString(r)}
	case 9:
		if depth > 2 {
			return nil
		}
		return []any{randValue(r, depth+1), randValue(r, depth+1)}
	case 10:
		if depth > 2 {
			return "deep"
		}
		return randMap(r, depth+1)
	case 11:
		return stringer{A: randString(r)} // through json.Marshal
	case 12:
		return uint64(r.Uint64())
	case 13:
		return []byte(randString(r))
	default:
		return randString(r)
	}
}

func randMap(r *rand.Rand, depth int) map[string]any {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return map[string]any{}
	}
	m := map[string]any{}
	for range r.IntN(6) {
		m[randString(r)] = randValue(r, depth)
	}
	return m
}

func randEvent(r *rand.Rand) Event {
	ev := Event{
		EventVersion: randString(r), EventTime: time.Unix(r.Int64N(1<<34), 0).UTC(), EventSource: randString(r),
		EventName: randString(r), AWSRegion: randString(r), SourceIPAddress: randString(r), UserAgent: randString(r),
		ErrorCode: randString(r), ErrorMessage: randString(r), RequestParameters: randMap(r, 0),
		ResponseElements: randMap(r, 0), AdditionalEventData: randMap(r, 0), RequestID: randString(r),
		EventID: randString(r), ReadOnly: r.IntN(2) == 0, EventType: randString(r), ManagementEvent: r.IntN(2) == 0,
		RecipientAccountID: randString(r), EventCategory: randString(r),
		UserIdentity: UserIdentity{Type: randString(r), PrincipalID: randString(r), ARN: randString(r),
			AccountID: randString(r), AccessKeyID: randString(r), UserName: randString(r), InvokedBy: randString(r)},
	}
	for range r.IntN(3) {
		ev.Resources = append(ev.Resources, Resource{ARN: randString(r), AccountID: randString(r), Type: randString(r)})
	}
	if r.IntN(3) == 0 {
		ev.Resources = []Resource{}
	}
	if r.IntN(2) == 0 {
		ev.TLSDetails = &TLSDetails{TLSVersion: randString(r), CipherSuite: randString(r), ClientProvidedHostHeader: randString(r)}
	}
	return ev
}

// typicalEvent is an UpdateObjectEncryption's event.
func typicalEvent() Event {
	return Event{EventVersion: EventVersion, EventTime: time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC), EventSource: "s3.amazonaws.com",
		EventName: "UpdateObjectEncryption", AWSRegion: "us-east-1",
		UserIdentity:      UserIdentity{Type: "Root", PrincipalID: "111122223333", ARN: "arn:aws:iam::111122223333:root", AccountID: "111122223333"},
		RequestParameters: map[string]any{"bucketName": "photos", "key": "a <b> & c.jpg"},
		ResponseElements:  nil,
		AdditionalEventData: map[string]any{"previousEncryption": map[string]any{"type": "SSE-S3"},
			"newEncryption":      map[string]any{"type": "SSE-KMS", "kmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/x", "bucketKeyEnabled": false},
			"bytesTransferredIn": int64(4), "restoreDays": 3, "when": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
		EventID: "0f0e", EventType: "AwsApiCall", ManagementEvent: false, EventCategory: "Data",
		Resources:  []Resource{{ARN: "arn:aws:s3:::photos/a.jpg", Type: "AWS::S3::Object"}},
		TLSDetails: &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"}}
}

// TestAppendJSONMatchesEncodingJSON: the hand-written encoder gives
// json.Marshal's bytes, on typical events and on 20,000 random ones full
// of odd strings, empty and nil maps, nested values and values only
// json.Marshal knows.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	events := []Event{
		{},
		typicalEvent(),
	}
	r := rand.New(rand.NewPCG(18, 3))
	for range 20000 {
		events = append(events, randEvent(r))
	}
	for i, ev := range events {
		want, wantErr := json.Marshal(ev)
		got, err := ev.appendJSON(nil)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("event %d: error %v, json.Marshal's %v", i, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("event %d:\n got %s\nwant %s", i, got, want)
		}
		rec, err := encodeEvent(ev)
		if wantErr == nil && (err != nil || !bytes.Equal(rec[1:], want)) {
			t.Fatalf("event %d: outbox record %q (%v), want the same JSON", i, rec, err)
		}
	}
}

// TestAppendJSONTimeOutOfRange: a year json.Marshal refuses is refused.
func TestAppendJSONTimeOutOfRange(t *testing.T) {
	ev := Event{EventTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := ev.appendJSON(nil); err == nil {
		t.Error("year 10000 encoded, want the error json.Marshal gives")
	}
	ev = Event{AdditionalEventData: map[string]any{"t": time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, err := ev.appendJSON(nil); err == nil {
		t.Error("year -1 encoded, want the error json.Marshal gives")
	}
}

func BenchmarkEventJSON(b *testing.B) {
	ev := typicalEvent()
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(ev)
		}
	})
	b.Run("append", func(b *testing.B) {
		for b.Loop() {
			ev.appendJSON(make([]byte, 0, 1024))
		}
	})
}
