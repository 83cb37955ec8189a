package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// replicationStatus is the server's answer to
// KuraGetBucketReplicationStatus.
type replicationStatus struct {
	Bucket string `xml:"Bucket" json:"Bucket"`
	Rules  []struct {
		ID                    string  `xml:"ID" json:"ID"`
		Destination           string  `xml:"Destination" json:"Destination"`
		PendingOperations     int64   `xml:"PendingOperations" json:"PendingOperations"`
		PendingBytes          int64   `xml:"PendingBytes" json:"PendingBytes"`
		Completed             int64   `xml:"Completed" json:"Completed"`
		Failed                int64   `xml:"Failed" json:"Failed"`
		Retries               int64   `xml:"Retries" json:"Retries"`
		AverageLatencySeconds float64 `xml:"AverageLatencySeconds" json:"AverageLatencySeconds"`
		Failures              []struct {
			Reason string `xml:"Reason" json:"Reason"`
			Count  int64  `xml:"Count" json:"Count"`
		} `xml:"Failure" json:"Failures,omitempty"`
	} `xml:"Rule" json:"Rules"`
}

// newReplicationCmd is `kura replication`: the replicator's figures.
func newReplicationCmd() *cobra.Command {
	f := &kmsFlags{}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "replication",
		Short: "Show how a bucket's replication is doing",
		Long: `replication asks a running Kura server about replication. Configurations are
made with the S3 API (aws s3api put-bucket-replication); docs/replication.md.`,
	}
	pf := cmd.PersistentFlags()
	f.addFlags(pf, "S3")
	status := &cobra.Command{
		Use:   "status BUCKET",
		Short: "Print the per-rule replication figures of BUCKET",
		Long: `status prints, for each rule of BUCKET's replication configuration, the versions
and bytes waiting to be replicated (as of the replicator's last pass over its
queue), and the replications completed and failed (by S3 failure reason),
the retries and the mean time from commit to replica since the server started
(Kura's KuraGetBucketReplicationStatus: GET /BUCKET?replication&status, signed
with SigV4, allowed to whoever may s3:GetReplicationConfiguration). The same
figures are on /metrics as kura_replication_*.`,
		Example:      `  kura replication status photos`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.replicationStatus(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "RULE\tDESTINATION\tPENDING\tPENDING BYTES\tCOMPLETED\tFAILED\tRETRIES\tMEAN LATENCY\tFAILURES")
			for _, r := range st.Rules {
				var failures []string
				for _, x := range r.Failures {
					failures = append(failures, fmt.Sprintf("%s=%d", x.Reason, x.Count))
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.3fs\t%s\n", r.ID, strings.TrimPrefix(r.Destination, "arn:aws:s3:::"),
					r.PendingOperations, r.PendingBytes, r.Completed, r.Failed, r.Retries, r.AverageLatencySeconds, strings.Join(failures, ","))
			}
			return w.Flush()
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print the figures as JSON")
	cmd.AddCommand(status)
	return cmd
}

// replicationStatus sends KuraGetBucketReplicationStatus.
func (f *kmsFlags) replicationStatus(ctx context.Context, bucket string) (*replicationStatus, error) {
	var st replicationStatus
	err := f.kuraCall(ctx, "replication status of "+bucket, http.MethodGet, bucket, "replication=&status=", time.Minute, 4<<20, &st)
	if err != nil {
		return nil, err
	}
	return &st, nil
}
