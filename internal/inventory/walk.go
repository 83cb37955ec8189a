package inventory

import (
	"context"
	"slices"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/lifecycle"
	"github.com/kurastore/kura/internal/object"
)

// walk calls emit for every version c reports, in key order (newest
// version first within a key), one listing page at a time: each page is
// its own read transaction, so a walk of millions of objects holds one
// page in memory and never one long transaction.
//
// Current lists the current, non-deleted version of every key; All every
// version and delete marker. FilterPrefix limits both to its keys.
func (w *Writer) walk(ctx context.Context, src *kura.Bucket, c kura.InventoryConfiguration, emit func(Entry) error) error {
	all := c.IncludedObjectVersions == "All"
	in := object.ListInput{Bucket: src.Name, MaxKeys: w.cfg.PageSize}
	if c.FilterPrefix != nil {
		in.Prefix = *c.FilterPrefix
	}
	owners := map[string]string{}
	expiry := slices.Contains(c.OptionalFields, "LifecycleExpirationDate") && lifecycle.Enabled(src.Lifecycle)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var res *object.ListResult
		var err error
		if all {
			res, err = w.cfg.Objects.ListVersions(ctx, in)
		} else {
			res, err = w.cfg.Objects.ListObjects(ctx, in)
		}
		if err != nil {
			return err
		}
		for i, v := range res.Objects {
			latest := !all || res.IsLatest[i]
			owner, err := w.canonicalID(ctx, owners, v.Owner)
			if err != nil {
				return err
			}
			e := Entry{Bucket: src.Name, Version: v, IsLatest: latest, OwnerID: owner}
			if expiry && latest && !v.DeleteMarker {
				e.Expires = expiration(src.Lifecycle, v, w.cfg.LifecycleDay)
			}
			if err := emit(e); err != nil {
				return err
			}
		}
		if !res.Truncated {
			return nil
		}
		in.After, in.VersionAfter = res.NextKey, res.NextVersion
	}
}

// canonicalID maps an owner account to its canonical user id, once per
// account and walk.
func (w *Writer) canonicalID(ctx context.Context, seen map[string]string, account string) (string, error) {
	if id, ok := seen[account]; ok {
		return id, nil
	}
	id := account
	if w.cfg.CanonicalID != nil && account != "" {
		cid, err := w.cfg.CanonicalID(ctx, account)
		if err != nil {
			return "", err
		}
		if cid != "" {
			id = cid
		}
	}
	seen[account] = id
	return id, nil
}

// expiration is when the bucket's lifecycle rules expire current version
// v: the earliest Expiration of an enabled rule that matches it (zero:
// none does).
func expiration(rules []kura.LifecycleRule, v *kura.ObjectVersion, day time.Duration) time.Time {
	var first time.Time
	for i := range rules {
		r := &rules[i]
		if r.Status != "Enabled" || r.Expiration == nil || !lifecycle.Matches(r, v.Key, v.Size, v.Tags) {
			continue
		}
		var due time.Time
		switch x := r.Expiration; {
		case x.Days != nil:
			d, ok := lifecycle.DueAfter(v.LastModified, *x.Days, day)
			if !ok {
				continue
			}
			due = d
		case x.Date != "":
			d, err := time.Parse(time.RFC3339, x.Date)
			if err != nil {
				continue
			}
			due = d
		default:
			continue
		}
		if first.IsZero() || due.Before(first) {
			first = due
		}
	}
	return first
}
