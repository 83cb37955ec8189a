package server

import (
	"fmt"
	"net"
	"net/http"

	"github.com/kurastore/kura/internal/object"
)

// metricsHandler serves Kura's counters in the Prometheus text format. It
// is deliberately tiny: the KMS cryptographic calls S3 made or served
// (what S3 Bucket Keys reduce), integrity errors met reading object data,
// and damage found in the metadata file while serving.
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
		fmt.Fprintln(w, "# HELP kura_metadata_damage_total Metadata transactions that met a damaged page of meta.db (each failed; the file is checked at the next start).")
		fmt.Fprintln(w, "# TYPE kura_metadata_damage_total counter")
		fmt.Fprintf(w, "kura_metadata_damage_total %d\n", s.meta.Faults())
	})
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
