package batch

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
)

func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func newCSVReaderAll(s string) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

// startCPUProfile writes a CPU profile to path until the returned
// function is called.
func startCPUProfile(tb testing.TB, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		tb.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
