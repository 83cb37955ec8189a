// Package server wires Kura together: it opens the data directory (root
// key, root credentials, audit trail) and the metadata and blob stores
// (by default in the data directory; internal/backend), builds the S3
// handler, runs the HTTP(S) listener and the background work that runs
// once per deployment, each under its lease (background.go). cmd/kura and
// the wire tests both use it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/accesslog"
	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/batch"
	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/console"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/inventory"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/lease"
	"github.com/kurastore/kura/internal/lifecycle"
	"github.com/kurastore/kura/internal/metrics/prom"
	"github.com/kurastore/kura/internal/netlimit"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/s3api"
	"github.com/kurastore/kura/internal/s3control"
	"github.com/kurastore/kura/internal/s3err"
	"github.com/kurastore/kura/internal/sigv4"
)

// Config is everything `kura server` takes.
type Config struct {
	DataDir string
	Listen  string // host:port; port 0 picks a free one
	Region  string
	Domain  string // base domain for virtual-host-style addressing
	// WebsiteDomain, when set, serves bucket websites: <bucket>.<WebsiteDomain>
	// (see s3api.Config.WebsiteDomain).
	WebsiteDomain string
	// RootAccessKey/RootSecretKey come from KURA_ROOT_ACCESS_KEY and
	// KURA_ROOT_SECRET_KEY; empty means generated or persisted ones.
	RootAccessKey, RootSecretKey string
	TLSCert, TLSKey              string
	TLSSelfSigned                bool
	// AllowInsecureSSEC accepts SSE-C keys over plain HTTP (local testing).
	AllowInsecureSSEC bool
	// IgnoreBypassWithoutLock: see s3api.Config.IgnoreBypassWithoutLock.
	IgnoreBypassWithoutLock bool
	// DefaultObjectOwnership: see s3api.Config.DefaultObjectOwnership.
	DefaultObjectOwnership string
	// AdminListen, when set (and not "off"), is the admin listener's
	// host:port: Prometheus metrics at /metrics, liveness at /health/live and
	// readiness at /health/ready (admin.go). Port 0 picks a free one.
	AdminListen string
	// MetricsListen is the deprecated name of AdminListen, used when
	// AdminListen is empty.
	MetricsListen string
	Logger        *slog.Logger
	// RestoreDelay is how long RestoreObject takes to make a GLACIER or
	// DEEP_ARCHIVE object readable (0: 5s; negative: at once).
	RestoreDelay time.Duration
	// OrphanSweepInterval is how often blobs no metadata names are looked
	// for and removed, after a first sweep at start (0: hourly; negative:
	// never, not even at start). OrphanGrace is how old such a blob must
	// be to go (0: an hour; negative: no grace, as tests and crash
	// harnesses want). See object.Service.SweepOrphans.
	OrphanSweepInterval, OrphanGrace time.Duration
	// LifecycleDay is the length of a lifecycle day (0: 24h): bucket
	// lifecycle rules run at every multiple of it since the epoch, and
	// their Days count in it. Shorter days are for tests and demos.
	LifecycleDay time.Duration
	// InventoryInterval is how often the S3 Inventory scheduler looks for
	// reports due (0: every minute; negative: never — reports are then
	// produced only on request, `kura inventory run`).
	InventoryInterval time.Duration
	// AccessLogInterval is the server access logs' batch window: how long
	// records are spooled before they are delivered into the target
	// buckets (0: accesslog.DefaultInterval, 5 minutes).
	AccessLogInterval time.Duration
	// ReplicationInterval is how often the replicator looks at its queue
	// (0: every second; negative: never — versions then stay PENDING,
	// which tests use to stop a server with replications queued).
	ReplicationInterval time.Duration
	// Now is the object service's clock (nil: time.Now); tests move it to
	// let restores complete and expire. IAM uses it too (creation dates,
	// session expiry), and so does the blob grace period. Request signing
	// and leases keep real time.
	Now func() time.Time
	// Limits caps connections and bounds slow clients (limits.go); zero
	// fields take netlimit.Defaults.
	Limits netlimit.Limits
	// Meta and Blobs are the metadata and blob stores (internal/backend;
	// `--meta`, `--blobs`). nil: the embedded ones in DataDir, meta.db
	// and blobs/. DataDir keeps the root key, the root credentials and the
	// audit trail either way.
	Meta  backend.Meta
	Blobs backend.Blobs
	// NodeID names this node in the leases of background work
	// (internal/lease) and in the cluster audit trail; it must differ
	// between live nodes. Empty: with a shared metadata store, the id kept
	// in DataDir (nodeid.go), made at the first start; otherwise a random
	// id per start.
	NodeID string
	// BlobGrace is how long a blob released by an overwrite or delete is
	// kept before it is deleted, so that reads which started before the
	// release can finish (0: DefaultBlobGrace; negative: none, as tests
	// that count blobs want). See object/gc.go.
	BlobGrace time.Duration
	// InlineMax is the largest single-part object stored inline in its
	// version record rather than as a blob (0: object.DefaultInlineMax;
	// negative: none). See object.Config.InlineMax.
	InlineMax int64
	// Jobs, when set, serves S3 Control's Batch Operations job API on the
	// S3 listener (internal/s3control).
	// Tests give a fake engine here; nil serves it with the server's own
	// engine (Server.Batch).
	Jobs s3control.Jobs
	// Link, when its Listen is set, links this deployment to others
	// (link.go, docs/replication.md).
	Link LinkConfig
}

