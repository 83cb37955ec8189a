package netlimit

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Listener is a net.Listener that holds at most a given number of
// connections in total and per client address. A connection over either
// cap is closed as soon as it is accepted, before anything is read from it
// or a goroutine is started for it: a flood costs one descriptor for a
// moment per connection and never piles up. The client sees its connection
// closed and retries (the SDKs treat that like a 503).
type Listener struct {
	net.Listener
	max, perClient int
	log            *slog.Logger

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int

	refusedTotal, refusedPerClient atomic.Uint64
	// lastWarn and sinceWarn rate-limit the refusal warnings: a flood
	// must not turn into a flood of log lines.
	lastWarn  time.Time
	sinceWarn int
}

// warnEvery is the least time between two "connections refused" warnings.
const warnEvery = 10 * time.Second

// NewListener wraps ln. max and perClient are the caps; zero or negative
// means no cap. log receives a warning when connections are refused (at
// most one per 10 s, with the count).
func NewListener(ln net.Listener, max, perClient int, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.Default()
	}
	return &Listener{Listener: ln, max: max, perClient: perClient, log: log, byAddr: map[netip.Addr]int{}}
}

// Accept returns the next connection within the caps, closing the ones
// over them.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := clientKey(c.RemoteAddr())
		if reason := l.admit(addr); reason != "" {
			c.Close()
			l.warnRefused(reason, addr)
			continue
		}
		return &conn{Conn: c, l: l, addr: addr}, nil
	}
}

// admit counts a new connection from addr, or says which cap it is over.
func (l *Listener) admit(addr netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.open >= l.max {
		l.refusedTotal.Add(1)
		return "max connections"
	}
	if l.perClient > 0 && l.byAddr[addr] >= l.perClient {
		l.refusedPerClient.Add(1)
		return "max connections per client"
	}
	l.open++
	l.byAddr[addr]++
	return ""
}

func (l *Listener) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

func (l *Listener) warnRefused(reason string, addr netip.Addr) {
	l.mu.Lock()
	l.sinceWarn++
	now := time.Now()
	if now.Sub(l.lastWarn) < warnEvery {
		l.mu.Unlock()
		return
	}
	n := l.sinceWarn
	l.lastWarn, l.sinceWarn = now, 0
	open := l.open
	l.mu.Unlock()
	l.log.Warn("connections refused: over the connection cap", "reason", reason, "client", addr,
		"refused_since_last_warning", n, "open", open, "max_connections", l.max, "max_connections_per_client", l.perClient)
}

// Stats are a Listener's counters.
type Stats struct {
	Open int
	// RefusedTotal and RefusedPerClient count connections closed at once
	// for being over the total or the per-client cap.
	RefusedTotal, RefusedPerClient uint64
	MaxConnections                 int
}

// Stats returns the counters now.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	return Stats{Open: open, RefusedTotal: l.refusedTotal.Load(), RefusedPerClient: l.refusedPerClient.Load(), MaxConnections: l.max}
}

// clientKey is the address a connection counts against: the IP, or for
// IPv6 its /64, which is what one host (or one customer of a provider)
// usually holds; an IPv4-mapped IPv6 address counts as IPv4.
func clientKey(a net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			ip = ap.Addr()
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip
}

// conn gives its slot back when closed (once: net/http may close twice).
type conn struct {
	net.Conn
	l      *Listener
	addr   netip.Addr
	closed atomic.Bool
}

func (c *conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c.addr)
	}
	return c.Conn.Close()
}

// CloseWrite passes the half-close net/http uses before closing a
// connection whose request body it did not read (it sends the response,
// then FIN, and lingers briefly so the client reads the response before
// a reset); hiding it would turn those closes into resets.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
