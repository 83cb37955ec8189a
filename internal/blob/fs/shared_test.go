package fs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/blob"
	"github.com/kurastore/kura/internal/blob/blobtest"
)

func openShared(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Shared() {
		t.Fatal("OpenShared returned a store that is not shared")
	}
	return s
}

// sharedPair is one directory seen through two shared Stores, as two nodes
// see one mount: writes and deletes go through w, reads and walks through
// r.
type sharedPair struct{ w, r *Store }

func (p *sharedPair) Put(ctx context.Context, id string, r io.Reader) (int64, error) {
	return p.w.Put(ctx, id, r)
}
func (p *sharedPair) Open(ctx context.Context, id string) (blob.Reader, error) {
	return p.r.Open(ctx, id)
}
func (p *sharedPair) Delete(ctx context.Context, id string) error { return p.w.Delete(ctx, id) }
func (p *sharedPair) Walk(ctx context.Context, fn func(blob.Info) error) error {
	return p.r.Walk(ctx, fn)
}

// TestSharedSuite runs blobtest on two shared Stores over one directory,
// writing through one and reading through the other.
func TestSharedSuite(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		dir := t.TempDir()
		return &sharedPair{w: openShared(t, dir), r: openShared(t, dir)}
	})
}

// TestSharedRemoveStaleTemp: a shared store never removes a temporary file
// younger than StaleTempAge, even when asked for all of them (another node
// may be writing it); an older one goes.
func TestSharedRemoveStaleTemp(t *testing.T) {
	s := openShared(t, t.TempDir())
	stale := filepath.Join(s.tmp, "A.otherhost-1.123")
	fresh := filepath.Join(s.tmp, "B.otherhost-1.456")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-StaleTempAge - time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	for _, olderThan := range []time.Duration{0, -1, time.Second} {
		if _, err := s.RemoveStaleTemp(olderThan); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(fresh); err != nil {
			t.Fatalf("RemoveStaleTemp(%v) on a shared store removed another node's fresh temporary file: %v", olderThan, err)
		}
	}
	if _, err := os.Stat(stale); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("stale temporary file survived: %v", err)
	}
}

// TestTempNamesNameTheNode: a temporary file's name says which host and
// process writes it, for the operator of a shared directory.
func TestTempNamesNameTheNode(t *testing.T) {
	s := openShared(t, t.TempDir())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { _, err := s.Put(bg, "id1", pr); done <- err }()
	pw.Write([]byte("some"))
	names := tempFiles(t, s)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("id1.%s.", s.tmpTag)
	if len(names) != 1 || !strings.HasPrefix(names[0], want) || !strings.HasSuffix(s.tmpTag, fmt.Sprint("-", os.Getpid())) {
		t.Fatalf("temporary files while writing: %q, want one named %s…", names, want)
	}
}

// TestLinkRetransmitted: over NFS a link whose reply was lost is sent
// again and fails with EEXIST although it worked. The Put must see that
// the name is its own file and succeed; a name held by another file is
// still blob.ErrExists.
func TestLinkRetransmitted(t *testing.T) {
	defer func(l func(string, string) error) { linkFile = l }(linkFile)
	linkFile = func(old, new string) error {
		if err := os.Link(old, new); err != nil {
			return err
		}
		return &os.LinkError{Op: "link", Old: old, New: new, Err: syscall.EEXIST}
	}
	for _, s := range []*Store{open(t, t.TempDir()), openShared(t, t.TempDir())} {
		if n, err := s.Put(bg, "id1", strings.NewReader("data")); err != nil || n != 4 {
			t.Fatalf("Put with a retransmitted link = %d, %v; want 4, nil", n, err)
		}
		r, err := s.Open(bg, "id1")
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4)
		if _, err := r.ReadAt(b, 0); err != nil || string(b) != "data" {
			t.Fatalf("read back %q, %v", b, err)
		}
		r.Close()
	}
	linkFile = func(old, new string) error {
		return &os.LinkError{Op: "link", Old: old, New: new, Err: syscall.EEXIST}
	}
	s := open(t, t.TempDir())
	_, _, final := s.paths("id2")
	os.MkdirAll(filepath.Dir(final), 0o700)
	if err := os.WriteFile(final, []byte("other"), 0o600); err != nil {
		t.Fatal(err)
	}
	// put, not Put: Put would find the name taken before writing.
	if _, err := s.put(bg, "id2", final, strings.NewReader("mine")); !errors.Is(err, blob.ErrExists) {
		t.Fatalf("Put over another node's file = %v, want blob.ErrExists", err)
	}
}

