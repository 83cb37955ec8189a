package backend

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/kurastore/kura/internal/blob"
	blobs3 "github.com/kurastore/kura/internal/blob/s3"
)

// The S3 blob store (s3://), in a bucket of any S3-compatible store:
//
//	s3://bucket/prefix?endpoint=http://host:port&region=us-east-1&path_style=true&part_size=16MiB
//
// endpoint: the store's URL (omitted: AWS S3 itself, by region);
// region: signing region (omitted: AWS_REGION / the profile's, else
// us-east-1); path_style: bucket in the path instead of the host name
// (most non-AWS stores want true); part_size: multipart part size, bytes or
// with a KiB/MiB/GiB suffix (default 16MiB).
//
// Credentials come from the AWS SDK's default chain, never from the URL:
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN), then
// AWS_PROFILE in ~/.aws/config and ~/.aws/credentials, web identity, ECS
// or EC2 instance roles (docs/blob-backends.md).

func init() { blobSchemes["s3"] = s3FromURL }

// S3Blobs is the blob store an s3:// URL names.
type S3Blobs struct {
	Bucket, Prefix string
	Endpoint       string
	Region         string
	PathStyle      bool
	PartSize       int64
}

func s3FromURL(u *url.URL) (Blobs, error) {
	if u.User != nil {
		return nil, fmt.Errorf("blob store %q: an s3 URL takes no credentials; give them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("blob store %q: no bucket: write s3://bucket/prefix?endpoint=…", u.Redacted())
	}
	b := S3Blobs{Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/")}
	q := u.Query()
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return nil, fmt.Errorf("blob store %q: endpoint %q: want http://host:port or https://host", u.Redacted(), v)
			}
			if e.User != nil {
				return nil, fmt.Errorf("blob store %q: the endpoint takes no credentials", u.Redacted())
			}
			b.Endpoint = v
		case "region":
			b.Region = v
		case "path_style":
			ps, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("blob store %q: path_style=%q: want true or false", u.Redacted(), v)
			}
			b.PathStyle = ps
		case "part_size":
			n, err := parseSize(v)
			if err != nil || n < blobs3.MinPartSize || n > blobs3.MaxPartSize {
				return nil, fmt.Errorf("blob store %q: part_size=%q: want a size from 5MiB to 5GiB", u.Redacted(), v)
			}
			b.PartSize = n
		default:
			return nil, fmt.Errorf("blob store %q: unknown option %q; s3 URLs take endpoint, region, path_style and part_size", u.Redacted(), k)
		}
	}
	return b, nil
}

// parseSize reads 1234, 64KiB, 16MiB or 1GiB.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// String names the store without anything secret (the URL holds none).
func (b S3Blobs) String() string {
	s := "s3://" + b.Bucket + "/" + b.Prefix
	if b.Endpoint != "" {
		s += " at " + b.Endpoint
	}
	return s
}

func (b S3Blobs) store(ctx context.Context) (*blobs3.Store, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if b.Region != "" {
		opts = append(opts, awsconfig.WithRegion(b.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("blob store %s: loading AWS credentials and settings: %w", b, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if b.Endpoint != "" {
			o.BaseEndpoint = aws.String(b.Endpoint)
		}
		o.UsePathStyle = b.PathStyle
		// Blobs are AEAD ciphertext that Kura authenticates on every
		// read, so validating response checksums again is redundant (and
		// logs a line per GET of a multipart object, which has none).
		// Request checksums stay: they catch corruption on the way in.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		// The SDK's default logger writes to stderr; Kura logs errors
		// itself, with the operation and blob.
		o.Logger = logging.Nop{}
		// No overall timeout (a 5 GiB part may take long), but give up
		// on a store that does not answer at all.
		o.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ResponseHeaderTimeout: 2 * time.Minute,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
		}}
	})
	return blobs3.New(c, blobs3.Config{Bucket: b.Bucket, Prefix: b.Prefix, PartSize: b.PartSize})
}

// HasData reports whether the prefix holds any object.
func (b S3Blobs) HasData(ctx context.Context) (bool, error) {
	s, err := b.store(ctx)
	if err != nil {
		return false, err
	}
	return s.HasData(ctx)
}

// Open checks that the bucket is there and may be listed with these
// credentials, so that a wrong URL or key fails at start.
func (b S3Blobs) Open(ctx context.Context) (blob.Store, error) {
	s, err := b.store(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Check(ctx); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return s, nil
}
