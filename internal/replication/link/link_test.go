package link

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testNode(t *testing.T, s Secret) *Node {
	n, err := New(Config{Self: Peer{Name: "tokyo", Region: "ap-northeast-1"}, Secret: s, Dir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Every link request must be signed with the partition's secret, within
// 15 minutes, over its body; anything else is refused before it is read.
func TestReplicationLinkRefusesUnsignedRequests(t *testing.T) {
	secret := NewSecret()
	srv := httptest.NewServer(testNode(t, secret).Handler())
	defer srv.Close()
	body := []byte(`{"peer":{"name":"osaka","region":"ap-northeast-3","url":"http://x"}}`)
	sign := func(s Secret, date time.Time, signed []byte) func(*http.Request) {
		return func(r *http.Request) {
			d := strconv.FormatInt(date.Unix(), 10)
			h := hashHex(signed)
			r.Header.Set(hSender, "osaka")
			r.Header.Set(hDate, d)
			r.Header.Set(hBodyHash, h)
			r.Header.Set(hSignature, s.requestSig(r.Method, r.URL.Path, r.URL.RawQuery, d, "osaka", h))
		}
	}
	for _, tc := range []struct {
		name string
		prep func(*http.Request)
		want int
	}{
		{"unsigned", func(*http.Request) {}, 403},
		{"another partition's secret", sign(NewSecret(), time.Now(), body), 403},
		{"16 minutes old", sign(secret, time.Now().Add(-16*time.Minute), body), 403},
		{"16 minutes ahead", sign(secret, time.Now().Add(16*time.Minute), body), 403},
		{"body altered", sign(secret, time.Now(), []byte(`{}`)), 403},
		{"signed", sign(secret, time.Now(), body), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/link/v1/peers", bytes.NewReader(body))
			tc.prep(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("HTTP %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// A replica's ciphertext altered on the way fails its last read, so the
// replica is never committed.
func TestReplicationLinkDataSignatureCoversCiphertext(t *testing.T) {
	secret := NewSecret()
	blobs := map[string][]byte{"b1": bytes.Repeat([]byte("x"), 300_000), "b2": []byte("part two")}
	open := func(_ context.Context, id string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blobs[id])), nil
	}
	for _, tamper := range []bool{false, true} {
		var buf bytes.Buffer
		var dataSig string
		if err := writeFrames(context.Background(), &buf, []byte(`{}`), []string{"b1", "b2"}, open, func(h string) {
			dataSig = secret.dataSig("req", h)
		}); err != nil {
			t.Fatal(err)
		}
		raw := buf.Bytes()
		if tamper {
			raw[len(raw)-10] ^= 1 // a byte of b2's data
		}
		r := bytes.NewReader(raw)
		if _, err := readMessage(r); err != nil {
			t.Fatal(err)
		}
		s := &blobStream{r: r, h: sha256.New(), ids: []string{"b1", "b2"}, verify: func(h string) error {
			if !equal(dataSig, secret.dataSig("req", h)) {
				return io.ErrClosedPipe
			}
			return nil
		}}
		var errs []string
		for _, id := range []string{"b1", "b2"} {
			rc, _ := s.open(context.Background(), id)
			got, err := io.ReadAll(rc)
			if err != nil {
				errs = append(errs, err.Error())
			} else if !bytes.Equal(got, blobs[id]) {
				t.Fatalf("%s read back differs", id)
			}
		}
		if tamper != (len(errs) == 1) {
			t.Fatalf("tamper=%v: read errors %v", tamper, strings.Join(errs, "; "))
		}
	}
}

func TestReplicationLinkToken(t *testing.T) {
	s := NewSecret()
	got, err := ParseToken(s.Token() + "\n")
	if err != nil || !bytes.Equal(got, s) {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", "kuralink1.", "kuralink1.abc", "other." + s.Token()} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted", bad)
		}
	}
}
