package inventory

import (
	"context"
	"testing"
	"time"

	"github.com/kurastore/kura"
)

func TestPeriodStart(t *testing.T) {
	at := time.Date(2026, 12, 9, 15, 4, 0, 0, time.FixedZone("", -8*3600)) // Wed 23:04 UTC
	if got := PeriodStart(at, "Daily"); !got.Equal(time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Daily: %v", got)
	}
	if got := PeriodStart(at, "Weekly"); !got.Equal(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)) { // Sunday
		t.Errorf("Weekly: %v", got)
	}
}

func TestDue(t *testing.T) {
	now := time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC) // a Wednesday
	run := func(started time.Time, errText string) *kura.InventoryRun {
		return &kura.InventoryRun{Started: started, Finished: started.Add(time.Minute), Error: errText}
	}
	for _, tc := range []struct {
		name      string
		enabled   bool
		frequency string
		last      *kura.InventoryRun
		want      bool
	}{
		{"disabled", false, "Daily", nil, false},
		{"never run", true, "Daily", nil, true},
		{"delivered today", true, "Daily", run(now.Add(-9*time.Hour), ""), false},
		{"delivered yesterday", true, "Daily", run(now.Add(-11*time.Hour), ""), true},
		{"failed an hour ago", true, "Daily", run(now.Add(-61*time.Minute-time.Minute), "denied"), true},
		{"failed just now", true, "Daily", run(now.Add(-10*time.Minute), "denied"), false},
		{"weekly, delivered Monday", true, "Weekly", run(now.AddDate(0, 0, -2), ""), false},
		{"weekly, delivered last Saturday", true, "Weekly", run(now.AddDate(0, 0, -4), ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &kura.InventoryConfiguration{IsEnabled: tc.enabled, Frequency: tc.frequency, Last: tc.last}
			if got := Due(c, now); got != tc.want {
				t.Errorf("Due = %v, want %v", got, tc.want)
			}
		})
	}
}

// RunDue delivers each configuration once per period: run again in the
// same day it does nothing, the next day it delivers again.
func TestRunDueOncePerPeriod(t *testing.T) {
	e := newEnv(t)
	cfg := func(id string, enabled bool) kura.InventoryConfiguration {
		return kura.InventoryConfiguration{ID: id, IsEnabled: enabled, Frequency: "Daily", IncludedObjectVersions: "Current",
			Destination: kura.InventoryDestination{BucketARN: "arn:aws:s3:::dest", Format: "CSV"}}
	}
	e.bucket("src", "", "", cfg("on", true), cfg("off", false))
	e.bucket("dest", "", destPolicy)
	e.put("src", "k", "v")
	w := e.writer(0, 0)
	ctx := context.Background()
	for i, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {time.Hour, 0}, {24 * time.Hour, 1}} {
		e.now = e.now.Add(step.advance)
		if n, err := w.RunDue(ctx); err != nil || n != step.want {
			t.Errorf("step %d: RunDue = %d, %v; want %d", i, n, err, step.want)
		}
	}
	b, _ := e.svc.Bucket(ctx, "src")
	if b.InventoryConfig("off").Last != nil {
		t.Error("a disabled configuration got a report")
	}
}
