package kura

import (
	"reflect"
	"testing"
)

func TestReplicationTargets(t *testing.T) {
	dst := func(b string) ReplicationDestination { return ReplicationDestination{Bucket: BucketARNPrefix + b} }
	v2 := func(id string, prio int, f ReplicationFilter, d string, mod ...func(*ReplicationRule)) ReplicationRule {
		r := ReplicationRule{ID: id, Priority: prio, Status: "Enabled", Filter: &f, DeleteMarkerReplication: "Disabled", Destination: dst(d)}
		for _, m := range mod {
			m(&r)
		}
		return r
	}
	kmsOn := func(r *ReplicationRule) { r.SseKmsEncryptedObjects = "Enabled" }
	dmOn := func(r *ReplicationRule) { r.DeleteMarkerReplication = "Enabled" }
	off := func(r *ReplicationRule) { r.Status = "Disabled" }
	tag := Tag{Key: "team", Value: "a"}
	cfg := &ReplicationConfiguration{Rules: []ReplicationRule{
		v2("all-low", 1, ReplicationFilter{}, "b1"),
		v2("logs-high", 5, ReplicationFilter{Prefix: "logs/"}, "b1", dmOn),
		v2("tagged", 3, ReplicationFilter{Tag: &tag}, "b2", kmsOn),
		v2("and", 2, ReplicationFilter{And: &ReplicationAnd{Prefix: "logs/", Tags: []Tag{tag, {Key: "x", Value: "1"}}}}, "b3"),
		v2("disabled", 9, ReplicationFilter{}, "b4", off),
	}}
	ids := func(ts []ReplicationTarget) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Bucket+":"+t.Rule.ID)
		}
		return out
	}
	tests := []struct {
		name string
		key  string
		tags []Tag
		enc  SSEType
		dm   bool
		want []string
	}{
		{"prefix rule wins by priority", "logs/a", nil, SSES3, false, []string{"b1:logs-high"}},
		{"only the catch-all", "data/a", nil, SSES3, false, []string{"b1:all-low"}},
		{"tag rule adds a destination", "data/a", []Tag{tag}, SSES3, false, []string{"b1:all-low", "b2:tagged"}},
		{"And needs every tag", "logs/a", []Tag{tag}, SSES3, false, []string{"b1:logs-high", "b2:tagged"}},
		{"And matched", "logs/a", []Tag{tag, {Key: "x", Value: "1"}}, SSES3, false, []string{"b1:logs-high", "b2:tagged", "b3:and"}},
		{"SSE-KMS only where opted in", "data/a", []Tag{tag}, SSEKMS, false, []string{"b2:tagged"}},
		{"DSSE-KMS likewise", "logs/a", nil, SSEDSSE, false, nil},
		{"SSE-C like SSE-S3", "data/a", nil, SSEC, false, []string{"b1:all-low"}},
		{"delete marker: chosen rule replicates them", "logs/a", nil, SSENone, true, []string{"b1:logs-high"}},
		{"delete marker: chosen rule does not", "data/a", nil, SSENone, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(cfg.Targets(tc.key, tc.tags, tc.enc, tc.dm))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if (*ReplicationConfiguration)(nil).Targets("k", nil, SSES3, false) != nil {
		t.Fatal("a bucket without configuration has targets")
	}
	v1 := ReplicationConfiguration{Rules: []ReplicationRule{{ID: "v1", Status: "Enabled", Prefix: "p/", Destination: dst("b")}}}
	if got := ids(v1.Targets("p/k", nil, SSENone, true)); !reflect.DeepEqual(got, []string{"b:v1"}) {
		t.Fatalf("V1 rules replicate delete markers: got %v", got)
	}
	if got := v1.Targets("q/k", nil, SSES3, false); got != nil {
		t.Fatalf("V1 prefix: got %v", got)
	}
}

func TestReplicationMetadataTargets(t *testing.T) {
	rule := func(id, mods string) ReplicationRule {
		return ReplicationRule{ID: id, Priority: 1, Status: "Enabled", Filter: &ReplicationFilter{}, DeleteMarkerReplication: "Disabled",
			ReplicaModifications: mods, Destination: ReplicationDestination{Bucket: BucketARNPrefix + id}}
	}
	cfg := &ReplicationConfiguration{Rules: []ReplicationRule{rule("on", "Enabled"), rule("off", "")}}
	for _, tc := range []struct {
		status string
		dm     bool
		want   int
	}{
		{"", false, 0},                   // never selected: nothing was replicated
		{ReplicationFailed, false, 0},    // no replica to update
		{ReplicationCompleted, false, 2}, // to every replica
		{ReplicationPending, false, 2},   // (an entry already queued carries it)
		{ReplicationReplica, false, 1},   // back only where ReplicaModifications is Enabled
		{ReplicationCompleted, true, 0},  // delete markers have no metadata
	} {
		v := &ObjectVersion{Key: "k", ReplicationStatus: tc.status, DeleteMarker: tc.dm, Encryption: Encryption{Type: SSES3}}
		if got := len(cfg.MetadataTargets(v)); got != tc.want {
			t.Errorf("status %q dm %v: %d targets, want %d", tc.status, tc.dm, got, tc.want)
		}
	}
}
