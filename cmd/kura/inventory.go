package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes of `kura inventory run`.
const (
	inventoryNotDelivered = 1 // the run happened, the report was not delivered
	inventoryFailed       = 2 // the run could not be asked for
)

// inventoryRun is the server's answer to KuraRunBucketInventory.
type inventoryRun struct {
	Bucket      string `xml:"Bucket" json:"Bucket"`
	ID          string `xml:"Id" json:"Id"`
	Destination string `xml:"Destination" json:"Destination"`
	Started     string `xml:"Started" json:"Started"`
	Finished    string `xml:"Finished" json:"Finished"`
	ManifestKey string `xml:"ManifestKey" json:"ManifestKey,omitempty"`
	Objects     int64  `xml:"Objects" json:"Objects"`
	Error       string `xml:"Error" json:"Error,omitempty"`
}

// newInventoryCmd is `kura inventory`: S3 Inventory reports on request.
func newInventoryCmd() *cobra.Command {
	f := &kmsFlags{}
	var asJSON bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Produce a bucket's S3 Inventory report now",
		Long: `inventory asks a running Kura server to produce S3 Inventory reports.
Configurations are made with the S3 API (aws s3api put-bucket-inventory-configuration);
the server delivers them Daily or Weekly by itself (docs/inventory.md).`,
	}
	pf := cmd.PersistentFlags()
	f.addFlags(pf, "S3")

	run := &cobra.Command{
		Use:   "run BUCKET ID",
		Short: "Produce the report of BUCKET's inventory configuration ID now and wait for it",
		Long: `run produces the report of an inventory configuration now, through the running
server (Kura's KuraRunBucketInventory: POST /BUCKET?inventory&id=ID, signed
with SigV4 and allowed to whoever may s3:PutInventoryConfiguration on the
bucket), and waits until it is delivered or has failed. The report goes where
a scheduled one goes, in S3's layout, and counts as the configuration's
delivery for the current day or week. It exits 0 when the report was
delivered, 1 when it was not (the reason is printed: the destination bucket's
policy, say), 2 when the server could not be asked.`,
		Example: `  kura inventory run photos daily-report
  kura inventory run photos daily-report --json`,
		Args:         cobra.ExactArgs(2),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.runInventory(cmd.Context(), args[0], args[1], timeout)
			if err != nil {
				return &exitError{inventoryFailed, err}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else if r.Error == "" {
				fmt.Fprintf(out, "delivered %d objects: %s/%s\n", r.Objects, strings.Replace(r.Destination, "arn:aws:s3:::", "s3://", 1), r.ManifestKey)
			}
			if r.Error != "" {
				return &exitError{inventoryNotDelivered, fmt.Errorf("inventory report of %s/%s not delivered: %s", r.Bucket, r.ID, r.Error)}
			}
			return nil
		},
	}
	run.Flags().BoolVar(&asJSON, "json", false, "print the run as JSON")
	run.Flags().DurationVar(&timeout, "timeout", time.Hour, "how long to wait for the report")
	cmd.AddCommand(run)
	return cmd
}

// runInventory sends KuraRunBucketInventory and decodes the run.
func (f *kmsFlags) runInventory(ctx context.Context, bucket, id string, timeout time.Duration) (*inventoryRun, error) {
	var r inventoryRun
	err := f.kuraCall(ctx, fmt.Sprintf("run inventory %s/%s", bucket, id), http.MethodPost, bucket,
		"inventory=&id="+url.QueryEscape(id), timeout, 1<<20, &r)
	if err != nil {
		return nil, err
	}
	return &r, nil
}
