package pg

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kurastore/kura/internal/meta"
)

// Schema migrations: migrations/NNNN_name.sql, applied in order at Open,
// each in a transaction of its own together with its row in
// kura_schema_migrations. Several nodes starting together may race to
// apply one; the loser's insert of the version row conflicts, it rolls
// back and finds the migration applied. Every migration must be safe to
// run again (IF NOT EXISTS), as CockroachDB runs DDL outside the
// transaction's atomicity.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

const migrationsTable = "kura_schema_migrations"

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", n)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: label, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations: version %d missing", i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version this Kura migrates a database to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // the embedded files are fixed at build time; a test covers them
	}
	return len(ms)
}

// migrate applies the migrations the database lacks.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("meta/pg: %w", err)
	}
	_, err = s.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+migrationsTable+
		" (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
	if err != nil && !isDuplicate(err) {
		return classify(ctx, fmt.Errorf("meta/pg: create %s: %w", migrationsTable, err))
	}
	applied, err := s.appliedVersion(ctx)
	if err != nil {
		return err
	}
	if applied > len(ms) {
		return fmt.Errorf("meta/pg: the database's schema is at version %d, newer than this Kura knows (%d): run a Kura at least as new as the one that migrated it", applied, len(ms))
	}
	for _, m := range ms[applied:] {
		err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(t pgx.Tx) error {
			if _, err := t.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := t.Exec(ctx, "INSERT INTO "+migrationsTable+" (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil && !isDuplicate(err) && !retryable(err) {
			return classify(ctx, fmt.Errorf("meta/pg: schema migration %d (%s): %w", m.version, m.name, err))
		}
		if err != nil {
			// Another node applied it at the same time.
			s.log.Info("schema migration applied by another node", "version", m.version, "err", err)
			continue
		}
		s.log.Info("applied schema migration", "version", m.version, "name", m.name)
	}
	if v, err := s.appliedVersion(ctx); err != nil {
		return err
	} else if v < len(ms) {
		return fmt.Errorf("meta/pg: the schema is at version %d after migrating, want %d", v, len(ms))
	}
	return nil
}

// checkVersion refuses a schema newer than this Kura knows (ReadOnly:
// nothing is migrated).
func (s *Store) checkVersion(ctx context.Context) error {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
		migrationsTable).Scan(&n)
	if err != nil {
		return classify(ctx, fmt.Errorf("meta/pg: look up %s: %w", migrationsTable, err))
	}
	if n == 0 {
		return nil // nothing was ever migrated: every table reads as empty
	}
	v, err := s.appliedVersion(ctx)
	if err != nil {
		return err
	}
	if known := SchemaVersion(); v > known {
		return fmt.Errorf("meta/pg: the database's schema is at version %d, newer than this Kura knows (%d): run a Kura at least as new as the one that migrated it", v, known)
	}
	return nil
}

// Empty reports whether no table of the store holds a row, including
// tables this version of Kura does not know. Sequences do not count.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	return empty(ctx, s.pool)
}

// querier is what empty needs of a pool or a connection.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func empty(ctx context.Context, q querier) (bool, error) {
	rows, err := q.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'kv\\_%'")
	if err != nil {
		return false, classify(ctx, fmt.Errorf("meta/pg: list tables: %w", err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, classify(ctx, fmt.Errorf("meta/pg: list tables: %w", err))
	}
	for _, n := range names {
		if !validIdent(n) {
			continue // not one of ours
		}
		var found bool
		if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+n+")").Scan(&found); err != nil {
			return false, classify(ctx, fmt.Errorf("meta/pg: read %s: %w", n, err))
		}
		if found {
			return false, nil
		}
	}
	return true, nil
}

