package ops

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/s3err"
)

// The bucket configurations that are rules for requests and for work done
// later: CORS, lifecycle, the static website, and S3 Inventory (with
// Kura's KuraRunBucketInventory, which produces a report now). They are
// management events.

var (
	specPutBucketCors = spec{name: "PutBucketCors", sub: "cors", management: true, status: statusOK,
		actions: []string{"s3:PutBucketCORS"}}
	specGetBucketCors = spec{name: "GetBucketCors", sub: "cors", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketCORS"}}
	specDeleteBucketCors = spec{name: "DeleteBucketCors", sub: "cors", management: true, status: statusNoContent,
		actions: []string{"s3:PutBucketCORS"}}

	specPutBucketLifecycle = spec{name: "PutBucketLifecycleConfiguration", sub: "lifecycle", management: true, status: statusOK,
		actions: []string{"s3:PutLifecycleConfiguration"}}
	specGetBucketLifecycle = spec{name: "GetBucketLifecycleConfiguration", sub: "lifecycle", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetLifecycleConfiguration"}}
	specDeleteBucketLifecycle = spec{name: "DeleteBucketLifecycle", sub: "lifecycle", management: true, status: statusNoContent,
		actions: []string{"s3:PutLifecycleConfiguration"}}

	specPutBucketWebsite = spec{name: "PutBucketWebsite", sub: "website", management: true, status: statusOK,
		actions: []string{"s3:PutBucketWebsite"}}
	specGetBucketWebsite = spec{name: "GetBucketWebsite", sub: "website", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetBucketWebsite"}}
	specDeleteBucketWebsite = spec{name: "DeleteBucketWebsite", sub: "website", management: true, status: statusNoContent,
		actions: []string{"s3:DeleteBucketWebsite"}}

	specPutBucketInventory = spec{name: "PutBucketInventoryConfiguration", sub: "inventory", management: true, status: statusOK,
		actions: []string{"s3:PutInventoryConfiguration"}}
	specGetBucketInventory = spec{name: "GetBucketInventoryConfiguration", sub: "inventory", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetInventoryConfiguration"}}
	specListBucketInventory = spec{name: "ListBucketInventoryConfigurations", sub: "inventory", management: true, readOnly: true, status: statusOK,
		actions: []string{"s3:GetInventoryConfiguration"}}
	specDeleteBucketInventory = spec{name: "DeleteBucketInventoryConfiguration", sub: "inventory", management: true, status: statusNoContent,
		actions: []string{"s3:PutInventoryConfiguration"}}
	// Producing a report now is what a configuration asks for on its
	// schedule: whoever may configure one may run it.
	specRunBucketInventory = spec{name: "KuraRunBucketInventory", sub: "inventory", management: true, status: statusOK,
		actions: []string{"s3:PutInventoryConfiguration"}}
)

// CORSInput is PutBucketCors': the rules that replace the bucket's.
type CORSInput struct {
	BucketTarget
	Rules []kura.CORSRule
}

// PutBucketCors replaces the bucket's CORS rules (ValidateCORS).
func (s *Service) PutBucketCors(ctx context.Context, call kura.Call, in CORSInput) error {
	return s.bucketOp(ctx, call, specPutBucketCors, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		if err := ValidateCORS(in.Rules); err != nil {
			return err
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error { b.CORS = in.Rules; return nil })
	})
}

// GetBucketCors returns the bucket's CORS rules; a bucket without any is
// NoSuchCORSConfiguration.
func (s *Service) GetBucketCors(ctx context.Context, call kura.Call, in BucketTarget) ([]kura.CORSRule, error) {
	return bucketRead(ctx, s, call, specGetBucketCors, in, func(ctx context.Context, r *run) ([]kura.CORSRule, error) {
		if len(r.bucket.CORS) == 0 {
			return nil, s3err.NoSuchCORSConfiguration.With("BucketName", r.bucket.Name)
		}
		return r.bucket.CORS, nil
	})
}

// DeleteBucketCors removes the bucket's CORS rules.
func (s *Service) DeleteBucketCors(ctx context.Context, call kura.Call, in BucketTarget) error {
	return s.setBucket(ctx, call, specDeleteBucketCors, in, func(b *kura.Bucket) error { b.CORS = nil; return nil })
}

// LifecycleInput is PutBucketLifecycleConfiguration's: the rules that
// replace the bucket's.
type LifecycleInput struct {
	BucketTarget
	Rules []kura.LifecycleRule
}

// PutBucketLifecycleConfiguration replaces the bucket's lifecycle rules,
// checked and normalised by ValidateLifecycle (rules without an ID get
// one: the stored rules are returned).
func (s *Service) PutBucketLifecycleConfiguration(ctx context.Context, call kura.Call, in LifecycleInput) ([]kura.LifecycleRule, error) {
	rules := slices.Clone(in.Rules)
	err := s.bucketOp(ctx, call, specPutBucketLifecycle, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		if len(rules) == 0 {
			return s3err.MalformedXML
		}
		if err := ValidateLifecycle(rules); err != nil {
			return err
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error { b.Lifecycle = rules; return nil })
	})
	if err != nil {
		return nil, err
	}
	return rules, nil
}

// GetBucketLifecycleConfiguration returns the bucket's lifecycle rules; a
// bucket without any is NoSuchLifecycleConfiguration.
func (s *Service) GetBucketLifecycleConfiguration(ctx context.Context, call kura.Call, in BucketTarget) ([]kura.LifecycleRule, error) {
	return bucketRead(ctx, s, call, specGetBucketLifecycle, in, func(ctx context.Context, r *run) ([]kura.LifecycleRule, error) {
		if len(r.bucket.Lifecycle) == 0 {
			return nil, s3err.NoSuchLifecycle.With("BucketName", r.bucket.Name)
		}
		return r.bucket.Lifecycle, nil
	})
}

// DeleteBucketLifecycle removes the bucket's lifecycle rules.
func (s *Service) DeleteBucketLifecycle(ctx context.Context, call kura.Call, in BucketTarget) error {
	return s.setBucket(ctx, call, specDeleteBucketLifecycle, in, func(b *kura.Bucket) error { b.Lifecycle = nil; return nil })
}

// WebsiteInput is PutBucketWebsite's. The HTTP front checks the
// configuration's values as it reads them (s3api/websiteconfig.go): S3's
// checks there follow which elements are present, which a kura.Website
// no longer tells.
type WebsiteInput struct {
	BucketTarget
	Website kura.Website
}

// PutBucketWebsite sets the bucket's static website configuration: a
// redirect of every request, or an index document (with an error
// document and routing rules).
func (s *Service) PutBucketWebsite(ctx context.Context, call kura.Call, in WebsiteInput) error {
	w := in.Website
	return s.bucketOp(ctx, call, specPutBucketWebsite, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		switch {
		case w.RedirectAllRequestsTo != nil && (w.IndexDocument != "" || w.ErrorDocument != "" || w.RoutingRules != nil):
			return s3err.InvalidArgument.WithMessage("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.").
				With("ArgumentName", "RedirectAllRequestsTo").With("ArgumentValue", "not null")
		case w.RedirectAllRequestsTo == nil && w.IndexDocument == "":
			return s3err.InvalidArgument.WithMessage("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty").
				With("ArgumentName", "IndexDocument").With("ArgumentValue", "null")
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error { b.Website = &w; return nil })
	})
}

// GetBucketWebsite returns the bucket's website configuration; a bucket
// without one is NoSuchWebsiteConfiguration.
func (s *Service) GetBucketWebsite(ctx context.Context, call kura.Call, in BucketTarget) (*kura.Website, error) {
	return bucketRead(ctx, s, call, specGetBucketWebsite, in, func(ctx context.Context, r *run) (*kura.Website, error) {
		if r.bucket.Website == nil {
			return nil, s3err.NoSuchWebsiteConfiguration.With("BucketName", r.bucket.Name)
		}
		return r.bucket.Website, nil
	})
}

// DeleteBucketWebsite removes the configuration; a bucket without one
// succeeds all the same ("You will get a 200 OK response if the website
// configuration you are trying to delete does not exist on the bucket").
func (s *Service) DeleteBucketWebsite(ctx context.Context, call kura.Call, in BucketTarget) error {
	return s.setBucket(ctx, call, specDeleteBucketWebsite, in, func(b *kura.Bucket) error { b.Website = nil; return nil })
}

// S3's limits on inventory configurations.
const (
	MaxInventoryConfigs = 1000
	InventoryPageSize   = 100
)

// CheckInventoryID checks an inventory configuration id: 1 to 64
// letters, digits, '-', '_' or '.'.
func CheckInventoryID(id string) error {
	ok := id != "" && len(id) <= 64
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	if !ok {
		return s3err.InvalidArgument.WithMessage("The inventory configuration id must be 1 to 64 letters, digits, '-', '_' or '.'.").
			With("ArgumentName", "id").With("ArgumentValue", id)
	}
	return nil
}

// InventoryTarget names one inventory configuration of a bucket.
type InventoryTarget struct {
	BucketTarget
	ID string
}

// InventoryInput is PutBucketInventoryConfiguration's: the configuration
// (its ID the one it is stored under).
type InventoryInput struct {
	BucketTarget
	Config kura.InventoryConfiguration
}

// PutBucketInventoryConfiguration adds or replaces an inventory
// configuration; a replaced one keeps its schedule (its last run). A
// bucket has at most MaxInventoryConfigs (TooManyConfigurations).
func (s *Service) PutBucketInventoryConfiguration(ctx context.Context, call kura.Call, in InventoryInput) error {
	c := in.Config
	return s.bucketOp(ctx, call, specPutBucketInventory, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		r.param("id", c.ID)
		if err := CheckInventoryID(c.ID); err != nil {
			return err
		}
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error {
			if old := b.InventoryConfig(c.ID); old != nil {
				c.Last = old.Last
				*old = c
				return nil
			}
			if len(b.Inventory) >= MaxInventoryConfigs {
				return s3err.TooManyConfigurations
			}
			b.Inventory = append(b.Inventory, c)
			sort.Slice(b.Inventory, func(i, j int) bool { return b.Inventory[i].ID < b.Inventory[j].ID })
			return nil
		})
	})
}

