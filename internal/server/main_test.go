package server_test

import (
	"flag"
	"os"
	"runtime"
	"testing"
)

// TestMain runs the package's tests with more of them at a time than
// there are CPUs, unless -test.parallel is given: each test runs its own
// server on its own data directory and loopback port, and most of their
// time is spent waiting (fsync, timers, child processes), so the default
// of GOMAXPROCS leaves the machine idle. Afterwards it removes the kura
// binary the child-process tests share (buildKura).
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", itoa(max(4*runtime.GOMAXPROCS(0), 8)))
	}
	code := m.Run()
	if kuraBin.dir != "" {
		os.RemoveAll(kuraBin.dir)
	}
	os.Exit(code)
}