// Server is a running Kura.
type Server struct {
	cfg     Config
	Root    *RootCredentials
	RootKey RootKeyInfo
	Objects *object.Service
	KMS     *kms.Service
	IAM     *iam.Service
	NodeID  string
	meta    backend.MetaStore
	blobs   blob.Store
	audit   *audit.Log
	outbox  *audit.Outbox
	// cluster exports the trail's events into the shared metadata store
	// (nil with the embedded store; internal/audit/cluster.go).
	cluster *audit.Cluster
	stopBg  context.CancelFunc
	// unlockDir lets go of the data directory's lock (nodeid.go) once
	// the stores are closed.
	unlockDir func()
	bg        sync.WaitGroup // background work (background.go)

	ops        *prom.Ops    // per-operation metrics and the registry /metrics serves
	admin      *http.Server // the admin listener (admin.go); nil when off
	adminLn    net.Listener
	selfSigned string      // the self-signed certificate file under --tls-self-signed
	serving    atomic.Bool // the S3 listener is serving (Start)
	stopping   atomic.Bool // Shutdown has begun: /health/ready answers 503
	http       *http.Server
	ln         net.Listener
	limits     netlimit.Limits     // in force, after the file limit (limits.go)
	conns      *netlimit.Listener  // ln, under the caps
	bodies     *netlimit.BodyGuard // request bodies' minimum rate
	tls        bool
	done       chan error

	// Lifecycle runs the buckets' lifecycle rules in the background,
	// while this node holds the lifecycle lease.
	Lifecycle *lifecycle.Runner
	// Inventory writes the buckets' S3 Inventory reports: on their
	// schedule while this node holds the inventory lease, and on request.
	Inventory *inventory.Writer
	// Replication drains the replication queue while this node holds the
	// replication lease (docs/replication.md).
	Replication *replication.Replicator
	// Ops performs S3 operations as a principal without HTTP (Batch
	// Operations, replication, the console): authorized, audited and
	// counted like the same operation over HTTP, which the S3 handlers
	// run through it too.
	Ops *ops.Service
	// Link is this deployment's end of its links (nil: not linked).
	Link    *link.Node
	linkLn  net.Listener
	linkSrv *http.Server
	// Batch is the S3 Batch Operations engine: the job API the s3control
	// front serves (CreateJob, DescribeJob, …), and the runner that runs
	// the jobs' tasks in the background while this node holds the
	// batch-jobs lease.
	Batch *batch.Service
	// AccessLog spools and delivers the buckets' server access logs
	// (PutBucketLogging).
	AccessLog *accesslog.Logger

	console *console.Console // the web console, served on the admin listener

	reqs         *requests // in-flight handlers (shutdown.go)
	shutdownOnce sync.Once
	shutdownErr  error
}

