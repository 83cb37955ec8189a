package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kurastore/kura/internal/s3err"
)

// Limits on the aws-chunked framing. They bound what a client can make the
// server hold or loop over; they are far above what any SDK sends (64 KiB
// chunks, one checksum trailer).
const (
	maxChunkSize    = 16 << 20 // bytes of payload in one chunk
	minChunkSize    = 8 << 10  // bytes of payload in every chunk but the last (S3's rule)
	maxLineLen      = 4 << 10  // chunk header or trailer line
	maxTrailers     = 16       // names in x-amz-trailer
	maxTrailerLines = 2*maxTrailers + 4
	maxTrailingCRLF = 16 // stray CR/LF tolerated after the last line
	readBufferSize  = 32 << 10

	chunkSigPrefix   = "chunk-signature="
	trailerSigName   = "x-amz-trailer-signature"
	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
)

// chunkSigner holds the signature chain of a signed aws-chunked body: each
// chunk's signature covers the previous one, starting from the request's
// (seed) signature, and the trailer signature covers the final chunk's.
type chunkSigner struct {
	key     []byte // signing key: as secret as the secret key itself
	amzDate string
	scope   string
	prev    [32]byte
	mac     hash.Hash
}

func (s *chunkSigner) sign(sts string) []byte {
	if s.mac == nil {
		s.mac = hmac.New(sha256.New, s.key)
	}
	s.mac.Reset()
	s.mac.Write([]byte(sts))
	return s.mac.Sum(nil)
}

// verifyChunk checks one chunk (nil for the final, empty one) and advances
// the chain only if it matches.
func (s *chunkSigner) verifyChunk(data []byte, got [32]byte) bool {
	sum := sha256.Sum256(data)
	sts := chunkAlgorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" +
		hex.EncodeToString(s.prev[:]) + "\n" + emptySHA256 + "\n" + hex.EncodeToString(sum[:])
	if !hmac.Equal(s.sign(sts), got[:]) {
		return false
	}
	s.prev = got
	return true
}

// verifyTrailer checks x-amz-trailer-signature over the trailer lines, each
// rendered "name:value\n".
func (s *chunkSigner) verifyTrailer(canonical string, got [32]byte) bool {
	sum := sha256.Sum256([]byte(canonical))
	sts := trailerAlgorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" +
		hex.EncodeToString(s.prev[:]) + "\n" + hex.EncodeToString(sum[:])
	return hmac.Equal(s.sign(sts), got[:])
}

// chunkedReader decodes an aws-chunked body. Signed chunks are held whole
// until their signature is checked; unsigned chunks stream straight
// through. Every error is sticky and is an *s3err.Error.
type chunkedReader struct {
	src      io.ReadCloser
	br       *bufio.Reader
	signer   *chunkSigner // nil: unsigned chunks
	trailers bool         // a trailer section follows the final chunk
	allowed  []string     // lower-case names announced in x-amz-trailer
	declared int64        // x-amz-decoded-content-length, or -1
	total    int64        // payload bytes announced by chunk headers so far
	chunks   int          // data chunks announced so far
	last     int64        // size of the latest data chunk
	minChunk int64        // smallest size of a data chunk that is not the last

	chunk    bytes.Buffer // signed: the current chunk
	pending  []byte       // signed: verified bytes not yet returned
	left     int64        // unsigned: bytes of the current chunk not yet returned
	needCRLF bool         // unsigned: the CRLF closing the current chunk is unread

	done    bool
	err     error
	trailer http.Header
}

func newChunkedReader(src io.ReadCloser, signer *chunkSigner, trailers bool, declared int64, allowed []string) *chunkedReader {
	return &chunkedReader{
		src:      src,
		br:       bufio.NewReaderSize(src, readBufferSize),
		signer:   signer,
		trailers: trailers,
		allowed:  allowed,
		declared: declared,
		minChunk: minChunkSize,
	}
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		switch {
		case c.err != nil:
			return 0, c.err
		case len(c.pending) > 0:
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		case c.left > 0:
			return c.stream(p)
		case c.done:
			return 0, io.EOF
		}
		if err := c.advance(); err != nil {
			c.err, c.pending = err, nil
			return 0, err
		}
	}
}

