package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/server"
	"github.com/kurastore/kura/internal/sse"
)

// `kura fsck` with a root key that is not the data directory's exits 2
// ("could not check") with the refusal the server gives, and prints no
// report: with that key every object would look damaged.
func TestFsckWrongRootKey(t *testing.T) {
	dir := t.TempDir()
	srv, err := server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", RootAccessKey: "AKIAKURACLITEST00001",
		RootSecretKey: "kura-cli-test-secret-00000000000000000000", OrphanSweepInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sse.RootKeyEnv, strings.Repeat("ab", sse.RootKeySize))
	cmd := newFsckCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--data", dir, "--json"})
	err = cmd.Execute()
	var ee *exitError
	if !errors.As(err, &ee) || ee.ExitCode() != fsckFailed {
		t.Fatalf("fsck with a wrong key: %v, want exit %d", err, fsckFailed)
	}
	for _, w := range []string{"fsck: cannot check: the root key in KURA_ROOT_KEY does not match the key this data directory was created with",
		"Nothing in " + dir + " was changed", "then run kura fsck again"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not say %q", err, w)
		}
	}
	if out.Len() != 0 {
		t.Fatalf("fsck printed a report with a wrong key:\n%s", out.String())
	}
}
