package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/kurastore/kura/internal/audit"
	"github.com/kurastore/kura/internal/backend"
)

// newAuditCmd is `kura audit`: it reads the audit trail of a data
// directory (rotated files, then the current one) and prints the events a
// filter selects, as a table or as the raw JSON lines.
func newAuditCmd() *cobra.Command {
	var (
		dataDir, since, until string
		metaURL               string
		f                     audit.Filter
		asJSON, follow        bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Query the audit trail (S3, IAM, STS and KMS events)",
		Long: `audit prints the CloudTrail-shaped events Kura recorded in <data>/audit:
every S3, IAM, STS and KMS request, allowed or denied. Filters combine
(AND). --since and --until take an RFC 3339 time or a duration back from
now (90m, 24h). --follow keeps printing new events as they are appended,
across rotations, until interrupted; with --since it skips older history.`,
		Example: `  kura audit --data ./data --since 1h --errors
  kura audit --bucket photos --prefix 2026/ --event GetObject
  kura audit --principal user/alice --json | jq .requestParameters
  kura audit --follow --since 1m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if f.Since, err = parseWhen(since, now); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if f.Until, err = parseWhen(until, now); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			if metaURL != "" {
				if follow {
					return errors.New("--follow reads a data directory's trail file; with --meta, run the query again (or follow each node's trail)")
				}
				return queryClusterTrail(cmd, metaURL, f, asJSON)
			}
			dir := audit.DirIn(dataDir)
			if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no audit trail in %s: is --data the server's data directory?", dir)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				emit := func(ev audit.Event) error { _, err := fmt.Fprintf(out, "%s\n", ev.Line()); return err }
				if follow {
					ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
					defer stop()
					return audit.Follow(ctx, dir, f, emit)
				}
				return audit.Query(dir, f, emit)
			}
			t := newAuditTable()
			if follow {
				// Rows are printed as they come: a column widens for a
				// longer value from that row on.
				if err := t.print(out, auditHeader); err != nil {
					return err
				}
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return audit.Follow(ctx, dir, f, func(ev audit.Event) error { return t.print(out, eventRow(ev)) })
			}
			// A query's rows are all known before the first is printed, so
			// every column is as wide as its widest value.
			rows := [][]string{auditHeader}
			if err := audit.Query(dir, f, func(ev audit.Event) error { rows = append(rows, eventRow(ev)); return nil }); err != nil {
				return err
			}
			for _, r := range rows {
				t.fit(r)
			}
			for _, r := range rows {
				if err := t.print(out, r); err != nil {
					return err
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dataDir, "data", "./data", "the server's data directory")
	fl.StringVar(&since, "since", "", "only events at or after this time (RFC 3339, or a duration ago such as 1h)")
	fl.StringVar(&until, "until", "", "only events at or before this time (RFC 3339, or a duration ago)")
	fl.StringVar(&f.EventName, "event", "", "only this event name, e.g. PutObject, GenerateDataKey, CreateUser")
	fl.StringVar(&f.Principal, "principal", "", "only principals whose ARN, user name or access key id contains this")
	fl.StringVar(&f.Bucket, "bucket", "", "only events on this bucket")
	fl.StringVar(&f.KeyPrefix, "prefix", "", "only events on object keys starting with this")
	fl.BoolVar(&f.ErrorsOnly, "errors", false, "only failed requests")
	fl.BoolVar(&asJSON, "json", false, "print the events as JSON lines, as stored")
	fl.BoolVar(&follow, "follow", false, "keep printing new events until interrupted")
	fl.StringVar(&metaURL, "meta", "", "read the cluster audit trail of all nodes in this shared metadata store (postgres://…?schema=…) instead of --data's trail file")
	return cmd
}

// queryClusterTrail prints the events of the cluster trail in the shared
// metadata store metaURL that f selects, in the trail's order, with the
// node that recorded each (docs/scale-out.md, "Audit trail").
func queryClusterTrail(cmd *cobra.Command, metaURL string, f audit.Filter, asJSON bool) error {
	mb, err := backend.ParseMeta(metaURL)
	if err != nil {
		return fmt.Errorf("--meta: %w", err)
	}
	ms, err := mb.OpenReadOnly(cmd.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("--meta: %w", err)
	}
	defer ms.Close()
	out := cmd.OutOrStdout()
	if asJSON {
		return audit.QueryCluster(cmd.Context(), ms, f, func(ev audit.ClusterEvent) error {
			_, err := fmt.Fprintf(out, "%s\n", ev.Line())
			return err
		})
	}
	rows := [][]string{append(slices.Clone(auditHeader), "NODE")}
	if err := audit.QueryCluster(cmd.Context(), ms, f, func(ev audit.ClusterEvent) error {
		rows = append(rows, append(eventRow(ev.Event), ev.Node))
		return nil
	}); err != nil {
		return err
	}
	t := newAuditTable()
	t.widths = append(t.widths, len("RESULT")) // the node comes after it
	for _, r := range rows {
		t.fit(r)
	}
	for _, r := range rows {
		if err := t.print(out, r); err != nil {
			return err
		}
	}
	return nil
}

// parseWhen reads an RFC 3339 time or a duration before now; "" is no
// bound.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-05-20T12:00:00Z) nor a duration (90m)", s)
	}
	return now.Add(-d), nil
}

var auditHeader = []string{"TIME", "EVENT", "PRINCIPAL", "SOURCE IP", "RESOURCE", "RESULT"}

// eventRow is an event's row of the table.
func eventRow(ev audit.Event) []string {
	result := "OK"
	if ev.ErrorCode != "" {
		result = ev.ErrorCode
	}
	return []string{ev.EventTime.UTC().Format(time.RFC3339), ev.EventName, principal(ev.UserIdentity),
		orDash(ev.SourceIPAddress), resource(ev), result}
}

// auditTable pads columns to widths that fit typical values and widen
// for longer ones, so columns line up however long a principal's ARN or a
// key is.
type auditTable struct{ widths []int }

func newAuditTable() *auditTable { return &auditTable{widths: []int{20, 26, 30, 15, 40}} }

// fit widens the columns for cols.
func (t *auditTable) fit(cols []string) {
	for i, c := range cols {
		if i < len(t.widths) {
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
		}
	}
}

// print writes one row, widening the columns first if it needs it.
func (t *auditTable) print(w io.Writer, cols []string) error {
	t.fit(cols)
	var b strings.Builder
	for i, c := range cols {
		b.WriteString(c)
		if i < len(t.widths) {
			b.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)+2))
		}
	}
	_, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	return err
}

// principal is the short form of who made a request: the ARN without its
// "arn:aws:iam::" prefix, the access key a failed signature claimed, or
// anonymous; "(via s3.amazonaws.com)" for calls a service made for them.
func principal(u audit.UserIdentity) string {
	var p string
	switch {
	case u.ARN != "":
		p = strings.TrimPrefix(strings.TrimPrefix(u.ARN, "arn:aws:iam::"), "arn:aws:sts::")
	case u.AccountID == "anonymous":
		p = "anonymous"
	case u.AccessKeyID != "":
		p = "unverified:" + u.AccessKeyID
	case u.InvokedBy != "":
		p = u.InvokedBy
	default:
		p = "-"
	}
	if u.InvokedBy != "" && u.ARN != "" {
		p += " (via " + u.InvokedBy + ")"
	}
	return p
}

// resource is bucket/key for S3 events, else the first resource ARN.
func resource(ev audit.Event) string {
	if b, _ := ev.RequestParameters["bucketName"].(string); b != "" {
		if k, _ := ev.RequestParameters["key"].(string); k != "" {
			return b + "/" + k
		}
		return b
	}
	if len(ev.Resources) > 0 {
		return ev.Resources[0].ARN
	}
	return "-"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
