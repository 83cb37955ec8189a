package s3api

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kurastore/kura/internal/s3err"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// maxXMLBody bounds request bodies that are parsed in memory.
const maxXMLBody = 4 << 20

type errorXML struct {
	XMLName   xml.Name    `xml:"Error"`
	Code      string      `xml:"Code"`
	Message   string      `xml:"Message"`
	Extra     []extraElem `xml:",any"`
	Resource  string      `xml:"Resource"`
	RequestID string      `xml:"RequestId"`
	HostID    string      `xml:"HostId"`
}

type extraElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func xmlName(local string) xml.Name { return xml.Name{Local: local} }

// writeXML renders v as an S3 XML document.
func writeXML(req *request, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
	}
	h := req.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	req.status = status
	req.w.WriteHeader(status)
	if req.Method != http.MethodHead {
		req.w.Write(buf.Bytes())
	}
}

// readXML parses a request body of at most maxXMLBody bytes into v.
// Malformed documents get MalformedXML.
func readXML(req *request, v any) error {
	b, err := readBody(req, maxXMLBody)
	if err != nil {
		return err
	}
	return parseXML(b, v)
}

func parseXML(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return s3err.MalformedXML
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return s3err.MalformedXML.Wrap(err)
	}
	return nil
}

// readBody reads a small request body and verifies Content-MD5 and any
// x-amz-checksum-* header against it.
func readBody(req *request, limit int64) ([]byte, error) {
	b, err := readBodyMD5(req, limit)
	if err != nil {
		return nil, err
	}
	if err := verifyBodyChecksum(req, b); err != nil {
		return nil, err
	}
	return b, nil
}

// readBodyMD5 reads a small request body and verifies only Content-MD5:
// CompleteMultipartUpload's x-amz-checksum-* headers describe the object
// being assembled, not the request body.
func readBodyMD5(req *request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, s3err.MalformedXML.WithMessage("The XML you provided was larger than the maximum %d bytes allowed.", limit)
	}
	if err := verifyBodyMD5(req, b); err != nil {
		return nil, err
	}
	return b, nil
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func quote(etag string) string { return `"` + etag + `"` }
