package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"slices"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// The S3 Inventory configuration API: Put, Get, List and
// DeleteBucketInventoryConfiguration on ?inventory. The reports are
// written by internal/inventory.

// S3's limits on inventory configurations.
const (
	maxInventoryBody = 64 << 10
)

// inventoryConfigurationXML is the wire form (botocore's
// InventoryConfiguration). Required elements are pointers, so that a
// missing one is told apart from an empty one.
type inventoryConfigurationXML struct {
	XMLName                xml.Name                 `xml:"InventoryConfiguration"`
	NS                     string                   `xml:"xmlns,attr,omitempty"`
	Destination            *inventoryDestinationXML `xml:"Destination"`
	IsEnabled              *bool                    `xml:"IsEnabled"`
	Filter                 *inventoryFilterXML      `xml:"Filter,omitempty"`
	ID                     *string                  `xml:"Id"`
	IncludedObjectVersions *string                  `xml:"IncludedObjectVersions"`
	OptionalFields         *inventoryFieldsXML      `xml:"OptionalFields,omitempty"`
	Schedule               *inventoryScheduleXML    `xml:"Schedule"`
}

type inventoryDestinationXML struct {
	S3BucketDestination *inventoryS3DestinationXML `xml:"S3BucketDestination"`
}

type inventoryS3DestinationXML struct {
	AccountID  *string                 `xml:"AccountId,omitempty"`
	Bucket     *string                 `xml:"Bucket"`
	Format     *string                 `xml:"Format"`
	Prefix     *string                 `xml:"Prefix,omitempty"`
	Encryption *inventoryEncryptionXML `xml:"Encryption,omitempty"`
}

type inventoryEncryptionXML struct {
	SSES3  *struct{}           `xml:"SSE-S3,omitempty"`
	SSEKMS *inventorySSEKMSXML `xml:"SSE-KMS,omitempty"`
}

type inventorySSEKMSXML struct {
	KeyID *string `xml:"KeyId"`
}

type inventoryFilterXML struct {
	Prefix *string `xml:"Prefix"`
}

type inventoryFieldsXML struct {
	Fields []string `xml:"Field"`
}

type inventoryScheduleXML struct {
	Frequency *string `xml:"Frequency"`
}

// listInventoryResult is ListBucketInventoryConfigurations' answer.
type listInventoryResult struct {
	XMLName               xml.Name                    `xml:"ListInventoryConfigurationsResult"`
	NS                    string                      `xml:"xmlns,attr"`
	ContinuationToken     string                      `xml:"ContinuationToken,omitempty"`
	Configurations        []inventoryConfigurationXML `xml:"InventoryConfiguration"`
	IsTruncated           bool                        `xml:"IsTruncated"`
	NextContinuationToken string                      `xml:"NextContinuationToken,omitempty"`
}

