-- Kura metadata on PostgreSQL, schema version 3: the cluster audit trail
-- (meta.TableAuditTrail: batch number, index → node and event; written by
-- every node, read in key order; internal/audit/cluster.go).
CREATE TABLE IF NOT EXISTS kv_audit_trail (key bytea PRIMARY KEY, value bytea NOT NULL);
