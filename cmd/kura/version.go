package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// versionText describes the binary from what the Go toolchain stamped into
// it (runtime/debug.ReadBuildInfo): the module version ("(devel)" for a
// build from a checkout), the VCS revision and time of that checkout and
// whether it had uncommitted changes, and the Go version. `go build` in a
// git checkout stamps the vcs.* settings; `go run` and builds with
// -buildvcs=false do not, and the text says so.
func versionText(bi *debug.BuildInfo, ok bool) string {
	var b strings.Builder
	if !ok {
		fmt.Fprintf(&b, "kura (no build information)\ngo: %s\n", runtime.Version())
		return b.String()
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	fmt.Fprintf(&b, "kura %s\n", version)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "revision: %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "commit time: %s\n", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString("modified: true (built with uncommitted changes)\n")
		} else {
			b.WriteString("modified: false\n")
		}
	} else {
		b.WriteString("revision: unknown (not stamped: go run, or built outside a git checkout or with -buildvcs=false)\n")
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	fmt.Fprintf(&b, "go: %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func buildVersion() string { return versionText(debug.ReadBuildInfo()) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision and Go version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.OutOrStdout(), buildVersion())
			return nil
		},
	}
}
