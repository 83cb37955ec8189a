package s3api

import (
	"encoding/xml"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (h *Handler) createUpload(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	headers, err := contentHeaders(req.Header, false)
	if err != nil {
		return err
	}
	tags, err := tagsHeader(req.Header)
	if err != nil {
		return err
	}
	class, err := storageClass(req.Header)
	if err != nil {
		return err
	}
	enc, _, err := sseRequest(req.Header)
	if err != nil {
		return err
	}
	var alg checksum.Algorithm
	if v := req.Header.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a, ok := checksum.Parse(v)
		if !ok {
			return s3err.InvalidRequest.WithMessage("Checksum algorithm provided is unsupported. Please try again with any of the valid types: %s", checksum.Names)
		}
		alg = a
	}
	if enc.Type == kura.SSEC {
		if err := h.sseCTransport(req); err != nil {
			return err
		}
	}
	lock, err := lockHeaders(req.Header, h.obj.Now())
	if err != nil {
		return err
	}
	acl, err := headerObjectACL(req)
	if err != nil {
		return err
	}
	res, err := h.ops.CreateMultipartUpload(h.front(req, b), req.caller(), ops.CreateUploadInput{
		Target: ops.Target{Bucket: req.bucket, Key: req.key}, Headers: headers, Tags: tags, StorageClass: class,
		ChecksumAlgorithm: alg, ChecksumType: req.Header.Get("X-Amz-Checksum-Type"), SSE: enc, ACL: acl,
		Lock: lock, RetainUntilDate: req.Header.Get("X-Amz-Object-Lock-Retain-Until-Date"),
	})
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	setSSEHeaders(hdr, res.Encryption)
	if res.ChecksumAlgorithm != "" {
		hdr.Set("X-Amz-Checksum-Algorithm", res.ChecksumAlgorithm)
		hdr.Set("X-Amz-Checksum-Type", res.ChecksumType)
	}
	writeXML(req, http.StatusOK, initiateResult{NS: s3NS, Bucket: req.bucket, Key: req.key, UploadID: res.UploadID})
	return nil
}

func partNumber(req *request) (int, error) {
	n, err := strconv.Atoi(req.query.Get("partNumber"))
	if err != nil || n < 1 || n > object.MaxParts {
		return 0, s3err.InvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive").
			With("ArgumentName", "partNumber").With("ArgumentValue", req.query.Get("partNumber"))
	}
	return n, nil
}

// uploadTarget is the upload req addresses.
func (req *request) uploadTarget() ops.UploadTarget {
	return ops.UploadTarget{Target: ops.Target{Bucket: req.bucket, Key: req.key}, UploadID: req.query.Get("uploadId")}
}

