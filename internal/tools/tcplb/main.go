// Command tcplb runs package internal/tcplb, the round-robin TCP balancer
// of a local Kura cluster (scripts/cluster.sh, docs/scale-out.md).
//
//	tcplb -listen 127.0.0.1:0 -addr-file DIR/lb.addr 127.0.0.1:9001 127.0.0.1:9002 ...
//
// It prints "tcplb listening on ADDR" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"

	"github.com/kurastore/kura/internal/tcplb"
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
	if err := tcplb.Serve(ln, backends); err != nil {
		log.Fatalf("tcplb: %v", err)
	}
}
