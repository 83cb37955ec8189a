package server

import (
	"fmt"
	"net"
	"net/http"
)

// metricsHandler serves Kura's counters in the Prometheus text format. It
// is deliberately tiny: one counter today, the KMS cryptographic calls S3
// made or served, which is what S3 Bucket Keys reduce.
func (s *Server) metricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintln(w, "# HELP kura_kms_crypto_calls_total KMS cryptographic operations (Encrypt, Decrypt, GenerateDataKey*, ReEncrypt), direct or on behalf of S3.")
		fmt.Fprintln(w, "# TYPE kura_kms_crypto_calls_total counter")
		fmt.Fprintf(w, "kura_kms_crypto_calls_total %d\n", s.KMS.CallCount())
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
