package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kurastore/kura/internal/accesslog"
	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/inventory"
	"github.com/kurastore/kura/internal/netlimit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/s3api"
	"github.com/kurastore/kura/internal/server"
	"github.com/kurastore/kura/internal/sse"
)

func newServerCmd() *cobra.Command {
	cfg := server.Config{}
	var debugListen, metaURL, blobsURL string
	var drain time.Duration
	var level slog.Level // Info
	var lf linkFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the S3 server on a data directory",
		Long: `Run Kura's S3 API. With no flags it keeps its data in ./data, listens on
127.0.0.1:8420 and prints the root credentials it generated on first start;
later starts name the file that keeps them (data/root-credentials.json).
Set KURA_ROOT_ACCESS_KEY and KURA_ROOT_SECRET_KEY to choose them instead.

The first start also generates the root key, data/keys/root.key (or takes
KURA_ROOT_KEY): back it up. Later starts refuse to run with a missing or
wrong root key and change nothing (docs/operations.md).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			setServerGC()
			cfg.RootAccessKey = os.Getenv("KURA_ROOT_ACCESS_KEY")
			cfg.RootSecretKey = os.Getenv("KURA_ROOT_SECRET_KEY")
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			if cfg.RestoreDelay == 0 {
				cfg.RestoreDelay = -1 // the flag's 0 is "at once"; Config's 0 is "the default"
			}
			if cfg.OrphanGrace == 0 {
				cfg.OrphanGrace = -1 // likewise: the flag's 0 is "no grace"
			}
			if cfg.BlobGrace == 0 {
				cfg.BlobGrace = -1 // likewise
			}
			switch {
			case cfg.InlineMax == 0:
				cfg.InlineMax = -1 // likewise: the flag's 0 is "never inline"
			case cfg.InlineMax < 0 || cfg.InlineMax > object.MaxInlineMax:
				return fmt.Errorf("--inline-max %d: must be between 0 and %d bytes", cfg.InlineMax, object.MaxInlineMax)
			}
			if err := parseStores(&cfg, metaURL, blobsURL); err != nil {
				return err
			}
			if err := resolveLinkSecret(&cfg.Link, lf, cfg.DataDir, cmd.OutOrStdout()); err != nil {
				return err
			}
			cfg.Limits = cfg.Limits.ZeroMeansOff() // likewise: the flags' 0 is "none"
			cfg.AdminListen = adminListen(cmd.Flags(), cfg.Listen, cfg.AdminListen, cfg.MetricsListen, cfg.Logger)
			cfg.MetricsListen = ""
			s, err := server.Open(cfg)
			if err != nil {
				return err
			}
			if err := s.Start(); err != nil {
				return err
			}
			printBanner(cmd.OutOrStdout(), s)
			if debugListen != "" {
				addr, err := startDebug(debugListen, cfg.Logger)
				if err != nil {
					s.Shutdown(context.Background())
					return fmt.Errorf("debug listener: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Debug endpoints (pprof) at http://%s/debug/pprof/\n", addr)
			}
			return serveUntilSignal(s, cfg.Logger, drain)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", "./data", "data directory: root key, root credentials, audit trail, and the stores unless --meta and --blobs name others")
	f.StringVar(&metaURL, "meta", "", "metadata store URL: bolt:///path/meta.db, or postgres://user@host:5432/db?schema=kura to share it between nodes (docs/scale-out.md); default: bolt in the data directory, DATA/meta.db")
	f.StringVar(&blobsURL, "blobs", "", "blob store URL: file:///path/dir, file:///mnt/dir?shared=1 (several nodes on one mount), s3://bucket/prefix?endpoint=http://host:port&path_style=true (credentials from the AWS environment or profile) (default: the data directory's blobs/)")
	f.StringVar(&cfg.NodeID, "node-id", "", "this node's name in the leases of background work; must differ between live nodes (default: with --meta postgres://, an id kept in --data/node-id, made at the first start; otherwise host name and random characters, new at every start)")
	f.DurationVar(&cfg.BlobGrace, "blob-gc-grace", server.DefaultBlobGrace, "how long the data of an overwritten or deleted object is kept before it is deleted, so reads that started before finish; a read still running after that fails (0: delete at once)")
	f.Int64Var(&cfg.InlineMax, "inline-max", object.DefaultInlineMax, "largest object (bytes) stored inline in its metadata record instead of as a blob file: one write and one fsync per small PUT, no file open per small GET (0: every object gets a blob; docs/architecture.md, \"Small objects inline\")")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:8420", "address to listen on")
	f.StringVar(&cfg.Region, "region", "us-east-1", "region of this deployment")
	f.StringVar(&cfg.Domain, "domain", "localhost", "base domain for virtual-host-style addressing (bucket.DOMAIN)")
	f.StringVar(&cfg.WebsiteDomain, "website-domain", "", "serve bucket websites at http://BUCKET.WEBSITE-DOMAIN[:port] on the same listener, as S3's s3-website endpoints (e.g. s3-website.localhost; off by default)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file (PEM)")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	f.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate kept in the data dir")
	f.StringVar(&cfg.AdminListen, "admin-listen", defaultAdminListen, "admin listener: Prometheus /metrics, /health/live, /health/ready (\"\" or off: none; with --listen on port 0 and this flag not given, a free port too)")
	f.StringVar(&cfg.MetricsListen, "metrics-listen", "", "deprecated: use --admin-listen (it serves /metrics too)")
	f.MarkDeprecated("metrics-listen", "use --admin-listen, which serves /metrics and the health endpoints")
	f.BoolVar(&cfg.AllowInsecureSSEC, "allow-insecure-sse-c", false, "accept SSE-C keys over plain HTTP (local testing only: keys cross the network in clear)")
	f.BoolVar(&cfg.IgnoreBypassWithoutLock, "ignore-bypass-without-lock", false, "ignore x-amz-bypass-governance-retention on buckets without Object Lock, as RGW and MinIO do (S3 answers 400 InvalidArgument)")
	f.StringVar(&cfg.DefaultObjectOwnership, "default-object-ownership", s3api.BucketOwnerEnforced, "Object Ownership of buckets created without x-amz-object-ownership: BucketOwnerEnforced (S3's default: ACLs disabled), BucketOwnerPreferred or ObjectWriter (S3's default before April 2023)")
	f.DurationVar(&cfg.RestoreDelay, "restore-delay", 5*time.Second, "how long RestoreObject takes to make a GLACIER or DEEP_ARCHIVE object readable (0: at once)")
	f.DurationVar(&drain, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, how long in-flight requests may finish before they are cancelled (a second signal cancels them at once)")
	f.DurationVar(&cfg.OrphanSweepInterval, "orphan-sweep-interval", server.DefaultOrphanSweepInterval, "how often to remove orphan blobs (written, never committed: a crash), after a first sweep at start; negative: never")
	f.DurationVar(&cfg.OrphanGrace, "orphan-grace", object.DefaultOrphanGrace, "how old an orphan blob must be for the sweep to remove it")
	f.DurationVar(&cfg.AccessLogInterval, "access-log-interval", accesslog.DefaultInterval, "server access logs' batch window: how long records are spooled before delivery into the target buckets (docs/operations.md, \"Server access logs\")")
	f.DurationVar(&cfg.InventoryInterval, "inventory-interval", inventory.CheckInterval, "how often to look for S3 Inventory reports due (docs/inventory.md); negative: never (reports then come only from kura inventory run)")
	f.DurationVar(&cfg.ReplicationInterval, "replication-interval", time.Second, "how often the replicator looks at its queue of versions to replicate (docs/replication.md); negative: never (versions stay PENDING)")
	f.DurationVar(&cfg.LifecycleDay, "lifecycle-day", 24*time.Hour, "length of a lifecycle day: bucket lifecycle rules run at every multiple of it since the epoch (00:00 UTC for 24h) and count their Days in it; shorten it only to watch rules act in tests and demos")
	addLimitFlags(f, &cfg.Limits)
	addLinkFlags(f, &cfg.Link, &lf)
	f.Var(&logLevel{&level}, "log-level", "least severe log level written: debug, info, warn or error (docs/operations.md, \"Log levels\")")
	f.StringVar(&debugListen, "debug-listen", "", "serve Go's net/http/pprof profiles on this address (off when empty; unauthenticated, bind it to loopback)")
	return cmd
}

// parseStores sets cfg's stores from the --meta and --blobs URLs; an
// empty URL leaves the default in the data directory.
func parseStores(cfg *server.Config, metaURL, blobsURL string) error {
	if metaURL != "" {
		m, err := backend.ParseMeta(metaURL)
		if err != nil {
			return fmt.Errorf("--meta: %w", err)
		}
		cfg.Meta = m
	}
	if blobsURL != "" {
		b, err := backend.ParseBlobs(blobsURL)
		if err != nil {
			return fmt.Errorf("--blobs: %w", err)
		}
		cfg.Blobs = b
	}
	return nil
}

// addLimitFlags adds the connection caps and timeouts; docs/operations.md
// ("Connections, limits and timeouts") explains the defaults.
func addLimitFlags(f *pflag.FlagSet, l *netlimit.Limits) {
	d := netlimit.Defaults
	f.IntVar(&l.MaxConnections, "max-connections", d.MaxConnections, "most open S3 connections in total; lowered to fit the open-file limit (0: only that limit)")
	f.IntVar(&l.MaxConnectionsPerClient, "max-connections-per-client", d.MaxConnectionsPerClient, "most open S3 connections from one client address, an IPv6 client's /64 (0: no cap, e.g. behind a proxy that limits clients itself)")
	f.DurationVar(&l.HeaderTimeout, "header-timeout", d.HeaderTimeout, "longest time to receive a request's headers (0: none)")
	f.DurationVar(&l.IdleTimeout, "idle-timeout", d.IdleTimeout, "how long an idle keep-alive connection stays open (0: until the client closes it)")
	f.DurationVar(&l.BodyTimeout, "body-timeout", d.BodyTimeout, "longest a request body may keep the server waiting at any point; a slower body gets 400 RequestTimeout (0: none)")
	f.Int64Var(&l.BodyMinRate, "body-min-rate", d.BodyMinRate, "slowest rate, in bytes per second, a request body may arrive at for longer than --body-timeout (0: only stalls count)")
}

// logLevel is --log-level: a slog.Level as a flag, spelled as slog prints
// levels (debug, info, warn, error; any case).
type logLevel struct{ l *slog.Level }

func (v *logLevel) String() string {
	if v.l == nil {
		return "info"
	}
	return strings.ToLower(v.l.String())
}

func (v *logLevel) Set(s string) error {
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "error":
		return v.l.UnmarshalText([]byte(s))
	}
	return fmt.Errorf("%q is not a log level: use debug, info, warn or error", s)
}

func (v *logLevel) Type() string { return "level" }

// startDebug serves the pprof handlers, and nothing else, on their own
// listener and mux, never on the S3 port: profiles are unauthenticated and
// reveal memory contents (heap profiles) and timing. It returns the address
// it listens on.
func startDebug(addr string, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("debug listener stopped", "err", err)
		}
	}()
	return ln.Addr().String(), nil
}

// forceExitAfter is how long a second signal waits for the cancelled
// requests and the stores before the process exits regardless.
const forceExitAfter = 2 * time.Second

// serveUntilSignal runs until the server fails or a SIGINT/SIGTERM comes.
// The first signal drains: in-flight requests get up to drain to finish,
// and the log says so. A second signal cancels them at once (their partial
// uploads are removed) and exits; if that hangs, the process exits anyway
// after forceExitAfter, and the next start removes what was left.
func serveUntilSignal(s *server.Server, log *slog.Logger, drain time.Duration) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case err := <-waitChan(s):
		return err
	case sig := <-sigs:
		log.Info(fmt.Sprintf("stopping: draining in-flight requests for up to %v; press Ctrl-C again (or send another SIGTERM) to stop at once", drain),
			"signal", sig.String(), "timeout", drain)
	}
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case sig := <-sigs:
			log.Warn("stopping at once: cancelling in-flight requests", "signal", sig.String())
			cancel()
			time.AfterFunc(forceExitAfter, func() {
				log.Error(fmt.Sprintf("stopping: still not stopped %v after the second signal; exiting now (leftover temporary files are removed at the next start)", forceExitAfter))
				os.Exit(1)
			})
		case <-stopped:
		}
	}()
	return s.Shutdown(ctx)
}

// defaultAdminListen is the admin listener's address unless told
// otherwise: loopback, the port after S3's default 8420.
const defaultAdminListen = "127.0.0.1:8421"

// adminListen decides the admin listener's address from the flags. The
// deprecated --metrics-listen, given without --admin-listen, names it. A
// server told to pick a free S3 port (--listen HOST:0, what tests and
// scripts do, several at once) picks a free admin port too unless
// --admin-listen is given, so two of them never fight over 8421.
func adminListen(f *pflag.FlagSet, listen, admin, metrics string, log *slog.Logger) string {
	if f.Changed("admin-listen") {
		if metrics != "" {
			log.Warn("--metrics-listen is ignored: --admin-listen is given and serves /metrics", "admin-listen", admin)
		}
		return orOff(admin)
	}
	if metrics != "" {
		return metrics
	}
	if _, port, err := net.SplitHostPort(listen); err == nil && port == "0" {
		return "127.0.0.1:0"
	}
	return admin
}

// orOff maps "" to "off": Config's "" means "not set" and would fall back
// on MetricsListen.
func orOff(addr string) string {
	if addr == "" {
		return "off"
	}
	return addr
}

func waitChan(s *server.Server) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Wait() }()
	return ch
}

// printBanner tells where Kura listens and how to sign in. The root
// secret is printed only on the start that generated it: output like this
// ends up in journald and container logs, so later starts name the file
// that keeps it instead, and the "Try:" line never holds it.
func printBanner(out io.Writer, s *server.Server) {
	c := s.Root
	// Scripts read the URL from this first line (scripts/lib.sh): keep
	// "Kura is serving S3 at URL " as it is.
	fmt.Fprintf(out, "Kura is serving S3 at %s (region %s)\n", s.URL(), s.Objects.Region())
	fmt.Fprintf(out, "Data directory: %s\n", s.DataDir())
	if s.Link != nil {
		role := "primary"
		if !s.Link.Primary() {
			role = "follower"
		}
		fmt.Fprintf(out, "Linked deployment %s (%s), link endpoint %s\n", s.Link.Self().Name, role, s.LinkURL())
	}
	if a := s.AdminURL(); a != "" {
		fmt.Fprintf(out, "Admin: %s/metrics, %s/health/live, %s/health/ready\n", a, a, a)
		fmt.Fprintf(out, "Console: %s/ (sign in with an access key and secret; docs/console.md)\n", a)
	} else {
		fmt.Fprintln(out, "Admin listener: off (--admin-listen)")
	}
	switch {
	case c.FromEnv:
		fmt.Fprintf(out, "Root access key: %s (from KURA_ROOT_ACCESS_KEY)\n", c.AccessKey)
	case c.Generated:
		fmt.Fprintf(out, "Root credentials, generated now and kept in %s (mode 0600); the secret is not printed again:\n  access key: %s\n  secret key: %s\n",
			c.Path, c.AccessKey, c.SecretKey)
	default:
		fmt.Fprintf(out, "Root access key: %s (its secret key is in %s)\n", c.AccessKey, c.Path)
	}
	switch {
	case s.RootKey.Generated:
		fmt.Fprintf(out, "Root key generated in %s: back it up now, separately from the data directory; without it the data cannot be read.\n", s.RootKey.Source)
	case s.RootKey.Source == sse.RootKeyEnv:
		fmt.Fprintf(out, "Root key: from %s; keep a copy of it apart from the data directory: without it the data cannot be read.\n", sse.RootKeyEnv)
	default:
		fmt.Fprintf(out, "Root key: %s; keep a backup of it apart from the data directory (or run with %s): without it the data cannot be read.\n", s.RootKey.Source, sse.RootKeyEnv)
	}
	caBundle := ""
	if s.SelfSignedCert() != "" {
		caBundle = " --ca-bundle " + shellQuote(s.SelfSignedCert())
	}
	fmt.Fprintf(out, "Try:\n  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s \\\n    aws --endpoint-url %s%s s3 mb s3://my-bucket\n",
		c.AccessKey, secretHint(c), s.Objects.Region(), s.URL(), caBundle)
	fmt.Fprintln(out, "Stop with Ctrl-C (SIGINT) or SIGTERM: requests in flight finish first.")
}

// secretHint is a shell expression for the root secret that is not the
// secret itself: the variable the operator set, or a command that reads it
// from the credentials file (sed, which every system has, unlike jq).
func secretHint(c *server.RootCredentials) string {
	if c.FromEnv {
		return `"$KURA_ROOT_SECRET_KEY"`
	}
	return `"$(sed -n 's/.*"secret_key": *"\([^"]*\)".*/\1/p' ` + shellQuote(c.Path) + `)"`
}

// shellQuote quotes p for a POSIX shell unless it is made of characters
// that need none.
func shellQuote(p string) string {
	plain := p != ""
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./-+:@", r)) {
			plain = false
			break
		}
	}
	if plain {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
