package s3

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzChunked: any aws-chunked body decodes, or fails with an S3 error, with its chunks signed
// (checked against a signing key) or not.
func FuzzChunked(f *testing.F) {
	sig := strings.Repeat("a", 64)
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-sha256:abc\r\n\r\n"), false)
	f.Add([]byte("5;chunk-signature="+sig+"\r\nhello\r\n0;chunk-signature="+sig+"\r\n\r\n"), true)
	f.Add([]byte("ffffffffffffffff\r\nx"), false)
	f.Add([]byte("0\r\nx-amz-trailer-signature:"+sig+"\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		c := &chunkedReader{br: bufio.NewReader(bytes.NewReader(body)), trailer: http.Header{}}
		if signed {
			c.sig = &chunkSigner{key: []byte("k"), amzDate: "20260101T000000Z", scope: "20260101/us-east-1/s3/aws4_request",
				prev: sig, trailer: true, h: newChecksum("sha256")}
		}
		_, err := io.Copy(io.Discard, io.LimitReader(c, 1<<20))
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("%T: %v", err, err)
			}
		}
	})
}
