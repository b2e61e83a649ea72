package s3

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/agentcore/agentcore/local/auth"
)

// S3 checks a body against what its request was signed for, as it streams (the guard checks
// the request's signature, which covers X-Amz-Content-Sha256 but not the body): a hex digest
// is compared with the body's SHA-256 at its end, and the chunks of a
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD body each carry a signature chained from the request's.
// Bodies are read into temporary files that are committed only once the whole body has
// verified, so nothing of a refused body is stored.

const (
	streamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	emptySHA256            = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// digestReader fails at the end of a body whose SHA-256 is not want.
type digestReader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

// verifiedPlainBody wraps a body that is not aws-chunked: when the request was signed for a
// hex digest, the body must have it.
func verifiedPlainBody(r *http.Request, body io.Reader) io.Reader {
	id := auth.FromContext(r.Context())
	if id == nil || id.Presigned || !isHex64(id.PayloadSHA256) {
		return body
	}
	return &digestReader{r: body, h: sha256.New(), want: strings.ToLower(id.PayloadSHA256)}
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(d.h.Sum(nil)); got != d.want {
			return n, s3err(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
				"ClientComputedContentSHA256", d.want, "S3ComputedContentSHA256", got)
		}
	}
	return n, err
}

// chunkSigner checks the signature of each chunk of a signed aws-chunked body, and of its
// trailer: each string to sign holds the previous signature, so chunks cannot be replaced,
// reordered or dropped.
type chunkSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string // the previous chunk's signature; the request's for the first
	trailer bool   // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the trailer is signed too
	pending string // the signature announced for the chunk being read
	h       hash.Hash
	inChunk bool
}

// newChunkSigner returns the checker of r's chunk signatures, nil when r's chunks are unsigned
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) or r carries no verified identity.
func newChunkSigner(r *http.Request) *chunkSigner {
	id := auth.FromContext(r.Context())
	if id == nil {
		return nil
	}
	switch id.PayloadSHA256 {
	case streamingSigned, streamingSignedTrailer:
	default:
		return nil
	}
	return &chunkSigner{key: id.SigningKey, amzDate: id.Time.UTC().Format("20060102T150405Z"), scope: id.Scope,
		prev: id.Signature, trailer: id.PayloadSHA256 == streamingSignedTrailer, h: sha256.New()}
}

func errChunkSignature() error {
	return s3err(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method. (local: a chunk signature of this aws-chunked body does not match)")
}

// begin takes a chunk header's extensions ("chunk-signature=SIG").
func (s *chunkSigner) begin(ext string) error {
	sig := ""
	for _, e := range strings.Split(ext, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(e), "chunk-signature="); ok {
			sig = v
		}
	}
	if !isHex64(sig) {
		return errChunkSignature()
	}
	s.pending, s.inChunk = strings.ToLower(sig), true
	s.h.Reset()
	return nil
}

// end checks the chunk just read against its announced signature.
func (s *chunkSigner) end() error {
	if !s.inChunk {
		return nil
	}
	s.inChunk = false
	toSign := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(s.h.Sum(nil))
	want := hmacHex(s.key, toSign)
	if !hmac.Equal([]byte(want), []byte(s.pending)) {
		return errChunkSignature()
	}
	s.prev = want
	return nil
}

// checkTrailer verifies x-amz-trailer-signature over the other trailing headers.
func (s *chunkSigner) checkTrailer(trailer http.Header) error {
	if !s.trailer {
		return nil
	}
	sig := strings.ToLower(trailer.Get("x-amz-trailer-signature"))
	trailer.Del("x-amz-trailer-signature")
	var names []string
	for k := range trailer {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + ":" + strings.Join(trailer.Values(k), ",") + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	toSign := "AWS4-HMAC-SHA256-TRAILER\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" + hex.EncodeToString(sum[:])
	if want := hmacHex(s.key, toSign); !hmac.Equal([]byte(want), []byte(sig)) {
		return errChunkSignature()
	}
	return nil
}

func hmacHex(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
