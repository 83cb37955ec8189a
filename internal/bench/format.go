package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// rowWriter is an output format. Run writes each row as soon as its
// phase ends, so a long run shows progress in the report itself.
type rowWriter interface {
	header(endpoint, bucket, sse string, d time.Duration) error
	row(Result) error
}

// tableColumns are the table's column titles; tableCells must match.
var tableColumns = []string{"OP", "SIZE", "CONC", "OPS", "OPS/S", "MB/S", "P50(ms)", "P99(ms)", "ERRORS"}

// tableMinWidth is every column's minimum width. Because rows are flushed
// one at a time, tabwriter can only align within a row; a fixed minimum
// wider than any normal cell keeps the streamed rows aligned anyway.
const tableMinWidth = 10

// tableWriter renders right-aligned columns (numbers read best that way).
type tableWriter struct {
	tw *tabwriter.Writer
}

func newTableWriter(w io.Writer) *tableWriter {
	return &tableWriter{tw: tabwriter.NewWriter(w, tableMinWidth, 0, 2, ' ', tabwriter.AlignRight)}
}

func (t *tableWriter) header(endpoint, bucket, sse string, d time.Duration) error {
	// The header line contains no tab, so tabwriter passes it through
	// without letting it affect column widths.
	if _, err := fmt.Fprintf(t.tw, "# kura bench endpoint=%s bucket=%s sse=%s duration=%v "+
		"(MB = 10^6 bytes; latency = request start to last body byte, successful ops only)\n",
		endpoint, bucket, sse, d); err != nil {
		return err
	}
	return t.line(tableColumns)
}

func (t *tableWriter) row(r Result) error {
	return t.line(tableCells(r))
}

// line writes one tab-terminated row and flushes it; the trailing tab
// makes the last column right-aligned too.
func (t *tableWriter) line(cells []string) error {
	if _, err := io.WriteString(t.tw, strings.Join(cells, "\t")+"\t\n"); err != nil {
		return err
	}
	return t.tw.Flush()
}

func tableCells(r Result) []string {
	return []string{
		r.Op,
		FormatSize(r.Size),
		strconv.Itoa(r.Concurrency),
		strconv.FormatInt(r.Ops, 10),
		strconv.FormatFloat(r.OpsPerSec, 'f', 1, 64),
		strconv.FormatFloat(r.MBPerSec, 'f', 2, 64),
		strconv.FormatFloat(ms(r.Latency.P50), 'f', 3, 64),
		strconv.FormatFloat(ms(r.Latency.P99), 'f', 3, 64),
		strconv.FormatInt(r.Errors, 10),
	}
}

// WriteTable writes results as Run does without --json: a header line
// taken from the first result, then one aligned row per result.
func WriteTable(w io.Writer, results []Result) error {
	t := newTableWriter(w)
	var first Result
	if len(results) > 0 {
		first = results[0]
	}
	if err := t.header(first.Endpoint, first.Bucket, first.SSE, first.Duration); err != nil {
		return err
	}
	for _, r := range results {
		if err := t.row(r); err != nil {
			return err
		}
	}
	return nil
}

// JSONRow is the machine-readable form of a Result, one per line. Every
// row repeats the run settings instead of a separate header object, so
// each line can be consumed (grep, jq, a database) on its own. Durations
// are milliseconds, throughput is MB/s with MB = 10^6 bytes.
type JSONRow struct {
	Endpoint    string  `json:"endpoint"`
	Bucket      string  `json:"bucket"`
	SSE         string  `json:"sse"`
	DurationS   float64 `json:"duration_s"`
	Op          string  `json:"op"`
	Size        int64   `json:"size"`
	SizeLabel   string  `json:"size_label"`
	Concurrency int     `json:"concurrency"`
	Ops         int64   `json:"ops"`
	Errors      int64   `json:"errors"`
	Bytes       int64   `json:"bytes"`
	ElapsedS    float64 `json:"elapsed_s"`
	OpsPerSec   float64 `json:"ops_per_s"`
	MBPerSec    float64 `json:"mb_per_s"`
	MinMS       float64 `json:"min_ms"`
	MeanMS      float64 `json:"mean_ms"`
	P50MS       float64 `json:"p50_ms"`
	P90MS       float64 `json:"p90_ms"`
	P99MS       float64 `json:"p99_ms"`
	MaxMS       float64 `json:"max_ms"`
	FirstError  string  `json:"first_error,omitempty"`
}

// ToJSONRow converts r, rounding to microseconds and 1/1000 op or MB per
// second: more digits would be noise.
func ToJSONRow(r Result) JSONRow {
	return JSONRow{
		Endpoint:    r.Endpoint,
		Bucket:      r.Bucket,
		SSE:         r.SSE,
		DurationS:   r.Duration.Seconds(),
		Op:          r.Op,
		Size:        r.Size,
		SizeLabel:   FormatSize(r.Size),
		Concurrency: r.Concurrency,
		Ops:         r.Ops,
		Errors:      r.Errors,
		Bytes:       r.Bytes,
		ElapsedS:    round3(r.Elapsed.Seconds()),
		OpsPerSec:   round3(r.OpsPerSec),
		MBPerSec:    round3(r.MBPerSec),
		MinMS:       round3(ms(r.Latency.Min)),
		MeanMS:      round3(ms(r.Latency.Mean)),
		P50MS:       round3(ms(r.Latency.P50)),
		P90MS:       round3(ms(r.Latency.P90)),
		P99MS:       round3(ms(r.Latency.P99)),
		MaxMS:       round3(ms(r.Latency.Max)),
		FirstError:  r.FirstError,
	}
}

type jsonWriter struct{ w io.Writer }

// header writes nothing: the settings are part of every row.
func (jsonWriter) header(string, string, string, time.Duration) error { return nil }

func (j jsonWriter) row(r Result) error {
	// Encode appends the newline that makes this JSON Lines.
	return json.NewEncoder(j.w).Encode(ToJSONRow(r))
}

// WriteJSON writes results as Run does with --json: one JSON object per
// line.
func WriteJSON(w io.Writer, results []Result) error {
	j := jsonWriter{w}
	for _, r := range results {
		if err := j.row(r); err != nil {
			return err
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
