package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// newClient builds an S3 client tuned to measure the server rather than
// the client: no retries (a failure is counted, not hidden behind a
// retry's extra latency), no optional CRC computation or validation, and
// an HTTP/1.1 connection pool large enough for every worker. The shared
// config files and environment are not consulted: a benchmark must be
// reproducible from its command line alone.
func newClient(cfg *Config, maxConc int) *s3.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Every worker keeps its own connection alive between operations;
	// without this, workers beyond the default 2 idle connections per host
	// would pay a TCP (and TLS) handshake per request.
	tr.MaxIdleConns = maxConc + 16
	tr.MaxIdleConnsPerHost = maxConc + 16
	// Go's transparent gzip would make the client decompress and count
	// different bytes than the server sent.
	tr.DisableCompression = true
	// S3 clients (and AWS itself) speak HTTP/1.1 with one request per
	// connection at a time; HTTP/2 multiplexing all workers over a single
	// TLS connection would measure something else entirely.
	tr.ForceAttemptHTTP2 = false
	tr.Protocols = new(http.Protocols)
	tr.Protocols.SetHTTP1(true)
	// Larger socket buffers cut syscalls per object at high throughput.
	tr.ReadBufferSize = 64 << 10
	tr.WriteBufferSize = 64 << 10
	if cfg.InsecureSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in flag for self-signed test servers
	}

	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		creds = credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")
	}
	awsCfg := aws.Config{
		Region:                     cfg.Region,
		Credentials:                creds,
		HTTPClient:                 &http.Client{Transport: tr},
		BaseEndpoint:               aws.String(cfg.Endpoint),
		Retryer:                    func() aws.Retryer { return aws.NopRetryer{} },
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = !cfg.VirtualHostStyle
		if cfg.UnsignedPayload {
			// Skips hashing every body on the client (and verifying it on
			// the server); PUT bodies are then sent as UNSIGNED-PAYLOAD.
			o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
		}
	})
}

// ensureBucket makes sure the bucket exists and reports whether this run
// created it: only a bucket we created is deleted at the end.
func ensureBucket(ctx context.Context, c *s3.Client, bucket, region string) (created bool, err error) {
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return false, nil
	}
	if !isNotFound(err) {
		return false, fmt.Errorf("head bucket %s: %w", bucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	// us-east-1 is the one region where a LocationConstraint is an error.
	if region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	if _, err := c.CreateBucket(ctx, in); err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "BucketAlreadyOwnedByYou" {
			return false, nil
		}
		return false, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return true, nil
}

// isNotFound recognises a missing bucket. HEAD responses have no body,
// so besides the modelled NotFound error the bare 404 status is checked.
func isNotFound(err error) bool {
	var nf *types.NotFound
	if errors.As(err, &nf) {
		return true
	}
	var nb *types.NoSuchBucket
	if errors.As(err, &nb) {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// deleteBatch is the S3 limit on keys per DeleteObjects request.
const deleteBatch = 1000

// deleteParallel bounds concurrent DeleteObjects requests during cleanup:
// enough to clear hundreds of thousands of small objects in seconds
// without hammering a server that may still be busy.
const deleteParallel = 4

// deleteKeys removes keys with batched DeleteObjects requests. It returns
// how many keys were deleted and the first error (request failures and
// per-key errors alike); it keeps going past errors so that as much as
// possible is cleaned up.
func deleteKeys(ctx context.Context, c *s3.Client, bucket string, keys []string) (int, error) {
	var (
		mu       sync.Mutex
		deleted  int
		firstErr error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, deleteParallel)
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for start := 0; start < len(keys); start += deleteBatch {
		batch := keys[start:min(start+deleteBatch, len(keys))]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			objs := make([]types.ObjectIdentifier, len(batch))
			for i, k := range batch {
				objs[i] = types.ObjectIdentifier{Key: aws.String(k)}
			}
			out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String(bucket),
				// Quiet: the response lists only failures, not 1000 keys.
				Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
			})
			if err != nil {
				fail(fmt.Errorf("delete objects: %w", err))
				return
			}
			if len(out.Errors) > 0 {
				e := out.Errors[0]
				fail(fmt.Errorf("delete objects: %d keys failed, first %s: %s %s",
					len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message)))
			}
			mu.Lock()
			deleted += len(batch) - len(out.Errors)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return deleted, firstErr
}

// cleanupTimeout bounds cleanup, which runs on a context detached from
// the (possibly cancelled) run context.
const cleanupTimeout = 5 * time.Minute
