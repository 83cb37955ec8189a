package link

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/s3err"
)

// Peer is one deployment of the partition.
type Peer struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	// URL is its link endpoint; S3 its S3 endpoint (for error messages).
	URL string `json:"url"`
	S3  string `json:"s3,omitempty"`
	// Cert is the SHA-256 fingerprint of its link certificate ("" with
	// --link-plaintext).
	Cert string `json:"cert,omitempty"`
}

// Config configures a Node.
type Config struct {
	Self   Peer
	Secret Secret
	// Primary is the primary's link URL; "" makes this node the primary.
	Primary string
	// Dir keeps the primary's peer table and bucket name registry, and
	// every node's record of the requests it received (against replays).
	Dir      string
	IAM      *iam.Service
	Objects  *object.Service
	Receiver *replication.Receiver
	Logger   *slog.Logger
	// Client sends link requests (nil: one with a 30 s dial and header
	// timeout; replica bodies have none).
	Client *http.Client
	// Cert is the link listener's certificate; nil: the link is plain
	// HTTP. With it, connections to peers are TLS and accepted only with
	// the certificate pinned for them (tls.go).
	Cert *tls.Certificate
}

// Node is this deployment's end of its links.
type Node struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger

	replay *replayGuard

	mu      sync.Mutex
	peers   map[string]Peer   // by name, this one included
	buckets map[string]string // primary: bucket name → deployment
	owners  map[string]owned  // follower: cache of the primary's answers
	applied string            // follower: the IAM generation applied
	synced  time.Time         // follower: last successful IAM sync
	pins    map[string]string // host:port → fingerprint learned by hello
}