func (c *chunkedReader) Close() error { return c.src.Close() }

// Trailer returns the trailing headers once the body has been read to
// io.EOF without error, else nil.
func (c *chunkedReader) Trailer() http.Header {
	if !c.done || c.err != nil || len(c.trailer) == 0 {
		return nil
	}
	return c.trailer
}

// stream copies unsigned chunk data, never past the current chunk.
func (c *chunkedReader) stream(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = incomplete("", nil) // the body ended inside a chunk
		}
		c.err = readError(err)
		if n == 0 {
			return 0, c.err
		}
	}
	return n, nil
}

// advance reads the next chunk header and, for signed chunks, the chunk.
func (c *chunkedReader) advance() error {
	if c.needCRLF {
		if err := c.expectCRLF(); err != nil {
			return err
		}
		c.needCRLF = false
	}
	line, err := c.readLine()
	if err == io.EOF {
		return incomplete("", nil)
	} else if err != nil {
		return err
	}
	size, sig, err := c.parseChunkHeader(line)
	if err != nil {
		return err
	}
	// Refuse before handing out a byte more than declared.
	if c.declared >= 0 && c.total+size > c.declared {
		return incomplete("x-amz-decoded-content-length", nil)
	}
	if size == 0 {
		return c.finish(sig)
	}
	// A chunk under 8 KiB must be the last data chunk; another one after it
	// proves it was not. S3 numbers the chunk whose header told it so.
	if c.chunks > 0 && c.last < c.minChunk {
		return s3err.InvalidChunkSizeError.With("Chunk", strconv.Itoa(c.chunks+1)).With("BadChunkSize", strconv.FormatInt(c.last, 10))
	}
	c.chunks, c.last = c.chunks+1, size
	c.total += size
	if c.signer == nil {
		c.left, c.needCRLF = size, true
		return nil
	}
	return c.readSigned(size, sig)
}

// readSigned holds one chunk and releases it only once its signature
// matches. The buffer grows as data arrives, so a header announcing a huge
// chunk costs nothing until the bytes are actually sent.
func (c *chunkedReader) readSigned(size int64, sig [32]byte) error {
	c.chunk.Reset()
	n, err := io.CopyN(&c.chunk, c.br, size)
	if n < size {
		if err == nil || err == io.EOF {
			return incomplete("", nil)
		}
		return readError(err)
	}
	if err := c.expectCRLF(); err != nil {
		return err
	}
	if !c.signer.verifyChunk(c.chunk.Bytes(), sig) {
		return s3err.SignatureDoesNotMatch
	}
	c.pending = c.chunk.Bytes()
	return nil
}

// parseChunkHeader parses "hex-size[;chunk-signature=sig]". Unsigned
// streams may carry other extensions, which are ignored.
func (c *chunkedReader) parseChunkHeader(line string) (int64, [32]byte, error) {
	var sig [32]byte
	sizeStr, ext, hasExt := strings.Cut(line, ";")
	sizeStr = strings.TrimRight(sizeStr, " \t")
	size, err := strconv.ParseUint(sizeStr, 16, 64)
	if err != nil || len(sizeStr) > 16 {
		return 0, sig, badChunk(c.signer != nil, "malformed chunk size")
	}
	if size > maxChunkSize {
		return 0, sig, s3err.InvalidRequest.WithMessage(
			"aws-chunked chunk size %d exceeds the maximum of %d bytes", size, maxChunkSize)
	}
	if c.signer == nil {
		return int64(size), sig, nil
	}
	v, ok := strings.CutPrefix(ext, chunkSigPrefix)
	if !hasExt || !ok {
		return 0, sig, badChunk(true, "missing chunk-signature")
	}
	if sig, err = parseSignature(v); err != nil {
		return 0, sig, badChunk(true, "malformed chunk-signature")
	}
	return int64(size), sig, nil
}

