package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
)

// batchFlags are `kura batch`'s connection flags.
type batchFlags struct {
	kmsFlags
	account string
	json    bool
}

// newBatchCmd is `kura batch`: S3 Batch Operations jobs through the S3
// Control API (aws-sdk-go-v2's s3control client), against Kura or any S3
// Control endpoint.
func newBatchCmd() *cobra.Command {
	f := &batchFlags{}
	cmd := &cobra.Command{
		Use:   "batch",
		Short: "Create, watch, confirm, cancel and undo S3 Batch Operations jobs",
		Long: `batch manages S3 Batch Operations jobs through the S3 Control API
(CreateJob, DescribeJob, ListJobs, UpdateJobStatus), as aws s3control does.
Credentials default to $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and
$AWS_SESSION_TOKEN; the region to $AWS_REGION; the account to the caller's
own (STS GetCallerIdentity). S3 Control requests go to
<account-id>.<endpoint host>; batch connects such names to the endpoint's
host itself, so no hosts entry is needed. Output is text, or JSON with --json.`,
		Example: `  kura batch create --operation update-encryption --kms-key-arn arn:aws:kms:us-east-1:111122223333:key/… --bucket-key \
      --generate-from patients --filter-encryption SSES3 --report s3://reports/batch \
      --role-arn arn:aws:iam::111122223333:role/BatchOperationsRole --confirm --wait
  kura batch create --operation update-encryption --kms-key-arn arn:… --manifest-csv s3://manifests/list.csv --role-arn arn:… --dry-run
  kura batch list --status Active --status Suspended
  kura batch describe JOB --watch
  kura batch confirm JOB
  kura batch cancel JOB
  kura batch undo JOB --confirm`,
	}
	pf := cmd.PersistentFlags()
	f.addFlags(pf, "S3")
	pf.StringVar(&f.account, "account-id", "", "the account whose jobs these are (default: the caller's)")
	pf.BoolVar(&f.json, "json", false, "print JSON")
	cmd.AddCommand(newBatchCreateCmd(f), newBatchListCmd(f), newBatchDescribeCmd(f),
		newBatchStatusCmd(f, "confirm", "Confirm a Suspended job so that it runs", types.RequestedJobStatusReady),
		newBatchStatusCmd(f, "cancel", "Cancel a job", types.RequestedJobStatusCancelled),
		newBatchUndoCmd(f))
	return cmd
}

// session is a connected `kura batch`.
type session struct {
	f       *batchFlags
	control *s3control.Client
	s3      *s3.Client
	account string
}

var accountLabel = regexp.MustCompile(`^\d{12}\.`)

// connect builds the clients and finds the account.
func (f *batchFlags) connect(ctx context.Context) (*session, error) {
	creds, region, err := f.resolve()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(f.endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--endpoint %q is not a URL such as http://127.0.0.1:8420", f.endpoint)
	}
	// The s3control client sends requests to <account-id>.<host>; dial
	// the endpoint's own host for those names, and verify TLS against
	// it, so that a local endpoint needs no DNS or hosts entry.
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, accountLabel.ReplaceAllString(addr, ""))
	}
	base, err := httpClientFor(f.caBundle, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = &tls.Config{ServerName: u.Hostname()}
	if bt, ok := base.Transport.(*http.Transport); ok && bt.TLSClientConfig != nil {
		tr.TLSClientConfig.RootCAs = bt.TLSClientConfig.RootCAs
	}
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	s := &session{f: f, account: f.account,
		control: s3control.New(s3control.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), Credentials: creds, HTTPClient: hc}),
		s3:      s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), UsePathStyle: true, Credentials: creds, HTTPClient: base}),
	}
	if s.account == "" {
		id, err := sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), Credentials: creds, HTTPClient: base}).
			GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("finding the caller's account (give --account-id to skip this): %w", err)
		}
		s.account = aws.ToString(id.Account)
	}
	return s, nil
}

func newBatchListCmd(f *batchFlags) *cobra.Command {
	var statuses []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs (ListJobs), newest first as the server orders them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			s, err := f.connect(ctx)
			if err != nil {
				return err
			}
			in := &s3control.ListJobsInput{AccountId: aws.String(s.account)}
			for _, st := range statuses {
				in.JobStatuses = append(in.JobStatuses, types.JobStatus(st))
			}
			var jobs []types.JobListDescriptor
			p := s3control.NewListJobsPaginator(s.control, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return err
				}
				jobs = append(jobs, page.Jobs...)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), jobs)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-36s  %-11s  %-26s  %8s  %21s  %s\n", "JOB", "STATUS", "OPERATION", "PRIORITY", "DONE/FAILED/TOTAL", "CREATED")
			for _, j := range jobs {
				created := ""
				if j.CreationTime != nil {
					created = j.CreationTime.Local().Format(time.DateTime)
				}
				fmt.Fprintf(w, "%-36s  %-11s  %-26s  %8d  %21s  %s\n", aws.ToString(j.JobId), j.Status, j.Operation, j.Priority,
					counts(j.ProgressSummary), created)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only jobs in these statuses (Active, Suspended, Complete, …)")
	return cmd
}