// GetBucketInventoryConfiguration returns one inventory configuration;
// an id the bucket does not have is NoSuchConfiguration.
func (s *Service) GetBucketInventoryConfiguration(ctx context.Context, call kura.Call, in InventoryTarget) (*kura.InventoryConfiguration, error) {
	return bucketRead(ctx, s, call, specGetBucketInventory, in.BucketTarget, func(ctx context.Context, r *run) (*kura.InventoryConfiguration, error) {
		r.param("id", in.ID)
		c := r.bucket.InventoryConfig(in.ID)
		if c == nil {
			return nil, s3err.NoSuchConfiguration
		}
		return c, nil
	})
}

// InventoryListInput is ListBucketInventoryConfigurations': the page after
// the configuration with id After ("" for the first).
type InventoryListInput struct {
	BucketTarget
	After string
}

// InventoryList is a page of a bucket's inventory configurations, by id.
type InventoryList struct {
	Configurations []kura.InventoryConfiguration
	// Truncated says more follow, after the page's last id.
	Truncated bool
}

// ListBucketInventoryConfigurations lists the bucket's inventory
// configurations, InventoryPageSize a page.
func (s *Service) ListBucketInventoryConfigurations(ctx context.Context, call kura.Call, in InventoryListInput) (InventoryList, error) {
	return bucketRead(ctx, s, call, specListBucketInventory, in.BucketTarget, func(ctx context.Context, r *run) (InventoryList, error) {
		all := r.bucket.Inventory
		start := sort.Search(len(all), func(i int) bool { return strings.Compare(all[i].ID, in.After) > 0 })
		page := InventoryList{Configurations: all[start:]}
		if len(page.Configurations) > InventoryPageSize {
			page.Configurations, page.Truncated = page.Configurations[:InventoryPageSize], true
		}
		return page, nil
	})
}

