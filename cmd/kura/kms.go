package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// kmsFlags are the connection flags every `kura kms` subcommand shares.
type kmsFlags struct {
	endpoint, accessKey, secretKey, region string
	profile, caBundle                      string
	// service names the AWS_ENDPOINT_URL_<SERVICE> variable (S3, KMS).
	service string
}

// jsonAlways accepts --json on commands whose output is always JSON, so
// that every listing takes --json alike.
func jsonAlways(pf *pflag.FlagSet) {
	pf.Bool("json", true, "print JSON (always: this command's output is JSON)")
}

// addFlags registers the connection flags (awsconfig.go says how each
// is found when not given).
func (f *kmsFlags) addFlags(pf *pflag.FlagSet, service string) {
	f.service = service
	pf.StringVar(&f.endpoint, "endpoint", "", "endpoint URL (default $AWS_ENDPOINT_URL_"+service+", $AWS_ENDPOINT_URL, the profile's endpoint_url, else "+defaultEndpoint+")")
	pf.StringVar(&f.accessKey, "access-key", "", "access key id (default $AWS_ACCESS_KEY_ID, else the profile's)")
	pf.StringVar(&f.secretKey, "secret-key", "", "secret access key (default $AWS_SECRET_ACCESS_KEY, else the profile's)")
	pf.StringVar(&f.region, "region", "", "region used for signing (default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, else us-east-1)")
	pf.StringVar(&f.profile, "profile", "", "profile in ~/.aws/credentials and ~/.aws/config (default $AWS_PROFILE, else default)")
	pf.StringVar(&f.caBundle, "ca-bundle", "", "PEM file of CAs to trust for HTTPS (default $AWS_CA_BUNDLE, else the profile's ca_bundle)")
}

