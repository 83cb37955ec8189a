package main

import (
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/kurastore/kura/internal/server"
)

// The banner names the data directory, the S3 and admin endpoints, the
// root key to back up and how to stop; its first line still parses as
// scripts/lib.sh parses it; under --tls-self-signed its aws line trusts the
// certificate.
func TestBannerNamesEndpointsAndStop(t *testing.T) {
	t.Setenv("KURA_ROOT_KEY", "")
	dir := t.TempDir()
	text, _ := bannerWith(t, dir, "", "", func(c *server.Config) {
		c.AdminListen = "127.0.0.1:0"
		c.TLSSelfSigned = true
	})
	first, _, _ := strings.Cut(text, "\n")
	// sed 's/^Kura is serving S3 at \([^ ]*\).*/\1/p' (scripts/lib.sh)
	m := regexp.MustCompile(`^Kura is serving S3 at ([^ ]*)`).FindStringSubmatch(first)
	if m == nil || !strings.HasPrefix(m[1], "https://127.0.0.1:") {
		t.Fatalf("first line %q does not give the S3 URL as scripts parse it", first)
	}
	cert := filepath.Join(dir, "tls", "cert.pem")
	for _, want := range []string{
		"Data directory: " + dir,
		"/metrics", "/health/live", "/health/ready", "Admin: http://127.0.0.1:",
		"Ctrl-C",
		filepath.Join(dir, "keys", "root.key"), "back it up",
		"--endpoint-url " + m[1] + " --ca-bundle " + cert + " s3 mb",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("banner does not say %q:\n%s", want, text)
		}
	}
	later, _ := bannerWith(t, dir, "", "", func(c *server.Config) { c.AdminListen = "off" })
	for _, want := range []string{"Admin listener: off", "Root key: " + filepath.Join(dir, "keys", "root.key"), "KURA_ROOT_KEY"} {
		if !strings.Contains(later, want) {
			t.Errorf("later banner does not say %q:\n%s", want, later)
		}
	}
	if strings.Contains(later, "--ca-bundle") {
		t.Errorf("a plain-HTTP banner names a CA bundle:\n%s", later)
	}
}

// The banner's aws line works as printed: the real aws CLI, through a
// shell, against a server with a self-signed certificate.
func TestBannerTryLineWorksWithAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("no aws CLI on PATH (scripts/e2e-*.sh cover the banner with it)")
	}
	t.Setenv("KURA_ROOT_KEY", "")
	dir := t.TempDir()
	cfg := server.Config{DataDir: dir, Listen: "127.0.0.1:0", TLSSelfSigned: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(t.Context())
	var out strings.Builder
	printBanner(&out, s)
	_, try, ok := strings.Cut(out.String(), "Try:\n")
	if !ok {
		t.Fatalf("no Try line:\n%s", out.String())
	}
	try, _, _ = strings.Cut(try, "\nStop with")
	cmd := exec.Command("sh", "-c", try)
	cmd.Env = append(cmd.Environ(), "HOME="+t.TempDir(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if b, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(b), "make_bucket: my-bucket") {
		t.Fatalf("%s\n→ %v\n%s", try, err, b)
	}
}

func TestAdminListenFlag(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name    string
		listen  string
		args    []string
		metrics string
		want    string
	}{
		{"default", "127.0.0.1:8420", nil, "", "127.0.0.1:8421"},
		{"free S3 port picks a free admin port", "127.0.0.1:0", nil, "", "127.0.0.1:0"},
		{"given", "127.0.0.1:0", []string{"--admin-listen", "0.0.0.0:9000"}, "", "0.0.0.0:9000"},
		{"empty is off", "127.0.0.1:8420", []string{"--admin-listen", ""}, "", "off"},
		{"off", "127.0.0.1:8420", []string{"--admin-listen", "off"}, "", "off"},
		{"deprecated metrics-listen", "127.0.0.1:8420", nil, "127.0.0.1:9464", "127.0.0.1:9464"},
		{"admin-listen wins", "127.0.0.1:8420", []string{"--admin-listen", "127.0.0.1:9000"}, "127.0.0.1:9464", "127.0.0.1:9000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := pflag.NewFlagSet("server", pflag.ContinueOnError)
			admin := f.String("admin-listen", defaultAdminListen, "")
			if err := f.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if got := adminListen(f, tc.listen, *admin, tc.metrics, log); got != tc.want {
				t.Errorf("adminListen = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersionText(t *testing.T) {
	bi := func(settings ...string) *debug.BuildInfo {
		b := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/kurastore/kura", Version: "(devel)"}}
		for i := 0; i+1 < len(settings); i += 2 {
			b.Settings = append(b.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		bi     *debug.BuildInfo
		ok     bool
		want   []string
		absent []string
	}{
		{"stamped, clean", bi("vcs.revision", "0123abcd", "vcs.time", "2026-12-06T12:00:00Z", "vcs.modified", "false"), true,
			[]string{"kura (devel)\n", "revision: 0123abcd\n", "commit time: 2026-12-06T12:00:00Z\n", "modified: false\n", "go: go1.99.1 "}, []string{"unknown"}},
		{"stamped, modified", bi("vcs.revision", "0123abcd", "vcs.modified", "true"), true,
			[]string{"revision: 0123abcd\n", "modified: true"}, nil},
		{"not stamped", bi(), true, []string{"revision: unknown", "go: go1.99.1"}, []string{"modified"}},
		{"no build info", nil, false, []string{"no build information", "go: go"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionText(tc.bi, tc.ok)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("version text lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("version text has %q:\n%s", a, got)
				}
			}
		})
	}
}

// `kura version` and `kura --version` print the same text, from the
// binary's own build information.
func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out strings.Builder
		cmd := newRootCmd()
		cmd.SetOut(&out)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		if out.String() != buildVersion() || !strings.HasPrefix(out.String(), "kura ") || !strings.Contains(out.String(), "\ngo: go") {
			t.Fatalf("kura %s printed %q", args[0], out.String())
		}
	}
}
