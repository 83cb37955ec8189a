package fs

import (
	"context"
	"os"
)

// writeBehindChunk is how much of a blob is written before the kernel is
// asked to start writing it to disk.
const writeBehindChunk = 8 << 20

// writeBehind writes a blob's temporary file and, every writeBehindChunk
// bytes, asks the kernel to start writing what was just written back to
// disk (on Linux sync_file_range(2) with SYNC_FILE_RANGE_WRITE: it starts
// the I/O and does not wait for it). Without it a large blob sits dirty in
// the page cache until Put's fsync, which then writes all of it while the
// client waits: the disk idles while the body arrives and the network
// idles while the disk writes. With it the final fsync finds most pages
// already on disk. Durability is unchanged: Put still fsyncs before the
// blob is linked into place; this only moves the writing earlier. It is a
// hint: where the call is missing or fails, nothing changes but the timing.
//
// It also stops the copy once ctx is done. (It has no ReadFrom, so
// io.CopyBuffer uses the source's WriteTo or Put's buffer.)
type writeBehind struct {
	ctx          context.Context
	f            *os.File
	off, started int64
}

func (w *writeBehind) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.started >= writeBehindChunk {
		startWriteback(w.f, w.started, w.off-w.started)
		w.started = w.off
	}
	return n, err
}