// parseInventoryConfiguration validates a PutBucketInventoryConfiguration
// body for the id of the query. What the schema forbids (a missing
// required element, a value outside an enumeration: Frequency, Format,
// IncludedObjectVersions, an OptionalFields name) is MalformedXML, as
// S3's schema validation answers; an id that differs from the query's or
// a destination that is not a bucket ARN is InvalidArgument.
func parseInventoryConfiguration(body []byte, id string) (*kura.InventoryConfiguration, error) {
	var x inventoryConfigurationXML
	if err := parseXML(body, &x); err != nil {
		return nil, err
	}
	if x.Destination == nil || x.Destination.S3BucketDestination == nil || x.IsEnabled == nil || x.ID == nil ||
		x.IncludedObjectVersions == nil || x.Schedule == nil || x.Schedule.Frequency == nil {
		return nil, s3err.MalformedXML
	}
	d := x.Destination.S3BucketDestination
	if d.Bucket == nil || d.Format == nil || (x.Filter != nil && x.Filter.Prefix == nil) {
		return nil, s3err.MalformedXML
	}
	if *x.ID != id {
		return nil, s3err.InvalidArgument.WithMessage("The id in the query string and the Id in the configuration do not match.").
			With("ArgumentName", "id").With("ArgumentValue", id)
	}
	c := &kura.InventoryConfiguration{
		ID: id, IsEnabled: *x.IsEnabled, Frequency: *x.Schedule.Frequency,
		IncludedObjectVersions: *x.IncludedObjectVersions,
		Destination: kura.InventoryDestination{
			BucketARN: *d.Bucket, AccountID: deref(d.AccountID), Prefix: deref(d.Prefix), Format: *d.Format,
		},
	}
	if x.Filter != nil {
		c.FilterPrefix = x.Filter.Prefix
	}
	if !slices.Contains([]string{"Daily", "Weekly"}, c.Frequency) ||
		!slices.Contains([]string{"All", "Current"}, c.IncludedObjectVersions) ||
		!slices.Contains([]string{"CSV", "ORC", "Parquet"}, c.Destination.Format) {
		return nil, s3err.MalformedXML
	}
	if x.OptionalFields != nil {
		for _, f := range x.OptionalFields.Fields {
			if !slices.Contains(kura.InventoryOptionalFields, f) {
				return nil, s3err.MalformedXML
			}
		}
		c.OptionalFields = x.OptionalFields.Fields
	}
	if b := c.Destination.Bucket(); b == "" || !object.ValidBucketName(b) {
		return nil, s3err.InvalidArgument.WithMessage("Invalid bucket ARN.").
			With("ArgumentName", "Bucket").With("ArgumentValue", c.Destination.BucketARN)
	}
	if a := c.Destination.AccountID; a != "" && !isAccountID(a) {
		return nil, s3err.InvalidArgument.WithMessage("The AccountId must be a 12-digit AWS account ID.").
			With("ArgumentName", "AccountId").With("ArgumentValue", a)
	}
	if e := d.Encryption; e != nil {
		switch {
		case (e.SSES3 == nil) == (e.SSEKMS == nil):
			return nil, s3err.MalformedXML
		case e.SSES3 != nil:
			c.Destination.Encryption = &kura.InventoryEncryption{Type: kura.SSES3}
		case e.SSEKMS.KeyID == nil || *e.SSEKMS.KeyID == "":
			return nil, s3err.MalformedXML
		default:
			c.Destination.Encryption = &kura.InventoryEncryption{Type: kura.SSEKMS, KMSKeyID: *e.SSEKMS.KeyID}
		}
	}
	return c, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func inventoryToXML(c *kura.InventoryConfiguration) inventoryConfigurationXML {
	d := c.Destination
	out := inventoryConfigurationXML{
		NS:                     s3NS,
		ID:                     &c.ID,
		IsEnabled:              &c.IsEnabled,
		IncludedObjectVersions: &c.IncludedObjectVersions,
		Schedule:               &inventoryScheduleXML{Frequency: &c.Frequency},
		Destination: &inventoryDestinationXML{S3BucketDestination: &inventoryS3DestinationXML{
			AccountID: nonEmpty(d.AccountID), Bucket: &d.BucketARN, Format: &d.Format, Prefix: nonEmpty(d.Prefix),
		}},
	}
	if c.FilterPrefix != nil {
		out.Filter = &inventoryFilterXML{Prefix: c.FilterPrefix}
	}
	if len(c.OptionalFields) > 0 {
		out.OptionalFields = &inventoryFieldsXML{Fields: c.OptionalFields}
	}
	if e := d.Encryption; e != nil {
		x := &inventoryEncryptionXML{}
		if e.Type == kura.SSEKMS {
			x.SSEKMS = &inventorySSEKMSXML{KeyID: &e.KMSKeyID}
		} else {
			x.SSES3 = &struct{}{}
		}
		out.Destination.S3BucketDestination.Encryption = x
	}
	return out
}

func (h *Handler) putBucketInventory(req *request) error {
	id := req.query.Get("id")
	if err := ops.CheckInventoryID(id); err != nil {
		return err
	}
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	body, err := readBody(req, maxInventoryBody)
	if err != nil {
		return err
	}
	c, err := parseInventoryConfiguration(body, id)
	if err != nil {
		return err
	}
	err = h.ops.PutBucketInventoryConfiguration(h.front(req, b), req.caller(), ops.InventoryInput{BucketTarget: req.bucketTarget(), Config: *c})
	return answer(req, http.StatusOK, err)
}

// inventoryTarget is the configuration req names (?id=).
func (req *request) inventoryTarget() ops.InventoryTarget {
	return ops.InventoryTarget{BucketTarget: req.bucketTarget(), ID: req.query.Get("id")}
}

func (h *Handler) getBucketInventory(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	c, err := h.ops.GetBucketInventoryConfiguration(h.front(req, b), req.caller(), req.inventoryTarget())
	if err != nil {
		return err
	}
	writeXML(req, http.StatusOK, inventoryToXML(c))
	return nil
}

// listBucketInventory answers ops.InventoryPageSize configurations a
// page, by id; the continuation token is the last id of the page before,
// encoded.
func (h *Handler) listBucketInventory(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	res := listInventoryResult{NS: s3NS}
	after := ""
	if t, ok := req.query["continuation-token"]; ok {
		res.ContinuationToken = t[0]
		raw, err := base64.RawURLEncoding.DecodeString(t[0])
		if err != nil || len(raw) == 0 {
			return s3err.InvalidArgument.WithMessage("The continuation token provided is incorrect").
				With("ArgumentName", "continuation-token")
		}
		after = string(raw)
	}
	page, err := h.ops.ListBucketInventoryConfigurations(h.front(req, b), req.caller(), ops.InventoryListInput{BucketTarget: req.bucketTarget(), After: after})
	if err != nil {
		return err
	}
	if page.Truncated {
		res.IsTruncated = true
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.Configurations[len(page.Configurations)-1].ID))
	}
	for i := range page.Configurations {
		x := inventoryToXML(&page.Configurations[i])
		x.NS = ""
		res.Configurations = append(res.Configurations, x)
	}
	writeXML(req, http.StatusOK, res)
	return nil
}

