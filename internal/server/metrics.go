package server

import (
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/kurastore/kura/internal/netlimit"
	"github.com/kurastore/kura/internal/object"
)

// metricsHandler serves Kura's counters in the Prometheus text format. It
// is deliberately tiny: the KMS cryptographic calls S3 made or served
// (what S3 Bucket Keys reduce), integrity errors met reading object data,
// damage found in the metadata file while serving, and the connection caps
// and slow bodies of internal/netlimit.
func (s *Server) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintln(w, "# HELP kura_kms_crypto_calls_total KMS cryptographic operations (Encrypt, Decrypt, GenerateDataKey*, ReEncrypt), direct or on behalf of S3.")
		fmt.Fprintln(w, "# TYPE kura_kms_crypto_calls_total counter")
		fmt.Fprintf(w, "kura_kms_crypto_calls_total %d\n", s.KMS.CallCount())
		ic := s.Objects.IntegrityErrors()
		fmt.Fprintln(w, "# HELP kura_integrity_errors_total Reads of object data that found a blob missing, damaged (failing authentication) or unreadable; each answered 500 or aborted its response.")
		fmt.Fprintln(w, "# TYPE kura_integrity_errors_total counter")
		fmt.Fprintf(w, "kura_integrity_errors_total{kind=%q} %d\n", object.IntegrityMissing, ic.Missing)
		fmt.Fprintf(w, "kura_integrity_errors_total{kind=%q} %d\n", object.IntegrityDamaged, ic.Damaged)
		fmt.Fprintf(w, "kura_integrity_errors_total{kind=%q} %d\n", object.IntegrityUnreadable, ic.Unreadable)
		if f, ok := s.meta.(interface{ Faults() int64 }); ok { // the embedded store (meta/bolt/health.go)
			fmt.Fprintln(w, "# HELP kura_metadata_damage_total Metadata transactions that met a damaged page of meta.db (each failed; the file is checked at the next start).")
			fmt.Fprintln(w, "# TYPE kura_metadata_damage_total counter")
			fmt.Fprintf(w, "kura_metadata_damage_total %d\n", f.Faults())
		}
		s.writeConnMetrics(w)
	})
}

// writeConnMetrics writes the S3 listener's connection counts and the
// request bodies cut off for being too slow.
func (s *Server) writeConnMetrics(w io.Writer) {
	var st netlimit.Stats
	if s.conns != nil {
		st = s.conns.Stats()
	}
	fmt.Fprintln(w, "# HELP kura_connections_open Open S3 connections.")
	fmt.Fprintln(w, "# TYPE kura_connections_open gauge")
	fmt.Fprintf(w, "kura_connections_open %d\n", st.Open)
	fmt.Fprintln(w, "# HELP kura_connections_max The cap on open S3 connections in force (after the open-file limit); 0: none.")
	fmt.Fprintln(w, "# TYPE kura_connections_max gauge")
	fmt.Fprintf(w, "kura_connections_max %d\n", max(st.MaxConnections, 0))
	fmt.Fprintln(w, "# HELP kura_connections_refused_total Connections closed on accept for being over a cap (cap: total or per_client).")
	fmt.Fprintln(w, "# TYPE kura_connections_refused_total counter")
	fmt.Fprintf(w, "kura_connections_refused_total{cap=\"total\"} %d\n", st.RefusedTotal)
	fmt.Fprintf(w, "kura_connections_refused_total{cap=\"per_client\"} %d\n", st.RefusedPerClient)
	fmt.Fprintln(w, "# HELP kura_request_timeouts_total Requests answered 400 RequestTimeout because their body arrived too slowly.")
	fmt.Fprintln(w, "# TYPE kura_request_timeouts_total counter")
	fmt.Fprintf(w, "kura_request_timeouts_total %d\n", s.bodies.Timeouts())
}

// startMetrics serves /metrics on addr, a separate listener so metrics never
// share the S3 namespace (a bucket could be called "metrics").
func (s *Server) startMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	s.metricsLn = ln
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler())
	s.metrics = &http.Server{Handler: mux}
	go s.metrics.Serve(ln)
	return nil
}

// MetricsURL is the metrics endpoint, or "" when metrics are off.
func (s *Server) MetricsURL() string {
	if s.metricsLn == nil {
		return ""
	}
	return "http://" + s.metricsLn.Addr().String() + "/metrics"
}
