package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/iam"
	"github.com/kurastore/kura/internal/kms"
	"github.com/kurastore/kura/internal/meta"
	"github.com/kurastore/kura/internal/meta/bolt"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/rootkey"
	"github.com/kurastore/kura/internal/sse"
)

// The root key guard. A data directory records, in its metadata store, a
// check of the root key it was created with (sse.RootKeyCheck; never the
// key). Every start verifies the key it was given against that check before
// anything is written anywhere, and refuses to start when the key is
// missing or wrong: a server that started with a fresh or wrong key would
// answer 500 on every old object and 200 on new writes that become
// unreadable once the right key is back.

// RootKeyInfo says where the root key of a running server came from.
type RootKeyInfo struct {
	// Source is sse.RootKeyEnv or the path of the root key file.
	Source string
	// Generated is true when this start created the key (a fresh data
	// directory): it must be backed up now.
	Generated bool
	// Upgraded is true when this start recorded the check for a data
	// directory created before the check existed.
	Upgraded bool
}

// RootKeyError is Open's refusal to start on a data directory whose root key
// is missing or is not the key the directory was created with. When Open
// returns it, nothing in the data directory was created or changed.
type RootKeyError struct {
	DataDir string
	Problem string // what is wrong, a sentence
	Fix     string // what to do, a sentence
}

func (e *RootKeyError) Error() string {
	r := rootkey.Refusal{Problem: e.Problem, Fix: e.Fix}
	return r.Message("refusing to start", e.DataDir, "no key was generated and nothing was written")
}

// startAgain is what a refusal asks the operator to do once the key is
// right.
const startAgain = "start again"

// refused is r as Open's refusal for dataDir.
func refused(dataDir string, r *rootkey.Refusal) *RootKeyError {
	return &RootKeyError{DataDir: dataDir, Problem: r.Problem, Fix: r.Fix}
}

// managedKey is the SSE-S3 key, derived from the root key.
func managedKey(root []byte) (*sse.ManagedKey, error) {
	return sse.NewManagedKey("sse-s3-1", sse.DeriveKey(root, "kura sse-s3 managed key v1"))
}

// openWithRootKey loads the root key of dataDir and opens the metadata
// store mb, having made sure that the key is the one the deployment was
// created with before anything is written. On a fresh deployment (no
// metadata, no blobs in bb) it creates the key (unless KURA_ROOT_KEY
// supplies one) and records the check before anything else. The caller
// owns the returned store.
func openWithRootKey(ctx context.Context, dataDir string, mb backend.Meta, bb backend.Blobs, log *slog.Logger) ([]byte, RootKeyInfo, backend.MetaStore, error) {
	keyPath := filepath.Join(dataDir, "keys", "root.key")
	g := &guard{dataDir: dataDir, keyPath: keyPath, metaName: mb.String(), info: RootKeyInfo{Source: keyPath}}
	root, fromEnv, err := sse.LoadRootKey(keyPath)
	if fromEnv {
		g.info.Source = sse.RootKeyEnv
	}
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return nil, g.info, nil, g.badKey(err)
	}
	// Opening the store may create it, so look first: a deployment with
	// blobs but no metadata is not fresh, it lost its metadata.
	hasMeta, err := mb.HasData(ctx)
	if err != nil {
		return nil, g.info, nil, err
	}
	blobs, err := bb.HasData(ctx)
	if err != nil {
		return nil, g.info, nil, err
	}
	if !hasMeta && blobs {
		return nil, g.info, nil, &RootKeyError{DataDir: dataDir,
			Problem: fmt.Sprintf("%s holds blobs but its metadata store %s is missing, so neither the root key nor the data can be checked.", bb, mb),
			Fix:     "Restore meta.db from your backup. To start an empty store on purpose, move the blobs directory away as well."}
	}
	if hasMeta {
		// Decide on a read-only open first: it neither writes to the
		// store nor leaves a lock marker behind (meta/bolt/health.go), so
		// a refusal changes nothing at all.
		ro, err := mb.OpenReadOnly(ctx, log)
		if err != nil {
			return nil, g.info, nil, fmt.Errorf("metadata store: %w", err)
		}
		_, err = g.check(ctx, ro, root, missing, blobs, nil)
		ro.Close()
		if err != nil {
			return nil, g.info, nil, err
		}
	}
	// After an unclean stop the embedded store checks the whole file
	// first and refuses a damaged one (meta/bolt/health.go). The check
	// below runs again on this store, now open for writing, and writes
	// what it must.
	ms, err := mb.Open(ctx, log)
	if err != nil {
		return nil, g.info, nil, fmt.Errorf("metadata store: %w", err)
	}
	if root, err = g.check(ctx, ms, root, missing, blobs, log); err != nil {
		ms.Close()
		return nil, g.info, nil, err
	}
	return root, g.info, ms, nil
}