// deleteBucketInventory removes a configuration; an id the bucket does
// not have is NoSuchConfiguration, as S3 answers.
func (h *Handler) deleteBucketInventory(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	return answer(req, http.StatusNoContent, h.ops.DeleteBucketInventoryConfiguration(h.front(req, b), req.caller(), req.inventoryTarget()))
}

func hasID(req *request) bool { _, ok := req.query["id"]; return ok }

// inventoryRunResult answers KuraRunBucketInventory: the run, delivered or
// not (Error says why not).
type inventoryRunResult struct {
	XMLName     xml.Name `xml:"InventoryRun"`
	NS          string   `xml:"xmlns,attr"`
	Bucket      string   `xml:"Bucket"`
	ID          string   `xml:"Id"`
	Destination string   `xml:"Destination"`
	Started     string   `xml:"Started"`
	Finished    string   `xml:"Finished"`
	ManifestKey string   `xml:"ManifestKey,omitempty"`
	Objects     int64    `xml:"Objects"`
	Error       string   `xml:"Error,omitempty"`
}

// runBucketInventory is Kura's KuraRunBucketInventory (POST
// ?inventory&id=ID): it produces the configuration's report now and
// answers when it is delivered or has failed, with the run. A run that
// failed is still 200: the run happened, and its Error (also kept as the
// configuration's last run and logged) says why nothing was delivered.
func (h *Handler) runBucketInventory(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	res, err := h.ops.RunBucketInventory(h.front(req, b), req.caller(), req.inventoryTarget())
	if err != nil {
		return err
	}
	run := res.Run
	writeXML(req, http.StatusOK, inventoryRunResult{NS: s3NS, Bucket: b.Name, ID: res.Config.ID, Destination: res.Config.Destination.BucketARN,
		Started: run.Started.UTC().Format(time.RFC3339), Finished: run.Finished.UTC().Format(time.RFC3339),
		ManifestKey: run.ManifestKey, Objects: run.Objects, Error: run.Error})
	return nil
}
