package migrate

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/kurastore/kura/internal/blob"
)

// listBlobs returns every blob of s, by id.
func listBlobs(ctx context.Context, s blob.Store) ([]blob.Info, error) {
	var all []blob.Info
	err := s.Walk(ctx, func(i blob.Info) error {
		all = append(all, i)
		return nil
	})
	slices.SortFunc(all, func(a, b blob.Info) int { return strings.Compare(a.ID, b.ID) })
	return all, err
}

// blobCounter counts blobs and bytes done, and reports progress.
type blobCounter struct {
	mu           sync.Mutex
	m            *migration
	phase        string
	blobs, bytes int64
}

func (c *blobCounter) add(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blobs++
	c.bytes += n
	c.m.o.Progress(Progress{Phase: c.phase, Blobs: c.blobs, BlobsTotal: c.m.r.Blobs, Bytes: c.bytes, BytesTotal: c.m.r.BlobBytes, Total: c.m.r.Rows})
}

// each runs fn on every blob of list, o.Jobs at a time, and returns the
// first error (the others stop at their next blob).
func (m *migration) each(ctx context.Context, list []blob.Info, fn func(context.Context, blob.Info) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan blob.Info)
	var wg sync.WaitGroup
	for range m.o.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := fn(ctx, b); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
feed:
	for _, b := range list {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// copyBlobs copies every source blob the target lacks. A target blob of
// the right size is one an earlier run copied: a blob store makes a blob
// visible only once it is complete and durable.
func (m *migration) copyBlobs(ctx context.Context) error {
	list, err := listBlobs(ctx, m.srcBlobs)
	if err != nil {
		return fmt.Errorf("list the source's blobs: %w", err)
	}
	m.r.Blobs, m.r.BlobBytes = int64(len(list)), 0
	for _, b := range list {
		m.r.BlobBytes += b.Size
	}
	have := map[string]int64{}
	err = m.dstBlobs.Walk(ctx, func(i blob.Info) error {
		have[i.ID] = i.Size
		return nil
	})
	if err != nil {
		return fmt.Errorf("list the target's blobs: %w", err)
	}
	c := &blobCounter{m: m, phase: PhaseBlobs}
	var mu sync.Mutex
	return m.each(ctx, list, func(ctx context.Context, b blob.Info) error {
		size, ok := have[b.ID]
		if ok && size == b.Size {
			mu.Lock()
			m.r.BlobsPresent++
			mu.Unlock()
			c.add(b.Size)
			return nil
		}
		if ok {
			// Not this source's blob (blobs are immutable): replace it.
			if err := m.dstBlobs.Delete(ctx, b.ID); err != nil {
				return fmt.Errorf("blob %s: remove the target's copy of another size: %w", b.ID, err)
			}
		}
		n, err := m.copyBlob(ctx, b)
		if err != nil {
			return err
		}
		mu.Lock()
		m.r.BlobsCopied++
		m.r.BytesCopied += n
		mu.Unlock()
		c.add(n)
		return nil
	})
}

func (m *migration) copyBlob(ctx context.Context, b blob.Info) (int64, error) {
	r, err := m.srcBlobs.Open(ctx, b.ID)
	if err != nil {
		return 0, fmt.Errorf("blob %s: open in the source: %w", b.ID, err)
	}
	defer r.Close()
	n, err := m.dstBlobs.Put(ctx, b.ID, io.NewSectionReader(r, 0, r.Size()))
	if errors.Is(err, blob.ErrExists) {
		return 0, fmt.Errorf("blob %s: the target has it although it did not list it; run kura migrate again", b.ID)
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: write to the target: %w", b.ID, err)
	}
	if n != r.Size() {
		return 0, fmt.Errorf("blob %s: wrote %d bytes of %d", b.ID, n, r.Size())
	}
	return n, nil
}

// verifyBlobs checks that every source blob is in the target with the
// same size and the same SHA-256: the bytes compared are ciphertext, as
// stored; nothing is decrypted.
func (m *migration) verifyBlobs(ctx context.Context) error {
	list, err := listBlobs(ctx, m.srcBlobs)
	if err != nil {
		return fmt.Errorf("list the source's blobs: %w", err)
	}
	m.r.Blobs, m.r.BlobBytes = int64(len(list)), 0
	inSource := make(map[string]bool, len(list))
	for _, b := range list {
		m.r.BlobBytes += b.Size
		inSource[b.ID] = true
	}
	c := &blobCounter{m: m, phase: PhaseVerifyBlobs}
	var mu sync.Mutex
	report := func(x Mismatch) {
		mu.Lock()
		defer mu.Unlock()
		m.mismatch(x)
	}
	err = m.each(ctx, list, func(ctx context.Context, b blob.Info) error {
		want, size, err := hashBlob(ctx, m.srcBlobs, b.ID)
		if err != nil {
			return fmt.Errorf("blob %s: read the source: %w", b.ID, err)
		}
		got, gotSize, err := hashBlob(ctx, m.dstBlobs, b.ID)
		switch {
		case errors.Is(err, blob.ErrNotFound):
			report(Mismatch{Blob: b.ID, Problem: "missing in the target"})
		case err != nil:
			return fmt.Errorf("blob %s: read the target: %w", b.ID, err)
		case gotSize != size:
			report(Mismatch{Blob: b.ID, Problem: fmt.Sprintf("%d bytes in the target, %d in the source", gotSize, size)})
		case got != want:
			report(Mismatch{Blob: b.ID, Problem: "the SHA-256 of its ciphertext differs between source and target"})
		}
		c.add(size)
		return nil
	})
	if err != nil {
		return err
	}
	var extra int64
	err = m.dstBlobs.Walk(ctx, func(i blob.Info) error {
		if !inSource[i.ID] {
			extra++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list the target's blobs: %w", err)
	}
	m.r.ExtraBlobs = extra
	return nil
}

// hashBlob returns the SHA-256 and size of the blob id as stored.
func hashBlob(ctx context.Context, s blob.Store, id string) ([sha256.Size]byte, int64, error) {
	var sum [sha256.Size]byte
	r, err := s.Open(ctx, id)
	if err != nil {
		return sum, 0, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		return sum, 0, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, n, nil
}

// verify compares source and target: blobs, rows and counters.
func (m *migration) verify(ctx context.Context) error {
	m.r.Mismatches, m.r.More = nil, 0
	m.mismatch = func(x Mismatch) {
		if len(m.r.Mismatches) < maxMismatches {
			m.r.Mismatches = append(m.r.Mismatches, x)
		} else {
			m.r.More++
		}
	}
	if err := m.verifyBlobs(ctx); err != nil {
		return err
	}
	if err := m.verifyRows(ctx); err != nil {
		return err
	}
	return m.verifySequences(ctx)
}
