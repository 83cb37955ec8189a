package backend

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/kurastore/kura/internal/meta/pg"
)

// PostgreSQL metadata (postgres:// or postgresql://, internal/meta/pg):
// `kura server --meta 'postgres://kura@db.example:5432/kura?sslmode=verify-full&schema=kura'`.
// The URL is libpq's, passed to pgx as it is, except for one option of
// Kura's own: schema=NAME keeps Kura's tables in that schema (created if
// missing) rather than on the connection's search_path. Several Kura
// nodes may open the same store at once.

func postgresFromURL(u *url.URL) (Meta, error) {
	if u.Host == "" && u.Query().Get("host") == "" {
		return nil, fmt.Errorf("metadata store %q: a postgres URL names a server: postgres://user@host:5432/database", u.Redacted())
	}
	q := u.Query()
	schema := q.Get("schema")
	q.Del("schema")
	c := *u
	c.RawQuery = q.Encode()
	return postgresMeta{dsn: c.String(), shown: u.Redacted(), schema: schema}, nil
}

type postgresMeta struct {
	dsn    string // without schema=
	shown  string // the URL without its password
	schema string
}

func (p postgresMeta) String() string { return p.shown }

func (p postgresMeta) HasData(ctx context.Context) (bool, error) {
	has, err := pg.HasData(ctx, p.dsn, p.schema)
	if err != nil {
		return false, fmt.Errorf("metadata store %s: %w", p.shown, err)
	}
	return has, nil
}

func (p postgresMeta) OpenReadOnly(ctx context.Context, log *slog.Logger) (MetaStore, error) {
	return p.open(ctx, log, true)
}

// Open applies the schema migrations the database lacks.
func (p postgresMeta) Open(ctx context.Context, log *slog.Logger) (MetaStore, error) {
	return p.open(ctx, log, false)
}

func (p postgresMeta) open(ctx context.Context, log *slog.Logger, readOnly bool) (MetaStore, error) {
	s, err := pg.Open(ctx, p.dsn, pg.Options{Schema: p.schema, ReadOnly: readOnly, ApplicationName: "kura", Logger: log})
	if err != nil {
		return nil, fmt.Errorf("metadata store %s: %w", p.shown, err)
	}
	return postgresStore{s}, nil
}

type postgresStore struct{ *pg.Store }

// Exclusive: other Kura nodes may use the database at the same time.
func (postgresStore) Exclusive() bool { return false }
