package console

import (
	"net/http"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// Replication, read only: a bucket's rules (GetBucketReplication as the
// principal: s3:GetReplicationConfiguration) and the replicator's figures
// for them, as GET ?replication&status and `kura replication status` give
// them.

func (c *Console) replicationRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/api/replication", c.authed(c.replication))
}

type ruleView struct {
	ID           string           `json:"id"`
	Status       string           `json:"status"`
	Priority     int              `json:"priority"`
	Prefix       string           `json:"prefix"`
	Destination  string           `json:"destination"`
	StorageClass string           `json:"storageClass,omitempty"`
	ReplicaKey   string           `json:"replicaKmsKeyId,omitempty"`
	KMSObjects   string           `json:"sseKmsEncryptedObjects,omitempty"`
	Pending      int64            `json:"pendingOps"`
	PendingBytes int64            `json:"pendingBytes"`
	Completed    int64            `json:"completed"`
	Failed       int64            `json:"failed"`
	MeanLatency  float64          `json:"meanLatencySeconds"`
	Failures     map[string]int64 `json:"failures,omitempty"`
}

func rulePrefix(r kura.ReplicationRule) string {
	switch {
	case r.Filter == nil:
		return r.Prefix
	case r.Filter.And != nil:
		return r.Filter.And.Prefix
	}
	return r.Filter.Prefix
}

func (c *Console) replication(w http.ResponseWriter, r *http.Request, _ *session, call kura.Call) {
	bucket := r.URL.Query().Get("bucket")
	conf, err := c.cfg.Ops.GetBucketReplicationStatus(r.Context(), call, ops.BucketTarget{Bucket: bucket})
	if s3err.Is(err, s3err.ReplicationConfigurationNotFound) {
		writeJSON(w, http.StatusOK, map[string]any{"bucket": bucket, "rules": []ruleView{}})
		return
	}
	if err != nil {
		c.fail(w, err)
		return
	}
	rules := make([]ruleView, 0, len(conf.Rules))
	for _, rule := range conf.Rules {
		v := ruleView{ID: rule.ID, Status: rule.Status, Priority: rule.Priority, Prefix: rulePrefix(rule),
			Destination: rule.Destination.Bucket, StorageClass: rule.Destination.StorageClass,
			ReplicaKey: rule.Destination.ReplicaKmsKeyID, KMSObjects: rule.SseKmsEncryptedObjects}
		if c.cfg.ReplicationStats != nil {
			for _, st := range c.cfg.ReplicationStats() {
				if st.Bucket == bucket && st.RuleID == rule.ID {
					v.Pending, v.PendingBytes, v.Completed, v.Failed, v.Failures = st.PendingOps, st.PendingBytes, st.Completed, st.Failed, st.Failures
					if st.Completed > 0 {
						v.MeanLatency = st.LatencySeconds / float64(st.Completed)
					}
				}
			}
		}
		rules = append(rules, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"bucket": bucket, "role": conf.Role, "rules": rules})
}
