package awscall

import (
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

func (g bodyGuard) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return g.HTTPClient.Do(r)
}

// readOnlyBody is an io.ReadCloser and nothing more (no WriteTo).
type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }
