-- Kura metadata on PostgreSQL, schema version 1 (internal/meta/pg).
--
-- One table per meta.Table, named kv_<table>, each an ordered map of raw
-- byte keys to raw byte values: Kura's key layout (internal/meta/keys.go)
-- and record encoding (docs/formats.md) are the same as in the embedded
-- store. A table Kura does not list here is created when first written.
-- Only plain CREATE TABLE with a primary key: PostgreSQL, CockroachDB and
-- YugabyteDB all accept it.
CREATE TABLE IF NOT EXISTS kv_buckets (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_versions (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_uploads (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_parts (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_blobgc (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_system (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_leases (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_audit_outbox (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_kms_keys (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_kms_account_keys (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_kms_aliases (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_iam_accounts (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_iam_users (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_iam_keys (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_iam_roles (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_iam_policies (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_iam_sessions (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_batch_jobs (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_batch_tokens (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_batch_chunks (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE IF NOT EXISTS kv_replication (key bytea PRIMARY KEY, value bytea NOT NULL);
-- The version counter (meta.SequenceVersions); other counters are created
-- when first used.
CREATE SEQUENCE IF NOT EXISTS seq_versions MINVALUE 1 START 1 CACHE 1;
