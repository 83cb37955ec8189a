package backend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/kurastore/kura/internal/blob"
	blobfs "github.com/kurastore/kura/internal/blob/fs"
	"github.com/kurastore/kura/internal/meta/bolt"
)

// The embedded stores: a bbolt file (bolt://) and a local directory
// (file://), Kura's defaults in the data directory.

// Bolt is the embedded metadata store in the bbolt file at path.
func Bolt(path string) Meta { return boltMeta{path: path} }

func boltFromURL(u *url.URL) (Meta, error) {
	p, err := localPath(u)
	if err != nil {
		return nil, fmt.Errorf("metadata store %w", err)
	}
	return Bolt(p), nil
}

type boltMeta struct{ path string }

func (b boltMeta) String() string { return b.path }

// HasData: opening a bbolt file creates it when it does not exist, so look
// first.
func (b boltMeta) HasData(context.Context) (bool, error) {
	fi, err := os.Stat(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("metadata store: %w", err)
	}
	return fi.Size() > 0, nil
}

// OpenReadOnly takes a shared lock and leaves neither the file nor its
// lock marker changed (meta/bolt/health.go).
func (b boltMeta) OpenReadOnly(_ context.Context, log *slog.Logger) (MetaStore, error) {
	s, err := bolt.OpenWith(b.path, bolt.Options{ReadOnly: true, Logger: log})
	if err != nil {
		return nil, err
	}
	return boltStore{s}, nil
}

// Open checks the whole file first after an unclean stop and refuses a
// damaged one (meta/bolt/health.go).
func (b boltMeta) Open(_ context.Context, log *slog.Logger) (MetaStore, error) {
	s, err := bolt.OpenWith(b.path, bolt.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	return boltStore{s}, nil
}

// boltStore is an open bbolt store; its Faults (damage met while
// serving) are reachable through the embedded *bolt.Store.
type boltStore struct{ *bolt.Store }

func (s boltStore) Empty(context.Context) (bool, error) { return s.Store.Empty() }

// Exclusive: bbolt holds an exclusive lock on the file while it is open
// for writing.
func (s boltStore) Exclusive() bool { return true }

// File is the blob store in the local directory dir.
func File(dir string) Blobs { return fileBlobs{dir: dir} }

// SharedFile is the blob store in directory dir shared by several nodes
// (blobfs.OpenShared): file:///mnt/kura/blobs?shared=1.
func SharedFile(dir string) Blobs { return fileBlobs{dir: dir, shared: true} }

// fileFromURL reads file:///path, or file:///path?shared=1 for a
// directory several nodes share.
func fileFromURL(u *url.URL) (Blobs, error) {
	shared := false
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("blob store %q: %v", u.Redacted(), err)
		}
		for k, vs := range q {
			if k != "shared" {
				return nil, fmt.Errorf("blob store %q: unknown option %q; a file URL takes only shared=1", u.Redacted(), k)
			}
			if shared, err = strconv.ParseBool(vs[len(vs)-1]); err != nil {
				return nil, fmt.Errorf("blob store %q: shared=%q: want 1 or 0", u.Redacted(), vs[len(vs)-1])
			}
		}
		c := *u
		c.RawQuery = ""
		u = &c
	}
	p, err := localPath(u)
	if err != nil {
		return nil, fmt.Errorf("blob store %w", err)
	}
	return fileBlobs{dir: p, shared: shared}, nil
}

type fileBlobs struct {
	dir    string
	shared bool
}

func (f fileBlobs) String() string {
	if f.shared {
		return f.dir + " (shared)"
	}
	return f.dir
}

// HasData reports whether dir or any directory below it holds a file. A
// missing dir holds none.
func (f fileBlobs) HasData(context.Context) (bool, error) {
	found := false
	err := filepath.WalkDir(f.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == f.dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if !d.IsDir() {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("blob store: %w", err)
	}
	return found, nil
}

func (f fileBlobs) Open(context.Context) (blob.Store, error) {
	open := blobfs.Open
	if f.shared {
		open = blobfs.OpenShared
	}
	s, err := open(f.dir)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return s, nil
}
