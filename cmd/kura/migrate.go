package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kurastore/kura/internal/backend"
	"github.com/kurastore/kura/internal/migrate"
)

// Exit statuses of `kura migrate`.
const (
	migrateDiffers = 1 // verification found differences
	migrateFailed  = 2 // could not migrate or verify
)

// newMigrateCmd is `kura migrate`: move a stopped embedded deployment
// into other stores (internal/migrate).
func newMigrateCmd() *cobra.Command {
	var (
		opts                        migrate.Options
		metaURL, blobsURL, srcBlobs string
		asJSON                      bool
	)
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Move a stopped embedded deployment (meta.db, blobs/) into PostgreSQL and another blob store",
		Long: `migrate moves the metadata (meta.db) and blobs (blobs/) of a stopped Kura
server's data directory into the stores --meta and --blobs name — PostgreSQL
and an S3 or shared blob store, or any store kura server accepts — and
verifies the result:

  - every metadata table is copied row by row, key and value unchanged, in
    key order, a batch per target transaction with a checkpoint in the
    target; leases (of the stopped server's processes) are not moved;
  - every blob is copied as it is stored: blobs are ciphertext, encrypted by
    Kura, and are never decrypted on the way;
  - the target's sequence counters are raised above the source's;
  - at the end every row's key and value are compared in source and target
    (both ways), every blob's size and SHA-256, and every counter.

A target verified once is treated as possibly serving: a later run that
finds it different, or finds the source changed since, stops unless given
--overwrite (only for a target no server has run on).

It never writes to the source. It refuses a data directory a server is
running on, and holds meta.db's lock while it runs so that no server starts
on it. Interrupted (Ctrl-C, a crash, a lost connection), it continues where
it stopped when run again with the same flags. The root key, root
credentials, audit trail and undelivered access logs stay in the data
directory, which the migrated deployment keeps using: its last lines are the
command that starts it (docs/scale-out.md, "Moving an embedded deployment").

It exits 0 when the target is verified, 1 when verification found
differences (listed), and 2 when it could not migrate or verify. A progress
bar goes to stderr when stdout and stderr are a terminal, never with --json.`,
		Example: `  kura migrate --data /var/lib/kura \
    --meta 'postgres://kura@db:5432/kura?schema=kura' \
    --blobs 's3://kura-blobs/prod?endpoint=https://s3.example.com'
  kura migrate --data /var/lib/kura --meta … --blobs … --verify-only`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if metaURL == "" || blobsURL == "" {
				return &exitError{migrateFailed, errors.New("give both --meta and --blobs: the stores to move the deployment into")}
			}
			var err error
			if opts.Meta, err = backend.ParseMeta(metaURL); err != nil {
				return &exitError{migrateFailed, fmt.Errorf("--meta: %w", err)}
			}
			if opts.Blobs, err = backend.ParseBlobs(blobsURL); err != nil {
				return &exitError{migrateFailed, fmt.Errorf("--blobs: %w", err)}
			}
			if srcBlobs != "" {
				if opts.SourceBlobs, err = backend.ParseBlobs(srcBlobs); err != nil {
					return &exitError{migrateFailed, fmt.Errorf("--source-blobs: %w", err)}
				}
			}
			if abs, err := filepath.Abs(opts.DataDir); err == nil {
				opts.DataDir = abs
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var line *liveLine
			if progressWanted(asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr()) {
				line = &liveLine{w: cmd.ErrOrStderr()}
				var last time.Time
				var phase string
				opts.Progress = func(p migrate.Progress) {
					// At most ten times a second, and always the end of a phase.
					if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || p.Phase != phase ||
						p.Rows == p.Total && p.Bytes == p.BytesTotal {
						last, phase = now, p.Phase
						line.set(migrateLine(p))
					}
				}
			}
			r, err := migrate.Run(ctx, opts)
			line.finish()
			var ve *migrate.VerifyError
			out := cmd.OutOrStdout()
			switch {
			case errors.As(err, &ve):
				if asJSON {
					writeJSON(out, r)
				} else {
					printMismatches(out, r)
				}
				return &exitError{migrateDiffers, err}
			case err != nil && ctx.Err() != nil:
				return &exitError{migrateFailed, fmt.Errorf("interrupted; what was copied is kept: run the same command again to continue (%w)", err)}
			case err != nil:
				return &exitError{migrateFailed, fmt.Errorf("migrate: %w", err)}
			}
			if asJSON {
				return writeJSON(out, r)
			}
			printMigrateReport(out, r, opts, metaURL, blobsURL)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DataDir, "data", "./data", "the stopped server's data directory (meta.db, blobs/, keys/root.key)")
	f.StringVar(&metaURL, "meta", "", "the metadata store to move into: postgres://user@host:5432/db?schema=kura (or any URL kura server --meta takes)")
	f.StringVar(&blobsURL, "blobs", "", "the blob store to move into: s3://bucket/prefix?endpoint=…, file:///shared/dir (any URL kura server --blobs takes)")
	f.StringVar(&srcBlobs, "source-blobs", "", "the source's blob store, if the old server ran with --blobs (default: the data directory's blobs/)")
	f.BoolVar(&opts.VerifyOnly, "verify-only", false, "copy nothing: compare source and target again (every row, every blob's size and SHA-256, the counters)")
	f.BoolVar(&opts.Overwrite, "overwrite", false, "let this run change a target an earlier run verified (copy again what differs, or catch up with a source that changed since); a server that ran on the target would lose what it wrote")
	f.IntVar(&opts.Jobs, "jobs", 4, "blobs copied or verified at once")
	f.IntVar(&opts.BatchRows, "batch-rows", 500, "rows written per target transaction (each with its checkpoint)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// migrateLine is the progress line: the phase, a bar, and counts.
func migrateLine(p migrate.Progress) string {
	switch p.Phase {
	case migrate.PhaseBlobs, migrate.PhaseVerifyBlobs:
		frac := 1.0
		if p.BytesTotal > 0 {
			frac = float64(p.Bytes) / float64(p.BytesTotal)
		}
		return fmt.Sprintf("%-12s %s %3.0f%%  %d/%d blobs  %s / %s", p.Phase, barOf(frac, 30), min(frac, 1)*100,
			p.Blobs, p.BlobsTotal, byteSize(p.Bytes), byteSize(p.BytesTotal))
	}
	frac := 1.0
	if p.Total > 0 {
		frac = float64(p.Rows) / float64(p.Total)
	}
	return fmt.Sprintf("%-12s %s %3.0f%%  %d/%d rows  (%s)", p.Phase, barOf(frac, 30), min(frac, 1)*100, p.Rows, p.Total, p.Table)
}

func printMismatches(w io.Writer, r *migrate.Report) {
	fmt.Fprintf(w, "Verification of %s and %s against %s FAILED: %d differences\n", r.TargetMeta, r.TargetBlobs, r.Source, len(r.Mismatches)+r.More)
	for _, m := range r.Mismatches {
		fmt.Fprintf(w, "  %s\n", m)
	}
	if r.More > 0 {
		fmt.Fprintf(w, "  … and %d more\n", r.More)
	}
}

// perSecond is n per second over d.
func perSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}

func printMigrateReport(w io.Writer, r *migrate.Report, o migrate.Options, metaURL, blobsURL string) {
	data := o.DataDir
	srcBlobs := filepath.Join(data, "blobs")
	if o.SourceBlobs != nil {
		srcBlobs = o.SourceBlobs.String()
	}
	if o.VerifyOnly {
		fmt.Fprintf(w, "Verified %s and %s against %s and %s in %s\n", r.TargetMeta, r.TargetBlobs, r.Source, srcBlobs, r.VerifyTook.Round(time.Millisecond))
	} else {
		what := "Migrated"
		if r.Resumed {
			what = "Migrated (continuing an earlier run)"
		}
		fmt.Fprintf(w, "%s %s and %s\n  into %s (metadata) and %s (blobs)\n", what, r.Source, srcBlobs, r.TargetMeta, r.TargetBlobs)
		if r.Restarted {
			fmt.Fprintln(w, "The source changed since the earlier run (a server ran on it): every table was merged again from its first key.")
		}
		fmt.Fprintf(w, "Blobs: %d (%s): %d copied (%s), %d already in the target, in %s (%.1f MiB/s)\n",
			r.Blobs, byteSize(r.BlobBytes), r.BlobsCopied, byteSize(r.BytesCopied), r.BlobsPresent, r.BlobsTook.Round(time.Millisecond),
			perSecond(float64(r.BytesCopied)/(1<<20), r.BlobsTook))
		fmt.Fprintf(w, "Rows: %d in %d tables: %d written, %d removed from the target, in %s (%.0f rows/s)\n",
			r.Rows, r.Tables, r.RowsWritten, r.RowsDeleted, r.RowsTook.Round(time.Millisecond), perSecond(float64(r.RowsWritten), r.RowsTook))
		if len(r.Skipped) > 0 {
			var s []string
			for t, n := range r.Skipped {
				s = append(s, fmt.Sprintf("%s (%d rows)", t, n))
			}
			slices.Sort(s)
			fmt.Fprintf(w, "Not moved: %s: leases belong to the stopped server's processes\n", strings.Join(s, ", "))
		}
		if len(r.Sequences) > 0 {
			var s []string
			for name, n := range r.Sequences {
				s = append(s, fmt.Sprintf("%s > %d", name, n))
			}
			slices.Sort(s)
			fmt.Fprintf(w, "Counters raised in the target above the source's: %s\n", strings.Join(s, ", "))
		}
		fmt.Fprintf(w, "Verified in %s:", r.VerifyTook.Round(time.Millisecond))
	}
	fmt.Fprintln(w, " every row's key and value are equal in source and target; every blob is in the target with the same size and SHA-256"+
		" (blobs are ciphertext: compared as stored, never decrypted); every counter is above the source's.")
	if r.ExtraBlobs > 0 {
		fmt.Fprintf(w, "The target holds %d blobs the source does not (deleted from the source since an earlier run): nothing names them; the server's orphan sweep removes them.\n", r.ExtraBlobs)
	}
	fmt.Fprintf(w, `
What stays in %s — the migrated deployment keeps using this data directory
(a node elsewhere needs a copy of the first two):
  keys/root.key          the root key. The data keys, KMS key material and IAM secrets moved are
                         sealed under it, and its check moved too: the target opens with this key
                         (or KURA_ROOT_KEY) and no other.
  root-credentials.json  the root account's id and access key.
  audit/                 the audit trail, a file per node; the new server appends to it.
  access-logs/           access log records not delivered yet; the new server delivers them.
  tls/, link/            the self-signed certificate and a linked deployment's peer table,
                         bucket registry and link token, if used.
  meta.db, blobs/        the source, unchanged. Keep it until you are satisfied, then remove it:
                         a server started here without --meta and --blobs would serve this old copy.
`, data)
	fmt.Fprintln(w, "Start the migrated deployment with (add the other flags the old server ran with: --listen, --region, TLS, link …):")
	m, mNote := printableURL(metaURL)
	b, bNote := printableURL(blobsURL)
	fmt.Fprintf(w, "  kura server --data %s --meta %s --blobs %s\n", shellQuote(data), shellQuote(m), shellQuote(b))
	if mNote || bNote {
		fmt.Fprintln(w, "(the password is shown as xxxxx: give it as you gave it to kura migrate, or through PGPASSWORD or ~/.pgpass)")
	}
}

// printableURL is raw with any password replaced by xxxxx: what migrate
// prints ends up in terminals' scrollback and logs.
func printableURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, false
	}
	hidden := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		hidden = true
	}
	q := u.Query()
	for _, k := range []string{"password", "secret_key", "secret"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			u.RawQuery = q.Encode()
			hidden = true
		}
	}
	if !hidden {
		return raw, false
	}
	return u.String(), true
}
