package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
)

// DefaultMaxBody bounds a body hashed for a route that names no limit of its own.
const DefaultMaxBody = 256 << 20

// memBody is how much of a body is kept in memory while it is hashed; the rest goes to an
// unlinked temporary file, so that bodies whose signature turns out false cost disk
// bandwidth, not memory.
const memBody = 256 << 10

// spoolBody reads r.Body to its end through SHA-256, keeping at most memBody bytes in memory
// and the rest in an unlinked temporary file, and refuses more than limit bytes. It replaces
// r.Body with a reader of the same bytes and returns their hex digest.
func spoolBody(r *http.Request, limit int64, key string) (string, *Failure) {
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	tooLarge := &Failure{Kind: BadDigest, Key: key, Msg: fmt.Sprintf("the request body is larger than this operation's limit of %s", sizeName(limit))}
	if r.ContentLength > limit {
		r.Body.Close()
		return "", tooLarge
	}
	if r.ContentLength >= 0 && r.ContentLength <= memBody {
		// The usual case (an SDK sends a Content-Length): one read into a buffer of that size,
		// no 32 KiB copy buffer, no growth. The server's body ends at Content-Length.
		buf := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, buf)
		r.Body.Close()
		if err != nil {
			return "", &Failure{Kind: BadDigest, Key: key, Msg: "reading the request body: " + err.Error()}
		}
		sum := sha256.Sum256(buf)
		r.Body = io.NopCloser(bytes.NewReader(buf))
		return hex.EncodeToString(sum[:]), nil
	}
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(r.Body, limit+1), h)
	var head bytes.Buffer
	n, err := io.Copy(&head, io.LimitReader(src, memBody))
	var spill *os.File
	if err == nil && n == memBody {
		spill, err = os.CreateTemp("", "agentcore-local-body-*")
		if err == nil {
			os.Remove(spill.Name()) // gone from the file system; its space is freed on Close
			var m int64
			m, err = io.Copy(spill, src)
			n += m
		}
	}
	r.Body.Close()
	if err == nil && n > limit {
		err = errTooLarge
	}
	if err == nil && spill != nil {
		_, err = spill.Seek(0, io.SeekStart)
	}
	if err != nil {
		if spill != nil {
			spill.Close()
		}
		if errors.Is(err, errTooLarge) {
			return "", tooLarge
		}
		return "", &Failure{Kind: BadDigest, Key: key, Msg: "reading the request body: " + err.Error()}
	}
	if spill == nil {
		r.Body = io.NopCloser(bytes.NewReader(head.Bytes()))
	} else {
		r.Body = &spooled{Reader: io.MultiReader(bytes.NewReader(head.Bytes()), spill), file: spill}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var errTooLarge = errors.New("body too large")

// spooled is a body read back from memory and its temporary file.
type spooled struct {
	io.Reader
	file *os.File
}

func (s *spooled) Close() error { return s.file.Close() }

// discardBody closes a spooled body that will not be used (a refused request).
func discardBody(r *http.Request) {
	if s, ok := r.Body.(*spooled); ok {
		s.Close()
	}
}

func sizeName(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%1_000_000 == 0:
		return fmt.Sprintf("%d MB", n/1_000_000)
	}
	return fmt.Sprintf("%d bytes", n)
}
