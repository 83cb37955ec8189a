package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kurastore/kura/internal/server"
)

// exportedMetrics scrapes /metrics and returns every sample name it has
// (histograms' _bucket, _count and _sum included).
func exportedMetrics(t *testing.T, url string) map[string]bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
			if f[3] == "histogram" || f[3] == "summary" {
				for _, s := range []string{"_bucket", "_count", "_sum"} {
					names[f[2]+s] = true
				}
			}
		}
	}
	return names
}

var metricName = regexp.MustCompile(`\b(?:kura|go|process)_[a-z0-9_]+\b`)

// The example Grafana dashboard (docs/grafana-kura.json) and the metrics
// table of docs/operations.md name only metrics a server exports: a
// server with a little of everything (requests, KMS calls, a bucket key,
// a replication rule with a replicated version) is scraped, and every
// name the dashboard's queries and the table use must be in it.
func TestGrafanaDashboardUsesExportedMetrics(t *testing.T) {
	t.Parallel()
	r := newReplEnv(t, func(c *server.Config) { c.AdminListen = "127.0.0.1:0" })
	r.put(t, "obj/a", []byte("replicate me"), func(in *s3.PutObjectInput) {
		in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(r.srcKey)
	})
	r.drain(t)
	if _, err := r.c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(r.src), Key: aws.String("missing")}); err == nil {
		t.Fatal("GET of a missing key succeeded")
	}
	// Every node's series (in cluster mode each node exports the
	// series of the requests it served).
	exported := map[string]bool{}
	for _, n := range r.ts.nodes {
		for m := range exportedMetrics(t, n.MetricsURL()) {
			exported[m] = true
		}
	}
	// Series that exist only once something happened that this test
	// does not cause; their names are checked against the source that
	// declares them instead.
	src, err := os.ReadFile("metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := []string{"kura_replication_failed_total"} // labelled by failure reason: none until one fails
	if !embeddedMeta(t) {
		// Damage of meta.db's pages: exported with the embedded store only.
		declared = append(declared, "kura_metadata_damage_total")
	}
	for _, m := range declared {
		if !strings.Contains(string(src), `"`+m+`"`) {
			t.Fatalf("%s is not declared in metrics.go", m)
		}
		exported[m] = true
	}

	raw, err := os.ReadFile("../../docs/grafana-kura.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("docs/grafana-kura.json: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, m := range metricName.FindAllString(q.Expr, -1) {
				used[m] = true
				if !exported[m] {
					t.Errorf("panel %q uses %s, which /metrics does not export", p.Title, m)
				}
			}
		}
	}
	// Every kura_ metric family is on the dashboard.
	for m := range exported {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
		if strings.HasPrefix(m, "kura_") && !used[m] && !used[base] && !used[base+"_bucket"] {
			t.Errorf("%s is exported but on no panel of the dashboard", m)
		}
	}

	// docs/operations.md's table, likewise.
	ops, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(ops)
	if i := strings.Index(section, "\n## Metrics\n"); i >= 0 {
		section = section[i+1:]
		if j := strings.Index(section[3:], "\n## "); j >= 0 {
			section = section[:j+3]
		}
	}
	documented := map[string]bool{}
	for _, m := range metricName.FindAllString(section, -1) {
		documented[m] = true
		if strings.HasPrefix(m, "kura_") && !exported[m] {
			t.Errorf("docs/operations.md documents %s, which /metrics does not export", m)
		}
	}
	var missing []string
	for m := range exported {
		if strings.HasPrefix(m, "kura_") && !documented[m] && !strings.HasSuffix(m, "_bucket") && !strings.HasSuffix(m, "_count") && !strings.HasSuffix(m, "_sum") {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("exported but not in docs/operations.md's Metrics section: %v", missing)
	}
}