// Open prepares a server on cfg's data directory without listening yet.
func Open(cfg Config) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if v := cfg.DefaultObjectOwnership; v != "" && !s3api.ValidObjectOwnership(v) {
		return nil, fmt.Errorf("default object ownership %q: want BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter", v)
	}
	if w := strings.ToLower(cfg.WebsiteDomain); w != "" && (w == strings.ToLower(cfg.Domain) || strings.HasSuffix(strings.ToLower(cfg.Domain), "."+w)) {
		return nil, fmt.Errorf("website domain %q: it must differ from the S3 domain %q and not contain it, or every virtual-host request would be a website request; use a name of its own, such as s3-website.%s", cfg.WebsiteDomain, cfg.Domain, cfg.Domain)
	}
	if d := cfg.LifecycleDay; d != 0 && d < time.Second {
		return nil, fmt.Errorf("lifecycle day %v: want at least 1s", d)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if cfg.Meta == nil {
		cfg.Meta = backend.Bolt(filepath.Join(cfg.DataDir, "meta.db"))
	}
	if cfg.Blobs == nil {
		cfg.Blobs = backend.File(filepath.Join(cfg.DataDir, "blobs"))
	}
	ctx := context.Background()
	var node *link.Node
	var linkLn net.Listener
	if cfg.Link.Listen != "" {
		// A follower joins before anything else, to take the partition's
		// first account id (link.go).
		var err error
		if node, linkLn, err = openLink(cfg); err != nil {
			return nil, err
		}
	} else if cfg.Link.Join != "" {
		return nil, errors.New("--join needs --link-listen: the primary sends replicas and IAM answers to this deployment's link endpoint")
	}
	// The root key guard comes first: until it has passed, nothing in the
	// data directory or the stores may be created or changed (rootkey.go).
	root, rootInfo, ms, err := openWithRootKey(ctx, cfg.DataDir, cfg.Meta, cfg.Blobs, cfg.Logger)
	if err != nil {
		return nil, err
	}
	// A store shared with other nodes: lock the data directory, so that
	// this node's id (kept there) is no other live process's (nodeid.go).
	unlockDir, ownID := func() {}, false
	if !ms.Exclusive() {
		unlock, locked, err := lockDataDir(cfg.DataDir)
		if err != nil {
			ms.Close()
			return nil, err
		}
		unlockDir, ownID = unlock, locked && cfg.NodeID == ""
		if ownID {
			if cfg.NodeID, err = persistentNodeID(cfg.DataDir); err != nil {
				unlockDir()
				ms.Close()
				return nil, err
			}
		}
	}
	started := false
	var clusterTrail *audit.Cluster
	defer func() {
		if !started {
			if clusterTrail != nil {
				clusterTrail.Close()
			}
			unlockDir()
		}
	}()
	if cfg.NodeID == "" {
		cfg.NodeID = randomNodeID()
	}
	managed, err := managedKey(root)
	if err != nil {
		ms.Close()
		return nil, err
	}
	creds, err := loadRootCredentials(cfg.DataDir, cfg.RootAccessKey, cfg.RootSecretKey)
	if err != nil {
		ms.Close()
		return nil, err
	}
	blobs, err := cfg.Blobs.Open(ctx)
	if err != nil {
		ms.Close()
		return nil, err
	}
	trail, err := audit.Open(audit.PathIn(cfg.DataDir), audit.Options{})
	if err != nil {
		ms.Close()
		return nil, err
	}
	// Every change made for a request or an audited task goes through the
	// outbox's store, so it is committed with its audit event (outbox.go).
	outbox := audit.NewOutbox(ms, trail, cfg.Logger)
	if !ms.Exclusive() {
		// Entries name their node: recovery at start leaves other live
		// nodes' entries to them (audit.Outbox.SetNode).
		outbox.SetNode(cfg.NodeID)
		// One ordered audit trail of all nodes in the shared store, besides
		// this node's trail file (docs/scale-out.md, "Audit trail"); from
		// before the outbox's recovery, so recovered events are in it too.
		clusterTrail = audit.NewCluster(ms, trail, cfg.NodeID, cfg.Logger)
	}
	if err := recoverAudit(outbox, cfg.Logger); err != nil {
		trail.Close()
		ms.Close()
		return nil, err
	}
	// Background work writes under its lease (internal/lease): a node
	// that has lost the lease cannot commit (fence.go).
	store := lease.Fenced(outbox.Store())
	policies := &policySource{} // IAM's policies, for S3 and KMS authorization (authz.go)
	keys, err := kms.New(kms.Config{Meta: store, RootKey: root, Region: cfg.Region, Audit: trail, Logger: cfg.Logger,
		IdentityPolicies: policies.forPrincipal})
	if err != nil {
		ms.Close()
		return nil, err
	}
	objs := object.New(object.Config{Meta: store, Blobs: blobs, ManagedKey: managed, KMS: keys, Region: cfg.Region, Logger: cfg.Logger,
		RestoreDelay: cfg.RestoreDelay, Now: cfg.Now, BlobGrace: blobGrace(cfg), InlineMax: cfg.InlineMax})
	if err := objs.Recover(ctx); err != nil {
		ms.Close()
		return nil, fmt.Errorf("recover: %w", err)
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, Link: node, linkLn: linkLn, NodeID: cfg.NodeID, Root: creds, RootKey: rootInfo, Objects: objs, KMS: keys, meta: ms, blobs: blobs,
		audit: trail, outbox: outbox, cluster: clusterTrail, stopBg: stop, done: make(chan error, 1), ops: prom.New()}
	if ms.Exclusive() {
		s.clearDeadProcess(ctx) // background.go
	} else if ownID {
		s.releaseOwnLeases(ctx) // nodeid.go
	}
	ids, err := iam.New(bg, iam.Config{Meta: store, RootKey: root, Now: cfg.Now, Logger: cfg.Logger,
		Admin: iam.AdminCredentials{AccountID: creds.AccountID, AccessKey: creds.AccessKey, SecretKey: creds.SecretKey}})
	if err != nil {
		stop()
		ms.Close()
		return nil, err
	}
	s.IAM = ids
	canonicalID := func(ctx context.Context, account string) (string, error) {
		a, err := ids.Account(ctx, account)
		if err != nil {
			return "", err
		}
		return a.CanonicalID, nil
	}
	s.AccessLog, err = accesslog.New(accesslog.Config{Dir: filepath.Join(cfg.DataDir, "access-logs"), Objects: objs,
		CanonicalID: canonicalID, Audit: trail, Metrics: s.ops, Region: cfg.Region, Logger: cfg.Logger,
		Interval: cfg.AccessLogInterval, NodeID: cfg.NodeID, Now: cfg.Now})
	if err != nil {
		stop()
		ms.Close()
		return nil, err
	}
	// Every operation's record reaches the access logs through the
	// observer it is counted by (ops.RecordObserver); the logs' own
	// deliveries are counted by s.ops alone.
	observe := s.AccessLog.Observer(s.ops)
	s.Lifecycle = lifecycle.New(lifecycle.Config{Objects: objs, Meta: lease.Fenced(ms), Audit: trail, Region: cfg.Region,
		Day: cfg.LifecycleDay, Now: cfg.Now, Logger: cfg.Logger, Observe: s.AccessLog.ObserveLifecycle})
	s.Inventory = inventory.New(inventory.Config{Objects: objs, Audit: trail, Metrics: observe, Region: cfg.Region,
		Logger: cfg.Logger, Now: cfg.Now, LifecycleDay: cfg.LifecycleDay, CanonicalID: canonicalID})
	policies.iam = ids
	var opsLink ops.Link
	if node != nil {
		opsLink = node
	}
	s.Ops = ops.New(ops.Config{Objects: objs, Policies: policies.forPrincipal, Accounts: s3api.OpsAccounts{Dir: ids},
		Audit: trail, Metrics: observe, Region: cfg.Region, Logger: cfg.Logger, Inventory: s.Inventory.Run, Link: opsLink})
	// Replication acts as each rule's role, decided by the authorizer every
	// S3 request is decided with; its replicas go to buckets of this
	// deployment (replication.Local).
	local := &replication.Local{Objects: objs, Authorizer: s.Ops.Authorizer()}
	var dest replication.Destination = local
	if node != nil {
		// Replicas for buckets of linked deployments go over the link
		// (replication.Remote); the link's receiver stores the replicas
		// peers send, deciding the destination side as the role here.
		dest = &replication.Router{Local: local, Remote: &replication.Remote{Self: cfg.Link.Deployment,
			KeyKey: cfg.Link.Secret.DataKeyKey(), Transport: node}}
		node.Attach(ids, objs, &replication.Receiver{Local: &replication.Local{Objects: objs, Authorizer: s.Ops.Authorizer(), Remote: true}, Roles: ids, KeyKey: cfg.Link.Secret.DataKeyKey(),
			Audit: trail, Metrics: observe, Region: cfg.Region, Now: cfg.Now})
		// Buckets this deployment had before it was linked hold their
		// names in the partition from now on.
		have, err := objs.ListBuckets(ctx, "")
		if err == nil {
			names := make([]string, len(have))
			for i, b := range have {
				names[i] = b.Name
			}
			err = node.Register(ctx, names)
		}
		if err != nil {
			stop()
			ms.Close()
			linkLn.Close()
			return nil, err
		}
		if !node.Primary() {
			if err := node.SyncIAM(ctx); err != nil {
				stop()
				ms.Close()
				linkLn.Close()
				return nil, fmt.Errorf("link: copying the primary's IAM: %w", err)
			}
			interval := cfg.Link.SyncInterval
			if interval <= 0 {
				interval = 2 * time.Second
			}
			s.bg.Add(1)
			go func() {
				defer s.bg.Done()
				node.RunSync(bg, interval)
			}()
		}
	}
	s.Replication = replication.New(replication.Config{Objects: objs, Authorizer: s.Ops.Authorizer(), Roles: ids,
		Destination: dest, Audit: trail, Metrics: observe, Region: cfg.Region, Logger: cfg.Logger, Now: cfg.Now})
	// Batch Replication (S3ReplicateObject) replicates through it.
	s.Batch = batch.New(batch.Config{Meta: store, Ops: s.Ops, Objects: objs, Roles: ids, Audit: trail, Metrics: observe,
		Region: cfg.Region, Now: cfg.Now, Logger: cfg.Logger, Replicator: s.Replication})
	s.startBackground(bg) // each job under its lease (background.go)
	// S3 Control's job API is served by the engine, unless a test gives
	// another (a nil *batch.Service must not count as one).
	var jobs s3control.Jobs = s.Batch
	if cfg.Jobs != nil {
		jobs = cfg.Jobs
	}
	identify := func(ctx context.Context, ak, token string) (kura.Principal, error) {
		// A follower past its IAM staleness bound authenticates no one
		// (docs/replication.md).
		if err := iamFresh(node, cfg.Link.MaxStaleness); err != nil {
			return kura.Principal{}, err
		}
		p, err := ids.Authenticate(ctx, ak, token)
		if err != nil {
			return kura.Principal{}, err
		}
		a, err := ids.Account(ctx, p.AccountID)
		if err != nil {
			// An outage of the metadata store stays 503 (s3err.Internal
			// keeps an error carrying an S3 error).
			return kura.Principal{}, s3err.Internal(err)
		}
		p.CanonicalID, p.DisplayName = a.CanonicalID, a.DisplayName
		return p, nil
	}
	iamAPI, kmsAPI := iam.NewAPI(ids), kms.NewAPI(keys)
	if node != nil && !node.Primary() {
		iamAPI.FollowPrimary(node.PrimaryS3())
	}
	// The web console (admin listener) calls the same operation layer and
	// APIs as the signed-in principal.
	s.console = console.New(console.Config{Ops: s.Ops, Jobs: s.Batch, KMS: kmsAPI, IAM: iamAPI,
		Secret: ids.SecretFor, Identify: identify, Authorizer: s.Ops.Authorizer(),
		AuditDir: audit.DirIn(cfg.DataDir), Audit: trail, ReplicationStats: s.Replication.Stats, Region: cfg.Region, Logger: cfg.Logger, Now: cfg.Now})
	var redirect func(ctx context.Context, bucket string) *s3err.Error
	if node != nil {
		redirect = node.Redirect
	}
	handler := s3api.New(s3api.Config{
		Objects:                 objs,
		Verifier:                &sigv4.Verifier{Region: cfg.Region, Domain: cfg.Domain, Lookup: ids.SecretFor},
		Identify:                identify,
		Redirect:                redirect,
		IAM:                     iamAPI,
		Policies:                policies.forPrincipal,
		Accounts:                ids,
		KMS:                     kmsAPI,
		Region:                  cfg.Region,
		Domain:                  cfg.Domain,
		WebsiteDomain:           cfg.WebsiteDomain,
		AllowInsecureSSEC:       cfg.AllowInsecureSSEC,
		IgnoreBypassWithoutLock: cfg.IgnoreBypassWithoutLock,
		DefaultObjectOwnership:  cfg.DefaultObjectOwnership,
		Audit:                   trail,
		Metrics:                 observe,
		Logger:                  cfg.Logger,
		Ops:                     s.Ops,
		Jobs:                    jobs,
		ReplicationStats:        s.Replication.Stats,
	})
	s.registerMetrics(s.ops.Registry())
	s.http = &http.Server{
		Handler:        handler,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.applyLimits() // timeouts and the body guard (limits.go)
	s.reqs = newRequests()
	s.reqs.track(s.http)
	started = true
	s.unlockDir = unlockDir
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := s.listen() // under the connection caps (limits.go)
	if err != nil {
		return err
	}
	s.ln = ln
	if err := s.startAdmin(adminAddr(s.cfg)); err != nil {
		ln.Close()
		return err
	}
	certFile, keyFile := s.cfg.TLSCert, s.cfg.TLSKey
	if s.cfg.TLSSelfSigned && certFile == "" {
		if certFile, keyFile, err = selfSignedCert(s.cfg.DataDir, s.cfg.Domain); err != nil {
			ln.Close()
			return fmt.Errorf("self-signed certificate: %w", err)
		}
	}
	s.tls = certFile != ""
	if s.cfg.TLSSelfSigned && s.cfg.TLSCert == "" {
		s.selfSigned = certFile
	}
	s.startLink()         // link.go
	s.serving.Store(true) // ln is bound: connections queue until Serve accepts them
	go func() {
		var err error
		if s.tls {
			err = s.http.ServeTLS(ln, certFile, keyFile)
		} else {
			err = s.http.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return nil
}

// URL is the endpoint clients use.
func (s *Server) URL() string {
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String()
}

// DataDir is the data directory the server was opened on.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// SelfSignedCert is the file of the self-signed certificate the server
// serves (--tls-self-signed), for clients to trust; "" otherwise.
func (s *Server) SelfSignedCert() string { return s.selfSigned }

// Wait blocks until the server stops.
func (s *Server) Wait() error { return <-s.done }

// recoverAudit ships the audit events of changes a stopped process applied
// without writing their events (audit.Outbox.Recover).
func recoverAudit(o *audit.Outbox, log *slog.Logger) error {
	r, err := o.Recover(context.Background())
	if err != nil {
		return fmt.Errorf("audit outbox: %w", err)
	}
	if r.Shipped > 0 || r.Present > 0 {
		log.Info("audit: events of changes applied before the last stop are in the trail",
			"recovered", r.Shipped, "alreadyThere", r.Present)
	}
	if r.Others > 0 {
		log.Info("audit: outbox entries of other nodes left to them", "entries", r.Others)
	}
	if r.Unreadable > 0 {
		log.Error("audit: unreadable outbox entries dropped; their changes may lack audit events", "entries", r.Unreadable)
	}
	return nil
}