func (h *Handler) uploadPart(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	n, err := partNumber(req)
	if err != nil {
		return err
	}
	size, err := bodySize(req)
	if err != nil {
		return err
	}
	ck, err := requestChecksum(req)
	if err != nil {
		return err
	}
	md, err := contentMD5(req.Header)
	if err != nil {
		return err
	}
	acc, err := h.access(req, "")
	if err != nil {
		return err
	}
	res, err := h.ops.UploadPart(h.front(req, b), req.caller(), ops.PartInput{UploadTarget: req.uploadTarget(), PartNumber: n,
		Body: req.Body, Size: size, Checksum: ck, ContentMD5: md, CustomerKey: acc.CustomerKey})
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	hdr.Set("ETag", quote(res.ETag))
	setSSEHeaders(hdr, res.Encryption)
	if a, ok := checksum.Parse(res.ChecksumAlgorithm); ok {
		hdr.Set(a.Header(), res.Checksum)
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumFields
}

func (h *Handler) uploadPartCopy(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	n, err := partNumber(req)
	if err != nil {
		return err
	}
	src, err := h.copySource(req)
	if err != nil {
		return err
	}
	acc, err := h.access(req, "")
	if err != nil {
		return err
	}
	res, err := h.ops.UploadPartCopy(h.front(req, b), req.caller(), ops.PartCopyInput{UploadTarget: req.uploadTarget(),
		PartNumber: n, Source: src, Range: req.Header.Get("X-Amz-Copy-Source-Range"), CustomerKey: acc.CustomerKey})
	if err != nil {
		return err
	}
	if res.SourceVersionID != object.NullVersion {
		req.w.Header().Set("X-Amz-Copy-Source-Version-Id", res.SourceVersionID)
	}
	// Like UploadPart, the answer names the destination upload's
	// encryption (not the source's).
	setSSEHeaders(req.w.Header(), res.Encryption)
	out := copyPartResult{NS: s3NS, LastModified: isoTime(res.LastModified), ETag: quote(res.ETag)}
	if a, ok := checksum.Parse(res.ChecksumAlgorithm); ok {
		out.set(a, res.Checksum)
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

type completeRequest struct {
	Parts []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
		checksumFields
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

func (h *Handler) completeUpload(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var cr completeRequest
	body, err := readBodyMD5(req, maxXMLBody)
	if err != nil {
		return err
	}
	if err := parseXML(body, &cr); err != nil {
		return err
	}
	in := ops.CompleteInput{UploadTarget: req.uploadTarget(), ObjectSize: -1,
		ChecksumType: strings.ToUpper(req.Header.Get("X-Amz-Checksum-Type")), Cond: writeConditions(req.Header)}
	if err := supportedWriteConditions(in.Cond); err != nil {
		return err
	}
	for _, p := range cr.Parts {
		in.Parts = append(in.Parts, object.CompletePart{Number: p.PartNumber, ETag: p.ETag, Checksums: p.values()})
	}
	sums, _ := checksumHeaders(req.Header)
	for a, v := range sums {
		in.Checksum = object.ChecksumInput{Algorithm: a, Value: v}
	}
	if v := req.Header.Get("X-Amz-Mp-Object-Size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return s3err.InvalidArgument.WithMessage("Value for x-amz-mp-object-size header is invalid.").With("ArgumentName", "x-amz-mp-object-size")
		}
		in.ObjectSize = n
	}
	acc, err := h.access(req, "")
	if err != nil {
		return err
	}
	in.CustomerKey = acc.CustomerKey
	res, err := h.ops.CompleteMultipartUpload(h.front(req, b), req.caller(), in)
	if err != nil {
		return err
	}
	hdr := req.w.Header()
	writeVersionID(req, res.VersionID)
	setSSEHeaders(hdr, res.Encryption)
	out := completeResult{NS: s3NS, Location: req.objectURL(), Bucket: req.bucket, Key: req.key, ETag: quote(res.ETag)}
	if ck := res.Checksum; ck != nil {
		if a, ok := checksum.Parse(ck.Algorithm); ok {
			out.set(a, ck.Value)
			out.ChecksumType = ck.Type
		}
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

func (h *Handler) abortUpload(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	var ifInitiated time.Time
	if v := req.Header.Get("X-Amz-If-Match-Initiated-Time"); v != "" {
		t, ok := parseHTTPTime(v)
		if !ok {
			return s3err.InvalidArgument.WithMessage("Invalid value for x-amz-if-match-initiated-time: use an HTTP date such as %s", httpTime(time.Unix(0, 0))).
				With("ArgumentName", "x-amz-if-match-initiated-time").With("ArgumentValue", v)
		}
		ifInitiated = t
	}
	err = h.ops.AbortMultipartUpload(h.front(req, b), req.caller(), ops.AbortInput{UploadTarget: req.uploadTarget(), IfMatchInitiatedTime: ifInitiated})
	if err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

type partEntry struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	checksumFields
}

type listPartsResult struct {
	XMLName              xml.Name    `xml:"ListPartsResult"`
	NS                   string      `xml:"xmlns,attr"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	Initiator            owner       `xml:"Initiator"`
	Owner                owner       `xml:"Owner"`
	StorageClass         string      `xml:"StorageClass"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	Parts                []partEntry `xml:"Part"`
	ChecksumAlgorithm    string      `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string      `xml:"ChecksumType,omitempty"`
}

func intParam(req *request, name string, def, max int) (int, error) {
	v := req.query.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > math.MaxInt32 {
		// S3's ListParts wording (max-parts, part-number-marker); the
		// listing parameters say "Provided ... not an integer" instead.
		return 0, s3err.InvalidArgument.WithMessage("Argument %s must be an integer between 0 and %d", name, math.MaxInt32).With("ArgumentName", name).With("ArgumentValue", v)
	}
	return min(n, max), nil
}

func (h *Handler) listParts(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	max, err := intParam(req, "max-parts", 1000, 1000)
	if err != nil {
		return err
	}
	marker, err := intParam(req, "part-number-marker", 0, object.MaxParts)
	if err != nil {
		return err
	}
	page, err := h.ops.ListParts(h.front(req, b), req.caller(), ops.ListPartsInput{UploadTarget: req.uploadTarget(),
		PartNumberMarker: marker, MaxParts: max})
	if err != nil {
		return err
	}
	u := page.Upload
	out := listPartsResult{NS: s3NS, Bucket: req.bucket, Key: req.key, UploadID: u.UploadID, Initiator: h.ownerOf(req, uploadInitiator(u)), Owner: h.ownerOf(req, u.Owner),
		StorageClass: object.ClassName(u.StorageClass), PartNumberMarker: marker, NextPartNumberMarker: page.Next,
		MaxParts: max, IsTruncated: page.Truncated, ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType}
	for _, p := range page.Parts {
		e := partEntry{PartNumber: p.Number, LastModified: isoTime(p.LastModified), ETag: quote(p.ETag), Size: p.Size}
		if a, ok := checksum.Parse(p.ChecksumAlgorithm); ok && p.ChecksumAlgorithm == u.ChecksumAlgorithm {
			e.set(a, p.Checksum)
		}
		out.Parts = append(out.Parts, e)
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

type uploadEntry struct {
	Key               string `xml:"Key"`
	UploadID          string `xml:"UploadId"`
	Initiator         owner  `xml:"Initiator"`
	Owner             owner  `xml:"Owner"`
	StorageClass      string `xml:"StorageClass"`
	Initiated         string `xml:"Initiated"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	NS                 string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

func (h *Handler) listUploads(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	p, err := parseListParams(req, "max-uploads")
	if err != nil {
		return err
	}
	in := ops.UploadsInput{BucketTarget: req.bucketTarget(), Prefix: p.prefix, Delimiter: p.delimiter,
		KeyMarker: req.query.Get("key-marker"), UploadIDMarker: req.query.Get("upload-id-marker"), MaxUploads: p.maxKeys}
	page, err := h.ops.ListMultipartUploads(h.front(req, b), req.caller(), in)
	if err != nil {
		return err
	}
	out := listUploadsResult{NS: s3NS, Bucket: req.bucket, KeyMarker: p.encode(in.KeyMarker), UploadIDMarker: in.UploadIDMarker,
		Prefix: p.encode(p.prefix), Delimiter: p.encode(p.delimiter), MaxUploads: p.maxKeys, EncodingType: p.encodingType, IsTruncated: page.Truncated}
	if page.Truncated {
		out.NextKeyMarker, out.NextUploadIDMarker = p.encode(page.NextKey), page.NextUploadID
	}
	for _, u := range page.Uploads {
		out.Uploads = append(out.Uploads, uploadEntry{Key: p.encode(u.Key), UploadID: u.UploadID, Initiator: h.ownerOf(req, uploadInitiator(u)), Owner: h.ownerOf(req, u.Owner),
			StorageClass: object.ClassName(u.StorageClass), Initiated: isoTime(u.Initiated),
			ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType})
	}
	for _, cp := range page.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: p.encode(cp)})
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

// checksumFields are the Checksum<ALG> elements of S3 documents, one per
// algorithm of botocore's ChecksumAlgorithm enum, in the model's order.
type checksumFields struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumSHA512    string `xml:"ChecksumSHA512,omitempty"`
	ChecksumMD5       string `xml:"ChecksumMD5,omitempty"`
	ChecksumXXHASH64  string `xml:"ChecksumXXHASH64,omitempty"`
	ChecksumXXHASH3   string `xml:"ChecksumXXHASH3,omitempty"`
	ChecksumXXHASH128 string `xml:"ChecksumXXHASH128,omitempty"`
}

// field returns the element that carries a's value, or nil for an unknown
// algorithm.
func (c *checksumFields) field(a checksum.Algorithm) *string {
	switch a {
	case checksum.CRC32:
		return &c.ChecksumCRC32
	case checksum.CRC32C:
		return &c.ChecksumCRC32C
	case checksum.CRC64NVME:
		return &c.ChecksumCRC64NVME
	case checksum.SHA1:
		return &c.ChecksumSHA1
	case checksum.SHA256:
		return &c.ChecksumSHA256
	case checksum.SHA512:
		return &c.ChecksumSHA512
	case checksum.MD5:
		return &c.ChecksumMD5
	case checksum.XXHASH64:
		return &c.ChecksumXXHASH64
	case checksum.XXHASH3:
		return &c.ChecksumXXHASH3
	case checksum.XXHASH128:
		return &c.ChecksumXXHASH128
	}
	return nil
}

func (c *checksumFields) set(a checksum.Algorithm, v string) {
	if f := c.field(a); f != nil {
		*f = v
	}
}

// values returns the elements present, by algorithm.
func (c *checksumFields) values() map[checksum.Algorithm]string {
	out := map[checksum.Algorithm]string{}
	for _, a := range checksum.All {
		if v := *c.field(a); v != "" {
			out[a] = v
		}
	}
	return out
}

// objectURL is the absolute URL of the request's object as the client
// addressed it (path or virtual-host style), what S3 returns as
// CompleteMultipartUpload's Location.
func (req *request) objectURL() string {
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + req.Host + req.URL.EscapedPath()
}
