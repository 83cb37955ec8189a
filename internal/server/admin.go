package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kurastore/kura/internal/meta"
)

// The admin listener: a separate address from S3's, so operational
// endpoints never share the S3 namespace (a bucket could be called
// "metrics" or "health") and can be kept off the network the clients use.
// It serves
//
//	GET /metrics       Prometheus text format (internal/metrics, metrics.go,
//	                   and the Go runtime and process collectors)
//	GET /health/live   200 while the process runs and answers
//	GET /health/ready  200 once the stores are open and the S3 listener is
//	                   serving; 503 once Shutdown has begun, or while the
//	                   metadata store fails a read or has met damage
//
//	/                  the web console (internal/console): its pages, and
//	                   its JSON API under /console/api/
//
// The metrics and health endpoints have no authentication: they are meant
// for loopback or a private network, like a Prometheus exporter. The
// console signs in with an access key and acts only as that principal.

// readyProbeTimeout bounds readiness's read of the metadata store: a probe
// that hangs is a store that is not ready.
const readyProbeTimeout = 2 * time.Second

// adminAddr is the admin listener's address from cfg: AdminListen, or the
// deprecated MetricsListen; "" when off.
func adminAddr(cfg Config) string {
	addr := cfg.AdminListen
	if addr == "" {
		addr = cfg.MetricsListen
	}
	if addr == "off" {
		return ""
	}
	return addr
}

// startAdmin serves the admin endpoints on addr ("" leaves them off).
func (s *Server) startAdmin(addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("admin listener (--admin-listen %s): %w; pick another address, or \"off\"", addr, err)
	}
	s.adminLn = ln
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.ops.Registry(), promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelError)}))
	mux.HandleFunc("GET /health/live", func(w http.ResponseWriter, _ *http.Request) {
		health(w, http.StatusOK, "live")
	})
	mux.HandleFunc("GET /health/ready", func(w http.ResponseWriter, r *http.Request) {
		if why := s.notReady(r.Context()); why != "" {
			health(w, http.StatusServiceUnavailable, "not ready: "+why)
			return
		}
		health(w, http.StatusOK, "ready")
	})
	mux.Handle("/", s.console)
	s.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn)}
	go s.admin.Serve(ln)
	return nil
}

// notReady says why the server should not be sent requests, or "" when it
// should.
func (s *Server) notReady(ctx context.Context) string {
	switch {
	case s.stopping.Load():
		return "shutting down"
	case !s.serving.Load():
		return "starting"
	}
	if f, ok := s.meta.(interface{ Faults() int64 }); ok { // the embedded store (meta/bolt/health.go)
		if n := f.Faults(); n > 0 {
			return fmt.Sprintf("the metadata file met damage %d times since start (kura_metadata_damage_total); stop the server and run kura fsck", n)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
	defer cancel()
	// A shared database answers a ping (meta/pg: a View that reads
	// nothing sends nothing); the embedded store an empty read.
	probe := func() error { return s.meta.View(ctx, func(meta.Tx) error { return nil }) }
	if p, ok := s.meta.(interface{ Ping(context.Context) error }); ok {
		probe = func() error { return p.Ping(ctx) }
	}
	if err := probe(); err != nil {
		return "the metadata store does not answer a read: " + err.Error()
	}
	return ""
}

func health(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// AdminURL is the admin listener's base URL (http://host:port), or "" when
// it is off.
func (s *Server) AdminURL() string {
	if s.adminLn == nil {
		return ""
	}
	return "http://" + s.adminLn.Addr().String()
}

// MetricsURL is the metrics endpoint, or "" when the admin listener is off.
func (s *Server) MetricsURL() string {
	if s.adminLn == nil {
		return ""
	}
	return s.AdminURL() + "/metrics"
}
