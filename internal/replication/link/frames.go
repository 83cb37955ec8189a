package link

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// A replicate request's body: the message (u32 length, JSON), then each
// blob the message names, in order, as chunks (u32 length, bytes) ended by
// an empty chunk. The header signature covers the message; the trailer
// signature the SHA-256 of everything after it.

const (
	maxMessage = 16 << 20
	chunkSize  = 256 << 10
)

func writeFrames(ctx context.Context, w io.Writer, msg []byte, blobs []string, open func(ctx context.Context, id string) (io.ReadCloser, error), trailer func(dataHash string)) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	h := sha256.New()
	dw := io.MultiWriter(w, h)
	buf := make([]byte, chunkSize)
	for _, id := range blobs {
		r, err := open(ctx, id)
		if err != nil {
			return err
		}
		for {
			k, rerr := io.ReadFull(r, buf)
			if k > 0 {
				binary.BigEndian.PutUint32(n[:], uint32(k))
				if _, err := dw.Write(n[:]); err != nil {
					r.Close()
					return err
				}
				if _, err := dw.Write(buf[:k]); err != nil {
					r.Close()
					return err
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				r.Close()
				return rerr
			}
		}
		r.Close()
		binary.BigEndian.PutUint32(n[:], 0)
		if _, err := dw.Write(n[:]); err != nil {
			return err
		}
	}
	trailer(hex.EncodeToString(h.Sum(nil)))
	return nil
}

func readMessage(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	l := binary.BigEndian.Uint32(n[:])
	if l > maxMessage {
		return nil, fmt.Errorf("link: message of %d bytes (at most %d)", l, maxMessage)
	}
	msg := make([]byte, l)
	_, err := io.ReadFull(r, msg)
	return msg, err
}

// blobStream hands out the blobs of a replicate body in order. When the
// last one ends it checks the data signature (verify), so a replica whose
// ciphertext was altered on the way is never committed: its last read
// fails instead of ending.
type blobStream struct {
	r      io.Reader
	h      hash.Hash
	ids    []string
	next   int
	verify func(dataHash string) error
}

func (s *blobStream) open(_ context.Context, id string) (io.ReadCloser, error) {
	if s.next >= len(s.ids) || s.ids[s.next] != id {
		return nil, fmt.Errorf("link: blob %s asked for out of the order the message sent them in", id)
	}
	s.next++
	return &blobReader{s: s, last: s.next == len(s.ids)}, nil
}

type blobReader struct {
	s    *blobStream
	last bool
	left uint32 // of the current chunk
	done bool
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	tr := io.TeeReader(b.s.r, b.s.h)
	for b.left == 0 {
		var n [4]byte
		if _, err := io.ReadFull(tr, n[:]); err != nil {
			return 0, fmt.Errorf("link: the replica's data ended early: %w", err)
		}
		b.left = binary.BigEndian.Uint32(n[:])
		if b.left == 0 {
			b.done = true
			if b.last {
				if err := b.s.verify(hex.EncodeToString(b.s.h.Sum(nil))); err != nil {
					return 0, err
				}
			}
			return 0, io.EOF
		}
		if b.left > chunkSize {
			return 0, errors.New("link: chunk larger than the link's chunk size")
		}
	}
	if uint32(len(p)) > b.left {
		p = p[:b.left]
	}
	k, err := tr.Read(p)
	b.left -= uint32(k)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return k, err
}

func (b *blobReader) Close() error { return nil }
