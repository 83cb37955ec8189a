package netlimit

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestEffective(t *testing.T) {
	d := Defaults
	cases := []struct {
		name      string
		in        Limits
		files     uint64
		max, per  int
		lowered   int // notes expected
		bodyTO    time.Duration
		bodyRate  int64
		headerOff bool
	}{
		{name: "zero takes the defaults", files: 1 << 20, max: d.MaxConnections, per: d.MaxConnectionsPerClient, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "unknown file limit", files: 0, max: d.MaxConnections, per: d.MaxConnectionsPerClient, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "file limit lowers the total, which lowers the per-client cap", files: 1024,
			max: (1024 - reservedFiles) / filesPerConnection, per: (1024 - reservedFiles) / filesPerConnection / 2, lowered: 2, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "no total cap still fits the file limit", in: Limits{MaxConnections: -1}, files: 20000,
			max: (20000 - reservedFiles) / filesPerConnection, per: d.MaxConnectionsPerClient, lowered: 1, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "per-client cap above half the total", in: Limits{MaxConnections: 100, MaxConnectionsPerClient: 80}, files: 1 << 20,
			max: 100, per: 50, lowered: 1, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "per-client cap off stays off (behind a proxy)", in: Limits{MaxConnections: 100, MaxConnectionsPerClient: -1}, files: 1 << 20,
			max: 100, per: -1, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "a tiny file limit still allows a connection", files: 10, max: 1, per: 1, lowered: 2, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "unlimited files", in: Limits{MaxConnections: 10}, files: ^uint64(0), max: 10, per: 5, lowered: 1, bodyTO: d.BodyTimeout, bodyRate: d.BodyMinRate},
		{name: "timeouts off", in: Limits{HeaderTimeout: -1, BodyTimeout: -1, BodyMinRate: -1}, files: 1 << 20,
			max: d.MaxConnections, per: d.MaxConnectionsPerClient, bodyTO: -1, bodyRate: -1, headerOff: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, notes := tc.in.Effective(tc.files)
			if got.MaxConnections != tc.max || got.MaxConnectionsPerClient != tc.per {
				t.Errorf("caps = %d/%d, want %d/%d", got.MaxConnections, got.MaxConnectionsPerClient, tc.max, tc.per)
			}
			if len(notes) != tc.lowered {
				t.Errorf("notes = %q, want %d", notes, tc.lowered)
			}
			if got.BodyTimeout != tc.bodyTO || got.BodyMinRate != tc.bodyRate {
				t.Errorf("body = %v at %d B/s, want %v at %d", got.BodyTimeout, got.BodyMinRate, tc.bodyTO, tc.bodyRate)
			}
			if (got.HeaderTimeout < 0) != tc.headerOff || got.IdleTimeout != d.IdleTimeout {
				t.Errorf("header/idle = %v/%v", got.HeaderTimeout, got.IdleTimeout)
			}
		})
	}
}

func TestZeroMeansOff(t *testing.T) {
	got := Limits{MaxConnections: 10, IdleTimeout: time.Minute}.ZeroMeansOff()
	want := Limits{MaxConnections: 10, MaxConnectionsPerClient: -1, HeaderTimeout: -1, IdleTimeout: time.Minute, BodyTimeout: -1, BodyMinRate: -1}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestBodyBudget(t *testing.T) {
	const max, rate = 20 * time.Second, 1024
	cases := []struct {
		name           string
		budget, waited time.Duration
		n              int
		rate           int64
		want           time.Duration
	}{
		{"a byte after 2 s", max, 2 * time.Second, 1, rate, max - 2*time.Second + time.Second/1024},
		{"a full buffer at once refills, capped", max - time.Second, 0, 32 << 10, rate, max},
		{"steady at the minimum rate keeps the budget", 5 * time.Second, time.Second, 1024, rate, 5 * time.Second},
		{"nothing for longer than left", time.Second, 2 * time.Second, 0, rate, -time.Second},
		{"no rate: a byte refills", time.Second, 500 * time.Millisecond, 1, 0, max},
		{"no rate: a stall spends", time.Second, 500 * time.Millisecond, 0, 0, 500 * time.Millisecond},
	}
	for _, tc := range cases {
		if got := bodyBudget(tc.budget, tc.waited, tc.n, max, tc.rate); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// A trickle of one byte every 2 s runs out after about the timeout.
	b, elapsed := time.Duration(max), time.Duration(0)
	for b > 0 {
		b = bodyBudget(b, 2*time.Second, 1, max, rate)
		elapsed += 2 * time.Second
	}
	if elapsed < max || elapsed > max+4*time.Second {
		t.Fatalf("a trickle lasted %v with a %v timeout", elapsed, max)
	}
}

func TestClientKey(t *testing.T) {
	cases := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 1}, "192.0.2.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:3:4:5:6"), Port: 1}, "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:ffff::1"), Port: 9}, "2001:db8:1:2::"},
		{&net.UnixAddr{Name: "@", Net: "unix"}, "invalid IP"},
	}
	for _, tc := range cases {
		if got := clientKey(tc.addr).String(); got != tc.want {
			t.Errorf("clientKey(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

// fakeListener hands out the connections of a channel.
type fakeListener struct {
	conns chan net.Conn
}

func (f *fakeListener) Accept() (net.Conn, error) {
	c, ok := <-f.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}
func (f *fakeListener) Close() error   { return nil }
func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

// fakeConn is a connection from an address that records its closing.
type fakeConn struct {
	net.Conn
	from   string
	closed bool
}

func (c *fakeConn) RemoteAddr() net.Addr {
	return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(c.from))
}
func (c *fakeConn) Close() error { c.closed = true; return nil }

func TestListenerCaps(t *testing.T) {
	f := &fakeListener{conns: make(chan net.Conn, 16)}
	l := NewListener(f, 3, 2, nil)
	arrive := func(from string) *fakeConn {
		c := &fakeConn{from: from}
		f.conns <- c
		return c
	}
	a1, a2, a3, b1, c1 := arrive("10.0.0.1:1"), arrive("10.0.0.1:2"), arrive("10.0.0.1:3"), arrive("10.0.0.2:1"), arrive("10.0.0.3:1")
	close(f.conns)
	var got []net.Conn
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			break
		}
		got = append(got, c)
	}
	if len(got) != 3 || !a3.closed || !c1.closed || a1.closed || a2.closed || b1.closed {
		t.Fatalf("accepted %d; closed: a3 %v (per client), c1 %v (total)", len(got), a3.closed, c1.closed)
	}
	st := l.Stats()
	if st.Open != 3 || st.RefusedPerClient != 1 || st.RefusedTotal != 1 || st.MaxConnections != 3 {
		t.Fatalf("stats = %+v", st)
	}
	// Closing twice gives one slot back.
	got[0].Close()
	got[0].Close()
	if st := l.Stats(); st.Open != 2 {
		t.Fatalf("open after a double close = %d", st.Open)
	}
	if len(l.byAddr) != 2 {
		t.Fatalf("per-address counts = %v", l.byAddr)
	}
	for _, c := range got[1:] {
		c.Close()
	}
	if st := l.Stats(); st.Open != 0 || len(l.byAddr) != 0 {
		t.Fatalf("after closing all: %+v, %v", st, l.byAddr)
	}
	if _, ok := got[0].(interface{ CloseWrite() error }); !ok {
		t.Fatal("accepted connections hide CloseWrite from net/http")
	}
}
