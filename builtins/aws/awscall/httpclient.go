package awscall

import (
	"bytes"
	"io"
	"net/http"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// HTTPClient wraps the SDK's HTTP client (nil: the SDK's default) against a race between
// smithy-go and net/http that closes a connection under a response still being read.
//
// smithy-go wraps a request body so that, once Do returns, it can be closed and later reads
// answer io.EOF. When the body can WriteTo (a bytes.Reader can), the wrapper's WriteTo answers
// io.EOF as an error once closed. net/http's transport writes a body with a known length and
// then reads it once more to check it is done: when the server has answered before that read
// (it has all the bytes: they went to the socket directly) and Do has returned, that read is
// the closed WriteTo, the write "fails" with EOF, and the transport closes the connection,
// and with it the response body being read. Seen as "read tcp ...: use of closed network
// connection" on a live tail stream (and reported against DynamoDB, aws/aws-sdk-go-v2#2737).
// Hiding WriteTo makes io.Copy use Read, whose io.EOF after the close is a plain end.
//
// A body of known length up to memBody is read into memory first and sent as a bytes.Reader
// (copied again after a close without harm): the transport knows it as an in-memory reader
// and writes the request's headers and body in one write, where for any other reader it
// flushes the headers alone first, a second write and a second wake-up of the server per call
// (the local endpoint's invocations, issue 19).
func HTTPClient(c awssdk.HTTPClient) awssdk.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if _, ok := c.(bodyGuard); ok {
		return c
	}
	return bodyGuard{c}
}

type bodyGuard struct{ awssdk.HTTPClient }

// memBody is the largest request body sent from memory.
const memBody = 256 << 10

func (g bodyGuard) Do(r *http.Request) (*http.Response, error) {
	switch {
	case r.Body == nil || r.Body == http.NoBody:
	case r.ContentLength > 0 && r.ContentLength <= memBody:
		b := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			r.Body.Close() // as the transport would
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	default:
		r.Body = readOnlyBody{r.Body}
	}
	return g.HTTPClient.Do(r)
}

// readOnlyBody is an io.ReadCloser and nothing more (no WriteTo).
type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }
