package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestSetServerGC: the server's GC target is serverGCPercent unless GOGC
// names one, which is kept.
func TestSetServerGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		env     string // "" = unset
		runtime int    // what the runtime took from GOGC at start
		want    int
	}{
		{"", 100, serverGCPercent},
		{"150", 150, 150},
		{"off", -1, -1},
	} {
		t.Setenv("GOGC", c.env) // restored after the test
		if c.env == "" {
			os.Unsetenv("GOGC")
		}
		debug.SetGCPercent(c.runtime)
		setServerGC()
		if got := debug.SetGCPercent(c.runtime); got != c.want {
			t.Errorf("GOGC=%q: GC percent in force %d, want %d", c.env, got, c.want)
		}
	}
}
