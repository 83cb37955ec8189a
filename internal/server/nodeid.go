package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kurastore/kura/internal/lease"
)

// A node of several sharing one metadata store (PostgreSQL) keeps its
// node id in its data directory (nodeIDFile), so that a restart after a
// crash is the same node: the leases its previous process held are
// released at start (releaseOwnLeases) instead of blocking the background
// work until they expire. That is safe only if no other live process has
// the id, which the lock on the data directory (dataDirLockFile) ensures:
// two processes cannot use one data directory at once.
const (
	nodeIDFile      = "node-id"
	dataDirLockFile = "node.lock"
)

// ErrDataDirInUse is returned by Open when another process holds the data
// directory's lock.
var ErrDataDirInUse = errors.New("another Kura process is using this data directory")

// persistentNodeID returns the node id kept in dir, creating it (a random
// one, randomNodeID) at the first start.
func persistentNodeID(dir string) (string, error) {
	p := filepath.Join(dir, nodeIDFile)
	raw, err := os.ReadFile(p)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(raw))
		if id == "" {
			return "", fmt.Errorf("node id file %s is empty: delete it to get a new id, or write this node's id into it", p)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read node id: %w", err)
	}
	id := randomNodeID()
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

// releaseOwnLeases releases the leases held under this node's id: with
// the data directory locked, they are the leases of this node's previous
// process, which stopped without releasing them (a crash or kill -9).
func (s *Server) releaseOwnLeases(ctx context.Context) {
	if n, err := lease.ReleaseHeldBy(ctx, s.meta, s.NodeID); err != nil {
		s.cfg.Logger.Warn("releasing the leases this node held before its restart failed; its background work resumes once they expire", "err", err)
	} else if n > 0 {
		s.cfg.Logger.Info("released the leases this node held before it stopped uncleanly", "leases", n, "node", s.NodeID)
	}
}
