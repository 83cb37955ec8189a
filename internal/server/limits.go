package server

import (
	"net"

	"github.com/kurastore/kura/internal/netlimit"
)

// applyLimits raises the open-file limit, settles the connection limits
// against it (Config.Limits, defaults filled in) and puts the timeouts and
// the body guard on the S3 HTTP server. The metrics and debug listeners
// are the operator's and stay outside the caps.
func (s *Server) applyLimits() {
	log := s.cfg.Logger
	files, err := netlimit.RaiseFileLimit()
	if err != nil {
		log.Warn("could not raise the open-file limit (RLIMIT_NOFILE) to its hard limit", "err", err, "limit", files)
	}
	lim, notes := s.cfg.Limits.Effective(files)
	for _, n := range notes {
		log.Warn(n, "file_limit", files, "max_connections", lim.MaxConnections,
			"max_connections_per_client", lim.MaxConnectionsPerClient)
	}
	log.Info("connection limits", "file_limit", files, "limits", lim)
	s.limits = lim
	lim.Apply(s.http)
	s.bodies = netlimit.NewBodyGuard(lim)
	s.http.Handler = s.bodies.Wrap(s.http.Handler)
}

// listen opens the S3 listener under the connection caps.
func (s *Server) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, err
	}
	s.conns = netlimit.NewListener(ln, s.limits.MaxConnections, s.limits.MaxConnectionsPerClient, s.cfg.Logger)
	return s.conns, nil
}
