package s3

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// decodedBody returns the payload of a request: aws-chunked bodies (Content-Encoding
// aws-chunked, or an x-amz-content-sha256 of STREAMING-*) are decoded, and their trailing
// headers (x-amz-checksum-*) are filled into the returned map once the body has been read to
// its end. What the request was signed for is checked as the body streams (verify.go).
func decodedBody(r *http.Request) (io.Reader, http.Header, error) {
	trailer := http.Header{}
	if !isChunked(r) {
		return verifiedPlainBody(r, r.Body), trailer, nil
	}
	return &chunkedReader{br: bufio.NewReader(r.Body), trailer: trailer, sig: newChunkSigner(r)}, trailer, nil
}

func isChunked(r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("x-amz-content-sha256"), "STREAMING-") {
		return true
	}
	for _, enc := range strings.Split(r.Header.Get("Content-Encoding"), ",") {
		if strings.TrimSpace(enc) == "aws-chunked" {
			return true
		}
	}
	return false
}

// decodedLength is the payload size the client announced, -1 when unknown.
func decodedLength(r *http.Request) int64 {
	if isChunked(r) {
		if n, err := strconv.ParseInt(r.Header.Get("x-amz-decoded-content-length"), 10, 64); err == nil {
			return n
		}
		return -1
	}
	return r.ContentLength
}

// chunkedReader decodes "HEX[;chunk-signature=SIG]\r\nDATA\r\n"... "0[;...]\r\n" followed by
// trailer lines "name:value\r\n" and a final "\r\n".
type chunkedReader struct {
	br      *bufio.Reader
	left    int64 // bytes left in the current chunk
	started bool
	done    bool
	trailer http.Header
	sig     *chunkSigner // nil when the chunks are not signed
}

func errIncomplete() error {
	return s3err(400, "IncompleteBody", "The request body terminated unexpectedly")
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		if c.started {
			// The CRLF that ends the previous chunk's data.
			if line, err := c.line(); err != nil || line != "" {
				return 0, errIncomplete()
			}
		}
		if c.sig != nil {
			if err := c.sig.end(); err != nil {
				return 0, err
			}
		}
		c.started = true
		line, err := c.line()
		if err != nil {
			return 0, errIncomplete()
		}
		size, ext, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return 0, s3err(400, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes (local: bad chunk header "+strconv.Quote(line)+")")
		}
		if c.sig != nil {
			if err := c.sig.begin(ext); err != nil {
				return 0, err
			}
		}
		if n == 0 {
			if c.sig != nil {
				if err := c.sig.end(); err != nil {
					return 0, err
				}
			}
			if err := c.readTrailer(); err != nil {
				return 0, err
			}
			if c.sig != nil {
				if err := c.sig.checkTrailer(c.trailer); err != nil {
					return 0, err
				}
			}
			c.done = true
			return 0, io.EOF
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if c.sig != nil {
		c.sig.h.Write(p[:n])
	}
	if err == io.EOF {
		if c.left > 0 {
			return n, errIncomplete()
		}
		err = nil
	}
	return n, err
}

func (c *chunkedReader) line() (string, error) {
	s, err := c.br.ReadString('\n')
	if err != nil && !(err == io.EOF && s != "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (c *chunkedReader) readTrailer() error {
	for {
		line, err := c.line()
		if err == io.EOF || (err == nil && line == "") {
			return nil
		}
		if err != nil {
			return errIncomplete()
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return s3err(400, "MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema.")
		}
		c.trailer.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
}

// Checksum algorithms S3 accepts, by the suffix of their x-amz-checksum-* header.
var checksumAlgorithms = []string{"crc32", "crc32c", "crc64nvme", "sha1", "sha256"}

var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func newChecksum(alg string) hash.Hash {
	switch alg {
	case "crc32":
		return crc32.NewIEEE()
	case "crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "crc64nvme":
		return crc64.New(crc64NVME)
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	}
	return nil
}

// hashingReader computes MD5 and the requested checksums of what passes through.
type hashingReader struct {
	r    io.Reader
	md5  hash.Hash
	sums map[string]hash.Hash
}

// wantedChecksums lists the algorithms a request carries a checksum for (in a header or a
// declared trailer) or asks the server to compute.
func wantedChecksums(r *http.Request) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if newChecksum(a) != nil && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range checksumAlgorithms {
		if r.Header.Get("x-amz-checksum-"+a) != "" {
			add(a)
		}
	}
	for _, t := range strings.Split(r.Header.Get("x-amz-trailer"), ",") {
		if a, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t)), "x-amz-checksum-"); ok {
			add(a)
		}
	}
	add(r.Header.Get("x-amz-sdk-checksum-algorithm"))
	add(r.Header.Get("x-amz-checksum-algorithm"))
	return out
}

func newHashingReader(r io.Reader, algs []string) *hashingReader {
	h := &hashingReader{r: r, md5: md5.New(), sums: map[string]hash.Hash{}}
	for _, a := range algs {
		h.sums[a] = newChecksum(a)
	}
	return h
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.md5.Write(p[:n])
		for _, s := range h.sums {
			s.Write(p[:n])
		}
	}
	return n, err
}

// verify compares the computed checksums with those the client sent (headers first, then
// trailers) and Content-MD5; it returns the checksums to store (base64, by algorithm).
func (h *hashingReader) verify(r *http.Request, trailer http.Header) (map[string]string, error) {
	if want := r.Header.Get("Content-MD5"); want != "" {
		got := base64.StdEncoding.EncodeToString(h.md5.Sum(nil))
		if _, err := base64.StdEncoding.DecodeString(want); err != nil {
			return nil, s3err(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		if got != want {
			return nil, s3err(400, "BadDigest", "The Content-MD5 you specified did not match what we received.", "ExpectedDigest", want, "CalculatedDigest", got)
		}
	}
	out := map[string]string{}
	for alg, sum := range h.sums {
		got := base64.StdEncoding.EncodeToString(sum.Sum(nil))
		want := r.Header.Get("x-amz-checksum-" + alg)
		if want == "" {
			want = trailer.Get("x-amz-checksum-" + alg)
		}
		if want != "" && want != got {
			return nil, s3err(400, "BadDigest", "The "+strings.ToUpper(alg)+" you specified did not match the calculated checksum.")
		}
		out[alg] = got
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (h *hashingReader) md5Hex() string {
	const digits = "0123456789abcdef"
	sum := h.md5.Sum(nil)
	b := make([]byte, len(sum)*2)
	for i, c := range sum {
		b[2*i], b[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(b)
}
