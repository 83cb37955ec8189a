package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kurastore/kura"
	"github.com/kurastore/kura/internal/checksum"
	"github.com/kurastore/kura/internal/object"
	"github.com/kurastore/kura/internal/ops"
	"github.com/kurastore/kura/internal/s3err"
)

// storageClass is the x-amz-storage-class of a write, "" for STANDARD.
func storageClass(h http.Header) (string, error) {
	c := h.Get("X-Amz-Storage-Class")
	if err := ops.CheckStorageClass(c); err != nil || c == "STANDARD" {
		return "", err
	}
	return c, nil
}

// contentHeaders collects the headers S3 stores with an object.
func contentHeaders(h http.Header, chunked bool) (kura.ContentHeaders, error) {
	if err := checkWebsiteRedirect(h); err != nil {
		return kura.ContentHeaders{}, err
	}
	c := kura.ContentHeaders{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    h.Get("Content-Encoding"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		WebsiteRedirect:    h.Get("X-Amz-Website-Redirect-Location"),
	}
	if chunked || strings.Contains(c.ContentEncoding, "aws-chunked") {
		c.ContentEncoding = stripAWSChunked(c.ContentEncoding)
	}
	size := 0
	const metaPrefix = "x-amz-meta-"
	for k, vs := range h {
		// The prefix is compared before anything is lower-cased: that
		// allocated for every header of every PUT.
		if len(k) < len(metaPrefix) || !strings.EqualFold(k[:len(metaPrefix)], metaPrefix) {
			continue
		}
		name := strings.ToLower(k[len(metaPrefix):])
		if c.Metadata == nil {
			c.Metadata = map[string]string{}
		}
		v := metaValue(strings.Join(vs, ","))
		c.Metadata[name] = v
		size += len(name) + len(v)
	}
	if size > object.MaxUserMetadata {
		return c, s3err.MetadataTooLarge.With("Size", strconv.Itoa(size)).With("MaxSizeAllowed", strconv.Itoa(object.MaxUserMetadata))
	}
	return c, nil
}

func stripAWSChunked(enc string) string {
	var keep []string
	for _, e := range strings.Split(enc, ",") {
		e = strings.TrimSpace(e)
		if e != "" && !strings.EqualFold(e, "aws-chunked") {
			keep = append(keep, e)
		}
	}
	return strings.Join(keep, ",")
}

// setContentHeaders writes stored headers to a GET/HEAD response.
func setContentHeaders(h http.Header, c kura.ContentHeaders) {
	ct := c.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set("Content-Encoding", c.ContentEncoding)
	set("Content-Disposition", c.ContentDisposition)
	set("Content-Language", c.ContentLanguage)
	set("Cache-Control", c.CacheControl)
	set("Expires", c.Expires)
	set("x-amz-website-redirect-location", c.WebsiteRedirect)
	for k, v := range c.Metadata {
		// Non-ASCII values go out as RFC 2047 encoded-words, as S3
		// sends them: header bytes outside ASCII are read differently by
		// different clients (botocore as Latin-1).
		h["X-Amz-Meta-"+k] = []string{encodeMetaValue(v)}
	}
}

// encodeMetaValue writes a value with any byte outside printable ASCII as
// one RFC 2047 encoded-word in S3's form, =?UTF-8?B?<base64>?=.
func encodeMetaValue(v string) string {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' || b > '~') && b != '\t' {
			return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
		}
	}
	return v
}

// metaValue is a user metadata value as stored: S3 decodes RFC 2047
// encoded-words ("=?UTF-8?B?...?=") before storing, and keeps anything
// else as sent.
func metaValue(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := metaDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

var metaDecoder = &mime.WordDecoder{} // UTF-8, US-ASCII and ISO-8859-1; others stay encoded

// tagsHeader parses x-amz-tagging (URL query encoding).
func tagsHeader(h http.Header) ([]kura.Tag, error) {
	v := h.Get("X-Amz-Tagging")
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, s3err.InvalidArgument.WithMessage("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	var tags []kura.Tag
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, s3err.InvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		tags = append(tags, kura.Tag{Key: k, Value: vs[0]})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, object.ValidateTags(tags, 10)
}

// contentMD5 decodes Content-MD5.
func contentMD5(h http.Header) ([]byte, error) {
	v, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[0]))
	if err != nil || len(b) != md5.Size {
		return nil, s3err.InvalidDigest
	}
	return b, nil
}

// checksumHeaders returns the x-amz-checksum-<alg> value headers present,
// and how many values they carry in all (a header repeated counts twice).
func checksumHeaders(h http.Header) (map[checksum.Algorithm]string, int) {
	var out map[checksum.Algorithm]string // nil without any: most requests
	n := 0
	for k, vs := range h {
		if a, ok := checksum.FromHeader(k); ok {
			if out == nil {
				out = map[checksum.Algorithm]string{}
			}
			out[a] = vs[0]
			n += len(vs)
		}
	}
	return out, n
}

// errMultipleChecksums is S3's answer to a write carrying two checksums,
// made when needed (a message formatted on every PUT was two
// allocations).
func errMultipleChecksums() error {
	return s3err.InvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
}

