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
			r.Header.Set(hNonce, "00112233445566778899aabbccddeeff")
			r.Header.Set(hSignature, s.requestSig(r.Method, r.URL.Path, r.URL.RawQuery, d, "00112233445566778899aabbccddeeff", "osaka", h))
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

// recorder keeps the last request a node sent (headers and body) so a
// test can replay it as someone watching the link could.
type recorder struct {
	last   *http.Request
	body   []byte
	header http.Header
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	rc.last, rc.body, rc.header = r, b, r.Header.Clone()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	return http.DefaultTransport.RoundTrip(r2)
}

func (rc *recorder) replay(t *testing.T, url string) int {
	t.Helper()
	req, _ := http.NewRequest(rc.last.Method, url+rc.last.URL.RequestURI(), bytes.NewReader(rc.body))
	req.Header = rc.header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A signed request seen once is refused when it comes again within the
// window, also after the receiver restarts (the cache is on disk); the
// same operation signed afresh is accepted.
func TestReplicationLinkRefusesReplays(t *testing.T) {
	secret := NewSecret()
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokyo, err := New(Config{Self: Peer{Name: "tokyo", Region: "ap-northeast-1"}, Secret: secret, Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tokyo.Handler())
	rc := &recorder{}
	osaka, err := New(Config{Self: Peer{Name: "osaka", Region: "ap-northeast-3", URL: "http://osaka"}, Secret: secret, Primary: srv.URL,
		Dir: t.TempDir(), Logger: quiet, Client: &http.Client{Transport: rc}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tokyo.setPeers([]Peer{osaka.Self()}) // as a join would (the join needs IAM)
	if err := osaka.Reserve(ctx, "reserved-once"); err != nil {
		t.Fatal(err)
	}
	if got := rc.replay(t, srv.URL); got != 403 {
		t.Fatalf("replayed reservation: HTTP %d, want 403", got)
	}
	if err := osaka.Reserve(ctx, "reserved-once"); err != nil {
		t.Fatalf("the same reservation signed afresh: %v", err)
	}
	// Restart tokyo from the same dir: the request it saw is still refused.
	srv.Close()
	tokyo.Close()
	tokyo2, err := New(Config{Self: Peer{Name: "tokyo", Region: "ap-northeast-1"}, Secret: secret, Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer tokyo2.Close()
	srv2 := httptest.NewServer(tokyo2.Handler())
	defer srv2.Close()
	if got := rc.replay(t, srv2.URL); got != 403 {
		t.Fatalf("replayed after a restart: HTTP %d, want 403", got)
	}
}
