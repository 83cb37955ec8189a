-- Kura metadata on PostgreSQL, schema version 2: the index of replicas
-- from linked deployments (meta.TableReplicaIDs: bucket, key, version id
-- → the local seq the replica is stored under; docs/replication.md).
CREATE TABLE IF NOT EXISTS kv_replica_ids (key bytea PRIMARY KEY, value bytea NOT NULL);
