package link

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// replayGuard refuses a signed request seen before. Every request carries
// a random nonce under its signature, so two legitimate requests never
// sign alike and a signature seen twice is a replay. A signature is kept
// until its timestamp is MaxSkew old: after that checkDate refuses the
// request anyway, so the cache is bounded by the window.
//
// The cache survives restarts: each signature is appended to a file
// (Dir/replay.log) before the request is acted on, and loaded at start;
// the file is rewritten with the live entries when most of it has
// expired. Appends are not fsynced: a process crash loses nothing (the
// page cache has it), a machine crash may lose the last entries written,
// and a request replayed into the minutes after a power loss is the gap
// left (docs/replication.md, "Replays").
type replayGuard struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	seen  map[string]int64 // signature → Unix time it expires
	lines int              // entries in the file
}

func openReplayGuard(dir string) (*replayGuard, error) {
	g := &replayGuard{path: filepath.Join(dir, "replay.log"), seen: map[string]int64{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	if f, err := os.Open(g.path); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			sig, exp, ok := strings.Cut(sc.Text(), " ")
			t, err := strconv.ParseInt(exp, 10, 64)
			if ok && err == nil && t >= now {
				g.seen[sig] = t
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("link: reading %s: %w", g.path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := g.rewrite(now); err != nil {
		return nil, err
	}
	return g, nil
}

// rewrite replaces the file with the live entries; call with mu held (or
// before the guard is shared).
func (g *replayGuard) rewrite(now int64) error {
	var b strings.Builder
	for sig, exp := range g.seen {
		if exp < now {
			delete(g.seen, sig)
			continue
		}
		fmt.Fprintf(&b, "%s %d\n", sig, exp)
	}
	tmp := g.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, g.path); err != nil {
		return err
	}
	if g.f != nil {
		g.f.Close()
	}
	f, err := os.OpenFile(g.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	g.f, g.lines = f, len(g.seen)
	return nil
}

// errReplayed is a request whose signature was seen before.
var errReplayed = errors.New("link request: this signed request was already received (a replay); a peer signs every request afresh")

// check records the signature of a request dated date (Unix seconds,
// already within MaxSkew) and refuses one seen before.
func (g *replayGuard) check(sig string, date int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now().Unix()
	if exp, ok := g.seen[sig]; ok && exp >= now {
		return errReplayed
	}
	exp := date + int64(MaxSkew/time.Second) + 1
	if _, err := fmt.Fprintf(g.f, "%s %d\n", sig, exp); err != nil {
		return fmt.Errorf("link: recording the request against replays in %s: %w", g.path, err)
	}
	g.seen[sig] = exp
	g.lines++
	if g.lines > 4096 && g.lines > 2*len(g.seen) {
		for s, e := range g.seen {
			if e < now {
				delete(g.seen, s)
			}
		}
		if g.lines > 2*len(g.seen) {
			return g.rewrite(now)
		}
	}
	return nil
}

func (g *replayGuard) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.f != nil {
		g.f.Close()
	}
}
