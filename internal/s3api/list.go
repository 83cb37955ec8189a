package s3api

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

type objectEntry struct {
	Key               string `xml:"Key"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              int64  `xml:"Size"`
	StorageClass      string `xml:"StorageClass"`
	Owner             *owner `xml:"Owner,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	NS                    string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	KeyCount              *int           `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []objectEntry  `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// listParams holds the query parameters shared by the listing operations.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string
	encodingType      string
}

func parseListParams(req *request, maxParam string) (listParams, error) {
	p := listParams{prefix: req.query.Get("prefix"), delimiter: req.query.Get("delimiter"), maxKeys: 1000, encode: func(s string) string { return s }}
	if v := req.query.Get(maxParam); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, s3err.InvalidArgument.WithMessage("Provided %s not an integer or within integer range", maxParam).With("ArgumentName", maxParam).With("ArgumentValue", v)
		}
		p.maxKeys = min(n, 1000)
	}
	switch et := req.query.Get("encoding-type"); et {
	case "":
	case "url":
		p.encodingType = "url"
		p.encode = urlEncodeKey
	default:
		return p, s3err.InvalidArgument.WithMessage("Invalid Encoding Method specified in Request").With("ArgumentName", "encoding-type")
	}
	return p, nil
}

// urlEncodeKey encodes a key the way S3 does for encoding-type=url.
func urlEncodeKey(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

func (h *Handler) objectEntries(req *request, res *object.ListResult, p listParams, withOwner bool) ([]objectEntry, []commonPrefix) {
	var entries []objectEntry
	for _, v := range res.Objects {
		e := objectEntry{Key: p.encode(v.Key), LastModified: isoTime(v.LastModified), ETag: quote(v.ETag), Size: v.Size, StorageClass: object.ClassOf(v)}
		if v.Checksum != nil {
			e.ChecksumAlgorithm, e.ChecksumType = v.Checksum.Algorithm, v.Checksum.Type
		}
		if withOwner {
			o := h.ownerOf(req, objectOwner(req, v))
			e.Owner = &o
		}
		entries = append(entries, e)
	}
	var cps []commonPrefix
	for _, cp := range res.CommonPrefixes {
		cps = append(cps, commonPrefix{Prefix: p.encode(cp)})
	}
	return entries, cps
}

// listInput is the ops.ListInput of a listing request with params p.
func (req *request) listInput(p listParams, after string) ops.ListInput {
	return ops.ListInput{BucketTarget: req.bucketTarget(), Prefix: p.prefix, Delimiter: p.delimiter, After: after, MaxKeys: p.maxKeys}
}

func (h *Handler) listObjectsV1(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	p, err := parseListParams(req, "max-keys")
	if err != nil {
		return err
	}
	marker := req.query.Get("marker")
	res, err := h.ops.ListObjects(h.front(req, b), req.caller(), req.listInput(p, marker))
	if err != nil {
		return err
	}
	// V1 returns Prefix as sent even under encoding-type=url: botocore,
	// which asks for url encoding on every V1 listing, decodes Delimiter,
	// Marker, NextMarker, keys and common prefixes but not Prefix (its
	// V2 and versions decoders do decode Prefix).
	out := listBucketResult{NS: s3NS, Name: req.bucket, Prefix: p.prefix, Marker: ptr(p.encode(marker)), MaxKeys: p.maxKeys,
		Delimiter: p.encode(p.delimiter), EncodingType: p.encodingType, IsTruncated: res.Truncated}
	out.Contents, out.CommonPrefixes = h.objectEntries(req, res, p, true)
	if res.Truncated && p.delimiter != "" {
		out.NextMarker = p.encode(res.NextKey)
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

func (h *Handler) listObjectsV2(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	p, err := parseListParams(req, "max-keys")
	if err != nil {
		return err
	}
	token, startAfter := req.query.Get("continuation-token"), req.query.Get("start-after")
	after := startAfter
	if _, ok := req.query["continuation-token"]; ok {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return s3err.InvalidArgument.WithMessage("The continuation token provided is incorrect").With("ArgumentName", "continuation-token")
		}
		after = string(b)
	}
	res, err := h.ops.ListObjects(h.front(req, b), req.caller(), req.listInput(p, after))
	if err != nil {
		return err
	}
	count := len(res.Objects) + len(res.CommonPrefixes)
	out := listBucketResult{NS: s3NS, Name: req.bucket, Prefix: p.encode(p.prefix), MaxKeys: p.maxKeys, KeyCount: &count,
		Delimiter: p.encode(p.delimiter), EncodingType: p.encodingType, IsTruncated: res.Truncated,
		ContinuationToken: token, StartAfter: p.encode(startAfter)}
	out.Contents, out.CommonPrefixes = h.objectEntries(req, res, p, req.query.Get("fetch-owner") == "true")
	if res.Truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextKey))
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

type versionEntry struct {
	XMLName           xml.Name
	Key               string `xml:"Key"`
	VersionID         string `xml:"VersionId"`
	IsLatest          bool   `xml:"IsLatest"`
	LastModified      string `xml:"LastModified"`
	ETag              string `xml:"ETag,omitempty"`
	ChecksumAlgorithm string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
	Size              *int64 `xml:"Size,omitempty"`
	StorageClass      string `xml:"StorageClass,omitempty"`
	Owner             owner  `xml:"Owner"`
}

type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	NS                  string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Entries             []versionEntry `xml:",any"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

func (h *Handler) listVersions(req *request) error {
	b, err := h.bucketFor(req)
	if err != nil {
		return err
	}
	p, err := parseListParams(req, "max-keys")
	if err != nil {
		return err
	}
	keyMarker, vidMarker := req.query.Get("key-marker"), req.query.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return s3err.InvalidArgument.WithMessage("A version-id marker cannot be specified without a key marker.").With("ArgumentName", "version-id-marker")
	}
	in := req.listInput(p, keyMarker)
	in.VersionAfter = vidMarker
	res, err := h.ops.ListObjectVersions(h.front(req, b), req.caller(), in)
	if err != nil {
		return err
	}
	out := listVersionsResult{NS: s3NS, Name: req.bucket, Prefix: p.encode(p.prefix), KeyMarker: p.encode(keyMarker), VersionIDMarker: vidMarker,
		MaxKeys: p.maxKeys, Delimiter: p.encode(p.delimiter), EncodingType: p.encodingType, IsTruncated: res.Truncated}
	for i, v := range res.Objects {
		e := versionEntry{Key: p.encode(v.Key), VersionID: v.VersionID, IsLatest: res.IsLatest[i], LastModified: isoTime(v.LastModified),
			Owner: h.ownerOf(req, objectOwner(req, v))}
		if v.DeleteMarker {
			e.XMLName = xmlName("DeleteMarker")
		} else {
			e.XMLName = xmlName("Version")
			e.ETag, e.Size, e.StorageClass = quote(v.ETag), ptr(v.Size), object.ClassOf(v)
			if v.Checksum != nil {
				e.ChecksumAlgorithm, e.ChecksumType = v.Checksum.Algorithm, v.Checksum.Type
			}
		}
		out.Entries = append(out.Entries, e)
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: p.encode(cp)})
	}
	if res.Truncated {
		out.NextKeyMarker = p.encode(res.NextKey)
		out.NextVersionIDMarker = res.NextVersion
	}
	writeXML(req, http.StatusOK, out)
	return nil
}

func ptr[T any](v T) *T { return &v }
