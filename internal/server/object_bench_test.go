package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// These benchmarks drive a whole server in-process over loopback HTTP —
// SigV4, metadata, blob store, SSE-S3 — with a lean client (net/http and
// the SDK's signer, no SDK middleware), so that a CPU profile shows server
// and client side by side:
//
//	go test -run='^$' -bench=GetObject -cpuprofile=cpu.out ./internal/server
//	go tool pprof -top cpu.out
//
// Client and server share the machine's cores, as with `kura bench`.

var emptySHA256 = hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())

// benchClient signs and sends raw requests.
type benchClient struct {
	url    string
	http   *http.Client
	signer *v4.Signer
}

func newBenchClient(url string, conns int) *benchClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns + 4
	tr.MaxIdleConnsPerHost = conns + 4
	tr.DisableCompression = true
	tr.ReadBufferSize = 64 << 10
	tr.WriteBufferSize = 64 << 10
	return &benchClient{url: url, http: &http.Client{Transport: tr, Timeout: 5 * time.Minute}, signer: v4.NewSigner()}
}

func (c *benchClient) do(method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	hash := emptySHA256
	if body != nil {
		rd = bytes.NewReader(body)
		hash = "UNSIGNED-PAYLOAD"
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-amz-content-sha256", hash)
	if err := c.signer.SignHTTP(context.Background(), testCreds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	return resp, nil
}

// drain reads a response body to the end through buf and closes it.
func drain(resp *http.Response, buf []byte) (int64, error) {
	defer resp.Body.Close()
	var n int64
	for {
		m, err := resp.Body.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// reportCPU reports the process's CPU time (user and system, getrusage)
// per operation from now until the returned function runs: server and
// client together, the steadier figure on a shared machine.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parallel runs op b.N times over conc workers, each with its own 256 KiB
// read buffer.
func parallel(b *testing.B, conc int, op func(i int64, buf []byte) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := op(i, buf); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

var benchSizes = []struct {
	name string
	size int
}{{"4KiB", 4 << 10}, {"1MiB", 1 << 20}, {"64MiB", 64 << 20}}

// BenchmarkGetObject reads SSE-S3 objects; MB/s is plaintext delivered.
func BenchmarkGetObject(b *testing.B) {
	ts := start(b)
	c := newBenchClient(ts.URL(), 16)
	if _, err := c.do("PUT", "/bench", nil); err != nil {
		b.Fatal(err)
	}
	for _, sz := range benchSizes {
		const objects = 8
		var once sync.Once
		for _, conc := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/c=%d", sz.name, conc), func(b *testing.B) {
				// The objects are written when a benchmark of their size
				// runs, not for every -bench selection.
				once.Do(func() {
					data := make([]byte, sz.size)
					rand.Read(data)
					for i := range objects {
						resp, err := c.do("PUT", "/bench/"+sz.name+"-"+strconv.Itoa(i), data)
						if err != nil {
							b.Fatal(err)
						}
						resp.Body.Close()
					}
				})
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				defer reportCPU(b)()
				parallel(b, conc, func(i int64, buf []byte) error {
					resp, err := c.do("GET", "/bench/"+sz.name+"-"+strconv.Itoa(int(i%objects)), nil)
					if err != nil {
						return err
					}
					n, err := drain(resp, buf)
					if err == nil && n != int64(sz.size) {
						err = fmt.Errorf("read %d bytes, want %d", n, sz.size)
					}
					return err
				})
			})
		}
	}
}

// BenchmarkPutObject writes SSE-S3 objects (UNSIGNED-PAYLOAD, so the
// client does not hash): MD5 for the ETag, CRC64NVME, AES-GCM, and an
// fsync per object, so on most machines the disk sets the pace.
func BenchmarkPutObject(b *testing.B) {
	ts := start(b)
	c := newBenchClient(ts.URL(), 16)
	if _, err := c.do("PUT", "/bench", nil); err != nil {
		b.Fatal(err)
	}
	for _, sz := range benchSizes {
		var data []byte // made when a benchmark of its size first runs
		for _, conc := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/c=%d", sz.name, conc), func(b *testing.B) {
				if data == nil {
					data = make([]byte, sz.size)
					rand.Read(data)
				}
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				defer reportCPU(b)()
				parallel(b, conc, func(i int64, _ []byte) error {
					resp, err := c.do("PUT", "/bench/put-"+sz.name+"-"+strconv.Itoa(int(i%16)), data)
					if err != nil {
						return err
					}
					resp.Body.Close()
					return nil
				})
			})
		}
	}
}
