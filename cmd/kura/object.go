package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/spf13/cobra"
)

// newObjectCmd is `kura object`: S3 client commands for an object's
// server-side encryption, over the wire like `kura kms` (any S3 endpoint
// that implements UpdateObjectEncryption works). Output is JSON on stdout.
func newObjectCmd() *cobra.Command {
	f := &kmsFlags{}
	cmd := &cobra.Command{
		Use:   "object",
		Short: "Show and change an object's server-side encryption through the S3 API",
		Long: `object shows an object version's server-side encryption and changes it with
UpdateObjectEncryption: the data key is re-sealed under the KMS key you name,
without copying the data; ETag, Last-Modified, checksums, storage class,
tags and the version id stay as they are. Credentials default to
$AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN; the region
to $AWS_REGION.`,
		Example: `  kura object update-encryption --bucket photos --key cat.jpg --kms-key-id arn:aws:kms:us-east-1:111122223333:key/… --bucket-key-enabled
  kura object update-encryption --bucket photos --key cat.jpg --version-id V --server-side-encryption aws:kms --ssekms-key-id arn:…
  kura object encryption --bucket photos --key cat.jpg`,
	}
	pf := cmd.PersistentFlags()
	f.addFlags(pf, "S3")
	jsonAlways(pf)

	var bucket, key, versionID, keyARN, sseType string
	var bucketKey bool
	target := func(c *cobra.Command) {
		c.Flags().StringVar(&bucket, "bucket", "", "bucket name")
		c.Flags().StringVar(&key, "key", "", "object key")
		c.Flags().StringVar(&versionID, "version-id", "", "version id (default: the current version)")
		_ = c.MarkFlagRequired("bucket")
		_ = c.MarkFlagRequired("key")
	}

	update := &cobra.Command{
		Use:   "update-encryption",
		Short: "Re-encrypt an object version's data key under a KMS key (UpdateObjectEncryption)",
		Long: `update-encryption changes an SSE-S3 or SSE-KMS object version to SSE-KMS under
the KMS key given by its full ARN (key ids and aliases are refused, as S3
does), with an S3 Bucket Key if --bucket-key-enabled is set (it does not
follow the bucket's default). It prints the encryption afterwards.
--server-side-encryption and --ssekms-key-id are accepted as the aws CLI
examples spell them; the only valid --server-side-encryption is aws:kms.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sseType != "" && sseType != string(types.ServerSideEncryptionAwsKms) {
				return fmt.Errorf("--server-side-encryption %q: UpdateObjectEncryption changes objects to SSE-KMS only; use aws:kms", sseType)
			}
			if keyARN == "" {
				return errors.New("--kms-key-id (or --ssekms-key-id) is required: the full ARN of the KMS key")
			}
			c, err := s3Client(f)
			if err != nil {
				return err
			}
			in := &s3.UpdateObjectEncryptionInput{Bucket: aws.String(bucket), Key: aws.String(key),
				ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{
					KMSKeyArn: aws.String(keyARN), BucketKeyEnabled: aws.Bool(bucketKey)}}}
			if versionID != "" {
				in.VersionId = aws.String(versionID)
			}
			if _, err := c.UpdateObjectEncryption(cmdContext(cmd), in); err != nil {
				return err
			}
			out, err := describeEncryption(cmdContext(cmd), f, c, bucket, key, versionID)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), out)
		},
	}
	target(update)
	update.Flags().StringVar(&keyARN, "kms-key-id", "", "full ARN of the KMS key")
	update.Flags().StringVar(&keyARN, "ssekms-key-id", "", "same as --kms-key-id (the aws CLI's spelling)")
	update.Flags().StringVar(&sseType, "server-side-encryption", "", "new encryption type: aws:kms (the only one S3 allows)")
	update.Flags().BoolVar(&bucketKey, "bucket-key-enabled", false, "seal the data key under an S3 Bucket Key")

	show := &cobra.Command{
		Use:   "encryption",
		Short: "Show an object version's server-side encryption and its KMS key",
		Long: `encryption prints what HEAD says about an object version's encryption (type,
KMS key ARN, bucket key) and, for SSE-KMS, the KMS key's state, its current
key material id and how many times it was rotated (DescribeKey and
ListKeyRotations). The material that sealed this object's data key is not
exposed over S3; after update-encryption it is the key's current material.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := s3Client(f)
			if err != nil {
				return err
			}
			out, err := describeEncryption(cmdContext(cmd), f, c, bucket, key, versionID)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), out)
		},
	}
	target(show)

	cmd.AddCommand(update, show)
	return cmd
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func s3Client(f *kmsFlags) (*s3.Client, error) {
	creds, region, err := f.resolve()
	if err != nil {
		return nil, err
	}
	hc, err := httpClientFor(f.caBundle, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	return s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(f.endpoint), UsePathStyle: true, Credentials: creds, HTTPClient: hc}), nil
}

// objectEncryption is what `kura object encryption` prints.
type objectEncryption struct {
	Bucket               string
	Key                  string
	VersionId            string `json:",omitempty"`
	ServerSideEncryption string
	SSEKMSKeyId          string `json:",omitempty"`
	BucketKeyEnabled     bool
	StorageClass         string
	KMSKey               *kmsKeyInfo `json:",omitempty"`
}

// kmsKeyInfo describes the KMS key of an SSE-KMS object.
type kmsKeyInfo struct {
	KeyState             string `json:",omitempty"`
	CurrentKeyMaterialId string `json:",omitempty"`
	Rotations            *int   `json:",omitempty"`
	// Error says why the key could not be described (another account's
	// key, no permission); the object's encryption is shown regardless.
	Error string `json:",omitempty"`
}

// describeEncryption reads an object version's encryption with HEAD and,
// for SSE-KMS, describes its key through the KMS API at the same endpoint.
func describeEncryption(ctx context.Context, f *kmsFlags, c *s3.Client, bucket, key, versionID string) (*objectEncryption, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	h, err := c.HeadObject(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &objectEncryption{Bucket: bucket, Key: key, VersionId: aws.ToString(h.VersionId),
		ServerSideEncryption: string(h.ServerSideEncryption), SSEKMSKeyId: aws.ToString(h.SSEKMSKeyId),
		BucketKeyEnabled: aws.ToBool(h.BucketKeyEnabled), StorageClass: string(h.StorageClass)}
	if out.StorageClass == "" {
		out.StorageClass = string(types.StorageClassStandard)
	}
	if h.SSECustomerAlgorithm != nil {
		out.ServerSideEncryption = "SSE-C"
	}
	if out.SSEKMSKeyId == "" {
		return out, nil
	}
	kc, err := f.client()
	if err != nil {
		return nil, err
	}
	info := &kmsKeyInfo{}
	out.KMSKey = info
	d, err := kc.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(out.SSEKMSKeyId)})
	if err != nil {
		info.Error = err.Error()
		return out, nil
	}
	info.KeyState = string(d.KeyMetadata.KeyState)
	info.CurrentKeyMaterialId = aws.ToString(d.KeyMetadata.CurrentKeyMaterialId)
	n := 0
	p := awskms.NewListKeyRotationsPaginator(kc, &awskms.ListKeyRotationsInput{KeyId: aws.String(out.SSEKMSKeyId)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, nil // AWS managed keys do not list rotations
		}
		n += len(page.Rotations)
	}
	info.Rotations = &n
	return out, nil
}
