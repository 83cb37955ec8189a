package batch

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"strconv"
	"strings"
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
