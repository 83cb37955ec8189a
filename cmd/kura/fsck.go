package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/fsck"
)

// Exit statuses of `kura fsck`.
const (
	fsckDamage = 1 // damage found
	fsckFailed = 2 // could not check
)

// exitError carries an exit status other than 1 to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

// newFsckCmd is `kura fsck`: it checks a stopped server's data directory
// (internal/fsck) and prints a report, as text or JSON.
func newFsckCmd() *cobra.Command {
	var (
		opts              fsck.Options
		asJSON            bool
		metaURL, blobsURL string
	)
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "Check a stopped server's data directory for lost or damaged data and orphans",
		Long: `fsck checks the data directory of a stopped Kura server, or with --meta
and --blobs the stores kura server was given (PostgreSQL, a shared
directory, an S3 bucket):

  - meta.db, with bbolt's consistency check (a database checks its own);
  - every object version and multipart upload part: its blobs exist, are as
    long as the recorded size implies, decrypt and authenticate, and match
    the recorded ETag (MD5) and checksum. SSE-C data cannot be decrypted
    without the customer's key, so for it only presence, blob header and
    length are checked;
  - orphans: blobs and temporary files that nothing references.

It needs the server's root key (KURA_ROOT_KEY or <data>/keys/root.key),
verifies it against the data directory's root key check first, as the
server does, and never changes metadata. With --repair it removes orphans older than --grace,
and nothing else. It exits 0 when it found no damage, 1 when it found damage
and 2 when it could not check. A progress bar goes to stderr when stdout and
stderr are a terminal, never with --json.`,
		Example: `  kura fsck --data ./data
  kura fsck --json > report.json
  kura fsck --repair --grace 24h
  kura fsck --data ./data --meta 'postgres://kura@db:5432/kura?schema=kura' --blobs 'file:///mnt/kura/blobs?shared=1'`,
		Args: cobra.NoArgs,
		// Damage is a result, not a usage mistake.
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if metaURL != "" {
				if opts.Meta, err = backend.ParseMeta(metaURL); err != nil {
					return &exitError{fsckFailed, fmt.Errorf("fsck: --meta: %w", err)}
				}
			}
			if blobsURL != "" {
				if opts.Blobs, err = backend.ParseBlobs(blobsURL); err != nil {
					return &exitError{fsckFailed, fmt.Errorf("fsck: --blobs: %w", err)}
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var bar *progressBar
			if progressWanted(asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr()) {
				bar = &progressBar{line: &liveLine{w: cmd.ErrOrStderr()}}
				opts.Progress = bar.update
			}
			r, err := fsck.Run(ctx, opts)
			bar.finish()
			if err != nil {
				return &exitError{fsckFailed, fmt.Errorf("fsck: %w", err)}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				printReport(out, r)
			}
			if r.Damaged() {
				return &exitError{fsckDamage, fmt.Errorf("fsck found damage in %s", opts.DataDir)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DataDir, "data", "./data", "the stopped server's data directory")
	f.StringVar(&metaURL, "meta", "", "the metadata store kura server was given with --meta (postgres://…; default: meta.db in --data)")
	f.StringVar(&blobsURL, "blobs", "", "the blob store kura server was given with --blobs (file:///…?shared=1, s3://…; default: blobs/ in --data)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&opts.Repair, "repair", false, "remove orphan blobs and temporary files older than --grace (nothing else)")
	f.DurationVar(&opts.Grace, "grace", fsck.DefaultGrace, "how old an orphan must be for --repair to remove it")
	return cmd
}

// printReport writes the human-readable report.
func printReport(w io.Writer, r *fsck.Report) {
	fmt.Fprintf(w, "Data directory %s, checked in %s\n", r.DataDir, r.Took.Round(time.Millisecond))
	if r.MetaStore != "" {
		fmt.Fprintf(w, "Metadata store %s\n", r.MetaStore)
	}
	if r.BlobStore != "" {
		fmt.Fprintf(w, "Blob store %s\n", r.BlobStore)
	}
	switch {
	case r.MetaDB.OK && r.MetaStore != "":
		// A database checks its own pages; a record that does not
		// decode is listed as damage below.
	case r.MetaDB.OK:
		fmt.Fprintln(w, "meta.db: consistent")
	default:
		fmt.Fprintf(w, "meta.db: DAMAGED (%d problems)\n", len(r.MetaDB.Problems)+r.MetaDB.More)
		for _, p := range r.MetaDB.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		if r.MetaDB.More > 0 {
			fmt.Fprintf(w, "  … and %d more\n", r.MetaDB.More)
		}
	}
	fmt.Fprintf(w, "Checked %d object versions and %d upload parts: %d decrypted and compared, %d checked without their key (SSE-C: presence, header, length)\n",
		r.Versions, r.Parts, r.Decrypted, r.HeaderOnly)
	fmt.Fprintf(w, "The blob store holds %d blobs (%s)\n", r.Blobs, byteSize(r.BlobBytes))
	if r.Queued > 0 {
		fmt.Fprintf(w, "%d blobs are queued for deletion (the server deletes them once their grace period, --blob-gc-grace, has passed)\n", r.Queued)
	}
	printFindings(w, "Damage", r.Damage)
	printFindings(w, "Warnings", r.Warnings)
	switch {
	case r.OrphansUnknown:
		fmt.Fprintln(w, "Orphans: not determined, because the metadata could not be read in full; nothing was removed")
	case len(r.Orphans) == 0:
		fmt.Fprintln(w, "Orphans: none")
	default:
		young := 0
		for _, o := range r.Orphans {
			if o.Young {
				young++
			}
		}
		fmt.Fprintf(w, "Orphans: %d (%s), %d of them younger than %s", len(r.Orphans), byteSize(r.OrphanBytes), young, r.Grace)
		if r.Repair {
			fmt.Fprintf(w, "; removed %d (%s)\n", r.Removed, byteSize(r.RemovedBytes))
		} else {
			fmt.Fprintln(w, "; run with --repair to remove the older ones")
		}
		for _, o := range r.Orphans {
			what := "blob"
			if o.Temp {
				what = "temp"
			}
			state := ""
			switch {
			case o.Removed:
				state = " removed"
			case o.Young:
				state = " (young: kept)"
			}
			fmt.Fprintf(w, "  %s %s %s modified %s%s\n", what, o.Blob, byteSize(o.Size), o.Modified.Format(time.RFC3339), state)
		}
	}
	if r.Damaged() {
		fmt.Fprintln(w, "Result: DAMAGE FOUND. Restore the damaged objects from a backup (or re-upload them); see docs/operations.md.")
	} else {
		fmt.Fprintln(w, "Result: no damage found")
	}
}

func printFindings(w io.Writer, title string, fs []fsck.Finding) {
	if len(fs) == 0 {
		fmt.Fprintf(w, "%s: none\n", title)
		return
	}
	fmt.Fprintf(w, "%s (%d):\n", title, len(fs))
	for _, f := range fs {
		var where []string
		if f.Bucket != "" {
			where = append(where, f.Bucket+"/"+f.Key)
		}
		if f.VersionID != "" {
			where = append(where, "version "+f.VersionID)
		}
		if f.UploadID != "" {
			where = append(where, "upload "+f.UploadID)
		}
		if f.Part > 0 {
			where = append(where, fmt.Sprintf("part %d", f.Part))
		}
		if f.Blob != "" {
			where = append(where, "blob "+f.Blob)
		}
		fmt.Fprintf(w, "  %-12s %s: %s\n", f.Kind, strings.Join(where, ", "), f.Detail)
	}
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