func counts(p *types.JobProgressSummary) string {
	if p == nil {
		return "-"
	}
	total := "?"
	if p.TotalNumberOfTasks != nil {
		total = fmt.Sprint(*p.TotalNumberOfTasks)
	}
	return fmt.Sprintf("%d/%d/%s", aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed), total)
}

func newBatchDescribeCmd(f *batchFlags) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{
		Use:   "describe JOB",
		Short: "Show a job (DescribeJob); --watch shows its progress until it ends",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			s, err := f.connect(ctx)
			if err != nil {
				return err
			}
			if watch {
				return s.watch(ctx, cmd, args[0])
			}
			j, err := s.describe(ctx, args[0])
			if err != nil {
				return err
			}
			return s.print(cmd.OutOrStdout(), j)
		},
	}
	cmd.Flags().BoolVar(&watch, "watch", false, "show a live progress bar until the job ends")
	return cmd
}

func (s *session) describe(ctx context.Context, id string) (*types.JobDescriptor, error) {
	out, err := s.control.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(s.account), JobId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	if out.Job == nil {
		return nil, fmt.Errorf("the server described no job %s", id)
	}
	return out.Job, nil
}

// print writes a job as JSON (--json) or as a few lines of text.
func (s *session) print(w io.Writer, j *types.JobDescriptor) error {
	if s.f.json {
		return printJSON(w, j)
	}
	fmt.Fprintf(w, "Job        %s\n", aws.ToString(j.JobId))
	fmt.Fprintf(w, "Status     %s", j.Status)
	if r := aws.ToString(j.StatusUpdateReason); r != "" {
		fmt.Fprintf(w, " (%s)", r)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Operation  %s\n", operationName(j.Operation))
	fmt.Fprintf(w, "Priority   %d\n", j.Priority)
	fmt.Fprintf(w, "Tasks      %s (succeeded/failed/total)\n", counts(j.ProgressSummary))
	if j.CreationTime != nil {
		fmt.Fprintf(w, "Created    %s\n", j.CreationTime.Local().Format(time.DateTime))
	}
	if j.TerminationDate != nil {
		fmt.Fprintf(w, "Ended      %s\n", j.TerminationDate.Local().Format(time.DateTime))
	}
	if j.Report != nil && j.Report.Enabled {
		fmt.Fprintf(w, "Report     %s/%s (%s)\n", aws.ToString(j.Report.Bucket), aws.ToString(j.Report.Prefix), j.Report.ReportScope)
	}
	for _, f := range j.FailureReasons {
		fmt.Fprintf(w, "Failure    %s: %s\n", aws.ToString(f.FailureCode), aws.ToString(f.FailureReason))
	}
	if j.Status == types.JobStatusSuspended {
		fmt.Fprintf(w, "\nThe job waits for confirmation: kura batch confirm %s\n", aws.ToString(j.JobId))
	}
	return nil
}

// operationName is the one operation a JobOperation holds.
func operationName(op *types.JobOperation) string {
	if op == nil {
		return "-"
	}
	switch {
	case op.S3UpdateObjectEncryption != nil:
		name := "S3UpdateObjectEncryption"
		if oe := op.S3UpdateObjectEncryption.ObjectEncryption; oe != nil && oe.SSEKMS != nil {
			name += " to SSE-KMS " + aws.ToString(oe.SSEKMS.KMSKeyArn)
			if aws.ToBool(oe.SSEKMS.BucketKeyEnabled) {
				name += " with a bucket key"
			}
		}
		return name
	case op.S3PutObjectCopy != nil:
		return "S3PutObjectCopy"
	case op.S3PutObjectTagging != nil:
		return "S3PutObjectTagging"
	case op.S3DeleteObjectTagging != nil:
		return "S3DeleteObjectTagging"
	case op.S3PutObjectAcl != nil:
		return "S3PutObjectAcl"
	case op.S3PutObjectLegalHold != nil:
		return "S3PutObjectLegalHold"
	case op.S3PutObjectRetention != nil:
		return "S3PutObjectRetention"
	case op.S3InitiateRestoreObject != nil:
		return "S3InitiateRestoreObject"
	case op.S3ReplicateObject != nil:
		return "S3ReplicateObject"
	case op.S3ComputeObjectChecksum != nil:
		return "S3ComputeObjectChecksum"
	case op.LambdaInvoke != nil:
		return "LambdaInvoke"
	}
	return "-"
}

func newBatchStatusCmd(f *batchFlags, use, short string, to types.RequestedJobStatus) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   use + " JOB",
		Short: short + " (UpdateJobStatus " + string(to) + ")",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			s, err := f.connect(ctx)
			if err != nil {
				return err
			}
			in := &s3control.UpdateJobStatusInput{AccountId: aws.String(s.account), JobId: aws.String(args[0]), RequestedJobStatus: to}
			if reason != "" {
				in.StatusUpdateReason = aws.String(reason)
			}
			out, err := s.control.UpdateJobStatus(ctx, in)
			if err != nil {
				return err
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]string{"JobId": aws.ToString(out.JobId), "Status": string(out.Status)})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", aws.ToString(out.JobId), out.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (the job's StatusUpdateReason)")
	return cmd
}

