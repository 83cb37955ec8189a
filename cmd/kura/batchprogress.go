package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/spf13/cobra"
)

// batchPoll is how often --watch and --wait describe the job.
var batchPoll = time.Second

// jobSample is one look at a job's progress.
type jobSample struct {
	at           time.Time
	status       types.JobStatus
	done, failed int64  // tasks succeeded and failed
	total        int64  // -1 while the manifest is still being read
	activeSecs   int64  // Timers.ElapsedTimeInActiveSeconds
	reason       string // StatusUpdateReason
}

func sampleOf(j *types.JobDescriptor, at time.Time) jobSample {
	s := jobSample{at: at, status: j.Status, total: -1, reason: aws.ToString(j.StatusUpdateReason)}
	if p := j.ProgressSummary; p != nil {
		s.done, s.failed = aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed)
		if p.TotalNumberOfTasks != nil {
			s.total = *p.TotalNumberOfTasks
		}
		if p.Timers != nil {
			s.activeSecs = aws.ToInt64(p.Timers.ElapsedTimeInActiveSeconds)
		}
	}
	return s
}

// rate is tasks per second: measured between the first look at the job
// and now when the watch has seen tasks finish, else the job's own
// figure (tasks over its active time), else 0.
func rate(first, now jobSample) float64 {
	n0, n := first.done+first.failed, now.done+now.failed
	if d := now.at.Sub(first.at).Seconds(); d >= 1 && n > n0 {
		return float64(n-n0) / d
	}
	if now.activeSecs > 0 {
		return float64(n) / float64(now.activeSecs)
	}
	return 0
}

// progressLine renders a look at a job: status, a bar, counts, rate and
// time left, in width columns of bar.
func progressLine(first, now jobSample, width int) string {
	n := now.done + now.failed
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s ", now.status)
	if now.total >= 0 {
		frac := 1.0
		if now.total > 0 {
			frac = min(float64(n)/float64(now.total), 1)
		}
		fmt.Fprintf(&b, "%s %3d%%  %d/%d tasks", barOf(frac, width), int(frac*100), n, now.total)
	} else {
		fmt.Fprintf(&b, "[%s] %d tasks (reading the manifest)", strings.Repeat("?", width), n)
	}
	fmt.Fprintf(&b, "  %d failed", now.failed)
	r := rate(first, now)
	if r > 0 {
		fmt.Fprintf(&b, "  %.0f/s", r)
		if now.total > n && now.status == types.JobStatusActive {
			eta := time.Duration(float64(now.total-n) / r * float64(time.Second))
			fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
		}
	}
	if now.status == types.JobStatusSuspended {
		b.WriteString("  (waiting for 'kura batch confirm')")
	}
	return b.String()
}

func terminal(s types.JobStatus) bool {
	return s == types.JobStatusComplete || s == types.JobStatusCancelled || s == types.JobStatusFailed
}

// watch shows job id's progress on stderr until it ends, then prints the
// job. A job that Failed is an error (exit status 1).
func (s *session) watch(ctx context.Context, cmd *cobra.Command, id string) error {
	errw := cmd.ErrOrStderr()
	tty := isTerminal(errw)
	live := &liveLine{w: errw}
	var first jobSample
	lastLine, lastPrinted := "", time.Time{}
	for i := 0; ; i++ {
		j, err := s.describe(ctx, id)
		if err != nil {
			return err
		}
		now := sampleOf(j, time.Now())
		if i == 0 || first.status != types.JobStatusActive && now.status == types.JobStatusActive {
			first = now // rates count from when the job is seen running
		}
		line := progressLine(first, now, 30)
		switch {
		case tty:
			live.set(line)
		case line != lastLine && (now.status != sampleStatus(lastLine) || time.Since(lastPrinted) >= 10*time.Second || terminal(now.status)):
			// Not a terminal (a log, CI): a line on each change of status
			// and at most every ten seconds.
			fmt.Fprintln(errw, line)
			lastPrinted = time.Now()
		}
		lastLine = line
		if terminal(now.status) {
			live.finish()
			if err := s.print(cmd.OutOrStdout(), j); err != nil {
				return err
			}
			if now.status == types.JobStatusFailed {
				return fmt.Errorf("job %s failed", id)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(batchPoll):
		}
	}
}

// sampleStatus is the status a progress line starts with.
func sampleStatus(line string) types.JobStatus {
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	return types.JobStatus(f[0])
}
