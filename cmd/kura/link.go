package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kurastore/kura/internal/replication/link"
	"github.com/kurastore/kura/internal/server"
)

func newLinkCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "link",
		Short: "Link deployments into one partition (docs/replication.md)",
	}
	var data string
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create a partition's link secret and print its token",
		Long: `Create the link secret linked deployments authenticate each other with
and print it as a token. With --data it is kept in DATA/link/token (mode
0600), where a primary started on that data dir finds it; followers take
it with --link-token-file or KURA_LINK_TOKEN. A primary started with
--link-listen and no token makes one itself, so init is only needed to
make the token before the primary's first start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tok := link.NewSecret().Token()
			if data != "" {
				path := tokenPath(data)
				if _, err := os.Stat(path); err == nil {
					return fmt.Errorf("%s exists: this data dir already has a link secret (remove the file to make a new one, and give the new token to every deployment)", path)
				}
				if err := writeToken(path, tok); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Link token kept in %s\n", path)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	initCmd.Flags().StringVar(&data, "data", "", "keep the token in this data dir (DATA/link/token)")
	cmd.AddCommand(initCmd)
	return cmd
}

func tokenPath(dataDir string) string { return filepath.Join(server.LinkDir(dataDir), "token") }

func writeToken(path, tok string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(tok+"\n"), 0o600)
}

// linkFlags are the server's flags for linked deployments.
type linkFlags struct {
	tokenFile string
}

func addLinkFlags(f *pflag.FlagSet, lc *server.LinkConfig, lf *linkFlags) {
	f.StringVar(&lc.Deployment, "deployment", "", "this deployment's name in its partition of linked deployments (e.g. tokyo)")
	f.StringVar(&lc.Listen, "link-listen", "", "serve the link endpoints other deployments replicate to on this address (off when empty; docs/replication.md)")
	f.StringVar(&lc.Advertise, "link-advertise", "", "the link URL peers reach this deployment at (default https:// and the --link-listen address; http:// with --link-plaintext)")
	f.BoolVar(&lc.Plaintext, "link-plaintext", false, "serve and use the link as plain HTTP instead of TLS with certificates pinned through the link secret (every member the same; only on a private network or a tunnel)")
	f.StringVar(&lc.Join, "join", "", "follow the primary whose link endpoint is at this URL (its IAM, its bucket-name registry); without it a linked deployment is the primary")
	f.StringVar(&lf.tokenFile, "link-token-file", "", "file holding the partition's link token (default $KURA_LINK_TOKEN, else DATA/link/token; a primary without one makes it)")
	f.DurationVar(&lc.SyncInterval, "link-sync-interval", 0, "how often a follower fetches the primary's IAM changes (default 2s)")
	f.DurationVar(&lc.MaxStaleness, "link-iam-max-staleness", 15*time.Minute, "a follower that has not had the primary's IAM state for longer refuses to authenticate requests (503), so revoked keys stop working everywhere within this bound (0: never refuse)")
}

// resolveLinkSecret fills lc.Secret from the token file, the environment
// or the data dir; a primary without any makes one in the data dir.
func resolveLinkSecret(lc *server.LinkConfig, lf linkFlags, dataDir string, out io.Writer) error {
	if lc.Listen == "" {
		return nil
	}
	tok := ""
	switch {
	case lf.tokenFile != "":
		b, err := os.ReadFile(lf.tokenFile)
		if err != nil {
			return fmt.Errorf("--link-token-file: %w", err)
		}
		tok = string(b)
	case os.Getenv("KURA_LINK_TOKEN") != "":
		tok = os.Getenv("KURA_LINK_TOKEN")
	default:
		b, err := os.ReadFile(tokenPath(dataDir))
		switch {
		case err == nil:
			tok = string(b)
		case !errors.Is(err, os.ErrNotExist):
			return err
		case lc.Join != "":
			return errors.New("--join needs the partition's link token: --link-token-file FILE (the primary's DATA/link/token) or KURA_LINK_TOKEN")
		default:
			tok = link.NewSecret().Token()
			if err := writeToken(tokenPath(dataDir), tok); err != nil {
				return err
			}
			fmt.Fprintf(out, "Link token generated in %s: followers join with --link-token-file %s\n", tokenPath(dataDir), tokenPath(dataDir))
		}
	}
	s, err := link.ParseToken(strings.TrimSpace(tok))
	if err != nil {
		return err
	}
	lc.Secret = s
	return nil
}