// New returns a node; a primary loads its peer table and registry from Dir.
func New(cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n := &Node{cfg: cfg, client: cfg.Client, log: cfg.Logger, peers: map[string]Peer{}, buckets: map[string]string{}, owners: map[string]owned{}, pins: map[string]string{}}
	if cfg.Cert != nil && len(cfg.Cert.Certificate) > 0 {
		n.cfg.Self.Cert = Fingerprint(cfg.Cert.Certificate[0])
	}
	if n.client == nil {
		tr := &http.Transport{ResponseHeaderTimeout: 60 * time.Second, MaxIdleConnsPerHost: 16}
		if cfg.Cert != nil {
			tr.DialTLSContext = n.dialPinned
		}
		n.client = &http.Client{Transport: tr}
	}
	if cfg.Self.Name == "" {
		return nil, errors.New("link: the deployment needs a name (--deployment)")
	}
	n.peers[cfg.Self.Name] = n.cfg.Self
	if cfg.Dir == "" {
		return nil, errors.New("link: the node needs a directory for its state")
	}
	var err error
	if n.replay, err = openReplayGuard(cfg.Dir); err != nil {
		return nil, err
	}
	if n.Primary() {
		if err := n.load("peers.json", &n.peers); err != nil {
			return nil, err
		}
		n.peers[cfg.Self.Name] = n.cfg.Self
		if err := n.load("buckets.json", &n.buckets); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Close releases the node's files.
func (n *Node) Close() { n.replay.close() }

// Primary reports whether this node is the partition's primary.
func (n *Node) Primary() bool { return n.cfg.Primary == "" }

// Self is this deployment.
func (n *Node) Self() Peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg.Self
}

func (n *Node) load(name string, v any) error {
	b, err := os.ReadFile(filepath.Join(n.cfg.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("link: %s: %w (fix or remove the file)", filepath.Join(n.cfg.Dir, name), err)
	}
	return nil
}

// save writes v to Dir/name atomically; call with mu held.
func (n *Node) save(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(n.cfg.Dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// --- client side ------------------------------------------------------------

// call sends a signed request with a JSON body (nil: none) and decodes a
// JSON answer into out (nil: ignored). A non-2xx answer is an error:
// an s3err error with the code and message the peer sent.
func (n *Node) call(ctx context.Context, base, method, path string, query url.Values, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path+"?"+query.Encode(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	sig := n.sign(req, hashHex(body))
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, n.readResponse(resp, sig, out)
}

func (n *Node) sign(req *http.Request, bodyHash string) string {
	date := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := make([]byte, 16)
	rand.Read(nonce)
	nh := hex.EncodeToString(nonce)
	sig := n.cfg.Secret.requestSig(req.Method, req.URL.Path, req.URL.RawQuery, date, nh, n.cfg.Self.Name, bodyHash)
	req.Header.Set(hSender, n.cfg.Self.Name)
	req.Header.Set(hNonce, nh)
	req.Header.Set(hDate, date)
	req.Header.Set(hBodyHash, bodyHash)
	req.Header.Set(hSignature, sig)
	return sig
}

// wireError is a refusal or failure as it crosses the link.
type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Action  string `json:"action,omitempty"`
}

func (n *Node) readResponse(resp *http.Response, reqSig string, out any) error {
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if !equal(resp.Header.Get(hSignature), n.cfg.Secret.responseSig(reqSig, resp.StatusCode, hashHex(b))) {
		return fmt.Errorf("link: the answer from %s is not signed with the link secret (HTTP %d); is it a Kura link endpoint of this partition?", resp.Request.URL.Host, resp.StatusCode)
	}
	if resp.StatusCode/100 != 2 {
		var we wireError
		if json.Unmarshal(b, &we) != nil || we.Code == "" {
			return fmt.Errorf("link: %s answered HTTP %d", resp.Request.URL.Host, resp.StatusCode)
		}
		e := &s3err.Error{Code: we.Code, Message: we.Message, Status: we.Status}
		if we.Reason != "" {
			return &replication.Failure{Reason: we.Reason, Action: we.Action, Err: e}
		}
		return e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		return json.Unmarshal(b, out)
	}
	return nil
}

// joinRequest and joinReply are the join's.
type joinRequest struct {
	Peer Peer `json:"peer"`
}

// JoinReply is what the primary tells a joining follower.
type JoinReply struct {
	Primary   Peer   `json:"primary"`
	AccountID string `json:"accountId"` // the partition's first account
	Peers     []Peer `json:"peers"`
}

// Join makes this follower known to the primary, retrying until ctx ends
// (the primary may still be starting).
func (n *Node) Join(ctx context.Context) (*JoinReply, error) {
	var last error
	for {
		var rep JoinReply
		err := n.hello(ctx)
		if err == nil {
			n.mu.Lock()
			self := n.cfg.Self
			n.mu.Unlock()
			_, err = n.call(ctx, n.cfg.Primary, http.MethodPost, "/link/v1/join", nil, joinRequest{Peer: self}, &rep)
		}
		if err == nil {
			n.setPeers(rep.Peers)
			return &rep, nil
		}
		last = err
		if e := s3err.As(err); e != nil && e.Status/100 == 4 {
			return nil, fmt.Errorf("link: the primary at %s refused the join: %w", n.cfg.Primary, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("link: joining the primary at %s: %w", n.cfg.Primary, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (n *Node) setPeers(ps []Peer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range ps {
		if p.Name != n.cfg.Self.Name {
			n.peers[p.Name] = p
		}
	}
}

// Peers is the peer table as this node knows it.
func (n *Node) Peers() []Peer {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Peer, 0, len(n.peers))
	for _, p := range n.peers {
		out = append(out, p)
	}
	return out
}

func (n *Node) peer(name string) (Peer, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	p, ok := n.peers[name]
	return p, ok
}

// SyncIAM fetches the primary's IAM state when it changed since the last
// sync and applies it, and refreshes the peer table.
func (n *Node) SyncIAM(ctx context.Context) error {
	var ps struct{ Peers []Peer }
	if _, err := n.call(ctx, n.cfg.Primary, http.MethodGet, "/link/v1/peers", nil, nil, &ps); err != nil {
		return err
	}
	n.setPeers(ps.Peers)
	n.mu.Lock()
	have := n.applied
	n.mu.Unlock()
	var snap iam.Snapshot
	status, err := n.call(ctx, n.cfg.Primary, http.MethodGet, "/link/v1/iam", url.Values{"have": {have}}, nil, &snap)
	if err != nil {
		return err
	}
	if status != http.StatusNoContent {
		if err := n.cfg.IAM.Import(ctx, &snap, n.cfg.Secret.IAMKey()); err != nil {
			return err
		}
		n.log.Info("link: applied the primary's IAM state", "generation", snap.Generation[:12])
	}
	n.mu.Lock()
	if status != http.StatusNoContent {
		n.applied = snap.Generation
	}
	n.synced = time.Now()
	n.mu.Unlock()
	return nil
}

// LastSync is when a follower last had the primary's IAM state (zero: never).
func (n *Node) LastSync() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.synced
}

// RunSync keeps a follower's IAM copy and peer table current until ctx ends.
func (n *Node) RunSync(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.SyncIAM(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				n.log.Warn("link: cannot reach the primary for IAM changes; serving with the last copy", "primary", n.cfg.Primary, "lastSync", n.LastSync(), "err", err)
			}
			failing = true
			// The primary may have a new certificate (tls.go): learn it
			// again through the signed hello.
			if herr := n.hello(ctx); herr == nil && n.SyncIAM(ctx) == nil {
				failing = false
			}
		} else {
			failing = false
		}
	}
}

// Reserve reserves bucket for this deployment in the primary's registry:
// nil when it is free or already this deployment's; BucketAlreadyExists
// when another deployment of the partition has it.
func (n *Node) Reserve(ctx context.Context, bucket string) error {
	if n.Primary() {
		return n.reserve(bucket, n.cfg.Self.Name)
	}
	_, err := n.call(ctx, n.cfg.Primary, http.MethodPost, "/link/v1/buckets/reserve", nil, map[string]string{"bucket": bucket}, nil)
	if err != nil && s3err.As(err) == nil {
		return s3err.ServiceUnavailable.WithMessage("Bucket names are unique across linked deployments and the primary, which keeps them, cannot be reached (%v); try again later.", err)
	}
	if err == nil {
		n.mu.Lock()
		n.owners[bucket] = owned{n.cfg.Self.Name, time.Now()}
		n.mu.Unlock()
	}
	return err
}

// owned is a follower's cached answer of the registry.
type owned struct {
	deployment string
	at         time.Time
}

// ownerTTL bounds how long a follower trusts a cached owner: a name
// released and made again elsewhere is found within it.
const ownerTTL = 10 * time.Second

// Release gives up this deployment's reservation of bucket (after
// DeleteBucket): any deployment may create it again. A name another
// deployment holds is left alone.
func (n *Node) Release(ctx context.Context, bucket string) error {
	n.mu.Lock()
	delete(n.owners, bucket)
	n.mu.Unlock()
	if n.Primary() {
		return n.release(bucket, n.cfg.Self.Name)
	}
	_, err := n.call(ctx, n.cfg.Primary, http.MethodPost, "/link/v1/buckets/release", nil, map[string]string{"bucket": bucket}, nil)
	return err
}

func (n *Node) release(bucket, deployment string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.buckets[bucket]; !ok || d != deployment {
		return nil
	}
	delete(n.buckets, bucket)
	if err := n.save("buckets.json", n.buckets); err != nil {
		n.buckets[bucket] = deployment
		return s3err.Internal(err)
	}
	return nil
}

// Register reserves the names of buckets this deployment already has
// (made before it was linked, or whose reservation was lost): at start,
// after the join. A name another deployment holds is an error naming
// both, for the operator to settle (rename one bucket).
func (n *Node) Register(ctx context.Context, buckets []string) error {
	var clash []string
	for _, b := range buckets {
		err := n.Reserve(ctx, b)
		if s3err.Is(err, s3err.BucketAlreadyExists) {
			clash = append(clash, b)
			continue
		}
		if err != nil {
			return fmt.Errorf("link: registering bucket %s with the primary: %w", b, err)
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("link: buckets %v of this deployment are buckets of other deployments of the partition too; bucket names are unique across it: empty and delete one of each pair (or unlink) and start again", clash)
	}
	return nil
}

// Redirect is s3api's: PermanentRedirect naming the deployment of the
// partition that has bucket, or nil when none but this one does (or the
// registry cannot be asked).
func (n *Node) Redirect(ctx context.Context, bucket string) *s3err.Error {
	d, err := n.owner(ctx, bucket)
	if err != nil || d == n.cfg.Self.Name {
		return nil
	}
	p, ok := n.peer(d)
	if !ok {
		return nil
	}
	endpoint := p.S3
	if u, err := url.Parse(p.S3); err == nil && u.Host != "" {
		endpoint = u.Host
	}
	e := s3err.PermanentRedirect.With("Endpoint", endpoint).With("Bucket", bucket)
	if p.Region != "" {
		e = e.WithHeader("x-amz-bucket-region", p.Region)
	}
	return e
}

func (n *Node) reserve(bucket, deployment string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.buckets[bucket]; ok {
		if d == deployment {
			return nil
		}
		return s3err.BucketAlreadyExists.WithMessage("The requested bucket name is not available. It is a bucket of the linked deployment %s (region %s).", d, n.peers[d].Region)
	}
	n.buckets[bucket] = deployment
	if err := n.save("buckets.json", n.buckets); err != nil {
		delete(n.buckets, bucket)
		return s3err.Internal(err)
	}
	return nil
}

// owner returns the deployment holding bucket.
func (n *Node) owner(ctx context.Context, bucket string) (string, error) {
	n.mu.Lock()
	if n.Primary() {
		d, ok := n.buckets[bucket]
		n.mu.Unlock()
		if !ok {
			return "", s3err.NoSuchBucket
		}
		return d, nil
	}
	o, ok := n.owners[bucket]
	n.mu.Unlock()
	if ok && time.Since(o.at) < ownerTTL {
		return o.deployment, nil
	}
	var rep struct{ Deployment string }
	if _, err := n.call(ctx, n.cfg.Primary, http.MethodGet, "/link/v1/buckets/owner", url.Values{"bucket": {bucket}}, nil, &rep); err != nil {
		return "", err
	}
	n.mu.Lock()
	n.owners[bucket] = owned{rep.Deployment, time.Now()}
	n.mu.Unlock()
	return rep.Deployment, nil
}

// BucketInfo is what a replication configuration's check needs of a
// bucket of another deployment.
type BucketInfo struct {
	Deployment string `json:"deployment"`
	Region     string `json:"region"`
	Versioning string `json:"versioning"`
}

// RemoteBucket looks bucket up in the partition: NoSuchBucket when no
// deployment has it.
func (n *Node) RemoteBucket(ctx context.Context, bucket string) (*BucketInfo, error) {
	d, err := n.owner(ctx, bucket)
	if err != nil {
		return nil, err
	}
	p, ok := n.peer(d)
	if !ok {
		return nil, fmt.Errorf("link: bucket %s is a bucket of deployment %s, which this deployment does not know yet", bucket, d)
	}
	var info BucketInfo
	if _, err := n.call(ctx, p.URL, http.MethodGet, "/link/v1/buckets/info", url.Values{"bucket": {bucket}}, nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Send delivers a replication message to the deployment holding m.Bucket
// (replication.Transport).
func (n *Node) Send(ctx context.Context, m *replication.Message, open func(ctx context.Context, blobID string) (io.ReadCloser, error)) error {
	d, err := n.owner(ctx, m.Bucket)
	if s3err.Is(err, s3err.NoSuchBucket) {
		return &replication.Failure{Reason: "DstBucketNotFound", Err: err}
	}
	if err != nil {
		return err
	}
	p, ok := n.peer(d)
	if !ok {
		return fmt.Errorf("link: bucket %s is a bucket of deployment %s, which this deployment does not know yet", m.Bucket, d)
	}
	msg, err := json.Marshal(m)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/link/v1/replicate", pr)
	if err != nil {
		return err
	}
	req.ContentLength = -1
	req.Trailer = http.Header{hData: nil}
	sig := n.sign(req, hashHex(msg))
	go func() {
		pw.CloseWithError(writeFrames(ctx, pw, msg, m.Blobs, open, func(dataHash string) {
			req.Trailer.Set(hData, n.cfg.Secret.dataSig(sig, dataHash))
		}))
	}()
	// Whatever the outcome, the writer stops: an answer that came before
	// the whole body (a refusal) must not leave it blocked on the pipe.
	defer pr.Close()
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return n.readResponse(resp, sig, nil)
}

// RemoteVersioning is ops.Link's: the versioning of a bucket of a linked
// deployment.
func (n *Node) RemoteVersioning(ctx context.Context, bucket string) (string, error) {
	info, err := n.RemoteBucket(ctx, bucket)
	if err != nil {
		return "", err
	}
	return info.Versioning, nil
}

// SetS3 records this deployment's S3 endpoint (known once it listens); a
// follower tells the primary (joining again) so that PermanentRedirects
// elsewhere can name it.
func (n *Node) SetS3(s3 string) {
	n.mu.Lock()
	n.cfg.Self.S3 = s3
	n.peers[n.cfg.Self.Name] = n.cfg.Self
	n.mu.Unlock()
	if !n.Primary() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := n.Join(ctx); err != nil {
				n.log.Warn("link: could not tell the primary this deployment's S3 endpoint", "err", err)
			}
		}()
	}
}

// Attach gives the node what it serves from, once the server has built it.
func (n *Node) Attach(ids *iam.Service, objs *object.Service, rc *replication.Receiver) {
	n.cfg.IAM, n.cfg.Objects, n.cfg.Receiver = ids, objs, rc
}

// PrimaryS3 is the primary's S3 endpoint as the peer table has it.
func (n *Node) PrimaryS3() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.peers {
		if p.URL == n.cfg.Primary {
			return p.S3
		}
	}
	return n.cfg.Primary
}

// Applied is the primary's IAM generation a follower last applied.
func (n *Node) Applied() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.applied
}
