// Package netlimit keeps clients without credentials from taking a server
// offline by holding its connections: a net.Listener that caps connections
// in total and per client address, and an http.Handler wrapper that makes
// request bodies arrive at a minimum rate and never waits for the body of a
// request that has already been answered (a 403, say). It never reads or
// logs request contents.
package netlimit

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits are a server's connection caps and timeouts. A zero field takes
// its value from Defaults; a negative one switches that limit off.
type Limits struct {
	// MaxConnections caps open connections in total. The file limit can
	// lower it further (see Effective).
	MaxConnections int
	// MaxConnectionsPerClient caps open connections from one client
	// address (an IPv6 client: its /64).
	MaxConnectionsPerClient int
	// HeaderTimeout bounds reading a request's headers, IdleTimeout a
	// keep-alive connection's wait for its next request.
	HeaderTimeout, IdleTimeout time.Duration
	// BodyTimeout and BodyMinRate (bytes per second) bound how long a
	// request body may keep the server waiting: see bodyBudget.
	BodyTimeout time.Duration
	BodyMinRate int64
}

// Defaults are the limits `kura server` starts with; docs/operations.md
// ("Connections, limits and timeouts") explains each choice.
var Defaults = Limits{
	MaxConnections:          4096,
	MaxConnectionsPerClient: 256,
	HeaderTimeout:           30 * time.Second,
	IdleTimeout:             2 * time.Minute,
	BodyTimeout:             20 * time.Second,
	BodyMinRate:             1024,
}

// filesPerConnection and reservedFiles size the connection cap to the file
// limit: a connection holds its socket and, while it serves a request, up
// to two files (CopyObject and UploadPartCopy read a source blob while
// writing a temporary one); reservedFiles stay for the metadata store, the
// audit log, the listeners and the accept loop, which needs one descriptor
// to refuse a connection over the cap. Without them, the file limit, not
// the cap, would decide which connections fail, and accept would fail
// ("too many open files") for every client alike.
const (
	filesPerConnection = 3
	reservedFiles      = 128
)

// Effective fills in defaults and lowers the caps to what fileLimit (the
// process's RLIMIT_NOFILE; 0 when unknown) can hold. It also keeps the
// per-client cap at most half the total, so that one address never holds
// every connection (a per-client cap switched off stays off: behind a proxy
// every client has the proxy's address). Notes says what was lowered and
// why, for the log.
func (l Limits) Effective(fileLimit uint64) (eff Limits, notes []string) {
	eff = l
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&eff.MaxConnections, Defaults.MaxConnections)
	def(&eff.MaxConnectionsPerClient, Defaults.MaxConnectionsPerClient)
	defDur(&eff.HeaderTimeout, Defaults.HeaderTimeout)
	defDur(&eff.IdleTimeout, Defaults.IdleTimeout)
	defDur(&eff.BodyTimeout, Defaults.BodyTimeout)
	if eff.BodyMinRate == 0 {
		eff.BodyMinRate = Defaults.BodyMinRate
	}
	if fileLimit > 0 && fileLimit < 1<<40 {
		room := max(int(fileLimit)-reservedFiles, filesPerConnection) / filesPerConnection
		if eff.MaxConnections < 0 || eff.MaxConnections > room {
			notes = append(notes, "max connections lowered to fit the file limit")
			eff.MaxConnections = room
		}
	}
	if total := eff.MaxConnections; total > 0 {
		if half := max(total/2, 1); eff.MaxConnectionsPerClient > half {
			notes = append(notes, "max connections per client lowered to half the total")
			eff.MaxConnectionsPerClient = half
		}
	}
	return eff, notes
}

// LogValue lists the limits in force, for the start-up log line.
func (l Limits) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("max_connections", l.MaxConnections),
		slog.Int("max_connections_per_client", l.MaxConnectionsPerClient),
		slog.Duration("header_timeout", l.HeaderTimeout),
		slog.Duration("idle_timeout", l.IdleTimeout),
		slog.Duration("body_timeout", l.BodyTimeout),
		slog.Int64("body_min_rate", l.BodyMinRate),
	)
}

// Apply sets srv's header and idle timeouts; a negative (switched off)
// limit becomes net/http's zero, "none".
func (l Limits) Apply(srv *http.Server) {
	srv.ReadHeaderTimeout = max(l.HeaderTimeout, 0)
	srv.IdleTimeout = max(l.IdleTimeout, 0)
}

// ZeroMeansOff turns the zeros of command-line flags ("0: no cap", "0:
// none") into Limits' "off" (negative), since a zero field here means "the
// default".
func (l Limits) ZeroMeansOff() Limits {
	off := func(v *int) {
		if *v == 0 {
			*v = -1
		}
	}
	offDur := func(v *time.Duration) {
		if *v == 0 {
			*v = -1
		}
	}
	off(&l.MaxConnections)
	off(&l.MaxConnectionsPerClient)
	offDur(&l.HeaderTimeout)
	offDur(&l.IdleTimeout)
	offDur(&l.BodyTimeout)
	if l.BodyMinRate == 0 {
		l.BodyMinRate = -1
	}
	return l
}