// requestChecksum works out which checksum a streamed write carries: a value
// header, an aws-chunked trailer, or a declared algorithm alone.
func requestChecksum(req *request) (object.ChecksumInput, error) {
	var in object.ChecksumInput
	h := req.Header
	vals, n := checksumHeaders(h)
	if n > 1 {
		return in, errMultipleChecksums()
	}
	declared := h.Get("X-Amz-Sdk-Checksum-Algorithm")
	var declAlg checksum.Algorithm
	if declared != "" {
		a, ok := checksum.Parse(declared)
		if !ok {
			return in, s3err.InvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		declAlg = a
	}
	for a, v := range vals {
		if _, err := a.Decode(v); err != nil {
			return in, s3err.InvalidRequest.WithMessage("Value for %s header is invalid.", a.Header())
		}
		if declAlg != "" && declAlg != a {
			return in, s3err.InvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		in.Algorithm, in.Value = a, v
	}
	if t := h.Get("X-Amz-Trailer"); t != "" {
		a, ok := checksum.FromHeader(strings.TrimSpace(t))
		if !ok {
			return in, s3err.InvalidRequest.WithMessage("The value specified in the x-amz-trailer header is not supported")
		}
		if in.Value != "" {
			// A value header and a trailing checksum: two checksums for
			// one body. The same algorithm twice is harmless; the header
			// is checked and the trailer, signed or not, is ignored.
			if a != in.Algorithm {
				return in, errMultipleChecksums()
			}
			return in, nil
		}
		if declAlg != "" && declAlg != a {
			return in, s3err.InvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		in.Algorithm = a
		name := a.Header()
		auth := req.auth
		in.Trailer = func() string {
			if auth == nil || auth.Trailer == nil {
				return ""
			}
			if t := auth.Trailer(); t != nil {
				return t.Get(name)
			}
			return ""
		}
		return in, nil
	}
	if in.Algorithm == "" && declAlg != "" {
		return in, s3err.InvalidRequest.WithMessage("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
	}
	return in, nil
}

// verifyBodyMD5 checks Content-MD5 against a body read in memory.
func verifyBodyMD5(req *request, body []byte) error {
	md, err := contentMD5(req.Header)
	if err != nil {
		return err
	}
	if md != nil {
		sum := md5.Sum(body)
		if !bytes.Equal(sum[:], md) {
			return s3err.BadDigest
		}
	}
	return nil
}

// verifyBodyChecksum checks an x-amz-checksum-* header or trailer against
// a body read in memory.
func verifyBodyChecksum(req *request, body []byte) error {
	ck, err := requestChecksum(req)
	if err != nil {
		return err
	}
	if ck.Algorithm == "" {
		return nil
	}
	hs := ck.Algorithm.New()
	hs.Write(body)
	got := checksum.Encode(hs.Sum(nil))
	want := ck.Value
	if want == "" && ck.Trailer != nil {
		want = ck.Trailer()
	}
	if want != "" && want != got {
		return s3err.BadDigest.WithMessage("The %s you specified did not match the calculated checksum.", strings.ToLower(string(ck.Algorithm)))
	}
	return nil
}

// requireIntegrity enforces S3's "Content-MD5 or x-amz-checksum required"
// rule for operations whose model marks requestChecksumRequired.
func requireIntegrity(req *request) error {
	if _, n := checksumHeaders(req.Header); req.Header.Get("Content-Md5") != "" || n > 0 || req.Header.Get("X-Amz-Trailer") != "" {
		return nil
	}
	return s3err.InvalidRequest.WithMessage("Missing required header for this request: Content-MD5 OR x-amz-checksum-*")
}

// parseHTTPTime parses the date formats HTTP allows.
func parseHTTPTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false // no header: no failed parse (two errors a GET)
	}
	t, err := http.ParseTime(s)
	return t, err == nil
}

// readConditions are the conditional headers of a GET or HEAD; a date
// that does not parse is no condition.
func readConditions(h http.Header) ops.ReadConditions {
	c := ops.ReadConditions{IfMatch: h.Get("If-Match"), IfNoneMatch: h.Get("If-None-Match")}
	if t, ok := parseHTTPTime(h.Get("If-Unmodified-Since")); ok {
		c.IfUnmodifiedSince = t
	}
	if t, ok := parseHTTPTime(h.Get("If-Modified-Since")); ok {
		c.IfModifiedSince = t
	}
	return c
}

// checkConditions evaluates GET/HEAD conditional headers in S3's order
// (ops.ReadConditions.Check).
func checkConditions(h http.Header, etag string, mtime time.Time) error {
	return readConditions(h).Check(etag, mtime)
}

// byteRange is a resolved Range request.
type byteRange struct{ off, n int64 }

// parseRange resolves a Range header against an object size
// (ops.ParseRange).
func parseRange(v string, size int64) (r byteRange, ok bool, err error) {
	off, n, ok, err := ops.ParseRange(v, size)
	return byteRange{off, n}, ok, err
}
