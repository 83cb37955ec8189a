// Command kura is Kura's single binary: the server, the load generator and
// (later) the admin and KMS clients. It only wires flags to the library.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "kura:", userError(err))
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "kura",
		Short:         "Kura: an S3-compatible object store built around encryption at rest",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetVersionTemplate("{{.Version}}") // `kura --version` prints what `kura version` does
	root.AddCommand(newServerCmd(), newBenchCmd(), newKMSCmd(), newAuditCmd(), newObjectCmd(), newAdminCmd(), newFsckCmd(), newInventoryCmd(), newBatchCmd(), newReplicationCmd(), newLinkCmd(), newMigrateCmd(), newVersionCmd())
	return root
}
