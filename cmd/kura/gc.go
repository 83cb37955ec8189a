package main

import (
	"os"
	"runtime/debug"
)

// serverGCPercent is the garbage collector's target for `kura server`
// when the environment does not set GOGC. Kura's live heap is small (a
// few MiB: buffers are pooled, records decoded per request), so Go's
// default of 100 collects every few MiB allocated — 15–17 % of the
// server's CPU on the re-key and small-object paths. At 400, measured
// with 16 callers re-keying over HTTP (docs/benchmarks.md, "The garbage
// collector's target"): ~21 % less server CPU per request, ~12 % more
// requests a second, 14 MiB more peak RSS (90 against 76); streaming a
// 5 GiB object peaks at the same 28 MiB. Set GOGC to choose otherwise.
const serverGCPercent = 400

// setServerGC applies serverGCPercent unless GOGC is set, in which case
// the runtime has applied it already.
func setServerGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}
