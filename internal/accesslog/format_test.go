package accesslog

import (
	"strings"
	"testing"
	"time"
)

func TestLineSplitsIntoS3Fields(t *testing.T) {
	at := time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC)
	cases := []struct {
		name string
		e    Entry
		want map[int]string // field index → value after Split
	}{
		{"full", Entry{BucketOwner: "79a5", Bucket: "b", Time: at, RemoteIP: "192.0.2.3", Requester: "arn:aws:iam::1:user/u", RequestID: "3E57",
			Operation: "REST.GET.OBJECT", Key: "a b/c+d.txt", RequestURI: `GET /b/a%20b/c%2Bd.txt HTTP/1.1`, HTTPStatus: 200,
			BytesSent: 113, ObjectSize: 113, TotalTime: 7 * time.Millisecond, TurnAround: 3 * time.Millisecond,
			Referer: "http://x/", UserAgent: `curl/8 "quoted"`, VersionID: "v1", HostID: "h", SignatureVersion: "SigV4",
			CipherSuite: "TLS_AES_128_GCM_SHA256", AuthType: "AuthHeader", HostHeader: "b.localhost:8420", TLSVersion: "TLSv1.3", SourceRegion: "us-east-1"},
			map[int]string{0: "79a5", 2: "06/Feb/2019:00:00:38 +0000", 4: "arn:aws:iam::1:user/u", 7: "a%20b/c+d.txt", 8: `GET /b/a%20b/c%2Bd.txt HTTP/1.1`,
				9: "200", 10: "-", 11: "113", 12: "113", 13: "7", 14: "3", 15: "http://x/", 16: `curl/8 "quoted"`, 17: "v1",
				20: "TLS_AES_128_GCM_SHA256", 23: "TLSv1.3", 24: "-", 25: "-", 26: "us-east-1"}},
		{"empty fields are -", Entry{Bucket: "b", Time: at, TurnAround: -1},
			map[int]string{0: "-", 3: "-", 4: "-", 7: "-", 8: "-", 9: "-", 11: "-", 12: "-", 13: "0", 14: "-", 15: "-", 16: "-"}},
		{"control characters and spaces cannot split a record", Entry{Bucket: "b", Time: at, RequestID: "x y", UserAgent: "a\nb", TurnAround: -1},
			map[int]string{5: "x+y", 16: "a?b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			line := tc.e.Line()
			if strings.ContainsAny(line, "\n\r") {
				t.Fatalf("line breaks in %q", line)
			}
			f, err := Split(line)
			if err != nil {
				t.Fatal(err)
			}
			if len(f) != Fields {
				t.Fatalf("%d fields: %q", len(f), f)
			}
			for i, w := range tc.want {
				if f[i] != w {
					t.Errorf("field %d = %q, want %q (%s)", i, f[i], w, line)
				}
			}
		})
	}
}

func TestOperationNames(t *testing.T) {
	for name, want := range map[string]string{
		"GetObject": "REST.GET.OBJECT", "UpdateObjectEncryption": "REST.PUT.OBJECT_ENCRYPTION",
		"GetBucketLogging": "REST.GET.LOGGING_STATUS", "Unheard": "REST.POST.UNKNOWN",
	} {
		if got := Operation(name, "POST"); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// FuzzLine: whatever a client puts in the fields it controls (user
// agent, referer, request line, host header, key, request id), a record
// is one line of exactly Fields fields, and the quoted fields read back
// as written (control characters aside).
func FuzzLine(f *testing.F) {
	f.Add("curl/8", "http://x/", "GET /b/k HTTP/1.1", "b.localhost:8420", "a b/c", "3E57")
	f.Add(`ua\`, `"`, `\"`, "[::1]:8420", "[k]", "x y")
	f.Add("a\nb", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, ua, referer, uri, host, key, reqID string) {
		e := Entry{Bucket: "b", Time: time.Date(2019, 2, 6, 0, 0, 38, 0, time.UTC), UserAgent: ua, Referer: referer,
			RequestURI: uri, HostHeader: host, Key: key, RequestID: reqID, HTTPStatus: 200, TurnAround: -1}
		line := e.Line()
		if strings.ContainsAny(line, "\n\r") {
			t.Fatalf("line breaks in %q", line)
		}
		got, err := Split(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if len(got) != Fields {
			t.Fatalf("%d fields in %q: %q", len(got), line, got)
		}
		want := func(s string) string {
			if s == "" {
				return "-"
			}
			return strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return '?'
				}
				return r
			}, s)
		}
		if got[16] != want(ua) {
			t.Errorf("user agent %q read back as %q (%s)", ua, got[16], line)
		}
		if got[15] != want(referer) {
			t.Errorf("referer %q read back as %q (%s)", referer, got[15], line)
		}
		if got[1] != "b" || got[9] != "200" || got[26] != "-" {
			t.Errorf("fixed fields moved: %q", got)
		}
	})
}
