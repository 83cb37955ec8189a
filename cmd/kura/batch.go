package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
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
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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
	pf.StringVar(&f.endpoint, "endpoint", "http://127.0.0.1:8420", "S3 endpoint URL")
	pf.StringVar(&f.accessKey, "access-key", "", "access key id (default $AWS_ACCESS_KEY_ID)")
	pf.StringVar(&f.secretKey, "secret-key", "", "secret access key (default $AWS_SECRET_ACCESS_KEY)")
	pf.StringVar(&f.region, "region", "", "region used for signing (default $AWS_REGION, else us-east-1)")
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
	tr.TLSClientConfig = &tls.Config{ServerName: u.Hostname()}
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	s := &session{f: f, account: f.account,
		control: s3control.New(s3control.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), Credentials: creds, HTTPClient: hc}),
		s3:      s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), UsePathStyle: true, Credentials: creds}),
	}
	if s.account == "" {
		id, err := sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), Credentials: creds}).
			GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("finding the caller's account (give --account-id to skip this): %w", err)
		}
		s.account = aws.ToString(id.Account)
	}
	return s, nil
}

// createOptions are `kura batch create`'s flags.
type createOptions struct {
	operation, kmsKeyARN, checksumAlgorithm, legalHold string
	bucketKey                                          bool
	tags                                               map[string]string
	manifestCSV, manifestFields, manifestInventory     string
	generateFrom, manifestOutput                       string
	filterEncryption, filterKMSKey                     string
	filterPrefixes, filterStorageClasses               []string
	filterCreatedBefore, filterCreatedAfter            string
	report, reportScope                                string
	roleARN, description, token                        string
	priority                                           int32
	confirm, dryRun, wait                              bool
}

