package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kurastore/kura/internal/server"
)

// startCLIServer starts an in-process Kura on loopback with root
// credentials ak/sk, a fresh data directory and quiet logs, for the
// client commands' tests; adjust (if not nil) changes the configuration
// first. The server is shut down when the test ends.
func startCLIServer(t *testing.T, ak, sk string, adjust func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", RootAccessKey: ak, RootSecretKey: sk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}
