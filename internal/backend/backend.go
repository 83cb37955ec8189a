// Package backend names the stores a Kura deployment keeps its state in —
// the metadata store (meta.Store) and the blob store (blob.Store) — by
// URL, and opens them: `kura server --meta bolt:///var/lib/kura/meta.db
// --blobs file:///var/lib/kura/blobs`. Each URL scheme maps to a
// constructor in one table (metaSchemes, blobSchemes); a new backend
// (postgres://, s3://) is a new entry there and a package of its own, and
// nothing in the server changes.
//
// A store is configured first and opened later, so that the server can
// decide whether it may be opened at all before anything is written (the
// root key guard, internal/server/rootkey.go): Meta and Blobs say whether
// the store holds data and open it read-only without creating or changing
// anything.
package backend

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/meta"
)

// Meta is a configured metadata store, not opened yet.
type Meta interface {
	// String names the store as messages to an operator name it (the
	// embedded store: its file's path).
	String() string
	// HasData reports whether the store exists and holds anything. It
	// creates and changes nothing.
	HasData(ctx context.Context) (bool, error)
	// OpenReadOnly opens the store for reading only: it neither creates
	// nor changes anything, and leaves nothing behind when closed.
	OpenReadOnly(ctx context.Context, log *slog.Logger) (MetaStore, error)
	// Open opens the store for serving, creating it if needed.
	Open(ctx context.Context, log *slog.Logger) (MetaStore, error)
}

// MetaStore is an open metadata store.
type MetaStore interface {
	meta.Store
	// Empty reports whether the store holds no record in any table.
	Empty(ctx context.Context) (bool, error)
	// Exclusive reports whether this process is the only one using the
	// store while it has it open (the embedded store holds its file's
	// lock). Then anything another process left behind — a lease, a
	// temporary blob file — belongs to a process that is gone.
	Exclusive() bool
}

// Blobs is a configured blob store, not opened yet.
type Blobs interface {
	// String names the store as messages to an operator name it (a
	// directory: its path).
	String() string
	// HasData reports whether the store holds any blob or partial
	// write. It creates and changes nothing.
	HasData(ctx context.Context) (bool, error)
	// Open opens the store, creating it if needed.
	Open(ctx context.Context) (blob.Store, error)
}

// metaSchemes and blobSchemes are the backends by URL scheme. Issue 17
// adds "s3" here.
var (
	metaSchemes = map[string]func(*url.URL) (Meta, error){
		"bolt":       boltFromURL,
		"postgres":   postgresFromURL, // postgres.go
		"postgresql": postgresFromURL,
	}
	blobSchemes = map[string]func(*url.URL) (Blobs, error){
		"file": fileFromURL,
	}
)

// ParseMeta returns the metadata store raw names, e.g.
// bolt:///var/lib/kura/meta.db.
func ParseMeta(raw string) (Meta, error) {
	u, open, err := parse(raw, "metadata store", metaSchemes)
	if err != nil {
		return nil, err
	}
	return open(u)
}

// ParseBlobs returns the blob store raw names, e.g.
// file:///var/lib/kura/blobs.
func ParseBlobs(raw string) (Blobs, error) {
	u, open, err := parse(raw, "blob store", blobSchemes)
	if err != nil {
		return nil, err
	}
	return open(u)
}

func parse[T any](raw, what string, schemes map[string]func(*url.URL) (T, error)) (*url.URL, func(*url.URL) (T, error), error) {
	known := make([]string, 0, len(schemes))
	for s := range schemes {
		known = append(known, s+"://")
	}
	slices.Sort(known)
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, nil, fmt.Errorf("%s %q: want a URL such as %s…", what, raw, strings.Join(known, "…, "))
	}
	open, ok := schemes[strings.ToLower(u.Scheme)]
	if !ok {
		return nil, nil, fmt.Errorf("%s %q: unknown scheme %q; this Kura knows %s", what, raw, u.Scheme, strings.Join(known, ", "))
	}
	return u, open, nil
}

// localPath returns the path of a URL that names a local file or
// directory: scheme:///absolute/path or scheme:relative/path. Those URLs
// take no host, user or query, so a typo does not pass unnoticed.
func localPath(u *url.URL) (string, error) {
	switch {
	case u.Host != "" || u.User != nil:
		return "", fmt.Errorf("%q: a %s URL names a local path and has no host: write %s:///absolute/path or %s:relative/path",
			u.Redacted(), u.Scheme, u.Scheme, u.Scheme)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q: a %s URL takes no options", u.Redacted(), u.Scheme)
	case u.Opaque != "":
		return u.Opaque, nil
	case u.Path == "":
		return "", fmt.Errorf("%q: no path", u.Redacted())
	}
	return u.Path, nil
}