// DeleteBucketInventoryConfiguration removes one inventory configuration;
// an id the bucket does not have is NoSuchConfiguration, as S3 answers.
func (s *Service) DeleteBucketInventoryConfiguration(ctx context.Context, call kura.Call, in InventoryTarget) error {
	return s.bucketOp(ctx, call, specDeleteBucketInventory, in.BucketTarget, nil, func(ctx context.Context, r *run) error {
		r.param("id", in.ID)
		return s.obj.UpdateBucket(ctx, in.Bucket, func(b *kura.Bucket) error {
			i := slices.IndexFunc(b.Inventory, func(c kura.InventoryConfiguration) bool { return c.ID == in.ID })
			if i < 0 {
				return s3err.NoSuchConfiguration
			}
			b.Inventory = slices.Delete(b.Inventory, i, i+1)
			if len(b.Inventory) == 0 {
				b.Inventory = nil
			}
			return nil
		})
	})
}

// InventoryRunResult is a KuraRunBucketInventory run: the configuration
// run and the run itself, delivered or not (Run.Error says why not).
type InventoryRunResult struct {
	Config kura.InventoryConfiguration
	Run    kura.InventoryRun
}

// RunBucketInventory is Kura's KuraRunBucketInventory: it produces the
// configuration's report now and returns when it is delivered or has
// failed. A run that failed is a result, not an error: the run happened,
// and its Error (also kept as the configuration's last run) says why
// nothing was delivered. An error is a run that did not start.
func (s *Service) RunBucketInventory(ctx context.Context, call kura.Call, in InventoryTarget) (InventoryRunResult, error) {
	return bucketRead(ctx, s, call, specRunBucketInventory, in.BucketTarget, func(ctx context.Context, r *run) (InventoryRunResult, error) {
		r.param("id", in.ID)
		c := r.bucket.InventoryConfig(in.ID)
		if c == nil {
			return InventoryRunResult{}, s3err.NoSuchConfiguration
		}
		if s.inventory == nil {
			return InventoryRunResult{}, s3err.NotImplemented.WithMessage("This server does not produce inventory reports.")
		}
		run, err := s.inventory(ctx, r.bucket.Name, in.ID)
		if run.Finished.IsZero() {
			return InventoryRunResult{}, err
		}
		return InventoryRunResult{Config: *c, Run: run}, nil
	})
}