func newBatchCreateCmd(f *batchFlags) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a job (CreateJob)",
		Long: `create makes a Batch Operations job from flags for the common cases.

The operation (--operation): update-encryption (S3UpdateObjectEncryption:
--kms-key-arn, --bucket-key), put-tagging (--tag k=v …), delete-tagging,
legal-hold (--legal-hold ON|OFF), compute-checksum (--checksum-algorithm).

The objects: a CSV manifest (--manifest-csv s3://bucket/key, its ETag read
with HeadObject; --manifest-fields Bucket,Key[,VersionId]), an S3 Inventory
report (--manifest-inventory s3://bucket/…/manifest.json), or a manifest
generated from a bucket (--generate-from BUCKET) with filters:
--filter-encryption SSES3|SSEKMS|DSSEKMS|SSEC|NOTSSE (--filter-kms-key-arn
for SSEKMS and DSSEKMS), --filter-prefix, --filter-storage-class,
--filter-created-before/--filter-created-after (RFC 3339), and
--manifest-output s3://bucket/prefix to keep the generated list.

--report s3://bucket/prefix writes a completion report (--report-scope
AllTasks or FailedTasksOnly). Without --confirm the job waits Suspended
for 'kura batch confirm'. --dry-run (Kura's own) makes a job whose tasks
report what they would do and change nothing. --wait shows a progress bar
until the job ends.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmdContext(cmd)
			s, err := f.connect(ctx)
			if err != nil {
				return err
			}
			in, err := o.input(ctx, s)
			if err != nil {
				return err
			}
			var opts []func(*s3control.Options)
			if o.dryRun {
				opts = append(opts, withHeader("x-kura-dry-run", "true"))
			}
			out, err := s.control.CreateJob(ctx, in, opts...)
			if err != nil {
				return err
			}
			id := aws.ToString(out.JobId)
			if o.wait {
				return s.watch(ctx, cmd, id)
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), map[string]string{"JobId": id})
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.operation, "operation", "", "update-encryption, put-tagging, delete-tagging, legal-hold or compute-checksum")
	fs.StringVar(&o.kmsKeyARN, "kms-key-arn", "", "update-encryption: full ARN of the new KMS key")
	fs.BoolVar(&o.bucketKey, "bucket-key", false, "update-encryption: use an S3 Bucket Key")
	fs.StringToStringVar(&o.tags, "tag", nil, "put-tagging: tags as key=value")
	fs.StringVar(&o.legalHold, "legal-hold", "", "legal-hold: ON or OFF")
	fs.StringVar(&o.checksumAlgorithm, "checksum-algorithm", "", "compute-checksum: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, …")
	fs.StringVar(&o.manifestCSV, "manifest-csv", "", "CSV manifest object, s3://bucket/key")
	fs.StringVar(&o.manifestFields, "manifest-fields", "Bucket,Key", "the CSV manifest's columns")
	fs.StringVar(&o.manifestInventory, "manifest-inventory", "", "S3 Inventory manifest.json, s3://bucket/key")
	fs.StringVar(&o.generateFrom, "generate-from", "", "generate the manifest from this bucket's objects")
	fs.StringVar(&o.manifestOutput, "manifest-output", "", "keep the generated manifest at s3://bucket/prefix")
	fs.StringVar(&o.filterEncryption, "filter-encryption", "", "generate: objects under SSES3, SSEKMS, DSSEKMS, SSEC or NOTSSE")
	fs.StringVar(&o.filterKMSKey, "filter-kms-key-arn", "", "generate: objects under this KMS key (with SSEKMS or DSSEKMS)")
	fs.StringSliceVar(&o.filterPrefixes, "filter-prefix", nil, "generate: keys starting with any of these")
	fs.StringSliceVar(&o.filterStorageClasses, "filter-storage-class", nil, "generate: objects in any of these storage classes")
	fs.StringVar(&o.filterCreatedBefore, "filter-created-before", "", "generate: objects created before (RFC 3339)")
	fs.StringVar(&o.filterCreatedAfter, "filter-created-after", "", "generate: objects created after (RFC 3339)")
	fs.StringVar(&o.report, "report", "", "write a completion report to s3://bucket/prefix")
	fs.StringVar(&o.reportScope, "report-scope", "AllTasks", "AllTasks or FailedTasksOnly")
	fs.StringVar(&o.roleARN, "role-arn", "", "the IAM role the job's tasks run as")
	fs.StringVar(&o.description, "description", "", "the job's description")
	fs.StringVar(&o.token, "client-request-token", "", "idempotency token (default: a random one)")
	fs.Int32Var(&o.priority, "priority", 10, "the job's priority (higher runs first)")
	fs.BoolVar(&o.confirm, "confirm", false, "run without waiting for 'kura batch confirm'")
	fs.BoolVar(&o.dryRun, "dry-run", false, "report what each task would do and change nothing (Kura)")
	fs.BoolVar(&o.wait, "wait", false, "show the job's progress until it ends")
	_ = cmd.MarkFlagRequired("operation")
	_ = cmd.MarkFlagRequired("role-arn")
	return cmd
}

// s3URL splits s3://bucket/key.
func s3URL(flag, v string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(v, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return "", "", fmt.Errorf("--%s %q: want s3://bucket/key", flag, v)
	}
	return bucket, key, nil
}

// input is the CreateJob request the flags describe.
func (o *createOptions) input(ctx context.Context, s *session) (*s3control.CreateJobInput, error) {
	in := &s3control.CreateJobInput{AccountId: aws.String(s.account), RoleArn: aws.String(o.roleARN), Priority: aws.Int32(o.priority),
		ConfirmationRequired: aws.Bool(!o.confirm), Report: &types.JobReport{Enabled: false}}
	if o.description != "" {
		in.Description = aws.String(o.description)
	}
	in.ClientRequestToken = aws.String(o.token)
	if o.token == "" {
		var b [16]byte
		rand.Read(b[:])
		in.ClientRequestToken = aws.String(hex.EncodeToString(b[:]))
	}
	op, err := o.jobOperation()
	if err != nil {
		return nil, err
	}
	in.Operation = op
	sources := 0
	for _, v := range []string{o.manifestCSV, o.manifestInventory, o.generateFrom} {
		if v != "" {
			sources++
		}
	}
	if sources != 1 {
		return nil, errors.New("name the objects with exactly one of --manifest-csv, --manifest-inventory and --generate-from")
	}
	switch {
	case o.manifestCSV != "" || o.manifestInventory != "":
		flag, v, format := "manifest-csv", o.manifestCSV, types.JobManifestFormatS3BatchOperationsCsv20180820
		if o.manifestInventory != "" {
			flag, v, format = "manifest-inventory", o.manifestInventory, types.JobManifestFormatS3InventoryReportCsv20161130
		}
		b, k, err := s3URL(flag, v)
		if err != nil {
			return nil, err
		}
		head, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
		if err != nil {
			return nil, fmt.Errorf("reading the manifest's ETag (HeadObject %s): %w", v, err)
		}
		spec := &types.JobManifestSpec{Format: format}
		if o.manifestCSV != "" {
			for _, fld := range strings.Split(o.manifestFields, ",") {
				spec.Fields = append(spec.Fields, types.JobManifestFieldName(strings.TrimSpace(fld)))
			}
		}
		in.Manifest = &types.JobManifest{Spec: spec, Location: &types.JobManifestLocation{
			ObjectArn: aws.String("arn:aws:s3:::" + b + "/" + k), ETag: aws.String(strings.Trim(aws.ToString(head.ETag), `"`))}}
	default:
		g, err := o.generator()
		if err != nil {
			return nil, err
		}
		in.ManifestGenerator = g
	}
	if o.report != "" {
		b, prefix, err := s3URL("report", o.report)
		if err != nil {
			return nil, err
		}
		in.Report = &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::" + b), Format: types.JobReportFormatReportCsv20180820,
			ReportScope: types.JobReportScope(o.reportScope)}
		if prefix != "" {
			in.Report.Prefix = aws.String(prefix)
		}
	}
	return in, nil
}

