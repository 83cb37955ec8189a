package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deletedEntry struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          *bool  `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteErrorEntry struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

type deleteResult struct {
	XMLName xml.Name           `xml:"DeleteResult"`
	NS      string             `xml:"xmlns,attr"`
	Deleted []deletedEntry     `xml:"Deleted"`
	Errors  []deleteErrorEntry `xml:"Error"`
}

// deleteObjects translates a DeleteObjects request into
// ops.DeleteObjectsInput and writes its result: each key's outcome as a
// Deleted (not in quiet mode) or an Error element.
func (h *Handler) deleteObjects(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	if err := requireIntegrity(req); err != nil {
		return err
	}
	// The header is refused on a bucket without Object Lock before the
	// body is read (or ignored, by configuration); the operation decides
	// the permission.
	bypass, err := h.bypassAsked(req, b)
	if err != nil {
		return err
	}
	var dr deleteRequest
	if err := readXML(req, &dr); err != nil {
		return err
	}
	if len(dr.Objects) == 0 || len(dr.Objects) > ops.MaxDeleteObjects {
		return s3err.MalformedXML
	}
	in := ops.DeleteObjectsInput{Bucket: req.bucket, BypassGovernance: bypass, Objects: make([]ops.ObjectIdentifier, len(dr.Objects))}
	for i, o := range dr.Objects {
		in.Objects[i] = ops.ObjectIdentifier{Key: o.Key, VersionID: o.VersionID}
	}
	res, err := h.ops.DeleteObjects(h.front(req, b), req.caller(), in)
	if err != nil {
		return err
	}
	req.trail.deleted = res.Objects
	out := deleteResult{NS: s3NS}
	for _, o := range res.Objects {
		if e := o.Err; e != nil {
			out.Errors = append(out.Errors, deleteErrorEntry{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if dr.Quiet {
			continue
		}
		d := deletedEntry{Key: o.Key, VersionID: o.VersionID, DeleteMarkerVersionID: o.DeleteMarkerVersionID}
		if o.DeleteMarker {
			d.DeleteMarker = ptr(true)
		} else if b.Versioning != "" {
			// In a bucket that has had versioning, S3 says so even
			// when no marker was involved.
			d.DeleteMarker = ptr(false)
		}
		out.Deleted = append(out.Deleted, d)
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

func (h *Handler) putObjectTagging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var t tagging
	if err := readXML(req, &t); err != nil {
		return err
	}
	res, err := h.ops.PutObjectTagging(h.front(req, b), req.caller(), ops.TaggingInput{Target: req.target(), Tags: toTags(t.TagSet)})
	if err != nil {
		return err
	}
	writeVersionID(req, res.VersionID)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// writeVersionID names the version a write changed (S3 names no version
// for the null version).
func writeVersionID(req *request, versionID string) {
	if versionID != object.NullVersion {
		req.w.Header().Set("X-Amz-Version-Id", versionID)
	}
}

func (h *Handler) getObjectTagging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	res, err := h.ops.GetObjectTagging(h.front(req, b), req.caller(), req.target())
	if err != nil {
		return err
	}
	writeVersionID(req, res.VersionID)
	writeXML(req, http.StatusOK, fromTags(res.Tags))
	return nil
}

func (h *Handler) deleteObjectTagging(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	res, err := h.ops.DeleteObjectTagging(h.front(req, b), req.caller(), req.target())
	if err != nil {
		return err
	}
	writeVersionID(req, res.VersionID)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

type attributesResult struct {
	XMLName      xml.Name       `xml:"GetObjectAttributesResponse"`
	NS           string         `xml:"xmlns,attr"`
	ETag         string         `xml:"ETag,omitempty"`
	Checksum     *checksumAttrs `xml:"Checksum,omitempty"`
	ObjectParts  *objectParts   `xml:"ObjectParts,omitempty"`
	StorageClass string         `xml:"StorageClass,omitempty"`
	ObjectSize   *int64         `xml:"ObjectSize,omitempty"`
}

type checksumAttrs struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type objectParts struct {
	TotalPartsCount      int             `xml:"PartsCount"`
	PartNumberMarker     int             `xml:"PartNumberMarker"`
	NextPartNumberMarker int             `xml:"NextPartNumberMarker"`
	MaxParts             int             `xml:"MaxParts"`
	IsTruncated          bool            `xml:"IsTruncated"`
	Parts                []attributePart `xml:"Part"`
}

// objectAttributes parses x-amz-object-attributes (one header or several,
// comma-separated) before the object is looked up, as S3 does: none is
// InvalidRequest, an unknown name InvalidArgument naming it.
func objectAttributes(values []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, a := range values {
		for _, x := range strings.Split(a, ",") {
			switch x = strings.TrimSpace(x); x {
			case "":
			case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
				want[x] = true
			default:
				return nil, s3err.InvalidArgument.WithMessage("Invalid attribute name specified.").
					With("ArgumentName", "x-amz-object-attributes").With("ArgumentValue", x)
			}
		}
	}
	if len(want) == 0 {
		return nil, s3err.InvalidRequest.WithMessage("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	return want, nil
}

type attributePart struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	checksumFields
}

func (h *Handler) getObjectAttributes(req *request) error {
	want, err := objectAttributes(req.Header.Values("X-Amz-Object-Attributes"))
	if err != nil {
		return err
	}
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	req.nameNullVersion = b.Versioning != "" || req.query.Get("versionId") != ""
	acc, err := h.access(req, "")
	if err != nil {
		return err
	}
	if err := checkReadSSEHeaders(req.Header); err != nil {
		return err
	}
	v, err := h.ops.GetObjectAttributes(h.front(req, b), req.caller(), ops.AttributesInput{Target: req.target(), CustomerKey: acc.CustomerKey})
	if err != nil {
		return err
	}
	out := attributesResult{NS: s3NS}
	if want["ETag"] {
		out.ETag = v.ETag
	}
	if want["StorageClass"] {
		out.StorageClass = object.ClassOf(v)
	}
	if want["ObjectSize"] {
		out.ObjectSize = ptr(v.Size)
	}
	alg, _ := checksum.Parse(checksumAlg(v))
	if want["Checksum"] && v.Checksum != nil {
		c := &checksumAttrs{ChecksumType: v.Checksum.Type}
		c.set(alg, v.Checksum.Value)
		out.Checksum = c
	}
	if want["ObjectParts"] && len(v.Parts) > 0 {
		max, err := intParam(req, "max-parts", 1000, 1000)
		if err != nil {
			return err
		}
		if hv := req.Header.Get("X-Amz-Max-Parts"); hv != "" {
			if n, err := strconv.Atoi(hv); err == nil && n >= 0 {
				max = min(n, 1000)
			}
		}
		marker, _ := strconv.Atoi(req.Header.Get("X-Amz-Part-Number-Marker"))
		op := &objectParts{TotalPartsCount: len(v.Parts), PartNumberMarker: marker, MaxParts: max}
		for _, p := range v.Parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) == max {
				op.IsTruncated = true
				break
			}
			ap := attributePart{PartNumber: p.Number, Size: p.Size}
			if p.Checksum != "" {
				ap.set(alg, p.Checksum)
			}
			op.Parts = append(op.Parts, ap)
			op.NextPartNumberMarker = p.Number
		}
		out.ObjectParts = op
	}
	hdr := req.w.Header()
	hdr.Set("Last-Modified", httpTime(v.LastModified))
	if v.VersionID != object.NullVersion || req.nameNullVersion {
		hdr.Set("X-Amz-Version-Id", v.VersionID)
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

func checksumAlg(v *kura.ObjectVersion) string {
	if v.Checksum == nil {
		return ""
	}
	return v.Checksum.Algorithm
}
