package inventory

import (
	"context"
	"time"

	"github.com/kurastore/kura"
)

// Scheduling. A Daily configuration gets a report in every UTC day, a
// Weekly one in every week starting Sunday 00:00 UTC; the first report
// comes at the first check after the configuration is enabled (S3
// delivers its first within 48 hours). What was delivered is the
// configuration's Last run, kept in the bucket record, so a restart
// neither repeats a period's report nor skips it: a run a crash cut short
// left no Last and runs again. A run that failed (the destination's policy
// refused it, say) is retried every RetryInterval within its period.

// CheckInterval is how often the scheduler looks for reports due.
const CheckInterval = time.Minute

// RetryInterval is how long a failed run waits before it is tried again.
const RetryInterval = time.Hour

// PeriodStart is the start of the delivery period holding t for a
// frequency: the UTC midnight (Daily) or the last Sunday's (Weekly).
func PeriodStart(t time.Time, frequency string) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if frequency == "Weekly" {
		day = day.AddDate(0, 0, -int(day.Weekday()))
	}
	return day
}

// Due says whether c needs a report at now.
func Due(c *kura.InventoryConfiguration, now time.Time) bool {
	if !c.IsEnabled {
		return false
	}
	last := c.Last
	switch {
	case last == nil, last.Started.Before(PeriodStart(now, c.Frequency)):
		return true
	case last.Error != "":
		return !now.Before(last.Finished.Add(RetryInterval))
	}
	return false
}

// RunDue produces every report due at now, bucket by bucket, and returns
// how many it ran. A failed run is logged and kept as its configuration's
// Last; it does not stop the others.
func (w *Writer) RunDue(ctx context.Context) (int, error) {
	buckets, err := w.cfg.Objects.ListBuckets(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range buckets {
		for i := range b.Inventory {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			if !Due(&b.Inventory[i], w.cfg.Now()) {
				continue
			}
			w.Run(ctx, b.Name, b.Inventory[i].ID) // its outcome is logged and kept as Last
			n++
		}
	}
	return n, nil
}

// Schedule runs the reports due every interval (0: CheckInterval) until
// ctx ends. Only one Schedule may run in a deployment at a time: the
// server runs it while its node holds the inventory lease.
func (w *Writer) Schedule(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = CheckInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.RunDue(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Error("inventory: looking for reports due failed; retrying at the next check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
