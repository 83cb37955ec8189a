// Package fs is a blob.Store on a local directory.
//
// Layout under the root directory:
//
//	tmp/                 blobs being written (removed on error; leftovers by RemoveStaleTemp)
//	3f/a2/<id>           a stored blob: two fan-out levels of 256 directories
//
// The fan-out directories come from a hash of the id (FNV-1a, first two
// bytes in hex), not from the id's leading characters: Kura's blob ids
// start with the time they were minted (YYYYMMDDTHHMMSS-<32 hex digits>,
// object.Service.newBlobID), so a prefix fan-out would pile every recent
// blob into the same directory. 65,536 leaf directories keep
// each one to about 1,500 entries at 100 million blobs.
//
// Put writes to a temporary file in tmp/, fsyncs it, hard-links it to its
// final name and fsyncs the directory holding that name. link(2) fails if
// the name exists, so of two concurrent Puts of one id exactly one wins and
// the other gets blob.ErrExists; a blob is never visible before it is
// complete and durable. Fan-out directories are fsynced into their parents
// the first time this process uses them.
//
// Files are created 0600 and directories 0700. The root must be on a
// filesystem with hard links (any local POSIX filesystem, NTFS); on a
// case-insensitive filesystem ids differing only in case collide, which
// Kura's ids (digits, 'T', '-' and lower-case hex) never do.
//
// # Shared directories
//
// Several Kura nodes may share one directory on a network filesystem
// (NFSv4, CephFS, GlusterFS, a SAN filesystem such as GFS2/OCFS2) when
// they share one metadata store: OpenShared (`--blobs
// file:///mnt/kura/blobs?shared=1`). The layout and the Put protocol are
// the same, and they are what makes sharing safe: temporary files are
// created with O_EXCL under a random name that also names the node
// (host and pid), link(2) is atomic on the file server so of two nodes
// putting one id exactly one wins, and files and directories are fsynced
// (NFS COMMIT) before a Put returns. A shared store differs in four
// ways:
//
//   - RemoveStaleTemp never removes a temporary file younger than
//     StaleTempAge, whatever it is asked: another node may be writing it.
//     (Unreferenced blobs are the orphan sweep's, by their age: a blob is
//     linked into place just after its last write, so another node's
//     blob waiting for its metadata commit is younger than the grace.)
//   - A link that fails with EEXIST while the name is already the very
//     file being linked is a success: NFS retransmits a link whose reply
//     was lost, and the retry finds the name taken by itself.
//   - Open retries once after revalidating the blob's directory when the
//     name is not found, in case the client cached the name's absence
//     from before another node created it (NFS negative lookup cache).
//   - Errors that say the file server cannot be reached (ETIMEDOUT,
//     ESTALE, ENOTCONN, …: unreachable) are blob.ErrUnavailable, which the
//     S3 layer answers with 503.
//
// Ages compare file times (the file server's clock) with this node's
// clock: keep the nodes' clocks within minutes of the server's (NTP);
// the grace periods are an hour.
package fs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kurastore/kura/internal/blob"
)

// ErrInvalidID is returned for an id outside [0-9A-Za-z_-]{1,128}.
var ErrInvalidID = errors.New("blob/fs: invalid blob id")

const (
	// MaxIDLen is the longest accepted id.
	MaxIDLen = 128
	// StaleTempAge is the age past which a temporary file is safe to
	// remove even while other processes may write into the directory
	// (RemoveStaleTemp(StaleTempAge)). A Put writes its temporary file
	// continuously, so one untouched for this long belongs to a crashed
	// process (or to a Put stalled so long it would fail anyway: its link
	// then finds no file). A process that knows it is the directory's only
	// writer (Kura's server holds the metadata file's lock) may remove
	// every leftover at start with RemoveStaleTemp(0).
	StaleTempAge = time.Hour

	tmpDirName = "tmp"
	copyBufLen = 256 << 10
)

// Store is a blob.Store rooted at one directory. It is safe for concurrent
// use.
type Store struct {
	dir string
	tmp string
	// top and leaf record which fan-out directories this process has made
	// durable in their parents: bit i of top for root/xx, bit i<<8|j of
	// leaf for root/xx/yy.
	top  bitset
	leaf bitset
	// shared: other processes, on this host or others, write into the
	// directory too (OpenShared).
	shared bool
	// tmpTag goes into temporary file names: which host and process
	// writes them.
	tmpTag string
}

