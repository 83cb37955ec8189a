// Package tcplb is a small round-robin TCP load balancer for a local Kura
// cluster (scripts/cluster.sh through the tcplb command, and the cluster
// tests): each accepted connection goes, in turn, to the next backend,
// with bytes copied both ways. It works at the TCP level, so the client's
// Host header (signed by SigV4) and TLS reach the node unchanged.
//
// A backend that refuses the connection is skipped for that connection
// (the next one is tried), so a killed node costs no failed request that
// had not been sent yet. It is a tool for tests and local trials, not a
// production balancer.
package tcplb

import (
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Serve hands the connections ln accepts to backends round-robin until ln
// is closed (then it returns nil); other accept errors are logged and
// retried.
func Serve(ln net.Listener, backends []string) error {
	var next atomic.Uint64
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			log.Printf("tcplb: accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serve(c, backends, int(next.Add(1)))
	}
}

// serve connects c to the first backend, from start round-robin, that
// accepts a connection, and copies both ways until either side closes.
func serve(c net.Conn, backends []string, start int) {
	defer c.Close()
	var b net.Conn
	for i := range backends {
		addr := backends[(start+i)%len(backends)]
		var err error
		b, err = net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			break
		}
	}
	if b == nil {
		return
	}
	defer b.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(b, c)
		if tc, ok := b.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	io.Copy(c, b)
	// The node closed (or died): nothing more comes back, so the client's
	// connection ends too, which also ends the copy above.
	c.Close()
	b.Close()
	wg.Wait()
}
