package link

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kurastore/kura/internal/replication"
	"github.com/kurastore/kura/internal/s3err"
)

// Handler serves this deployment's link endpoints. Every request must be
// signed with the link secret by a sender named in it; anything else is
// refused before its body is looked at.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /link/v1/hello", n.handleHello)
	mux.HandleFunc("POST /link/v1/join", n.handleJoin)
	mux.HandleFunc("GET /link/v1/peers", n.handlePeers)
	mux.HandleFunc("GET /link/v1/iam", n.handleIAM)
	mux.HandleFunc("POST /link/v1/buckets/reserve", n.handleReserve)
	mux.HandleFunc("POST /link/v1/buckets/release", n.handleRelease)
	mux.HandleFunc("GET /link/v1/buckets/owner", n.handleOwner)
	mux.HandleFunc("GET /link/v1/buckets/info", n.handleInfo)
	mux.HandleFunc("POST /link/v1/replicate", n.handleReplicate)
	return mux
}

// exchange is one authenticated request being answered.
type exchange struct {
	w      http.ResponseWriter
	sig    string
	sender string
	body   []byte // the signed body (the message, for replicate)
}

func (n *Node) reply(x *exchange, status int, v any) {
	var b []byte
	if v != nil {
		b, _ = json.Marshal(v)
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.Header().Set(hSignature, n.cfg.Secret.responseSig(x.sig, status, hashHex(b)))
	x.w.WriteHeader(status)
	x.w.Write(b)
}

func (n *Node) fail(x *exchange, err error) {
	we := wireError{Code: s3err.InternalError.Code, Message: err.Error(), Status: 500}
	var f *replication.Failure
	if errors.As(err, &f) {
		we.Reason, we.Action = f.Reason, f.Action
	}
	if e := s3err.As(err); e != nil {
		we.Code, we.Status = e.Code, e.Status
		if e.Message != "" {
			we.Message = e.Message
		}
		if f != nil {
			we.Message = f.Error()
		}
	}
	if we.Status >= 500 {
		n.log.Warn("link request failed", "sender", x.sender, "err", err)
	}
	n.reply(x, we.Status, we)
}

// authenticate checks a request's signature over its body (or, for
// replicate, its framed message) and returns the exchange; it answers 403
// itself when the request is not the partition's.
func (n *Node) authenticate(w http.ResponseWriter, r *http.Request, framed bool) (*exchange, bool) {
	x := &exchange{w: w, sender: r.Header.Get(hSender)}
	refuse := func(msg string) (*exchange, bool) {
		// Unsigned: the caller is not a peer and cannot check it anyway.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(wireError{Code: "AccessDenied", Message: msg, Status: 403})
		return nil, false
	}
	if err := checkDate(r.Header.Get(hDate), time.Now()); err != nil {
		return refuse(err.Error())
	}
	var err error
	if framed {
		x.body, err = readMessage(r.Body)
	} else {
		x.body, err = io.ReadAll(io.LimitReader(r.Body, maxMessage+1))
	}
	if err != nil || len(x.body) > maxMessage {
		return refuse("link request: unreadable body")
	}
	bodyHash := hashHex(x.body)
	want := n.cfg.Secret.requestSig(r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get(hDate), r.Header.Get(hNonce), x.sender, bodyHash)
	if !equal(r.Header.Get(hSignature), want) || !equal(r.Header.Get(hBodyHash), bodyHash) || len(r.Header.Get(hNonce)) < 32 {
		n.log.Warn("link: refused a request not signed with the link secret", "remote", r.RemoteAddr, "sender", x.sender, "path", r.URL.Path)
		return refuse("link request: the signature does not match the link secret")
	}
	date, _ := strconv.ParseInt(r.Header.Get(hDate), 10, 64)
	if err := n.replay.check(want, date); err != nil {
		n.log.Warn("link: refused a replayed request", "remote", r.RemoteAddr, "sender", x.sender, "path", r.URL.Path, "err", err)
		return refuse(err.Error())
	}
	x.sig = want
	return x, true
}

func (n *Node) primaryOnly(x *exchange) bool {
	if !n.Primary() {
		n.fail(x, s3err.InvalidRequest.WithMessage("Deployment %s is not the partition's primary.", n.cfg.Self.Name))
		return false
	}
	return true
}

// handleHello names this deployment and its certificate (tls.go).
func (n *Node) handleHello(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok {
		return
	}
	n.reply(x, 200, n.Self())
}

func (n *Node) handleJoin(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok || !n.primaryOnly(x) {
		return
	}
	var in joinRequest
	if err := json.Unmarshal(x.body, &in); err != nil || in.Peer.Name == "" || in.Peer.URL == "" || in.Peer.Name != x.sender {
		n.fail(x, s3err.InvalidRequest.WithMessage("A join names the joining deployment (as its sender), its region and link URL."))
		return
	}
	n.mu.Lock()
	if in.Peer.Name == n.cfg.Self.Name {
		n.mu.Unlock()
		n.fail(x, s3err.InvalidRequest.WithMessage("The primary is already called %s: give the joining deployment another --deployment name.", in.Peer.Name))
		return
	}
	n.peers[in.Peer.Name] = in.Peer
	err := n.save("peers.json", n.peers)
	n.mu.Unlock()
	if err != nil {
		n.fail(x, err)
		return
	}
	n.log.Info("link: a deployment joined", "name", in.Peer.Name, "region", in.Peer.Region, "url", in.Peer.URL)
	n.reply(x, 200, JoinReply{Primary: n.Self(), AccountID: n.cfg.IAM.AdminAccountID(), Peers: n.Peers()})
}

func (n *Node) handlePeers(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok {
		return
	}
	n.reply(x, 200, map[string]any{"Peers": n.Peers()})
}

func (n *Node) handleIAM(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok || !n.primaryOnly(x) {
		return
	}
	gen, err := n.cfg.IAM.Generation(r.Context())
	if err != nil {
		n.fail(x, err)
		return
	}
	if have := r.URL.Query().Get("have"); have != "" && equal(have, gen) {
		n.reply(x, http.StatusNoContent, nil)
		return
	}
	snap, err := n.cfg.IAM.Export(r.Context(), n.cfg.Secret.IAMKey())
	if err != nil {
		n.fail(x, err)
		return
	}
	n.reply(x, 200, snap)
}

func (n *Node) handleReserve(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok || !n.primaryOnly(x) {
		return
	}
	var in struct{ Bucket string }
	if err := json.Unmarshal(x.body, &in); err != nil || in.Bucket == "" {
		n.fail(x, s3err.InvalidRequest.WithMessage("A reservation names a bucket."))
		return
	}
	if _, ok := n.peer(x.sender); !ok {
		n.fail(x, s3err.AccessDenied.WithMessage("Deployment %s has not joined the partition.", x.sender))
		return
	}
	if err := n.reserve(in.Bucket, x.sender); err != nil {
		n.fail(x, err)
		return
	}
	n.reply(x, 200, map[string]string{"Deployment": x.sender})
}

func (n *Node) handleRelease(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok || !n.primaryOnly(x) {
		return
	}
	var in struct{ Bucket string }
	if err := json.Unmarshal(x.body, &in); err != nil || in.Bucket == "" {
		n.fail(x, s3err.InvalidRequest.WithMessage("A release names a bucket."))
		return
	}
	if err := n.release(in.Bucket, x.sender); err != nil {
		n.fail(x, err)
		return
	}
	n.reply(x, 200, map[string]string{"Deployment": x.sender})
}

func (n *Node) handleOwner(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok || !n.primaryOnly(x) {
		return
	}
	d, err := n.owner(r.Context(), r.URL.Query().Get("bucket"))
	if err != nil {
		n.fail(x, err)
		return
	}
	n.reply(x, 200, map[string]string{"Deployment": d})
}

func (n *Node) handleInfo(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, false)
	if !ok {
		return
	}
	b, err := n.cfg.Objects.Bucket(r.Context(), r.URL.Query().Get("bucket"))
	if err != nil {
		n.fail(x, err)
		return
	}
	n.reply(x, 200, BucketInfo{Deployment: n.cfg.Self.Name, Region: n.cfg.Self.Region, Versioning: b.Versioning})
}

