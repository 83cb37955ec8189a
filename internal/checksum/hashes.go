package checksum

import (
	"crypto/md5"
	"hash"
)

// Hashes computes, in a single pass over the data, the MD5 that S3 uses for
// ETags and optionally one flexible checksum. It is an io.Writer meant to sit
// behind an io.TeeReader on the upload path, so the body is read once while
// it streams to storage. The zero value is not usable; use NewHashes.
//
// A Hashes is not safe for concurrent use, like the hashes it wraps.
type Hashes struct {
	alg Algorithm
	md5 hash.Hash // nil when MD5 was not requested
	sum hash.Hash // nil when no algorithm was requested
}

// NewHashes returns a Hashes computing the checksum a (or none if a is "")
// and, if withMD5 is true, MD5. It panics if a is neither "" nor valid, for
// the same reason Algorithm.New does.
func NewHashes(a Algorithm, withMD5 bool) *Hashes {
	h := &Hashes{alg: a}
	if a != "" {
		h.sum = a.New()
	}
	if withMD5 {
		// MD5 is the slowest hash on the upload path; when it is also the
		// flexible checksum, one instance serves both.
		if a == MD5 {
			h.md5 = h.sum
		} else {
			h.md5 = md5.New()
		}
	}
	return h
}

// Write feeds p to every enabled hash. It never fails, which matters for
// io.TeeReader: a Write error there would surface as a read error on the
// request body.
func (h *Hashes) Write(p []byte) (int, error) {
	if h.md5 != nil && h.alg != MD5 {
		h.md5.Write(p)
	}
	if h.sum != nil {
		h.sum.Write(p)
	}
	return len(p), nil
}

// MD5 returns the raw MD5 of everything written so far, or nil if MD5 was
// not requested. It may be called more than once and does not stop further
// writes.
func (h *Hashes) MD5() []byte {
	if h.md5 == nil {
		return nil
	}
	return h.md5.Sum(nil)
}

// Sum returns the raw (big-endian) checksum of everything written so far,
// or nil if no algorithm was requested. Encode it for the wire.
func (h *Hashes) Sum() []byte {
	if h.sum == nil {
		return nil
	}
	return h.sum.Sum(nil)
}

// Algorithm returns the checksum algorithm, or "" if none.
func (h *Hashes) Algorithm() Algorithm { return h.alg }