// newKMSCmd is `kura kms`: a thin client for the AWS KMS API that Kura
// serves (or any other), built on aws-sdk-go-v2. Output is JSON on stdout.
func newKMSCmd() *cobra.Command {
	f := &kmsFlags{}
	cmd := &cobra.Command{
		Use:   "kms",
		Short: "Manage and use KMS keys through the AWS KMS API",
		Long: `kms talks to Kura's built-in KMS (or any AWS KMS endpoint) and prints the
responses as JSON. Blobs (plaintext, ciphertext) are base64 on the command
line and in the output. Credentials default to $AWS_ACCESS_KEY_ID,
$AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN; the region to $AWS_REGION.`,
		Example: `  kura kms create-key --description "orders" --tags team=storage
  kura kms create-alias --alias-name alias/orders --target-key-id <key id>
  kura kms encrypt --key-id alias/orders --plaintext aGVsbG8= --encryption-context app=demo
  kura kms decrypt --ciphertext-blob <base64> --encryption-context app=demo`,
	}
	f.addFlags(cmd.PersistentFlags(), "KMS")
	jsonAlways(cmd.PersistentFlags())

	var (
		keyID, description, aliasName, targetKeyID string
		plaintext, ciphertext                      string
		tags, encCtx                               map[string]string
		days                                       int32
	)
	keyIDFlag := func(fs *pflag.FlagSet) {
		fs.StringVar(&keyID, "key-id", "", "key id, key ARN, alias name or alias ARN")
	}
	contextFlag := func(fs *pflag.FlagSet) {
		fs.StringToStringVar(&encCtx, "encryption-context", nil, "encryption context as key=value pairs")
	}

	cmd.AddCommand(
		kmsSub(f, "create-key", "Create a symmetric encryption key", func(fs *pflag.FlagSet) {
			fs.StringVar(&description, "description", "", "key description")
			fs.StringToStringVar(&tags, "tags", nil, "tags as key=value pairs")
		}, nil, func(ctx context.Context, c *awskms.Client) (any, error) {
			in := &awskms.CreateKeyInput{}
			if description != "" {
				in.Description = aws.String(description)
			}
			for k, v := range tags {
				in.Tags = append(in.Tags, types.Tag{TagKey: aws.String(k), TagValue: aws.String(v)})
			}
			out, err := c.CreateKey(ctx, in)
			if err != nil {
				return nil, err
			}
			return map[string]any{"KeyMetadata": out.KeyMetadata}, nil
		}),
		kmsSub(f, "describe-key", "Show a key's metadata", func(fs *pflag.FlagSet) { keyIDFlag(fs) }, []string{"key-id"},
			func(ctx context.Context, c *awskms.Client) (any, error) {
				out, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyID)})
				if err != nil {
					return nil, err
				}
				return map[string]any{"KeyMetadata": out.KeyMetadata}, nil
			}),
		kmsSub(f, "list-keys", "List all keys", nil, nil, func(ctx context.Context, c *awskms.Client) (any, error) {
			keys := []types.KeyListEntry{}
			p := awskms.NewListKeysPaginator(c, &awskms.ListKeysInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				keys = append(keys, page.Keys...)
			}
			return map[string]any{"Keys": keys}, nil
		}),
		kmsSub(f, "create-alias", "Create an alias for a key", func(fs *pflag.FlagSet) {
			fs.StringVar(&aliasName, "alias-name", "", "alias name, alias/...")
			fs.StringVar(&targetKeyID, "target-key-id", "", "key id or key ARN")
		}, []string{"alias-name", "target-key-id"}, func(ctx context.Context, c *awskms.Client) (any, error) {
			_, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(aliasName), TargetKeyId: aws.String(targetKeyID)})
			return nil, err
		}),
		kmsSub(f, "list-aliases", "List all aliases, or those of one key", func(fs *pflag.FlagSet) {
			fs.StringVar(&keyID, "key-id", "", "only the aliases of this key (key id or ARN)")
		}, nil, func(ctx context.Context, c *awskms.Client) (any, error) {
			in := &awskms.ListAliasesInput{}
			if keyID != "" {
				in.KeyId = aws.String(keyID)
			}
			aliases := []types.AliasListEntry{}
			p := awskms.NewListAliasesPaginator(c, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				aliases = append(aliases, page.Aliases...)
			}
			return map[string]any{"Aliases": aliases}, nil
		}),
		kmsSub(f, "enable-key", "Enable a disabled key", func(fs *pflag.FlagSet) { keyIDFlag(fs) }, []string{"key-id"},
			func(ctx context.Context, c *awskms.Client) (any, error) {
				_, err := c.EnableKey(ctx, &awskms.EnableKeyInput{KeyId: aws.String(keyID)})
				return nil, err
			}),
		kmsSub(f, "disable-key", "Disable a key", func(fs *pflag.FlagSet) { keyIDFlag(fs) }, []string{"key-id"},
			func(ctx context.Context, c *awskms.Client) (any, error) {
				_, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(keyID)})
				return nil, err
			}),
		kmsSub(f, "schedule-key-deletion", "Schedule a key's deletion after a waiting period", func(fs *pflag.FlagSet) {
			keyIDFlag(fs)
			fs.Int32Var(&days, "pending-window-in-days", 0, "waiting period, 7 to 30 days (default 30)")
		}, []string{"key-id"}, func(ctx context.Context, c *awskms.Client) (any, error) {
			in := &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID)}
			if days != 0 {
				in.PendingWindowInDays = aws.Int32(days)
			}
			out, err := c.ScheduleKeyDeletion(ctx, in)
			if err != nil {
				return nil, err
			}
			return map[string]any{"KeyId": out.KeyId, "DeletionDate": out.DeletionDate, "KeyState": out.KeyState,
				"PendingWindowInDays": out.PendingWindowInDays}, nil
		}),
		kmsSub(f, "cancel-key-deletion", "Cancel a scheduled deletion (the key becomes Disabled)", func(fs *pflag.FlagSet) { keyIDFlag(fs) }, []string{"key-id"},
			func(ctx context.Context, c *awskms.Client) (any, error) {
				out, err := c.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: aws.String(keyID)})
				if err != nil {
					return nil, err
				}
				return map[string]any{"KeyId": out.KeyId}, nil
			}),
		kmsSub(f, "enable-key-rotation", "Turn on automatic key rotation", func(fs *pflag.FlagSet) {
			keyIDFlag(fs)
			fs.Int32Var(&days, "rotation-period-in-days", 0, "rotation period, 90 to 2560 days (default 365)")
		}, []string{"key-id"}, func(ctx context.Context, c *awskms.Client) (any, error) {
			in := &awskms.EnableKeyRotationInput{KeyId: aws.String(keyID)}
			if days != 0 {
				in.RotationPeriodInDays = aws.Int32(days)
			}
			_, err := c.EnableKeyRotation(ctx, in)
			return nil, err
		}),
		kmsSub(f, "get-key-rotation-status", "Show a key's automatic rotation", func(fs *pflag.FlagSet) { keyIDFlag(fs) }, []string{"key-id"},
			func(ctx context.Context, c *awskms.Client) (any, error) {
				out, err := c.GetKeyRotationStatus(ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(keyID)})
				if err != nil {
					return nil, err
				}
				return map[string]any{"KeyId": out.KeyId, "KeyRotationEnabled": out.KeyRotationEnabled,
					"RotationPeriodInDays": out.RotationPeriodInDays, "NextRotationDate": out.NextRotationDate}, nil
			}),
		kmsSub(f, "rotate-key-on-demand", "Rotate a key's material now", func(fs *pflag.FlagSet) { keyIDFlag(fs) }, []string{"key-id"},
			func(ctx context.Context, c *awskms.Client) (any, error) {
				out, err := c.RotateKeyOnDemand(ctx, &awskms.RotateKeyOnDemandInput{KeyId: aws.String(keyID)})
				if err != nil {
					return nil, err
				}
				return map[string]any{"KeyId": out.KeyId}, nil
			}),
		kmsSub(f, "encrypt", "Encrypt up to 4096 bytes (base64 in, base64 out)", func(fs *pflag.FlagSet) {
			keyIDFlag(fs)
			fs.StringVar(&plaintext, "plaintext", "", "plaintext, base64")
			contextFlag(fs)
		}, []string{"key-id", "plaintext"}, func(ctx context.Context, c *awskms.Client) (any, error) {
			pt, err := base64.StdEncoding.DecodeString(plaintext)
			if err != nil {
				return nil, fmt.Errorf("--plaintext is not base64: %w", err)
			}
			out, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyID), Plaintext: pt, EncryptionContext: encCtx})
			if err != nil {
				return nil, err
			}
			return map[string]any{"CiphertextBlob": out.CiphertextBlob, "KeyId": out.KeyId, "EncryptionAlgorithm": out.EncryptionAlgorithm}, nil
		}),
		kmsSub(f, "decrypt", "Decrypt a ciphertext blob (base64 in, base64 out)", func(fs *pflag.FlagSet) {
			fs.StringVar(&keyID, "key-id", "", "fail unless the blob is under this key (optional)")
			fs.StringVar(&ciphertext, "ciphertext-blob", "", "ciphertext blob, base64")
			contextFlag(fs)
		}, []string{"ciphertext-blob"}, func(ctx context.Context, c *awskms.Client) (any, error) {
			blob, err := base64.StdEncoding.DecodeString(ciphertext)
			if err != nil {
				return nil, fmt.Errorf("--ciphertext-blob is not base64: %w", err)
			}
			in := &awskms.DecryptInput{CiphertextBlob: blob, EncryptionContext: encCtx}
			if keyID != "" {
				in.KeyId = aws.String(keyID)
			}
			out, err := c.Decrypt(ctx, in)
			if err != nil {
				return nil, err
			}
			return map[string]any{"Plaintext": out.Plaintext, "KeyId": out.KeyId, "EncryptionAlgorithm": out.EncryptionAlgorithm}, nil
		}),
	)
	return cmd
}

