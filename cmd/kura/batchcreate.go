package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"
)

// createOptions are `kura batch create`'s flags.
type createOptions struct {
	operation, kmsKeyARN, checksumAlgorithm, legalHold string
	checksumType                                       string
	filterReplicationStatuses                          []string
	filterEligible                                     bool
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
legal-hold (--legal-hold ON|OFF), compute-checksum (--checksum-algorithm,
--checksum-type FULL_OBJECT|COMPOSITE), replicate (S3ReplicateObject: S3
Batch Replication under the source bucket's replication configuration).

The objects: a CSV manifest (--manifest-csv s3://bucket/key, its ETag read
with HeadObject; --manifest-fields Bucket,Key[,VersionId]), an S3 Inventory
report (--manifest-inventory s3://bucket/…/manifest.json), or a manifest
generated from a bucket (--generate-from BUCKET) with filters:
--filter-encryption SSES3|SSEKMS|DSSEKMS|SSEC|NOTSSE (--filter-kms-key-arn
for SSEKMS and DSSEKMS), --filter-prefix, --filter-storage-class,
--filter-created-before/--filter-created-after (RFC 3339),
--filter-replication-status NONE|FAILED|COMPLETED|REPLICA,
--filter-eligible-for-replication, and
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
	fs.StringVar(&o.operation, "operation", "", "update-encryption, put-tagging, delete-tagging, legal-hold, compute-checksum or replicate")
	fs.StringVar(&o.kmsKeyARN, "kms-key-arn", "", "update-encryption: full ARN of the new KMS key")
	fs.BoolVar(&o.bucketKey, "bucket-key", false, "update-encryption: use an S3 Bucket Key")
	fs.StringToStringVar(&o.tags, "tag", nil, "put-tagging: tags as key=value")
	fs.StringVar(&o.legalHold, "legal-hold", "", "legal-hold: ON or OFF")
	fs.StringVar(&o.checksumAlgorithm, "checksum-algorithm", "", "compute-checksum: CRC32, CRC32C, CRC64NVME, SHA1, SHA256, …")
	fs.StringVar(&o.checksumType, "checksum-type", "FULL_OBJECT", "compute-checksum: FULL_OBJECT or COMPOSITE (multipart objects' -N form)")
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
	fs.StringSliceVar(&o.filterReplicationStatuses, "filter-replication-status", nil, "generate: objects in any of these replication statuses (NONE, FAILED, COMPLETED, REPLICA)")
	fs.BoolVar(&o.filterEligible, "filter-eligible-for-replication", false, "generate: objects the bucket's replication rules select")
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
		typ := strings.ToUpper(o.checksumType)
		if typ != "FULL_OBJECT" && typ != "COMPOSITE" {
			return nil, fmt.Errorf("--checksum-type %q: want FULL_OBJECT or COMPOSITE", o.checksumType)
		}
		return &types.JobOperation{S3ComputeObjectChecksum: &types.S3ComputeObjectChecksumOperation{
			ChecksumAlgorithm: types.ComputeObjectChecksumAlgorithm(o.checksumAlgorithm), ChecksumType: types.ComputeObjectChecksumType(typ)}}, nil
	case "replicate":
		return &types.JobOperation{S3ReplicateObject: &types.S3ReplicateObjectOperation{}}, nil
	}
	return nil, fmt.Errorf("--operation %q: want update-encryption, put-tagging, delete-tagging, legal-hold, compute-checksum or replicate (use aws s3control create-job for the others)", o.operation)
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
	for _, st := range o.filterReplicationStatuses {
		f.ObjectReplicationStatuses = append(f.ObjectReplicationStatuses, types.ReplicationStatus(strings.ToUpper(st)))
	}
	if o.filterEligible {
		f.EligibleForReplication = aws.Bool(true)
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