// Two processes (the test binary run again as children) put the same ids
// into one directory at the same time, each with its own content, while
// both keep asking their store to remove all temporary files. Every id
// must end up stored exactly once, whole, by the one process that was
// told it succeeded; no Put may fail otherwise.
func TestSharedTwoProcesses(t *testing.T) {
	if os.Getenv("KURA_FS_SHARED_CHILD") != "" {
		t.Skip("child")
	}
	dir := t.TempDir()
	const procs, ids = 2, 300
	gate := filepath.Join(t.TempDir(), "go")
	type result struct {
		stored map[string]bool
		err    error
	}
	results := make([]result, procs)
	var wg sync.WaitGroup
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSharedChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "KURA_FS_SHARED_CHILD="+dir, "KURA_FS_SHARED_GATE="+gate,
			fmt.Sprintf("KURA_FS_SHARED_PROC=%d", p), fmt.Sprintf("KURA_FS_SHARED_IDS=%d", ids))
		outs[p] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[p], outs[p]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = cmd
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for p := range procs {
		wg.Go(func() {
			err := cmds[p].Wait()
			res := result{stored: map[string]bool{}, err: err}
			sc := bufio.NewScanner(bytes.NewReader(outs[p].Bytes()))
			for sc.Scan() {
				if id, ok := strings.CutPrefix(sc.Text(), "STORED "); ok {
					res.stored[id] = true
				}
			}
			results[p] = res
		})
	}
	wg.Wait()
	for p, r := range results {
		if r.err != nil {
			t.Fatalf("process %d: %v\n%s", p, r.err, outs[p])
		}
	}
	s := openShared(t, dir)
	wins := make([]int, procs)
	for i := range ids {
		id := childID(i)
		winner := -1
		for p := range procs {
			if results[p].stored[id] {
				if winner >= 0 {
					t.Fatalf("%s: processes %d and %d were both told they stored it", id, winner, p)
				}
				winner = p
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no process stored it", id)
		}
		wins[winner]++
		r, err := s.Open(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, childData(winner, i)) {
			t.Fatalf("%s: content is not process %d's (%d bytes)", id, winner, len(got))
		}
	}
	if n := len(walkIDs(t, s)); n != ids {
		t.Fatalf("Walk lists %d blobs, want %d", n, ids)
	}
	t.Logf("%d ids, each put by all %d processes at once; wins per process: %v", ids, procs, wins)
}

func childID(i int) string { return fmt.Sprintf("01JB8ZK6QG3XH4Y7W2N5R9%04d", i) }

// childData is process p's content for id i: 1 to 200 KiB, distinct per
// process.
func childData(p, i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("proc %d id %d;", p, i)), 1+i*677%(200<<10)/16)
}

// TestSharedChild is the child of TestSharedTwoProcesses.
func TestSharedChild(t *testing.T) {
	dir := os.Getenv("KURA_FS_SHARED_CHILD")
	if dir == "" {
		t.Skip("run by TestSharedTwoProcesses")
	}
	var p, ids int
	fmt.Sscan(os.Getenv("KURA_FS_SHARED_PROC"), &p)
	fmt.Sscan(os.Getenv("KURA_FS_SHARED_IDS"), &ids)
	s, err := OpenShared(dir)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(os.Getenv("KURA_FS_SHARED_GATE")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gate never opened")
		}
		time.Sleep(time.Millisecond)
	}
	stop := make(chan struct{})
	var sweeps sync.WaitGroup
	sweeps.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.RemoveStaleTemp(0); err != nil {
				t.Error(err)
			}
			time.Sleep(100 * time.Microsecond)
		}
	})
	for i := range ids {
		_, err := s.Put(bg, childID(i), bytes.NewReader(childData(p, i)))
		switch {
		case err == nil:
			fmt.Printf("STORED %s\n", childID(i))
		case errors.Is(err, blob.ErrExists):
		default:
			t.Errorf("Put(%s): %v", childID(i), err)
		}
	}
	close(stop)
	sweeps.Wait()
}

// TestSharedUnreachable: on a shared store, the errors a network
// filesystem gives when its server is away (a soft mount's timeout, a
// stale handle after a failover) are blob.ErrUnavailable, answered 503;
// on a local directory, and for other errors, they stay plain (500).
func TestSharedUnreachable(t *testing.T) {
	local, shared := open(t, t.TempDir()), openShared(t, t.TempDir())
	for _, tc := range []struct {
		errno       syscall.Errno
		unavailable bool
	}{
		{syscall.ETIMEDOUT, true},
		{syscall.ESTALE, true},
		{syscall.ENOTCONN, true},
		{syscall.EIO, false}, // the disk's, or the data's: not an outage
		{syscall.ENOSPC, false},
		{syscall.EACCES, false},
	} {
		err := &os.PathError{Op: "open", Path: "/mnt/kura/ab/cd/x", Err: tc.errno}
		if got := errors.Is(shared.fail(err), blob.ErrUnavailable); got != tc.unavailable {
			t.Errorf("shared store, %v: unavailable = %v, want %v", tc.errno, got, tc.unavailable)
		}
		if !errors.Is(shared.fail(err), tc.errno) {
			t.Errorf("shared store, %v: the errno is lost", tc.errno)
		}
		if errors.Is(local.fail(err), blob.ErrUnavailable) {
			t.Errorf("local store, %v: unavailable, want a plain error", tc.errno)
		}
	}
}