// kmsSub builds one subcommand: flags, required flags, and a call whose
// result (if not nil) is printed as indented JSON ([]byte as base64).
func kmsSub(f *kmsFlags, use, short string, flags func(*pflag.FlagSet), required []string,
	call func(context.Context, *awskms.Client) (any, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			out, err := call(ctx, client)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), out)
		},
	}
	if flags != nil {
		flags(cmd.Flags())
	}
	for _, name := range required {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (f *kmsFlags) client() (*awskms.Client, error) {
	creds, region, err := f.resolve()
	if err != nil {
		return nil, err
	}
	hc, err := httpClientFor(f.caBundle, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	return awskms.New(awskms.Options{
		Region:       region,
		BaseEndpoint: aws.String(f.endpoint),
		Credentials:  creds,
		HTTPClient:   hc,
	}), nil
}

// resolve finds the endpoint, credentials, region and CA bundle the way
// the aws CLI does (awsconfig.go) and keeps the endpoint and CA bundle in
// f for the clients. `kura object`, `batch`, `inventory` and
// `replication` share it.
func (f *kmsFlags) resolve() (aws.CredentialsProvider, string, error) {
	service := f.service
	if service == "" {
		service = "S3"
	}
	s, err := resolveAWS(awsInput{Service: service, Endpoint: f.endpoint, AccessKey: f.accessKey, SecretKey: f.secretKey,
		Region: f.region, Profile: f.profile, CABundle: f.caBundle})
	if err != nil {
		return nil, "", err
	}
	f.endpoint, f.caBundle = s.Endpoint, s.CABundle
	return credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, s.SessionToken), s.Region, nil
}

func printJSON(w io.Writer, v any) error {
	if v == nil {
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
