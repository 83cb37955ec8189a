package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kurastore/kura/internal/bench"
)

// newBenchCmd wires `kura bench` flags to bench.Run. All logic lives in
// internal/bench; this only parses flags and handles signals.
func newBenchCmd() *cobra.Command {
	var (
		cfg              bench.Config
		sizes, conc, ops string
		pathStyle        bool
		profile          string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark any S3-compatible endpoint with timed PUT and GET phases",
		Long: `bench runs, for every combination of --size and --concurrency, a PUT
phase then a GET phase, each lasting --duration, and prints one row per
(op, size, concurrency): ops/s, MB/s (MB = 10^6 bytes), p50/p99 latency
(request start to last body byte) and errors.

It works against any S3 server (Kura, MinIO, AWS). The bucket is created if
missing (default kura-bench-<random>); unless --keep, every object written
and a bucket the run created are deleted at the end, also after Ctrl-C.
The endpoint, credentials and region are found as the aws CLI finds them
($AWS_ENDPOINT_URL, $AWS_ACCESS_KEY_ID, $AWS_PROFILE, ~/.aws/…); without
any endpoint it is the local kura server, http://127.0.0.1:8420. The
header's sse= is the encryption the server applied to the first PUT
("AES256(bucket default)" when none was asked and the bucket encrypts).
When stdout and stderr are a terminal (and not with --json), a progress
bar on stderr shows how far the timed phases are.`,
		Example: `  kura bench --size 1MiB --concurrency 8 --duration 5s
  kura bench --endpoint http://127.0.0.1:9000 --access-key AK --secret-key SK \
    --size 4KiB,1MiB,64MiB --concurrency 1,8 --duration 10s --sse AES256`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Sizes, err = bench.ParseSizes(sizes); err != nil {
				return err
			}
			if cfg.Concurrency, err = bench.ParseConcurrency(conc); err != nil {
				return err
			}
			if cfg.Ops, err = bench.ParseOps(ops); err != nil {
				return err
			}
			if cfg.SSE == "" {
				cfg.SSE = bench.SSENone
			}
			// The endpoint, credentials and region are found as the aws
			// CLI finds them (awsconfig.go): the environment keeps secrets
			// out of shell history and process listings.
			aw, err := resolveAWS(awsInput{Service: "S3", Endpoint: cfg.Endpoint, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey,
				Region: cfg.Region, Profile: profile})
			if err != nil {
				return err
			}
			cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Region = aw.Endpoint, aw.AccessKey, aw.SecretKey, aw.Region
			cfg.VirtualHostStyle = !pathStyle
			cfg.Log = cmd.ErrOrStderr()

			parent := cmd.Context()
			if parent == nil {
				parent = context.Background()
			}
			ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
			defer stop()
			finished := make(chan struct{})
			defer close(finished)
			go func() {
				select {
				case <-finished:
				case <-ctx.Done():
					// Restore default signal handling so that a second
					// Ctrl-C kills the process if cleanup takes too long.
					stop()
					fmt.Fprintln(cmd.ErrOrStderr(), "interrupted: cleaning up (Ctrl-C again to abort)")
				}
			}()

			out := cmd.OutOrStdout()
			if progressWanted(cfg.JSON, out, cmd.ErrOrStderr()) {
				live := &liveLine{w: cmd.ErrOrStderr()}
				out, cfg.Log = live.passThrough(out), live.passThrough(cfg.Log)
				phases := len(cfg.Sizes) * len(cfg.Concurrency) * len(cfg.Ops)
				begun, tick := time.Now(), time.NewTicker(250*time.Millisecond)
				stopDraw, drawn := make(chan struct{}), make(chan struct{})
				go func() {
					defer close(drawn)
					for {
						live.set(benchLine(time.Since(begun), cfg.Duration, phases))
						select {
						case <-tick.C:
						case <-stopDraw:
							return
						}
					}
				}()
				defer func() { tick.Stop(); close(stopDraw); <-drawn; live.finish() }()
			}
			_, err = bench.Run(ctx, cfg, out)
			if errors.Is(err, context.Canceled) && parent.Err() == nil {
				// Cleanup errors, if any, are joined into err; keep them.
				return fmt.Errorf("interrupted: %w", err)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Endpoint, "endpoint", "", "S3 endpoint URL (default $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, the profile's endpoint_url, else "+defaultEndpoint+")")
	f.StringVar(&cfg.AccessKey, "access-key", "", "access key id (default $AWS_ACCESS_KEY_ID, else the profile's)")
	f.StringVar(&cfg.SecretKey, "secret-key", "", "secret access key (default $AWS_SECRET_ACCESS_KEY, else the profile's)")
	f.StringVar(&cfg.Region, "region", "", "region used for signing and bucket creation (default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, else us-east-1)")
	f.StringVar(&profile, "profile", "", "profile in ~/.aws/credentials and ~/.aws/config (default $AWS_PROFILE, else default)")
	f.StringVar(&cfg.Bucket, "bucket", "", "bucket to use; created if missing (default kura-bench-<random>)")
	f.StringVar(&sizes, "size", "4KiB,1MiB,64MiB", "comma-separated object sizes; units B, KiB, MiB, GiB, TiB, KB, MB, GB, TB")
	f.StringVar(&conc, "concurrency", "1,8", "comma-separated worker counts")
	f.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of each PUT and GET phase")
	f.StringVar(&cfg.SSE, "sse", bench.SSENone, "server-side encryption on PUT: none, AES256 or aws:kms")
	f.StringVar(&cfg.KMSKeyID, "kms-key-id", "", "KMS key id for --sse aws:kms (default: the server's default key)")
	f.StringVar(&ops, "ops", "put,get", "phases to run: put, get or put,get (get alone writes a few objects first, untimed)")
	f.BoolVar(&cfg.InsecureSkipVerify, "insecure-skip-verify", false, "do not verify the server's TLS certificate")
	f.BoolVar(&cfg.Keep, "keep", false, "keep the objects and bucket instead of deleting them")
	f.BoolVar(&pathStyle, "path-style", true, "path-style addressing (endpoint/bucket/key); false for virtual-hosted style")
	f.BoolVar(&cfg.UnsignedPayload, "unsigned-payload", false, "send PUT bodies as UNSIGNED-PAYLOAD instead of SHA-256 signing them")
	f.BoolVar(&cfg.JSON, "json", false, "print one JSON object per row instead of a table")
	return cmd
}
