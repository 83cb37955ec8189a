package server_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// BenchmarkUpdateObjectEncryption measures the latency of
// UpdateObjectEncryption by object size (invariant 3: it must not grow with
// size), next to the old way of re-keying an object: CopyObject onto itself
// with SSE-KMS. Each size is uploaded once (multipart from 64 MiB) with
// SSE-S3; the UOE sub-benchmarks then alternate keys A and B, without and
// with a bucket key; UOE-paired alternates calls between the object and a
// 4 KiB reference object (an op is one of either) and reports the ratio of
// their p50s, which the machine's neighbours disturb much less than
// separate runs do; CopyObject always asks for key B. Latency is one
// request, sent to its last response byte, over loopback HTTP to an
// in-process server; p50 and p99 are reported as metrics.
//
// CopyObject of the big sizes takes seconds, so run it with fewer
// iterations than UOE (docs/benchmarks.md has the commands used):
//
//	go test -run='^$' -bench='UpdateObjectEncryption/.*/UOE' -benchtime=1000x -count=3 ./internal/server
//	go test -run='^$' -bench='UpdateObjectEncryption/(4KiB|1MiB)/CopyObject' -benchtime=200x -count=2 ./internal/server
//	go test -run='^$' -bench='UpdateObjectEncryption/64MiB/CopyObject' -benchtime=20x -count=2 ./internal/server
//	go test -run='^$' -bench='UpdateObjectEncryption/1GiB/CopyObject' -benchtime=5x -count=2 ./internal/server
func BenchmarkUpdateObjectEncryption(b *testing.B) {
	ts := start(b)
	c := newBenchClient(ts.URL(), 4)
	k := ts.kmsClient()
	var keys [2]string
	for i := range keys {
		out, err := k.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("uoe bench")})
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = aws.ToString(out.KeyMetadata.Arn)
	}
	if _, err := c.send("PUT", "/uoebench", nil, nil); err != nil {
		b.Fatal(err)
	}
	// The reference for UOE-paired: a 4 KiB object re-keyed alternately
	// with the one of each size, so both see the same neighbours.
	const ref = "/uoebench/ref-4KiB"
	uploadForBench(b, c, ref, 4<<10, 0)
	for _, sz := range []struct {
		name       string
		size, part int
	}{{"4KiB", 4 << 10, 0}, {"1MiB", 1 << 20, 0}, {"64MiB", 64 << 20, 8 << 20}, {"1GiB", 1 << 30, 64 << 20}} {
		b.Run(sz.name, func(b *testing.B) {
			path := "/uoebench/" + sz.name
			uploadForBench(b, c, path, sz.size, sz.part)
			for _, bk := range []bool{false, true} {
				name := "UOE"
				if bk {
					name = "UOE-bucketkey"
				}
				b.Run(name, func(b *testing.B) {
					bodies := [2][]byte{uoeXML(keys[0], bk), uoeXML(keys[1], bk)}
					measure(b, func(i int) (*http.Response, error) {
						return c.send("PUT", path+"?encryption", nil, bodies[i%2])
					})
				})
			}
			b.Run("UOE-paired", func(b *testing.B) {
				bodies := [2][]byte{uoeXML(keys[0], false), uoeXML(keys[1], false)}
				lat := measure(b, func(i int) (*http.Response, error) {
					p := path
					if i%2 == 1 {
						p = ref
					}
					return c.send("PUT", p+"?encryption", nil, bodies[i/2%2])
				})
				var own, other []time.Duration
				for i, d := range lat {
					if i%2 == 0 {
						own = append(own, d)
					} else {
						other = append(other, d)
					}
				}
				if len(own) == 0 || len(other) == 0 {
					return
				}
				b.ReportMetric(percentile(own, 0.50), "p50-ms")
				b.ReportMetric(percentile(own, 0.99), "p99-ms")
				b.ReportMetric(percentile(other, 0.50), "ref4KiB-p50-ms")
				b.ReportMetric(percentile(own, 0.50)/percentile(other, 0.50), "p50-ratio")
			})
			b.Run("CopyObject", func(b *testing.B) {
				hdr := http.Header{}
				hdr.Set("x-amz-copy-source", path)
				hdr.Set("x-amz-server-side-encryption", "aws:kms")
				hdr.Set("x-amz-server-side-encryption-aws-kms-key-id", keys[1])
				measure(b, func(int) (*http.Response, error) { return c.send("PUT", path, hdr, nil) })
			})
		})
	}
}

// measure runs op b.N times, one at a time, reports the p50 and p99 of its
// latency (to the last byte of the response) in milliseconds and returns
// the latencies in call order.
func measure(b *testing.B, op func(i int) (*http.Response, error)) []time.Duration {
	b.Logf("load average at start: %s", loadAverage())
	lat := make([]time.Duration, 0, b.N)
	buf := make([]byte, 64<<10)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		resp, err := op(i)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := drain(resp, buf); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	return lat
}

// percentile is the p-quantile of lat in milliseconds (nearest rank; with
// fewer than 100 samples p99 is the maximum).
func percentile(lat []time.Duration, p float64) float64 {
	s := slices.Sorted(slices.Values(lat))
	return float64(s[min(len(s)-1, int(p*float64(len(s))))]) / float64(time.Millisecond)
}

// loadAverage is the first three fields of /proc/loadavg: the machine is
// shared, and latency numbers mean little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func uoeXML(keyARN string, bucketKey bool) []byte {
	return fmt.Appendf(nil, `<ObjectEncryption xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><SSE-KMS><KMSKeyArn>%s</KMSKeyArn><BucketKeyEnabled>%t</BucketKeyEnabled></SSE-KMS></ObjectEncryption>`,
		keyARN, bucketKey)
}

// send is benchClient.do with extra headers and, for a body, a signed
// payload hash and a Content-MD5 (which UpdateObjectEncryption requires).
// Bodies sent with do stay UNSIGNED-PAYLOAD: part uploads use that.
func (c *benchClient) send(method, path string, hdr http.Header, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if body != nil {
		m := md5.Sum(body)
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
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

// uploadForBench stores size random bytes at path: one PUT, or a multipart
// upload of part-sized parts (the same random part repeated: the content
// does not matter, and 1 GiB need not be held in memory).
func uploadForBench(b *testing.B, c *benchClient, path string, size, part int) {
	if part == 0 {
		data := make([]byte, size)
		rand.Read(data)
		resp, err := c.do("PUT", path, data)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		return
	}
	resp, err := c.send("POST", path+"?uploads", nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	var created struct{ UploadId string }
	err = xml.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, part)
	rand.Read(data)
	var complete bytes.Buffer
	complete.WriteString("<CompleteMultipartUpload>")
	for n := 1; n <= size/part; n++ {
		resp, err := c.do("PUT", path+"?partNumber="+strconv.Itoa(n)+"&uploadId="+created.UploadId, data)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		fmt.Fprintf(&complete, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, resp.Header.Get("ETag"))
	}
	complete.WriteString("</CompleteMultipartUpload>")
	resp, err = c.send("POST", path+"?uploadId="+created.UploadId, nil, complete.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("<CompleteMultipartUploadResult")) {
		b.Fatalf("complete %s: %s", path, body)
	}
}