func (o *createOptions) jobOperation() (*types.JobOperation, error) {
	switch o.operation {
	case "update-encryption":
		if o.kmsKeyARN == "" {
			return nil, errors.New("--operation update-encryption needs --kms-key-arn, the new KMS key's full ARN")
		}
		return &types.JobOperation{S3UpdateObjectEncryption: &types.S3UpdateObjectEncryptionOperation{ObjectEncryption: &types.ObjectEncryption{
			SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(o.kmsKeyARN), BucketKeyEnabled: aws.Bool(o.bucketKey)}}}}, nil
	case "put-tagging":
		op := &types.S3SetObjectTaggingOperation{TagSet: []types.S3Tag{}}
		for k, v := range o.tags {
			op.TagSet = append(op.TagSet, types.S3Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		return &types.JobOperation{S3PutObjectTagging: op}, nil
	case "delete-tagging":
		return &types.JobOperation{S3DeleteObjectTagging: &types.S3DeleteObjectTaggingOperation{}}, nil
	case "legal-hold":
		if o.legalHold != "ON" && o.legalHold != "OFF" {
			return nil, errors.New("--operation legal-hold needs --legal-hold ON or OFF")
		}
		return &types.JobOperation{S3PutObjectLegalHold: &types.S3SetObjectLegalHoldOperation{LegalHold: &types.S3ObjectLockLegalHold{
			Status: types.S3ObjectLockLegalHoldStatus(o.legalHold)}}}, nil
	case "compute-checksum":
		if o.checksumAlgorithm == "" {
			return nil, errors.New("--operation compute-checksum needs --checksum-algorithm")
		}
		return &types.JobOperation{S3ComputeObjectChecksum: &types.S3ComputeObjectChecksumOperation{
			ChecksumAlgorithm: types.ComputeObjectChecksumAlgorithm(o.checksumAlgorithm), ChecksumType: types.ComputeObjectChecksumTypeFullObject}}, nil
	}
	return nil, fmt.Errorf("--operation %q: want update-encryption, put-tagging, delete-tagging, legal-hold or compute-checksum (use aws s3control create-job for the others)", o.operation)
}

func (o *createOptions) generator() (types.JobManifestGenerator, error) {
	g := types.S3JobManifestGenerator{SourceBucket: aws.String("arn:aws:s3:::" + o.generateFrom)}
	if o.manifestOutput != "" {
		b, prefix, err := s3URL("manifest-output", o.manifestOutput)
		if err != nil {
			return nil, err
		}
		g.EnableManifestOutput = true
		g.ManifestOutputLocation = &types.S3ManifestOutputLocation{Bucket: aws.String("arn:aws:s3:::" + b),
			ManifestFormat: types.GeneratedManifestFormatS3InventoryReportCsv20211130}
		if prefix != "" {
			g.ManifestOutputLocation.ManifestPrefix = aws.String(prefix)
		}
	}
	f := &types.JobManifestGeneratorFilter{}
	if len(o.filterPrefixes) > 0 {
		f.KeyNameConstraint = &types.KeyNameConstraint{MatchAnyPrefix: o.filterPrefixes}
	}
	for _, sc := range o.filterStorageClasses {
		f.MatchAnyStorageClass = append(f.MatchAnyStorageClass, types.S3StorageClass(sc))
	}
	for flag, p := range map[string]**time.Time{o.filterCreatedBefore: &f.CreatedBefore, o.filterCreatedAfter: &f.CreatedAfter} {
		if flag == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return nil, fmt.Errorf("--filter-created-before/after %q: want an RFC 3339 time such as 2026-01-02T00:00:00Z", flag)
		}
		*p = &t
	}
	var key *string
	if o.filterKMSKey != "" {
		key = aws.String(o.filterKMSKey)
	}
	switch strings.ToUpper(strings.ReplaceAll(o.filterEncryption, "-", "")) {
	case "":
		if key != nil {
			return nil, errors.New("--filter-kms-key-arn goes with --filter-encryption SSEKMS or DSSEKMS")
		}
	case "SSES3":
		f.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberSSES3{}}
	case "SSEKMS":
		f.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberSSEKMS{Value: types.SSEKMSFilter{KmsKeyArn: key}}}
	case "DSSEKMS":
		f.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberDSSEKMS{Value: types.DSSEKMSFilter{KmsKeyArn: key}}}
	case "SSEC":
		f.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberSSEC{}}
	case "NOTSSE":
		f.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberNOTSSE{}}
	default:
		return nil, fmt.Errorf("--filter-encryption %q: want SSES3, SSEKMS, DSSEKMS, SSEC or NOTSSE", o.filterEncryption)
	}
	g.Filter = f
	return &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: g}, nil
}

// withHeader sets a header before the request is signed (Kura's
// extensions of CreateJob).
func withHeader(k, v string) func(*s3control.Options) {
	return func(o *s3control.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Build.Add(middleware.BuildMiddlewareFunc("kuraHeader", func(ctx context.Context, in middleware.BuildInput,
				next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if r, ok := in.Request.(*smithyhttp.Request); ok {
					r.Header.Set(k, v)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
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
