// Command tcplb is a small round-robin TCP load balancer for a local Kura
// cluster (scripts/cluster.sh, docs/scale-out.md): it accepts connections
// on one address and hands each, in turn, to the next backend, copying
// bytes both ways. It works at the TCP level, so the client's Host header
// (signed by SigV4) and TLS reach the node unchanged.
//
// A backend that refuses the connection is skipped for that connection
// (the next one is tried), so a killed node costs no failed request that
// had not been sent yet.
//
//	tcplb -listen 127.0.0.1:0 -addr-file DIR/lb.addr 127.0.0.1:9001 127.0.0.1:9002 ...
//
// It prints "tcplb listening on ADDR" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to accept connections on")
	addrFile := flag.String("addr-file", "", "write the listening address to this file")
	flag.Parse()
	backends := flag.Args()
	if len(backends) == 0 {
		fmt.Fprintln(os.Stderr, "tcplb: name at least one backend address (host:port)")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("tcplb: listen on %s: %v", *listen, err)
	}
	addr := ln.Addr().String()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(addr+"\n"), 0o644); err != nil {
			log.Fatalf("tcplb: write %s: %v", *addrFile, err)
		}
	}
	fmt.Printf("tcplb listening on %s\n", addr)
	var next atomic.Uint64
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("tcplb: accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		start := next.Add(1)
		go serve(c, backends, int(start))
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