// finish handles the zero-length final chunk: its signature, the trailer
// section and the declared length.
func (c *chunkedReader) finish(sig [32]byte) error {
	if c.signer != nil && !c.signer.verifyChunk(nil, sig) {
		return s3err.SignatureDoesNotMatch
	}
	if c.declared >= 0 && c.total != c.declared {
		return incomplete("x-amz-decoded-content-length", nil)
	}
	if c.trailers {
		if err := c.readTrailers(); err != nil {
			return err
		}
	}
	if err := c.drain(); err != nil {
		return err
	}
	c.done = true
	return nil
}

// readTrailers reads "name:value" lines up to a blank line (or the end of
// the body). Clients differ in the blank lines they put around the section
// and some add a stray "\n", so blank lines are skipped while the section
// is known to be incomplete; signatures, not byte layout, are verified.
func (c *chunkedReader) readTrailers() error {
	signed := c.signer != nil
	c.trailer = http.Header{}
	var canonical strings.Builder
	var sig *[32]byte
	for i := 0; ; i++ {
		if i >= maxTrailerLines {
			return badChunk(signed, "too many trailer lines")
		}
		line, err := c.readLine()
		if err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if line == "" {
			if c.expectMore(sig != nil) {
				continue
			}
			break
		}
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		switch {
		case !ok || name == "":
			return badChunk(signed, "malformed trailer line")
		case sig != nil:
			return badChunk(signed, "trailer after x-amz-trailer-signature")
		case signed && name == trailerSigName:
			s, err := parseSignature(value)
			if err != nil {
				return badChunk(true, "malformed x-amz-trailer-signature")
			}
			sig = &s
			continue
		case !slices.Contains(c.allowed, name):
			return badTrailer("The trailing header %q was not announced in x-amz-trailer", clip(name))
		}
		c.trailer.Add(name, value)
		canonical.WriteString(name + ":" + value + "\n")
	}
	if signed && (sig == nil || !c.signer.verifyTrailer(canonical.String(), *sig)) {
		return s3err.SignatureDoesNotMatch
	}
	for _, name := range c.allowed {
		if len(c.trailer.Values(name)) == 0 {
			return badTrailer("The trailing header %q announced in x-amz-trailer is missing", clip(name))
		}
	}
	return nil
}

// expectMore reports whether the trailer section cannot be over yet: a
// signed one ends with its signature, an unsigned one once every announced
// trailer has come. A blank line before that is a stray, not the end.
func (c *chunkedReader) expectMore(haveSig bool) bool {
	if c.signer != nil {
		return !haveSig
	}
	for _, name := range c.allowed {
		if len(c.trailer.Values(name)) == 0 {
			return true
		}
	}
	return false
}

// drain consumes the end of the body, allowing only a few stray CR/LF.
func (c *chunkedReader) drain() error {
	for i := 0; ; i++ {
		b, err := c.br.ReadByte()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return readError(err)
		}
		if (b != '\r' && b != '\n') || i >= maxTrailingCRLF {
			return badChunk(c.signer != nil, "unexpected data after the final chunk")
		}
	}
}

// readLine returns one line without its "\n" or "\r\n". A clean end of
// body before any byte is io.EOF; an end inside a line is IncompleteBody.
func (c *chunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxLineLen {
		return "", badChunk(c.signer != nil, "line too long")
	}
	if err != nil {
		if err == io.EOF && len(line) == 0 {
			return "", io.EOF
		}
		if err == io.EOF {
			return "", incomplete("", nil)
		}
		return "", readError(err)
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	return string(line), nil
}

func (c *chunkedReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return incomplete("", nil)
		}
		return readError(err)
	}
	if b != [2]byte{'\r', '\n'} {
		return badChunk(c.signer != nil, "missing CRLF after chunk data")
	}
	return nil
}