// bitset is a fixed-size set of small integers, safe for concurrent use.
type bitset []atomic.Uint64

func newBitset(n int) bitset       { return make(bitset, (n+63)/64) }
func (b bitset) has(i uint32) bool { return b[i/64].Load()&(1<<(i%64)) != 0 }
func (b bitset) set(i uint32)      { b[i/64].Or(1 << (i % 64)) }

var _ blob.Store = (*Store)(nil)

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufLen); return &b }}

// Open opens the store rooted at dir, creating it (and dir/tmp) if needed.
// It removes nothing: leftover temporary files are the business of whoever
// owns the directory (RemoveStaleTemp), because only the owner knows
// whether another process may be writing into it.
func Open(dir string) (*Store, error) { return openStore(dir, false) }

// OpenShared opens the store rooted at dir as one of several nodes
// sharing it (see "Shared directories" above): it never removes another
// node's temporary files and tolerates a network filesystem's caches and
// retransmissions.
func OpenShared(dir string) (*Store, error) { return openStore(dir, true) }

func openStore(dir string, shared bool) (*Store, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	s := &Store{
		dir:    dir,
		tmp:    filepath.Join(dir, tmpDirName),
		top:    newBitset(1 << 8),
		leaf:   newBitset(1 << 16),
		shared: shared,
		tmpTag: tmpTag(),
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	if err := os.Mkdir(s.tmp, 0o700); err != nil && !errors.Is(err, iofs.ErrExist) {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	return s, nil
}

// Shared reports whether the store was opened with OpenShared.
func (s *Store) Shared() bool { return s.shared }

// tmpTag names this process in temporary file names: "host-pid", the
// host name cut to safe characters.
func tmpTag() string {
	host, _ := os.Hostname()
	b := make([]byte, 0, 32)
	for i := 0; i < len(host) && len(b) < 24; i++ {
		if c := host[i]; ValidID(string(c)) {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		b = append(b, "host"...)
	}
	return fmt.Sprintf("%s-%d", b, os.Getpid())
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// ValidID reports whether id is acceptable: 1 to 128 characters from
// [0-9A-Za-z_-]. Such an id is a safe file name on every platform.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return nil
}

// fanout returns the hash that places id: bits 24-31 pick the top-level
// directory, bits 16-23 the leaf directory within it.
func fanout(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

const hexDigits = "0123456789abcdef"

func hexByte(b uint32) string {
	return string([]byte{hexDigits[b>>4&0xf], hexDigits[b&0xf]})
}

// paths returns the top-level directory, the leaf directory and the file
// name of id.
func (s *Store) paths(id string) (top, leaf, file string) {
	h := fanout(id)
	top = filepath.Join(s.dir, hexByte(h>>24))
	leaf = filepath.Join(top, hexByte(h>>16&0xff))
	return top, leaf, filepath.Join(leaf, id)
}

// Put stores r under id. It returns blob.ErrExists, without reading r, if id
// is already stored, and also if a concurrent Put of id wins.
func (s *Store) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	_, _, final := s.paths(id)
	if _, err := os.Lstat(final); err == nil {
		return 0, blob.ErrExists
	} else if !errors.Is(err, iofs.ErrNotExist) {
		return 0, s.fail(fmt.Errorf("blob/fs: put %s: %w", id, err))
	}
	n, err := s.put(ctx, id, final, r)
	if err != nil {
		if errors.Is(err, blob.ErrExists) {
			return 0, err
		}
		return 0, s.fail(fmt.Errorf("blob/fs: put %s: %w", id, err))
	}
	return n, nil
}

func (s *Store) put(ctx context.Context, id, final string, r io.Reader) (n int64, err error) {
	f, err := os.CreateTemp(s.tmp, id+"."+s.tmpTag+".*") // mode 0600, O_EXCL
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		os.Remove(tmp) // after a successful link this only drops the extra name
	}()

	bp := copyBufs.Get().(*[]byte)
	// When r can write itself (sse's encrypter: its sealed batches), it
	// writes straight from its own buffer and bp goes unused: one copy of
	// the blob fewer.
	n, err = io.CopyBuffer(&writeBehind{ctx: ctx, f: f}, r, *bp)
	copyBufs.Put(bp)
	if err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	err = f.Close()
	f = nil
	if err != nil {
		return 0, err
	}
	if err := s.prepareDirs(fanout(id)); err != nil {
		return 0, err
	}
	if err := linkFile(tmp, final); err != nil {
		if !errors.Is(err, iofs.ErrExist) {
			return 0, err
		}
		if !sameFile(tmp, final) {
			return 0, blob.ErrExists
		}
		// The name is our own file: a link(2) retransmitted over NFS
		// after its reply was lost. It succeeded.
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		// Visible but perhaps not durable: take it back rather than
		// acknowledge it.
		os.Remove(final)
		return 0, err
	}
	return n, nil
}

// prepareDirs creates the fan-out directories of hash h if needed and makes
// sure their entries are durable in their parents, once per process.
func (s *Store) prepareDirs(h uint32) error {
	ti, li := h>>24, h>>16
	if s.leaf.has(li) {
		return nil
	}
	top := filepath.Join(s.dir, hexByte(ti))
	leaf := filepath.Join(top, hexByte(li&0xff))
	if !s.top.has(ti) {
		if err := os.Mkdir(top, 0o700); err != nil && !errors.Is(err, iofs.ErrExist) {
			return err
		}
		// Sync even if the directory existed: another Put may have made it
		// without having synced the root yet.
		if err := syncDir(s.dir); err != nil {
			return err
		}
		s.top.set(ti)
	}
	if err := os.Mkdir(leaf, 0o700); err != nil && !errors.Is(err, iofs.ErrExist) {
		return err
	}
	if err := syncDir(top); err != nil {
		return err
	}
	s.leaf.set(li)
	return nil
}

// Open opens a stored blob for random access.
func (s *Store) Open(ctx context.Context, id string) (blob.Reader, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, leaf, name := s.paths(id)
	f, err := os.Open(name)
	if errors.Is(err, iofs.ErrNotExist) && s.shared {
		// Opening the directory revalidates it (close-to-open
		// consistency), dropping a cached absence of the name.
		if d, derr := os.Open(leaf); derr == nil {
			d.Close()
		}
		f, err = os.Open(name)
	}
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, blob.ErrNotFound
	}
	if err != nil {
		return nil, s.fail(fmt.Errorf("blob/fs: open %s: %w", id, err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, s.fail(fmt.Errorf("blob/fs: open %s: %w", id, err))
	}
	return &File{f: f, size: fi.Size(), shared: s.shared}, nil
}

// Delete removes a blob and makes the removal durable. Deleting an absent
// blob is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, leaf, name := s.paths(id)
	err := os.Remove(name)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = syncDir(leaf)
	}
	if err != nil {
		return s.fail(fmt.Errorf("blob/fs: delete %s: %w", id, err))
	}
	return nil
}

// Walk calls fn for every stored blob with its size and modification time.
// It lists only names that are valid ids in the directory their hash places
// them in, so temporary files and strays are never reported. Blobs stored
// or deleted during the walk may or may not be reported. An error from fn
// stops the walk and is returned.
//
// ModTime is the file's modification time: the last write into the
// temporary file, just before it was linked into place, never earlier.
func (s *Store) Walk(ctx context.Context, fn func(blob.Info) error) error {
	tops, err := readNames(s.dir)
	if err != nil {
		return s.fail(fmt.Errorf("blob/fs: walk: %w", err))
	}
	for _, t := range tops {
		ti, ok := parseHexByte(t)
		if !ok {
			continue // tmp and anything else that is not ours
		}
		leaves, err := readNames(filepath.Join(s.dir, t))
		if err != nil {
			return s.fail(fmt.Errorf("blob/fs: walk: %w", err))
		}
		for _, l := range leaves {
			li, ok := parseHexByte(l)
			if !ok {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			entries, err := readEntries(filepath.Join(s.dir, t, l))
			if err != nil {
				return s.fail(fmt.Errorf("blob/fs: walk: %w", err))
			}
			for _, e := range entries {
				id := e.Name()
				if !ValidID(id) || fanout(id)>>16 != ti<<8|li || !e.Type().IsRegular() {
					continue
				}
				fi, err := e.Info()
				if errors.Is(err, iofs.ErrNotExist) {
					continue // deleted since the directory was read
				}
				if err != nil {
					return s.fail(fmt.Errorf("blob/fs: walk: %w", err))
				}
				if err := fn(blob.Info{ID: id, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Path returns the file that holds (or would hold) blob id, for tools and
// reports; the blob need not exist.
func (s *Store) Path(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	_, _, file := s.paths(id)
	return file, nil
}

// TempFiles lists the temporary files in tmp/: blobs being written, or left
// behind by a Put that never finished (a crash). Info.ID is the file name.
func (s *Store) TempFiles() ([]blob.Info, error) {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return nil, fmt.Errorf("blob/fs: list temp: %w", err)
	}
	var out []blob.Info
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, blob.Info{ID: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	return out, nil
}

// RemoveTemp removes one temporary file by the name TempFiles reported.
// Removing an absent one is not an error.
func (s *Store) RemoveTemp(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return fmt.Errorf("blob/fs: %q is not a temporary file name", name)
	}
	if err := os.RemoveAll(filepath.Join(s.tmp, name)); err != nil {
		return fmt.Errorf("blob/fs: remove temp %s: %w", name, err)
	}
	return nil
}

// RemoveStaleTemp removes temporary files last modified more than olderThan
// ago (all of them for olderThan <= 0, which is safe only while no Put is
// running on this directory, in this process or any other) and returns how
// many it removed. With StaleTempAge it is safe at any time; a long-running
// server calls it periodically. A shared store (OpenShared) takes at least
// StaleTempAge whatever olderThan says: it cannot know that no other node
// is writing.
func (s *Store) RemoveStaleTemp(olderThan time.Duration) (int, error) {
	if s.shared && olderThan < StaleTempAge {
		olderThan = StaleTempAge
	}
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return 0, fmt.Errorf("blob/fs: clean temp: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	removed := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if olderThan > 0 && info.ModTime().After(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.tmp, e.Name())); err == nil {
			removed++
		}
	}
	return removed, nil
}

// File is the blob.Reader of a stored blob, backed by an *os.File.
type File struct {
	f      *os.File
	size   int64
	shared bool
}

// ReadAt reads like os.File.ReadAt: a read reaching past the end returns the
// bytes before it and io.EOF.
func (r *File) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if err != nil && err != io.EOF && r.shared && unreachable(err) {
		err = unavailableError{err}
	}
	return n, err
}

// Size returns the blob's length.
func (r *File) Size() int64 { return r.size }

// Close releases the file.
func (r *File) Close() error { return r.f.Close() }

// readEntries lists a directory without sorting; a directory removed
// meanwhile lists as empty.
func readEntries(dir string) ([]iofs.DirEntry, error) {
	d, err := os.Open(dir)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

// readNames lists a directory without sorting; a directory removed
// meanwhile lists as empty.
func readNames(dir string) ([]string, error) {
	d, err := os.Open(dir)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}

func parseHexByte(s string) (uint32, bool) {
	if len(s) != 2 {
		return 0, false
	}
	var v uint32
	for i := range 2 {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// fail marks err blob.ErrUnavailable when the store is shared and err
// says the file server cannot be reached (unreachable): the request may
// succeed once it is back, and the client gets 503, not 500. On a local
// directory every I/O error is the disk's and stays as it is.
func (s *Store) fail(err error) error {
	if s.shared && unreachable(err) {
		return unavailableError{err}
	}
	return err
}

// unavailableError is blob.ErrUnavailable with the filesystem's error.
type unavailableError struct{ err error }

func (e unavailableError) Error() string {
	return e.err.Error() + " (the shared filesystem is unreachable)"
}
func (e unavailableError) Unwrap() []error { return []error{blob.ErrUnavailable, e.err} }

// linkFile is os.Link; tests replace it to play a retransmitted link.
var linkFile = os.Link

// sameFile reports whether paths a and b name one file.
func sameFile(a, b string) bool {
	fa, err := os.Lstat(a)
	if err != nil {
		return false
	}
	fb, err := os.Lstat(b)
	return err == nil && os.SameFile(fa, fb)
}

// syncDir makes a directory's entries durable. Windows cannot fsync a
// directory (NTFS journals metadata itself), so it is a no-op there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