// HasData reports whether the database dsn names holds a record of a Kura
// store in schema (the DSN's search_path when schema is ""). It creates
// and changes nothing: a schema that does not exist holds nothing.
func HasData(ctx context.Context, dsn, schema string) (bool, error) {
	pcfg, err := pgxpool.ParseConfig(dsn) // takes the pool_* options off
	if err != nil {
		return false, fmt.Errorf("meta/pg: %w", err)
	}
	cfg := pcfg.ConnConfig
	if schema != "" {
		if !validIdent(schema) {
			return false, fmt.Errorf("meta/pg: schema name %q: want lower-case letters, digits and _ (at most 63)", schema)
		}
		cfg.RuntimeParams["search_path"] = schema
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, classify(ctx, fmt.Errorf("connect: %w", err))
	}
	defer c.Close(context.WithoutCancel(ctx))
	e, err := empty(ctx, c)
	return !e, err
}

func (s *Store) appliedVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+migrationsTable).Scan(&v)
	if err != nil {
		return 0, classify(ctx, fmt.Errorf("meta/pg: read %s: %w", migrationsTable, err))
	}
	return v, nil
}

// loadNames fills the caches of existing tables and sequences.
func (s *Store) loadNames(ctx context.Context) error {
	for _, q := range []struct {
		sql   string
		cache *sync.Map
	}{
		{"SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'kv\\_%'", &s.tables},
		{"SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema() AND sequence_name LIKE 'seq\\_%'", &s.seqs},
	} {
		rows, err := s.pool.Query(ctx, q.sql)
		if err != nil {
			return classify(ctx, fmt.Errorf("meta/pg: list tables: %w", err))
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return classify(ctx, fmt.Errorf("meta/pg: list tables: %w", err))
		}
		for _, n := range names {
			q.cache.Store(n, struct{}{})
		}
	}
	return nil
}

// ensureTable creates the SQL table name if it is not known to exist. It
// runs outside the caller's transaction, on the DDL connection: DDL inside
// a serializable transaction would hold catalog locks to its commit, and
// CockroachDB does not make DDL atomic with writes anyway. An empty table
// reads like a missing one, so creating it for a transaction that then
// fails changes nothing a reader can see.
func (s *Store) ensureTable(ctx context.Context, name string) error {
	if _, ok := s.tables.Load(name); ok {
		return nil
	}
	if err := s.execDDL(ctx, "CREATE TABLE IF NOT EXISTS "+name+" (key bytea PRIMARY KEY, value bytea NOT NULL)"); err != nil {
		return err
	}
	s.tables.Store(name, struct{}{})
	return nil
}

// ensureSequence creates the SEQUENCE name if it is not known to exist.
func (s *Store) ensureSequence(ctx context.Context, name string) error {
	if _, ok := s.seqs.Load(name); ok {
		return nil
	}
	if err := s.execDDL(ctx, "CREATE SEQUENCE IF NOT EXISTS "+name+" MINVALUE 1 START 1 CACHE 1"); err != nil {
		return err
	}
	s.seqs.Store(name, struct{}{})
	return nil
}

func (s *Store) execDDL(ctx context.Context, sql string) error {
	s.ddlMu.Lock()
	defer s.ddlMu.Unlock()
	_, err := s.ddl.Exec(ctx, sql)
	if err != nil && !isDuplicate(err) {
		return err
	}
	return nil
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// validIdent reports whether s is an SQL identifier that needs no quoting.
func validIdent(s string) bool { return identRE.MatchString(s) }

// sqlName maps a name Kura uses (a meta.Table, a counter) to an SQL
// identifier with prefix: the name itself when it is a plain lower-case
// identifier, otherwise a hash of it (such names are not in use; the
// mapping only has to be fixed and collision-free in practice).
func sqlName(prefix, name string) string {
	if n := prefix + name; validIdent(n) && !strings.HasPrefix(name, "h_") {
		return n
	}
	sum := sha256.Sum256([]byte(name))
	return prefix + "h_" + hex.EncodeToString(sum[:12])
}

func tableName(t meta.Table) string { return sqlName("kv_", string(t)) }
func sequenceName(n string) string  { return sqlName("seq_", n) }
