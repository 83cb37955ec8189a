package object

import (
	"crypto/md5"
	"hash"
	"sync"
)

// MD5 beside the upload: an MD5 ETag needs a hash of every byte, the
// slowest step of a large SSE-S3 PUT after the system calls (issue 18).
// For a large body it runs on another goroutine — another core — while
// the request's goroutine encrypts and writes: what is written is copied
// into one of a few buffers and handed over. The copy costs far less than
// the hash; small bodies are hashed in line, where a goroutine would cost
// more than it saves.

const (
	md5BufSize   = 256 << 10
	md5Buffers   = 3       // in flight per upload: bounds its memory
	md5AsyncFrom = 1 << 20 // bodies smaller than this (when known) hash in line
)

var md5Pool = sync.Pool{New: func() any { b := make([]byte, 0, md5BufSize); return &b }}

// md5Writer hashes what is written to it, in line or on its own goroutine.
// Sum must be called, also on error paths: it ends the goroutine and
// returns the buffers.
type md5Writer struct {
	h     hash.Hash
	async bool
	cur   *[]byte
	full  chan *[]byte
	free  chan *[]byte
	done  chan struct{}
	sum   []byte
}

func newMD5Writer(size int64) *md5Writer {
	w := &md5Writer{h: md5.New()}
	if size >= 0 && size < md5AsyncFrom {
		return w
	}
	w.async = true
	w.full, w.free, w.done = make(chan *[]byte, md5Buffers), make(chan *[]byte, md5Buffers), make(chan struct{})
	for range md5Buffers {
		w.free <- md5Pool.Get().(*[]byte)
	}
	go func() {
		defer close(w.done)
		for b := range w.full {
			w.h.Write(*b)
			*b = (*b)[:0]
			w.free <- b
		}
	}()
	return w
}

// Write never fails (io.TeeReader turns a Write error into a read error).
func (w *md5Writer) Write(p []byte) (int, error) {
	if !w.async {
		return w.h.Write(p)
	}
	n := len(p)
	for len(p) > 0 {
		if w.cur == nil {
			w.cur = <-w.free
		}
		b := *w.cur
		k := copy(b[len(b):cap(b)], p)
		*w.cur, p = b[:len(b)+k], p[k:]
		if len(*w.cur) == cap(*w.cur) {
			w.full <- w.cur
			w.cur = nil
		}
	}
	return n, nil
}

// Sum returns the MD5 of everything written and releases the goroutine
// and buffers; write nothing after it. Later calls return the same sum.
func (w *md5Writer) Sum() []byte {
	if w.sum != nil {
		return w.sum
	}
	if w.async {
		if w.cur != nil && len(*w.cur) > 0 {
			w.full <- w.cur
			w.cur = nil
		}
		close(w.full)
		<-w.done
		if w.cur != nil {
			md5Pool.Put(w.cur)
		}
		for range md5Buffers - boolInt(w.cur != nil) {
			b := <-w.free
			*b = (*b)[:0]
			md5Pool.Put(b)
		}
		w.async = false
	}
	w.sum = w.h.Sum(nil)
	return w.sum
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