func (n *Node) handleReplicate(w http.ResponseWriter, r *http.Request) {
	x, ok := n.authenticate(w, r, true)
	if !ok {
		return
	}
	if n.cfg.Receiver == nil {
		n.fail(x, s3err.InvalidRequest.WithMessage("Deployment %s does not receive replicas.", n.cfg.Self.Name))
		return
	}
	var m replication.Message
	if err := json.NewDecoder(bytes.NewReader(x.body)).Decode(&m); err != nil {
		n.fail(x, s3err.InvalidRequest.WithMessage("Unreadable replication message: %v", err))
		return
	}
	m.Source = x.sender // the authenticated sender, never the body's word
	stream := &blobStream{r: r.Body, h: sha256.New(), ids: m.Blobs, verify: func(dataHash string) error {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		if !equal(r.Trailer.Get(hData), n.cfg.Secret.dataSig(x.sig, dataHash)) {
			return fmt.Errorf("link: the replica's data does not match its signature; nothing is stored")
		}
		return nil
	}}
	ctx := context.WithoutCancel(r.Context())
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	if err := n.cfg.Receiver.Receive(ctx, &m, stream.open); err != nil {
		n.fail(x, err)
		return
	}
	n.reply(x, 200, map[string]string{"Status": "REPLICA"})
}
