package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleResults() []Result {
	base := Result{
		Endpoint: "http://127.0.0.1:9000",
		Bucket:   "kura-bench-0a1b2c3d",
		SSE:      "AES256",
		Duration: 10 * time.Second,
	}
	put, get, big := base, base, base
	put.Op, put.Size, put.Concurrency = OpPut, 4096, 8
	put.Ops, put.Errors, put.Bytes = 12345, 2, 12345*4096
	put.Elapsed = 10*time.Second + 5*time.Millisecond
	put.OpsPerSec, put.MBPerSec = 1233.88, 5.054
	put.Latency = Latency{Min: 100 * time.Microsecond, Mean: 6 * time.Millisecond,
		P50: 1500 * time.Microsecond, P90: 5 * time.Millisecond, P99: 12345678 * time.Nanosecond, Max: time.Second}
	put.FirstError = "AccessDenied"
	get.Op, get.Size, get.Concurrency = OpGet, 4096, 8
	get.Ops, get.Bytes, get.Elapsed = 99999, 99999*4096, 10*time.Second
	get.OpsPerSec, get.MBPerSec = 9999.9, 40.96
	get.Latency = Latency{P50: 800 * time.Microsecond, P99: 2 * time.Millisecond}
	big.Op, big.Size, big.Concurrency = OpPut, 64<<20, 128
	big.Ops, big.Elapsed, big.OpsPerSec, big.MBPerSec = 100, 12*time.Second, 8.333, 559.24
	big.Latency = Latency{P50: 1234 * time.Millisecond, P99: 9876543 * time.Microsecond}
	return []Result{put, get, big}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, sampleResults()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want header+columns+3 rows:\n%s", len(lines), out)
	}
	for _, s := range []string{"endpoint=http://127.0.0.1:9000", "bucket=kura-bench-0a1b2c3d", "sse=AES256", "duration=10s", "MB = 10^6 bytes"} {
		if !strings.Contains(lines[0], s) {
			t.Errorf("header %q lacks %q", lines[0], s)
		}
	}
	wantFields := [][]string{
		tableColumns,
		{"put", "4KiB", "8", "12345", "1233.9", "5.05", "1.500", "12.346", "2"},
		{"get", "4KiB", "8", "99999", "9999.9", "40.96", "0.800", "2.000", "0"},
		{"put", "64MiB", "128", "100", "8.3", "559.24", "1234.000", "9876.543", "0"},
	}
	for i, want := range wantFields {
		if got := strings.Fields(lines[i+1]); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("line %d fields = %v, want %v", i+1, got, want)
		}
	}
	// Rows are flushed one by one; the fixed minimum width must still
	// line the columns up: every line the same length, right edges of
	// each column at the same offset.
	for i := 2; i < len(lines); i++ {
		if len(lines[i]) != len(lines[1]) {
			t.Errorf("line %d is %d wide, column line is %d:\n%s", i, len(lines[i]), len(lines[1]), out)
		}
	}
	if strings.Contains(out, "\t") {
		t.Error("table contains raw tabs")
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleResults()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatalf("line 0 not JSON: %v", err)
	}
	for k, want := range map[string]any{
		"endpoint": "http://127.0.0.1:9000", "bucket": "kura-bench-0a1b2c3d", "sse": "AES256",
		"duration_s": 10.0, "op": "put", "size": 4096.0, "size_label": "4KiB", "concurrency": 8.0,
		"ops": 12345.0, "errors": 2.0, "bytes": 12345.0 * 4096, "elapsed_s": 10.005,
		"ops_per_s": 1233.88, "mb_per_s": 5.054, "min_ms": 0.1, "mean_ms": 6.0,
		"p50_ms": 1.5, "p90_ms": 5.0, "p99_ms": 12.346, "max_ms": 1000.0, "first_error": "AccessDenied",
	} {
		if m[k] != want {
			t.Errorf("%s = %v (%T), want %v", k, m[k], m[k], want)
		}
	}
	if len(m) != 21 {
		t.Errorf("row has %d keys, want 21: %v", len(m), m)
	}
	var row JSONRow
	if err := json.Unmarshal([]byte(lines[1]), &row); err != nil {
		t.Fatal(err)
	}
	if row.Op != "get" || row.Ops != 99999 || row.FirstError != "" || strings.Contains(lines[1], "first_error") {
		t.Errorf("line 1 = %s", lines[1])
	}
}