// guard is one start's root key check: where the key came from and what
// the start did about it.
type guard struct {
	dataDir, keyPath string
	metaName         string // the metadata store, as messages name it
	info             RootKeyInfo
}

// check verifies root against the check in ms, or, when ms has none,
// records one: at once on a fresh directory (creating the key first when
// missing says there is no key file), and on a directory with data only
// for a key proven to open what is sealed there. It returns the root key.
// With a nil log it only decides: it creates, records and logs nothing
// (the read-only pass).
func (g *guard) check(ctx context.Context, ms backend.MetaStore, root []byte, missing, blobs bool, log *slog.Logger) ([]byte, error) {
	write := log != nil
	rec, found, err := rootkey.Read(ctx, ms)
	if errors.Is(err, bolt.ErrDamaged) {
		return nil, fmt.Errorf("metadata store: %w", err)
	}
	if err != nil {
		return nil, &RootKeyError{DataDir: g.dataDir,
			Problem: fmt.Sprintf("the root key check in %s cannot be read (%v).", g.metaName, err),
			Fix:     "Restore meta.db from your backup."}
	}
	if found {
		if missing {
			return nil, g.missingKey("meta.db holds its root key check")
		}
		if r := rec.Verify(root, g.key(), g.metaName, startAgain); r != nil {
			return nil, refused(g.dataDir, r)
		}
		return root, nil
	}
	empty, err := ms.Empty(ctx)
	if err != nil {
		return nil, fmt.Errorf("metadata store: %w", err)
	}
	switch fresh := empty && !blobs; {
	case !fresh && missing:
		what := "meta.db holds records"
		if empty {
			what = "blobs/ holds blobs"
		}
		return nil, g.missingKey(what)
	case !fresh:
		sealed, err := g.proveOnData(ctx, ms, root)
		if err != nil {
			return nil, err
		}
		if !write {
			return root, nil
		}
		g.info.Upgraded = true
		log.Info("recorded the root key check of a data directory created before it existed", "source", g.info.Source, "proven", sealed)
	case !write:
		return root, nil // fresh: the writing pass creates and records
	case missing:
		if root, err = sse.CreateRootKey(g.keyPath); err != nil {
			return nil, fmt.Errorf("root key: %w", err)
		}
		g.info.Generated = true
		log.Info("generated a new root key: back it up now, separately from the data directory (docs/operations.md)", "path", g.keyPath)
	}
	return root, rootkey.Record(ctx, ms, root)
}

// proveOnData accepts root for a directory with data from before the check
// existed only if it opens what is already sealed there; never guess.
// sealed says whether there was anything to open.
func (g *guard) proveOnData(ctx context.Context, ms meta.Store, root []byte) (sealed bool, err error) {
	sealed, opened, err := probeRootKey(ctx, ms, root)
	if err != nil {
		return false, fmt.Errorf("root key: probing the sealed data: %w", err)
	}
	if sealed && !opened {
		return false, g.wrongKey("does not open the data in this directory. The directory has no root key check yet (an older Kura created it), " +
			"and the key opened none of the KMS key material, IAM secrets and SSE-S3 data keys tried.")
	}
	return sealed, nil
}

// probeRootKey tries root on what is already sealed under keys derived from
// it: KMS key material, IAM secrets, SSE-S3 data keys. sealed is false when
// there is nothing to try; opened is true as soon as one opens (an AES-GCM
// open that succeeds proves the key; one that fails may also be damage,
// which is why every kind is tried).
func probeRootKey(ctx context.Context, ms meta.Store, root []byte) (sealed, opened bool, err error) {
	managed, err := managedKey(root)
	if err != nil {
		return false, false, err
	}
	probes := []func() (bool, bool, error){
		func() (bool, bool, error) { return kms.ProbeRootKey(ctx, ms, root) },
		func() (bool, bool, error) { return iam.ProbeRootKey(ctx, ms, root) },
		func() (bool, bool, error) { return object.ProbeManagedKey(ctx, ms, managed) },
	}
	for _, probe := range probes {
		s, o, err := probe()
		if err != nil || o {
			return s, o, err
		}
		sealed = sealed || s
	}
	return sealed, false, nil
}

// key names the root key this start was given, for refusals.
func (g *guard) key() rootkey.Key { return rootkey.Key{Source: g.info.Source, Path: g.keyPath} }

func (g *guard) missingKey(evidence string) *RootKeyError {
	return refused(g.dataDir, rootkey.Missing(g.key(), evidence, startAgain))
}

func (g *guard) wrongKey(problem string) *RootKeyError {
	return refused(g.dataDir, rootkey.Wrong(g.key(), problem, startAgain))
}

func (g *guard) badKey(err error) *RootKeyError {
	return refused(g.dataDir, rootkey.Unusable(g.key(), err, startAgain))
}