// newBatchUndoCmd is `kura batch undo JOB`: a new job, made from JOB's
// description, that the server builds from JOB's completion report
// (which records each object's encryption before the job) and that puts
// every object back under it. The undo job is an ordinary job: it reports,
// waits for confirmation without --confirm, and can itself be undone.
func newBatchUndoCmd(f *batchFlags) *cobra.Command {
	var confirm, wait, dryRun bool
	var priority int32
	cmd := &cobra.Command{
		Use:   "undo JOB",
		Short: "Create a job that restores what an encryption job changed (Kura)",
		Long: `undo creates a job that restores every object an S3UpdateObjectEncryption job
re-encrypted to the encryption it had before, as recorded in the job's
completion report (so the job must have ended and written one). The new job
runs as the same role, over the same objects, and reports to the same place;
it is sent as CreateJob with the x-kura-undo-of header, which Kura's job
engine reads. Servers without undo answer with an error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			s, err := f.connect(ctx)
			if err != nil {
				return err
			}
			j, err := s.describe(ctx, args[0])
			if err != nil {
				return err
			}
			switch {
			case j.Operation == nil || j.Operation.S3UpdateObjectEncryption == nil:
				return fmt.Errorf("job %s is a %s job: only S3UpdateObjectEncryption jobs can be undone", args[0], operationName(j.Operation))
			case j.Status != types.JobStatusComplete && j.Status != types.JobStatusCancelled && j.Status != types.JobStatusFailed:
				return fmt.Errorf("job %s is %s: it can be undone once it has ended (Complete, Cancelled or Failed)", args[0], j.Status)
			case j.Report == nil || !j.Report.Enabled:
				return fmt.Errorf("job %s wrote no completion report, which is what undo restores from", args[0])
			}
			var b [16]byte
			rand.Read(b[:])
			in := &s3control.CreateJobInput{AccountId: aws.String(s.account), ClientRequestToken: aws.String(hex.EncodeToString(b[:])),
				RoleArn: j.RoleArn, Priority: aws.Int32(j.Priority), ConfirmationRequired: aws.Bool(!confirm),
				Description: aws.String(truncate("undo of "+args[0]+" "+aws.ToString(j.Description), 256)),
				Operation:   j.Operation, Manifest: j.Manifest, ManifestGenerator: j.ManifestGenerator, Report: j.Report}
			if priority >= 0 {
				in.Priority = aws.Int32(priority)
			}
			opts := []func(*s3control.Options){withHeader("x-kura-undo-of", args[0])}
			if dryRun {
				opts = append(opts, withHeader("x-kura-dry-run", "true"))
			}
			out, err := s.control.CreateJob(ctx, in, opts...)
			if err != nil {
				return fmt.Errorf("creating the undo job of %s: %w", args[0], err)
			}
			id := aws.ToString(out.JobId)
			if wait {
				return s.watch(ctx, cmd, id)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]string{"JobId": id, "UndoOf": args[0]})
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	cmd.Flags().BoolVar(&confirm, "confirm", false, "run without waiting for 'kura batch confirm'")
	cmd.Flags().BoolVar(&wait, "wait", false, "show the undo job's progress until it ends")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what each task would restore and change nothing")
	cmd.Flags().Int32Var(&priority, "priority", -1, "the undo job's priority (default: the job's)")
	return cmd
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}
